"""The stand-in's rate limits: token buckets per API key and kind of request, and one for everything.

A request over a limit is answered 429 before anything is touched, with an honest ``Retry-After``:
the seconds until that bucket has a token again, rounded up to whole seconds (docs/API.md, U25).
A refused request takes no token. Each bucket holds one second's worth of requests (at least one)
and starts full; changing a rate starts its buckets afresh.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable

from arize_orgs_nb.sandbox.faults import WRITE_METHODS, FaultPlan, Knobs

_ROUNDING = 1e-9  # a client that waits exactly the time it was told finds its token


class _Allowance:
    """One token bucket: ``rate`` tokens per second, holding at most ``max(1, rate)``."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self._burst = max(1.0, rate)
        self._tokens = self._burst
        self._updated = now

    def wait(self, now: float) -> float:
        """Refill up to ``now``; the seconds until a token is there (0 when one is)."""
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        missing = 1.0 - self._tokens
        return 0.0 if missing <= _ROUNDING else missing / self.rate

    def take(self) -> None:
        self._tokens -= 1.0


class RateLimits:
    """The limits of :class:`~arize_orgs_nb.sandbox.faults.Knobs`, enforced on the stand-in's clock.

    * ``write_rate``: POST, PATCH, PUT and DELETE per second, for each API key;
    * ``read_rate``: every other request per second, for each API key;
    * ``rate_limit_rps``: every request per second, whatever its key and kind.

    Args:
        clock: a monotonic clock (injected in tests).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, ...], _Allowance] = {}

    def check(self, method: str, authorization: str, knobs: Knobs) -> FaultPlan | None:
        """Take a token from every bucket the request counts against, or refuse it.

        Args:
            method: the request verb.
            authorization: the ``Authorization`` header as sent (only a digest of it is kept).
            knobs: the current limits.

        Returns:
            ``None`` when the request may go on (its tokens taken), else the 429 to answer.
        """
        write = method.upper() in WRITE_METHODS
        key = hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        wanted = (
            (("all",), knobs.rate_limit_rps),
            (("key", key, "write" if write else "read"), knobs.write_rate if write else knobs.read_rate),
        )
        with self._lock:
            now = self._clock()
            buckets = []
            for name, rate in wanted:
                bucket = self._buckets.get(name)
                if rate <= 0:
                    self._buckets.pop(name, None)
                    continue
                if bucket is None or bucket.rate != rate:
                    bucket = self._buckets[name] = _Allowance(rate, now)
                buckets.append(bucket)
            wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
            if wait > 0:
                return FaultPlan(fault="429", status=429, retry_after=str(max(1, math.ceil(wait))))
            for bucket in buckets:
                bucket.take()
            return None
