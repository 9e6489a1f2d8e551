"""``WaitWatch``: what an apply is waiting for, and until when, from the transport's events.

A plan of sixty changes can sit still for a minute: a 429 pauses every request of the client
until ``Retry-After`` has passed (docs/DESIGN.md, R13), a 503 backs off, client-side pacing spaces
writes. The progress bar does not move then, so the review says why and until when, live:
"rate limited by the server (HTTP 429): every request waits 30 s, as it asked; resumes in 27 s,
at 14:02:31 UTC". Pure Python (no ipywidgets): the review renders :meth:`WaitWatch.text`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from arize_orgs_nb.http.transport import Transport, TransportEvent
from arize_orgs_nb.widgets._base import APPLY_THREADS

__all__ = ["Wait", "WaitWatch"]

PACED_SHOWN = 1.0
"""Client-side pacing waits shorter than this (seconds) are not reported: they are the pace itself."""


@dataclass(frozen=True)
class Wait:
    """One pause of the apply (a shared 429 pause met by many workers counts once).

    Attributes:
        reason: ``rate-limited``, ``backoff`` or ``paced`` (the transport's words).
        cause: what the last answer was: ``HTTP 429``, ``HTTP 503``, ``no answer``, or ``""``.
        started: when the wait began (the watch's monotonic clock).
        until: when requests resume (the same clock).
    """

    reason: str
    cause: str
    started: float
    until: float

    @property
    def seconds(self) -> float:
        """How long the wait lasts in all."""
        return self.until - self.started


class WaitWatch:
    """Follows the waits of one job (its own thread and the apply's workers) on a transport.

    Args:
        transport: the client's transport, whose ``wait`` events are watched.
        clock: a monotonic clock (the transport's, so a test's fake clock drives both).
        wall_clock: Unix time, for the "resumes at" time.
        on_change: called (in the thread of the event) whenever the wait begins, grows or ends.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._transport = transport
        self.clock = clock
        """The monotonic clock the waits are measured with."""
        self.wall_clock = wall_clock
        """Unix time, for the "resumes at" time."""
        self._on_change = on_change
        self._lock = threading.Lock()
        self._causes: dict[int, str] = {}
        self.current: Wait | None = None
        """The wait going on now, if any."""
        self.past: list[Wait] = []
        """The waits that ended, oldest first."""
        self._queued: Wait | None = None

    def watch(self, thread_id: int) -> Callable[[], None]:
        """Start following the job running in ``thread_id`` (and the apply's workers).

        Args:
            thread_id: ``threading.get_ident()`` of the job's thread.

        Returns:
            Stops following (and ends a wait still shown).
        """

        def listener(event: TransportEvent) -> None:
            current = threading.current_thread()
            if current.ident != thread_id and not current.name.startswith(APPLY_THREADS):
                return
            self._event(event, current.ident or 0)

        remove = self._transport.add_listener(listener)

        def stop() -> None:
            remove()
            self._end()

        return stop

    def _event(self, event: TransportEvent, thread: int) -> None:
        now = self.clock()
        with self._lock:
            before = self.current
            if event.kind == "response":
                self._causes[thread] = f"HTTP {event.status}"
            elif event.kind == "failure":
                self._causes[thread] = "no answer"
            if event.kind != "wait":
                self._expire(now)
            elif event.reason != "paced" or event.seconds >= PACED_SHOWN:
                cause = self._causes.get(thread, "") if event.reason != "paced" else ""
                self._add(Wait(event.reason, cause, now, now + event.seconds), now)
            changed = self.current is not before
        if changed:
            self._on_change()

    def _expire(self, now: float) -> None:
        """End the current wait once its time is up; a wait queued behind it takes its place."""
        while self.current is not None and now >= self.current.until:
            self.past.append(self.current)
            queued, self._queued = self._queued, None
            if queued is not None and queued.until > now:
                queued = replace(queued, started=max(queued.started, self.current.until))
            self.current = queued if queued is not None and queued.until > now else None

    def _add(self, wait: Wait, now: float) -> None:
        """One more wait: of the current kind it extends it, of another kind it follows it.

        A shared pause met by many workers counts once; the pacing's slots taken during a 429's
        pause are shown when the pause is over, not as part of it.
        """
        self._expire(now)
        current = self.current
        if current is None:
            self.current = wait
        elif wait.reason == current.reason:
            if wait.until > current.until + 0.5:
                self.current = Wait(current.reason, current.cause or wait.cause, current.started, wait.until)
        elif wait.until > current.until and (self._queued is None or wait.until > self._queued.until):
            self._queued = wait if self._queued is None else replace(self._queued, until=wait.until)

    def _end(self) -> None:
        with self._lock:
            self._queued = None
            wait, self.current = self.current, None
            if wait is not None:
                self.past.append(wait)
        if wait is not None:
            self._on_change()

    def reset(self) -> None:
        """Forget the waits seen (a new apply starts)."""
        with self._lock:
            self.current = None
            self._queued = None
            self.past = []
            self._causes = {}

    def text(self) -> str:
        """The wait going on, in words, with how long is left and when it ends; ``""`` when none.

        Returns:
            ``"rate limited by the server (HTTP 429): every request waits 30 s, as it asked;
            resumes in 27 s, at 14:02:31 UTC"``.
        """
        with self._lock:
            self._expire(self.clock())
            wait = self.current
        if wait is None:
            return ""
        left = max(0.0, wait.until - self.clock())
        at = datetime.fromtimestamp(self.wall_clock() + left, tz=UTC).strftime("%H:%M:%S UTC")
        when = f"resumes in {_seconds(left)}, at {at}"
        if wait.reason == "rate-limited":
            cause = wait.cause if wait.cause.startswith("HTTP 429") else "HTTP 429"
            return (
                f"rate limited by the server ({cause}): every request waits {_seconds(wait.seconds)}, "
                f"as it asked; {when}"
            )
        if wait.reason == "paced":
            return (
                "paced: this client spaces its requests (its rate limit, set or learnt from the server's "
                f"429s); the queued ones have gone out by {at} (in {_seconds(left)})"
            )
        what = (
            "no answer from the service"
            if wait.cause in ("", "no answer")
            else f"the service answered {wait.cause}"
        )
        return f"{what}: trying again after {_seconds(wait.seconds)}; {when}"

    def summary(self) -> str:
        """The waits that ended, in one line (``waited: rate limited once (30 s)``), or ``""``."""
        past = list(self.past)
        if not past:
            return ""
        parts = []
        for reason, label in (
            ("rate-limited", "rate limited"),
            ("backoff", "backing off"),
            ("paced", "paced"),
        ):
            waits = [w for w in past if w.reason == reason]
            if waits:
                times = "" if reason == "paced" else f" {_times(len(waits))}"
                parts.append(f"{label}{times} ({_seconds(sum(w.seconds for w in waits))})")
        return "waited: " + ", ".join(parts)


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _seconds(value: float) -> str:
    whole = max(0, round(value))
    if whole < 120:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"
