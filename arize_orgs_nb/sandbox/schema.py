"""SQLite schema of the sandbox state. Uniqueness rules live here, not only in Python."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    kind TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS orgs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name_fold TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS orgs_name_key ON orgs (name_key);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_fold TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'INVITED', 'EXPIRED', 'INACTIVE')),
    role TEXT NOT NULL CHECK (role IN ('ADMIN', 'MEMBER', 'ANNOTATOR')),
    is_developer INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS users_email_fold ON users (email_fold);
CREATE TABLE IF NOT EXISTS memberships (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    org_seq INTEGER NOT NULL REFERENCES orgs (seq) ON DELETE CASCADE,
    user_seq INTEGER NOT NULL REFERENCES users (seq) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('ADMIN', 'MEMBER', 'READ_ONLY', 'ANNOTATOR')),
    UNIQUE (org_seq, user_seq)
);
CREATE INDEX IF NOT EXISTS memberships_user ON memberships (user_seq);
"""


def connect(path: str | None) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` (``None``: private, in memory).

    The connection is in autocommit mode and usable from any thread: callers serialise access with a lock.
    """
    conn = sqlite3.connect(
        ":memory:" if path is None else path,
        check_same_thread=False,
        isolation_level=None,
    )
    conn.execute("PRAGMA foreign_keys = ON")
    if path is not None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(SCHEMA)
    return conn


def is_sandbox_database(path: str | Path) -> bool:
    """Whether a file is an SQLite database with the sandbox's tables (opened read-only).

    Args:
        path: The file.

    Returns:
        ``True`` when it holds the ``counters``, ``orgs``, ``users`` and ``memberships`` tables.
    """
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return {"counters", "orgs", "users", "memberships"} <= {row[0] for row in rows}
