"""The journal's ledger: every bulk write, its intent before it is sent and its outcome after.

Layer: above ``changes`` (pure storage, SQLite from the stdlib). One file per API host
and key fingerprint (never the key itself), under ``~/.arize_orgs_nb/journal/`` by default. The
API cannot list an organization's members, so the journal is the only record of what this tool
changed: it feeds the Activity view, ``undo``, resuming an apply after a crash, and the *known
memberships* view, which is shown with its provenance and never as the server's truth.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from arize_orgs_nb.bulk.changes import FIELD_ORDER, Change, Expectation, Op, change_lines
from arize_orgs_nb.frames import FLOAT, INTEGER, STRING, UTC_TIME, Column, FrameSchema
from arize_orgs_nb.visible import quoted

__all__ = ["JOURNAL_SCHEMA", "JournalEntry", "Ledger", "default_journal_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS applies (
    apply_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    summary     TEXT NOT NULL,
    targets     TEXT                 -- JSON: what the plan expected of each org (the stale check)
);
CREATE TABLE IF NOT EXISTS entries (
    apply_id    TEXT NOT NULL REFERENCES applies(apply_id),
    seq         INTEGER NOT NULL,
    key         TEXT NOT NULL,
    op          TEXT NOT NULL,
    org_id      TEXT,
    user_id     TEXT,
    change      TEXT NOT NULL,
    status      TEXT NOT NULL,       -- pending, started, applied, failed, skipped
    http_status INTEGER,
    error       TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    seconds     REAL,
    result_id   TEXT,
    temp_name   TEXT,                -- a rename cycle's temporary name, recorded before it is sent
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (apply_id, key)
);
CREATE INDEX IF NOT EXISTS entries_member ON entries (org_id, user_id);
"""
# Columns added since the first journal format, for journals written by an earlier version.
_ADDED_COLUMNS = (("applies", "targets", "TEXT"), ("entries", "temp_name", "TEXT"))

FINAL = ("applied", "failed", "skipped")

JOURNAL_SCHEMA = FrameSchema(
    "journal",
    (
        Column("apply_id", STRING),
        Column("when", UTC_TIME, doc="when the change was sent (else when its apply started)"),
        Column("op", STRING),
        Column("organization", STRING, nullable=True),
        Column("organization_id", STRING, nullable=True),
        Column("user", STRING, nullable=True),
        Column("user_id", STRING, nullable=True),
        Column("change", STRING, doc="what the change does, in words (``description: “old” → “new”``)"),
        Column("before", STRING),
        Column("after", STRING),
        Column("status", STRING, doc="pending, started, applied, failed or skipped"),
        Column("http_status", INTEGER, nullable=True, doc="missing until an answer is recorded"),
        Column("error", STRING, nullable=True),
        Column("temporary_name", STRING, nullable=True),
        Column("attempts", INTEGER),
        Column("seconds", FLOAT, nullable=True),
        Column("apply_started", UTC_TIME, doc="when the change's apply began"),
        Column("plan", STRING, doc="the apply's summary"),
    ),
)
"""The columns of :meth:`Ledger.to_frame` (``client.journal.to_frame()``)."""


def default_journal_path(home: str | Path, host: str, key_fingerprint: str) -> Path:
    """Where the journal of one (host, key) lives: ``<home>/journal/<host>-<fingerprint>.sqlite3``."""
    safe_host = "".join(ch if ch.isalnum() or ch in ".-" else "_" for ch in host)
    return Path(home).expanduser() / "journal" / f"{safe_host}-{key_fingerprint}.sqlite3"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class JournalEntry:
    """One journaled change and where it got to.

    Attributes:
        apply_id: the apply it belongs to.
        change: the change.
        status: ``pending``, ``started`` (sent, no answer recorded), ``applied``, ``failed`` or
            ``skipped``.
        result_id: the created organization's id, for creates.
        temp_name: the temporary name of a rename cycle, once its first step was sent.
        http_status: the last HTTP status, if any.
        error: the error, if any.
        attempts: HTTP attempts made.
        seconds: time spent.
    """

    apply_id: str
    change: Change
    status: str
    result_id: str | None
    temp_name: str | None = None
    http_status: int | None = None
    error: str | None = None
    attempts: int = 0
    seconds: float | None = None


class Ledger:
    """The journal's SQLite store. Thread-safe; every write is committed before the call it describes.

    Args:
        path: the SQLite file (``":memory:"`` keeps it in memory).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "PRAGMA journal_mode=WAL" if self.path != ":memory:" else "PRAGMA journal_mode=MEMORY"
        )
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for table, column, kind in _ADDED_COLUMNS:
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def __repr__(self) -> str:
        return f"<Ledger {self.path}>"

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------

    def begin(
        self,
        kind: str,
        summary: str,
        changes: Iterable[Change],
        targets: Mapping[str, Expectation] | None = None,
    ) -> str:
        """Record the whole intent of an apply (every change ``pending``) and return its id.

        Args:
            kind: the plan's kind.
            summary: its one-line summary.
            changes: its changes, in order.
            targets: what it expected of each organization (a resume checks them again).
        """
        stored = json.dumps({k: v.to_json() for k, v in (targets or {}).items()}, sort_keys=True)
        apply_id = uuid.uuid4().hex[:12]
        now = _now()
        rows = [
            (apply_id, seq, c.key, c.op.value, c.org_id, c.user_id, c.to_json(), "pending")
            for seq, c in enumerate(changes)
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO applies (apply_id, kind, started_at, summary, targets) VALUES (?, ?, ?, ?, ?)",
                (apply_id, kind, now, summary, stored),
            )
            self._db.executemany(
                "INSERT INTO entries (apply_id, seq, key, op, org_id, user_id, change, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")
        return apply_id

    def started(self, apply_id: str, key: str, *, temp_name: str | None = None) -> None:
        """Record that the call for ``key`` is about to be sent (with a cycle's temporary name)."""
        with self._lock:
            self._db.execute(
                "UPDATE entries SET status='started', started_at=?, temp_name=COALESCE(?, temp_name) "
                "WHERE apply_id=? AND key=?",
                (_now(), temp_name, apply_id, key),
            )

    def outcome(
        self,
        apply_id: str,
        key: str,
        *,
        status: str,
        http_status: int | None = None,
        error: str | None = None,
        attempts: int = 0,
        seconds: float | None = None,
        result_id: str | None = None,
    ) -> None:
        """Record how the change for ``key`` ended (``applied``, ``failed`` or ``skipped``)."""
        with self._lock:
            self._db.execute(
                "UPDATE entries SET status=?, http_status=?, error=?, attempts=attempts+?, seconds=?, "
                "result_id=COALESCE(?, result_id), finished_at=? WHERE apply_id=? AND key=?",
                (status, http_status, error, attempts, seconds, result_id, _now(), apply_id, key),
            )

    def finish(self, apply_id: str) -> None:
        """Mark an apply as finished."""
        with self._lock:
            self._db.execute("UPDATE applies SET finished_at=? WHERE apply_id=?", (_now(), apply_id))

    # -- reading ---------------------------------------------------------------------------

    def entries(self, apply_id: str) -> list[JournalEntry]:
        """Every entry of one apply, in plan order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT change, status, result_id, temp_name, http_status, error, attempts, seconds "
                "FROM entries WHERE apply_id=? ORDER BY seq",
                (apply_id,),
            ).fetchall()
        return [JournalEntry(apply_id, Change.from_json(row[0]), *row[1:]) for row in rows]

    def plan_of(self, apply_id: str) -> tuple[str, dict[str, Expectation]]:
        """The kind of an apply and what its plan expected of each organization.

        Raises:
            KeyError: no such apply in this journal.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT kind, targets FROM applies WHERE apply_id=?", (apply_id,)
            ).fetchone()
        if row is None:
            raise KeyError(f"no apply {apply_id!r} in the journal {self.path}")
        stored: dict[str, Any] = json.loads(row[1] or "{}")
        return str(row[0]), {k: Expectation.from_json(v) for k, v in stored.items()}

    def unfinished(self) -> list[str]:
        """Ids of applies with changes still ``pending`` or ``started`` (oldest first)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT e.apply_id FROM entries e JOIN applies a USING (apply_id) "
                "WHERE e.status IN ('pending', 'started') ORDER BY a.started_at"
            ).fetchall()
        return [r[0] for r in rows]

    def to_frame(self) -> pd.DataFrame:
        """Every journaled change, newest apply first, in plan order: what was asked, what happened, when.

        ``change`` says what the change does in words (``description: “old” → “new”``, in the
        :mod:`~arize_orgs_nb.visible` notation); ``before``/``after`` list the fields it read and
        set (``name: “Team”``; a value not recorded is left out); ``plan`` is its apply's summary
        and ``apply_started`` when that apply began. The dtypes are :data:`JOURNAL_SCHEMA`'s,
        whatever the rows and the pandas version.
        """
        query = (
            'SELECT a.apply_id, COALESCE(e.started_at, a.started_at) AS "when", e.op, e.change, '
            "COALESCE(e.org_id, e.result_id) AS organization_id, e.user_id, e.status, e.http_status, "
            "e.error, e.temp_name AS temporary_name, e.attempts, e.seconds, "
            "a.started_at AS apply_started, a.summary AS plan "
            "FROM entries e JOIN applies a USING (apply_id) ORDER BY a.started_at DESC, e.seq"
        )
        with self._lock:
            cursor = self._db.execute(query)
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            change = Change.from_json(row.pop("change"))
            row.update(
                organization=change.org_name,
                user=change.user_email,
                change="; ".join(change_lines(change)),
                before=_fields(change.before),
                after=_fields(change.after),
            )
        return JOURNAL_SCHEMA.from_rows(rows)

    def known_roles(self) -> dict[tuple[str, str], tuple[str | None, str, str]]:
        """Last applied role per (org id, user id): ``(role or None if removed, when, apply id)``."""
        query = (
            "SELECT org_id, user_id, op, change, finished_at, apply_id FROM entries "
            "WHERE status='applied' AND op IN (?, ?) ORDER BY finished_at"
        )
        with self._lock:
            rows = self._db.execute(query, (Op.SET_ROLE.value, Op.REMOVE_MEMBER.value)).fetchall()
        known: dict[tuple[str, str], tuple[str | None, str, str]] = {}
        for org_id, user_id, op, change, when, apply_id in rows:
            role = Change.from_json(change).after.get("role") if op == Op.SET_ROLE.value else None
            known[(org_id, user_id)] = (role, when, apply_id)
        return known


def _fields(values: dict[str, str | None]) -> str:
    """``name: “Team”; description: “”`` in :data:`FIELD_ORDER`; values not recorded are left out."""
    ordered = [f for f in FIELD_ORDER if f in values] + sorted(set(values) - set(FIELD_ORDER))
    return "; ".join(
        f"{k}: {values[k] if k == 'role' else quoted(values[k])}" for k in ordered if values[k] is not None
    )
