"""Client-side pacing, shared by every thread of a client: a fixed rate, and a rate learnt from 429s.

Layer: pure (no project imports, the clock injected); it follows ``config.RateLimit`` and
``config.AdaptivePacing``.

* :class:`TokenBucket` holds a fixed rate (``RateLimit``, off by default): for accounts that want to
  stay under a known limit without ever meeting a 429 -- for example bulk writes at 2 per second
  (burst 2: see docs/RELIABILITY.md, B0/default-bulk-writes) -- at the cost of speed: a 1,000-row
  apply paced at 2 writes/s takes at least 500 s whatever the worker count.
* :class:`AdaptiveRate` learns the service's limit (``AdaptivePacing``, on by default): unlimited
  until the service answers 429, then a schedule of send slots whose rate is cut on every 429 and
  grows back with time, as the AWS SDKs' "adaptive" retry mode does (docs/DESIGN.md, R14a). The
  ``Retry-After`` of each 429 is still waited out by the transport, for every thread at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

__all__ = ["AdaptiveRate", "TokenBucket"]


class TokenBucket:
    """A token bucket that hands out send times: ``reserve()`` says how long to wait first.

    Each call reserves one slot, so concurrent callers are spaced ``1 / rate`` apart in the order
    they asked, and none of them waits holding a lock.

    Args:
        rate: tokens per second.
        burst: the bucket's size (it starts full).
        clock: a monotonic clock (injected in tests).
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TokenBucket {self.rate:g}/s, burst {self.burst}>"

    def reserve(self) -> float:
        """Take one token, possibly in advance.

        Returns:
            Seconds to wait before sending (``0.0`` when a token was there).
        """
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class AdaptiveRate:
    """A send rate learnt from the service's 429s: cut at once on a 429, grown back with time.

    Until the first 429 it paces nothing (``reserve()`` is always 0: single calls and unthrottled
    applies never wait). From then on requests are sent in slots ``1 / rate`` apart, whichever
    thread asks, and the rate follows CUBIC, the curve of the AWS SDKs' adaptive mode:

    * on a 429, the rate the service *accepted* since the previous cut (requests sent and answered
      without a 429, divided by the time, pauses included) becomes the :attr:`limit`, and the rate
      drops to ``beta x limit``. Measured from one 429 to the next, that is the service's own
      refill rate: its bucket is empty at both ends. The first measurement spans at least
      ``window`` seconds, so the burst a service lets through first does not count as its rate;
    * after a cut the rate climbs back as ``scale x (t - k)**3 + limit`` (``t`` seconds since the
      cut, ``k`` when it is back at the limit): fast at first, flat near the limit, then probing
      beyond it ever faster until the next 429;
    * a 429 to a request sent before the last cut is ignored: the requests in flight when the
      service said stop all hear it, and count as one signal;
    * the first send after a cut is not delayed (the transport's shared pause for the
      ``Retry-After`` already holds it); the rate never drops below ``min_rate``.

    Args:
        beta: the share of the limit the rate drops to on a 429 (0 < beta < 1).
        scale: CUBIC's constant, in requests per second per second cubed.
        min_rate: the lowest rate, requests per second.
        window: the shortest span the first measurement of the limit covers, in seconds.
        clock: a monotonic clock (injected in tests).
    """

    def __init__(
        self,
        *,
        beta: float = 0.7,
        scale: float = 0.4,
        min_rate: float = 0.5,
        window: float = 1.0,
        clock: Callable[[], float],
    ) -> None:
        self._beta = beta
        self._scale = scale
        self._min_rate = min_rate
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._limit: float | None = None  # None: no 429 yet, nothing paced
        self._k = 0.0
        self._cut_at = -math.inf
        self._since: float | None = None  # start of the measurement: the first send, then the last cut
        self._accepted = 0  # answers without a 429 to requests sent since ``_since``
        self._next = -math.inf  # the next free slot

    def __repr__(self) -> str:
        rate = self.rate
        return "<AdaptiveRate unlimited>" if rate is None else f"<AdaptiveRate {rate:.3g}/s>"

    @property
    def limit(self) -> float | None:
        """The rate the service allowed before its last 429, requests per second; ``None`` before any.

        Never below ``min_rate``.
        """
        with self._lock:
            return None if self._limit is None else max(self._min_rate, self._limit)

    @property
    def rate(self) -> float | None:
        """The rate requests are sent at now; ``None`` while unlimited (no 429 yet)."""
        with self._lock:
            return self._rate_at(self._clock())

    def _rate_at(self, now: float) -> float | None:
        if self._limit is None:
            return None
        grown = self._scale * (now - self._cut_at - self._k) ** 3 + self._limit
        return max(self._min_rate, grown)

    def reserve(self) -> float:
        """Reserve the next send slot.

        Returns:
            Seconds to wait before sending (``0.0`` while no 429 was met, or when a slot is free).
        """
        with self._lock:
            now = self._clock()
            if self._since is None:
                self._since = now
            rate = self._rate_at(now)
            if rate is None:
                return 0.0
            slot = max(now, self._next)
            self._next = slot + 1.0 / rate
            return slot - now

    def answered(self, sent: float, *, throttled: bool) -> None:
        """Learn from one answer of the service.

        Args:
            sent: when the request was sent (the clock's time).
            throttled: the answer was a 429.
        """
        with self._lock:
            if self._since is None:
                self._since = sent
            if not throttled:
                if sent >= self._since:
                    self._accepted += 1
                return
            if sent < self._cut_at:
                return  # sent before the last cut, which already answered this 429
            now = self._clock()
            elapsed = now - self._since
            current = self._rate_at(now)
            if current is None:
                limit = self._accepted / max(elapsed, self._window)
            elif elapsed >= self._window:
                limit = min(current, self._accepted / elapsed)
            else:
                limit = current  # too short a span to measure: cut from the rate sent at
            self._limit = limit
            self._k = (limit * (1.0 - self._beta) / self._scale) ** (1.0 / 3.0)
            self._cut_at = self._since = now
            self._accepted = 0
            self._next = now
