"""The request log: one record per request the sandbox received."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LogRecord:
    """One request as the sandbox saw it.

    Attributes:
        method: The verb.
        path: The percent-decoded path, without the query.
        raw_path: The path as sent.
        query: Query parameters (repeated keys keep every value).
        status: The status answered, or 0 when the connection was dropped.
        fault: ``"429"``, ``"5xx"``, ``"drop-before"``, ``"drop-after"``, ``"delay"`` or
            ``None``.
        json: The parsed JSON request body, or ``None``.
        seconds: Time spent in the sandbox, latency included.
        headers: Request headers, names lower-cased.
        timed_out: The in-process client's read timeout elapsed before the answer.
    """

    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    status: int
    fault: str | None
    json: Any
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False


class RequestLog:
    """A thread-safe, append-only list of :class:`LogRecord` (until cleared)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[LogRecord] = []

    def append(self, record: LogRecord) -> None:
        """Add a record."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[LogRecord]:
        """Return a copy of every record, in completion order."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def count(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        status: int | None = None,
    ) -> int:
        """Records matching every criterion given (``method`` case-insensitive; status 0: dropped)."""
        verb = method.upper() if method is not None else None
        return sum(
            1
            for r in self.records()
            if (verb is None or r.method == verb)
            and (path_prefix is None or r.path.startswith(path_prefix))
            and (status is None or r.status == status)
        )

    def last(self) -> LogRecord | None:
        """Return the most recent record, if any."""
        with self._lock:
            return self._records[-1] if self._records else None

    def __iter__(self) -> Iterator[LogRecord]:
        return iter(self.records())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
