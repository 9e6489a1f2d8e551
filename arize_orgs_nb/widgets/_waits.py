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
from dataclasses import dataclass
from datetime import datetime, timezone

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
        changed = False
        with self._lock:
            if event.kind == "response":
                self._causes[thread] = f"HTTP {event.status}"
            elif event.kind == "failure":
                self._causes[thread] = "no answer"
            if event.kind != "wait":
                if self.current is not None and now >= self.current.until:
                    self.past.append(self.current)
                    self.current, changed = None, True
            elif event.reason != "paced" or event.seconds >= PACED_SHOWN:
                until = now + event.seconds
                cause = self._causes.get(thread, "") if event.reason != "paced" else ""
                wait = self.current
                if wait is not None and now >= wait.until:
                    self.past.append(wait)
                    wait = None
                if wait is None:
                    self.current, changed = Wait(event.reason, cause, now, until), True
                elif until > wait.until + 0.5:  # the same shared pause, met by another worker: once
                    self.current, changed = Wait(wait.reason, wait.cause or cause, wait.started, until), True
        if changed:
            self._on_change()

    def _end(self) -> None:
        with self._lock:
            wait, self.current = self.current, None
            if wait is not None:
                self.past.append(wait)
        if wait is not None:
            self._on_change()

    def reset(self) -> None:
        """Forget the waits seen (a new apply starts)."""
        with self._lock:
            self.current = None
            self.past = []
            self._causes = {}

    def text(self) -> str:
        """The wait going on, in words, with how long is left and when it ends; ``""`` when none.

        Returns:
            ``"rate limited by the server (HTTP 429): every request waits 30 s, as it asked;
            resumes in 27 s, at 14:02:31 UTC"``.
        """
        wait = self.current
        if wait is None:
            return ""
        left = max(0.0, wait.until - self.clock())
        at = datetime.fromtimestamp(self.wall_clock() + left, tz=timezone.utc).strftime("%H:%M:%S UTC")
        when = f"resumes in {_seconds(left)}, at {at}"
        if wait.reason == "rate-limited":
            cause = wait.cause if wait.cause.startswith("HTTP 429") else "HTTP 429"
            return (
                f"rate limited by the server ({cause}): every request waits {_seconds(wait.seconds)}, "
                f"as it asked; {when}"
            )
        if wait.reason == "paced":
            return f"paced: this client's own rate limit spaces the requests; {when}"
        what = (
            "no answer from the service"
            if wait.cause in ("", "no answer")
            else f"the service answered {wait.cause}"
        )
        return f"{what}: trying again after {_seconds(wait.seconds)}; {when}"

    def summary(self) -> str:
        """The waits that ended, in one line (``waited 2 times, 45 s in all (rate limited)``), or ``""``."""
        past = list(self.past)
        if not past:
            return ""
        reasons = sorted({"rate limited" if w.reason == "rate-limited" else w.reason for w in past})
        times = "once" if len(past) == 1 else f"{len(past)} times"
        return f"waited {times}, {_seconds(sum(w.seconds for w in past))} in all ({', '.join(reasons)})"


def _seconds(value: float) -> str:
    whole = max(0, round(value))
    if whole < 120:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"
