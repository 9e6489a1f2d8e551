"""What applying a plan should cost: its HTTP calls, and about how long they take.

Layer: above ``http`` (it listens to the transport's events). :class:`RoundTrips` keeps the mean
round trip of recent answers; :func:`estimate` turns a call count into seconds at the rate the
client knows -- a configured ``RateLimit``, or the rate the service allowed before its last 429
(learnt by the adaptive pacing) -- or, when no limit is known, as round trip x calls / workers.
An estimate is a forecast, not a promise: before the service has ever answered 429 it cannot know
the service's limit, and says so in its basis.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from arize_orgs_nb.http.transport import TransportEvent
from arize_orgs_nb.wording import counted

__all__ = ["Estimate", "RoundTrips", "estimate"]

_WHERE = {
    "configured": "the configured RateLimit",
    "learnt": "the rate the service allowed before its last 429",
}


@dataclass(frozen=True)
class Estimate:
    """What applying a plan should cost.

    Attributes:
        calls: HTTP calls: one per change, plus the stale check's list requests (one per 100
            organizations of the account). A create whose answer is lost, or a swap of names,
            takes a few more.
        seconds: about how long they take; ``math.nan`` when nothing is known to time them by
            (no request answered yet, no rate known).
        basis: what the time rests on, in words.
    """

    calls: int
    seconds: float
    basis: str

    def __str__(self) -> str:
        calls = counted(self.calls, "HTTP call")
        if math.isnan(self.seconds):
            return f"{calls}; duration unknown ({self.basis})"
        return f"{calls}, {_duration(self.seconds)} ({self.basis})"


class RoundTrips:
    """The mean round trip of the latest answers, per kind (reads, writes): a transport listener.

    Args:
        weight: the weight of each new answer in the moving average.
    """

    def __init__(self, weight: float = 0.2) -> None:
        self._weight = weight
        self._mean: dict[bool, float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: TransportEvent) -> None:
        """Take in one transport event (answers count; waits and failures do not)."""
        if event.kind != "response":
            return
        write = event.method != "GET"
        with self._lock:
            mean = self._mean.get(write)
            self._mean[write] = (
                event.seconds if mean is None else mean + self._weight * (event.seconds - mean)
            )

    def mean(self, *, write: bool) -> float | None:
        """The mean round trip of that kind in seconds (of the other kind if none yet), or ``None``."""
        with self._lock:
            return self._mean.get(write, self._mean.get(not write))


def estimate(
    *,
    writes: int,
    reads: int,
    workers: int,
    write_rate: tuple[float, str] | None,
    read_rate: tuple[float, str] | None,
    round_trips: RoundTrips,
) -> Estimate:
    """The estimate of ``writes`` calls sent by ``workers`` threads after ``reads`` list requests.

    Args:
        writes: the write calls (one per change).
        reads: the list requests read first, one after another (the stale check).
        workers: concurrent write requests.
        write_rate: the known write rate and where it comes from (``"configured"`` or
            ``"learnt"``), or ``None``.
        read_rate: the same for reads.
        round_trips: the measured round trips.

    Returns:
        The estimate.
    """
    write_s, write_basis = _time(writes, workers, write_rate, round_trips.mean(write=True), "write")
    read_s, read_basis = _time(reads, 1, read_rate, round_trips.mean(write=False), "list request")
    basis = write_basis if writes else read_basis
    if writes and reads:
        basis += f"; after {counted(reads, 'list request')} of the stale check"
    return Estimate(writes + reads, write_s + read_s, basis)


def _time(
    calls: int, workers: int, rate: tuple[float, str] | None, round_trip: float | None, what: str
) -> tuple[float, str]:
    """Seconds for ``calls`` calls, and why: the slower of the rate and round trip x calls / workers."""
    if not calls:
        return 0.0, "nothing to send"
    bound = calls * round_trip / workers if round_trip is not None else math.nan
    if rate is not None and not calls / rate[0] < bound:  # the rate is the slower one (or alone)
        per_second, source = rate
        return calls / per_second, f"{per_second:.3g} {what}s/s, {_WHERE[source]}"
    if round_trip is None:
        return math.nan, "no limit known and no request timed yet"
    crowd = f" / {workers} workers" if workers > 1 else ""
    known = "" if rate is not None else "; no limit known yet"
    return bound, f"round trip {round_trip * 1000:.0f} ms \u00d7 {counted(calls, what)}{crowd}{known}"


def _duration(seconds: float) -> str:
    if seconds < 0.05:
        return "under 0.1 s"
    if seconds < 10:
        return f"about {seconds:.1f} s"
    if seconds < 120:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min"
