"""Fault injection: a deterministic schedule plus random knobs.

Both produce a :class:`FaultPlan` for a request. Scheduled faults take precedence, then the rate
limits (:mod:`arize_orgs_nb.sandbox.limits`); random 429/5xx are decided before any state is
touched, random drops happen after the commit.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
DROP_MODES = ("before", "after")
DELAY_PHASES = ("before", "after")


@dataclass(frozen=True)
class FaultPlan:
    """How to treat one request.

    Attributes:
        fault: The label written to the request log, or ``None``.
        status: Answer this status instead of handling the request.
        retry_after: Value of the ``Retry-After`` header, if any.
        body: A raw body to send instead of a problem document.
        content_type: Content type of ``body``.
        drop: ``"before"`` (nothing processed) or ``"after"`` (processed, then dropped).
        delay_before: Seconds to wait before processing.
        delay_after: Seconds to wait after processing, before answering.
    """

    fault: str | None = None
    status: int | None = None
    retry_after: str | None = None
    body: bytes | None = None
    content_type: str | None = None
    drop: str | None = None
    delay_before: float = 0.0
    delay_after: float = 0.0


NO_FAULT = FaultPlan()


@dataclass
class ScheduledFault:
    """A fault waiting for the next matching request(s).

    Attributes:
        status: Status to answer with (without processing the request).
        retry_after: ``Retry-After`` value; a string is sent verbatim.
        drop: ``"before"`` or ``"after"``.
        method: Only requests with this verb match (``None``: any).
        path: Exact decoded path, or a prefix ending in ``*`` (``None``: any).
        times: How many more requests this fault applies to.
        body: Raw body to send with ``status``.
        content_type: Content type of ``body``.
        delay_ms: Extra delay.
        delay_phase: ``"after"`` (process, wait, answer) or ``"before"`` (wait, then
            process: the commit lands late).
    """

    status: int | None
    retry_after: int | str | None
    drop: str | None
    method: str | None
    path: str | None
    times: int
    body: str | bytes | None
    content_type: str | None
    delay_ms: float | None
    delay_phase: str

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is affected by this fault.

        Args:
            method: The request verb.
            path: The decoded request path.

        Returns:
            ``True`` when method and path match.
        """
        if self.method is not None and self.method != method.upper():
            return False
        if self.path is None:
            return True
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def plan(self) -> FaultPlan:
        """Translate the fault into a :class:`FaultPlan`."""
        delay = (self.delay_ms or 0.0) / 1000.0
        retry_after = None if self.retry_after is None else str(self.retry_after)
        body = self.body.encode("utf-8") if isinstance(self.body, str) else self.body
        if self.drop is not None:
            label = f"drop-{self.drop}"
        elif self.status == 429:
            label = "429"
        elif self.status is not None and self.status >= 500:
            label = "5xx"
        elif self.status is not None:
            label = str(self.status)
        else:
            label = "delay"
        return FaultPlan(
            fault=label,
            status=self.status,
            retry_after=retry_after,
            body=body,
            content_type=self.content_type,
            drop=self.drop,
            delay_before=delay if self.delay_phase == "before" else 0.0,
            delay_after=delay if self.delay_phase == "after" else 0.0,
        )


class FaultSchedule:
    """Scheduled faults, consumed in order by the next matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[ScheduledFault] = []

    def add(
        self,
        *,
        status: int | None = None,
        retry_after: int | str | None = None,
        drop: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        body: str | bytes | None = None,
        content_type: str | None = None,
        delay_ms: float | None = None,
        delay_phase: str = "after",
    ) -> ScheduledFault:
        """Schedule a fault.

        Args:
            status: Answer this status (200-599) without processing the request. An error
                status gets a problem body unless ``body`` is given; a success status
                without ``body`` gets an empty body (e.g. a 200 HTML login page from a
                proxy: ``status=200, body="<html>..", content_type="text/html"``).
            retry_after: ``Retry-After`` header value (a string is sent verbatim, so it
                may be malformed on purpose).
            drop: ``"before"``: drop the connection without processing. ``"after"``:
                process (commit) the request, then drop without answering.
            method: Restrict to one verb.
            path: Restrict to an exact decoded path, or a prefix ending in ``*``.
            times: Number of matching requests affected.
            body: Raw response body (with ``status``), e.g. an HTML error page.
            content_type: Content type of ``body`` (default ``text/plain``).
            delay_ms: Extra delay in milliseconds.
            delay_phase: ``"after"`` (default): process, wait, then answer.
                ``"before"``: wait, then process.

        Returns:
            The scheduled fault.

        Raises:
            ValueError: On inconsistent arguments.
        """
        if status is None and drop is None and delay_ms is None:
            raise ValueError("a fault needs status, drop or delay_ms")
        if status is not None and drop is not None:
            raise ValueError("status and drop are mutually exclusive")
        if status is not None and not 200 <= status <= 599:
            raise ValueError("status must be between 200 and 599")
        if drop is not None and drop not in DROP_MODES:
            raise ValueError("drop must be 'before' or 'after'")
        if delay_phase not in DELAY_PHASES:
            raise ValueError("delay_phase must be 'before' or 'after'")
        if delay_ms is not None and delay_ms < 0:
            raise ValueError("delay_ms must not be negative")
        if times < 1:
            raise ValueError("times must be at least 1")
        if body is not None and status is None:
            raise ValueError("body needs a status")
        fault = ScheduledFault(
            status=status,
            retry_after=retry_after,
            drop=drop,
            method=method.upper() if method is not None else None,
            path=path,
            times=times,
            body=body,
            content_type=content_type,
            delay_ms=delay_ms,
            delay_phase=delay_phase,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def extend(self, faults: list[ScheduledFault]) -> None:
        """Schedule faults already checked (e.g. by :meth:`add` on another schedule), after the rest.

        Args:
            faults: The faults, in the order they are to be consumed.
        """
        with self._lock:
            self._faults.extend(faults)

    def take(self, method: str, path: str) -> FaultPlan | None:
        """Consume one use of the first fault matching a request.

        Args:
            method: The request verb.
            path: The decoded path.

        Returns:
            The plan, or ``None`` when no scheduled fault matches.
        """
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        del self._faults[index]
                    return fault.plan()
        return None

    def pending(self) -> list[ScheduledFault]:
        """Return the faults not yet used up."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Remove every scheduled fault."""
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


@dataclass(frozen=True)
class Knobs:
    """Random fault and latency settings.

    Attributes:
        latency_ms: Sleep per request.
        rate_limit_share: Share of requests answered 429.
        error_share: Share of requests answered 500, 502 or 503.
        drop_share: Share of write requests dropped after the commit.
        retry_after: Seconds in ``Retry-After`` of the random 429s.
        rate_limit_rps: A limit on every request, whatever its key and kind, per second.
        write_rate: A limit on POST, PATCH, PUT and DELETE per second, for each API key.
        read_rate: A limit on the other requests (GET) per second, for each API key.

    Each limit is a token bucket holding one second's worth (at least one request); a request
    over it gets 429 with the whole seconds until a token is back in ``Retry-After`` (see
    :mod:`arize_orgs_nb.sandbox.limits`). 0 disables it.
    """

    latency_ms: float = 0.0
    rate_limit_share: float = 0.0
    error_share: float = 0.0
    drop_share: float = 0.0
    retry_after: int = 1
    rate_limit_rps: float = 0.0
    write_rate: float = 0.0
    read_rate: float = 0.0

    def checked(self) -> Knobs:
        """Return ``self`` after validating the values.

        Returns:
            This object.

        Raises:
            ValueError: When a value is out of range.
        """
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        for name in ("rate_limit_rps", "write_rate", "read_rate"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("rate_limit_share", "error_share", "drop_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.rate_limit_share + self.error_share > 1.0:
            raise ValueError("rate_limit_share + error_share must not exceed 1")
        if isinstance(self.retry_after, bool) or self.retry_after < 0:
            raise ValueError("retry_after must be a non-negative integer")
        return self


class RandomFaults:
    """Random 429s, 5xx and dropped writes drawn from a seeded generator.

    Args:
        knobs: The initial settings.
        rng_seed: Seed of the generator (same seed and same request sequence give the
            same faults).
    """

    def __init__(self, knobs: Knobs, rng_seed: int | None) -> None:
        self._lock = threading.Lock()
        self._knobs = knobs.checked()
        self._rng = random.Random(rng_seed)

    @property
    def knobs(self) -> Knobs:
        """The current settings."""
        with self._lock:
            return self._knobs

    def set(self, **changes: float) -> Knobs:
        """Change some settings.

        Args:
            **changes: Any of the :class:`Knobs` fields.

        Returns:
            The new settings.

        Raises:
            ValueError: On an unknown name or a value out of range.
        """
        unknown = set(changes) - set(Knobs.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown knob(s): {', '.join(sorted(unknown))}")
        if "retry_after" in changes:
            value = changes["retry_after"]
            if value != int(value):
                raise ValueError("retry_after must be an integer")
            changes["retry_after"] = int(value)
        with self._lock:
            self._knobs = replace(self._knobs, **changes).checked()  # type: ignore[arg-type]
            return self._knobs

    def draw(self, method: str) -> FaultPlan:
        """Decide the random fault of one request.

        Args:
            method: The request verb.

        Returns:
            The plan (``NO_FAULT`` most of the time).
        """
        with self._lock:
            knobs = self._knobs
            if knobs.rate_limit_share == knobs.error_share == knobs.drop_share == 0.0:
                return NO_FAULT
            roll = self._rng.random()
            if roll < knobs.rate_limit_share:
                return FaultPlan(fault="429", status=429, retry_after=str(knobs.retry_after))
            if roll < knobs.rate_limit_share + knobs.error_share:
                return FaultPlan(fault="5xx", status=self._rng.choice((500, 502, 503)))
            if method.upper() in WRITE_METHODS and self._rng.random() < knobs.drop_share:
                return FaultPlan(fault="drop-after", drop="after")
            return NO_FAULT
