"""Sandbox state in SQLite and the business rules of the contract.

Every method returns wire-shaped dicts and raises :class:`ProblemError` for rule violations.
One connection is shared by all threads and guarded by a re-entrant lock, so each
operation is atomic; uniqueness is additionally enforced by unique indexes.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from arize_orgs_nb.sandbox import ids
from arize_orgs_nb.sandbox.errors import ProblemError, quote_value
from arize_orgs_nb.sandbox.schema import connect

_ONE_US = timedelta(microseconds=1)

ORG_COLUMNS = "seq, id, name, description, created_at"
USER_COLUMNS = "seq, id, name, email, created_at, status, role, is_developer"
_INSERT_ORG = f"INSERT INTO orgs ({ORG_COLUMNS}, name_key, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_INSERT_USER = f"INSERT INTO users ({USER_COLUMNS}, email_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_INSERT_MEMBERSHIP = "INSERT INTO memberships (seq, id, org_seq, user_seq, role) VALUES (?, ?, ?, ?, ?)"

Wire = dict[str, Any]


def format_time(moment: datetime) -> str:
    """The wire's ``...Z`` text of a time (naive: UTC), such as ``2024-01-02T03:04:05.123456Z``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """The aware UTC datetime of a :func:`format_time` text."""
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def org_wire(row: Sequence[Any]) -> Wire:
    """A wire Organization from an ``orgs`` row (``ORG_COLUMNS``)."""
    return {"id": row[1], "name": row[2], "description": row[3], "created_at": row[4]}


def user_wire(row: Sequence[Any]) -> Wire:
    """A wire User from a ``users`` row (``USER_COLUMNS``)."""
    return {
        "id": row[1],
        "name": row[2],
        "email": row[3],
        "created_at": row[4],
        "status": row[5],
        "role": {"type": "PREDEFINED", "name": row[6]},
        "is_developer": bool(row[7]),
    }


def membership_wire(mem_id: str, org_id: str, user_id: str, role: str) -> Wire:
    """A wire OrganizationMembership (the org and user IDs as the caller sent them)."""
    return {
        "id": mem_id,
        "user_id": user_id,
        "organization_id": org_id,
        "role": {"type": "PREDEFINED", "name": role},
    }


def _user_values(
    n: int, name: str, email: str, created: str, status: str, role: str, dev: bool
) -> tuple[Any, ...]:
    """The ``_INSERT_USER`` values of user number ``n`` (``USER_COLUMNS`` first)."""
    return (n, ids.make_id(ids.USER, n), name, email, created, status, role, int(dev), email.casefold())


def _membership_values(n: int, org_seq: int, user_seq: int, role: str) -> tuple[Any, ...]:
    return (n, ids.make_id(ids.MEMBERSHIP, n), org_seq, user_seq, role)


class Store:
    """The sandbox's persistent state and its rules."""

    def __init__(self, path: str | None = None, *, case_insensitive_names: bool = True) -> None:
        self._conn = connect(path)
        self.lock = threading.RLock()
        self.case_insensitive_names = case_insensitive_names
        self._last_time: dict[str, datetime] = {}
        for table in ("orgs", "users"):
            row = self._conn.execute(f"SELECT MAX(created_at) FROM {table}").fetchone()  # noqa: S608
            if row[0]:
                self._saw_time(table, row[0])
        self._closed = False

    # ----------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _allocate(self, kind: str, count: int = 1) -> int:
        """Reserve ``count`` sequence numbers of a kind (inside a transaction)."""
        row = self._conn.execute("SELECT next FROM counters WHERE kind = ?", (kind,)).fetchone()
        first = int(row[0]) if row else 1
        self._conn.execute(
            "INSERT INTO counters (kind, next) VALUES (?, ?) "
            "ON CONFLICT (kind) DO UPDATE SET next = excluded.next",
            (kind, first + count),
        )
        return first

    def _stamp(self, table: str) -> str:
        """Return a creation time, strictly increasing per table."""
        now = datetime.now(UTC)
        last = self._last_time.get(table)
        if last is not None and now <= last:
            now = last + _ONE_US
        self._last_time[table] = now
        return format_time(now)

    def _saw_time(self, table: str, created: str) -> None:
        """Keep the next :meth:`_stamp` of ``table`` after a stored creation time."""
        moment = parse_time(created)
        self._last_time[table] = max(moment, self._last_time.get(table, moment))

    def _page(
        self, sql: str, params: list[Any], after: int, limit: int, wire: Callable[[Sequence[Any]], Wire]
    ) -> tuple[list[Wire], int]:
        """Up to ``limit + 1`` rows after sequence ``after``, and the sequence of the page's last."""
        with self.lock:
            rows = self._conn.execute(f"{sql} ORDER BY seq LIMIT ?", [*params, limit + 1]).fetchall()
        last = rows[min(limit, len(rows)) - 1][0] if rows else after
        return [wire(r) for r in rows], int(last)

    def name_key(self, name: str) -> str:
        """The uniqueness key of an org name: casefolded, unless names are case-sensitive."""
        return name.casefold() if self.case_insensitive_names else name

    def is_empty(self) -> bool:
        """Whether the database has never held any object."""
        with self.lock:
            return bool(self._conn.execute("SELECT COUNT(*) FROM counters").fetchone()[0] == 0)

    # ------------------------------------------------------------ organizations

    def _org_row(self, org_id: str) -> tuple[Any, ...]:
        row = self._conn.execute(
            f"SELECT {ORG_COLUMNS} FROM orgs WHERE id = ?",  # noqa: S608
            (org_id,),
        ).fetchone()
        if row is None:
            raise ProblemError(404, f"organization {org_id!r} not found")
        return tuple(row)

    def _org_values(self, n: int, name: str, description: str, created: str) -> tuple[Any, ...]:
        """The ``_INSERT_ORG`` values of organization number ``n`` (``ORG_COLUMNS`` first)."""
        org_id = ids.make_id(ids.ORGANIZATION, n)
        return (n, org_id, name, description, created, self.name_key(name), name.casefold())

    def _conflict(self, name: str) -> ProblemError:
        row = self._conn.execute(
            "SELECT name FROM orgs WHERE name_key = ?", (self.name_key(name),)
        ).fetchone()
        rule = "case-insensitive" if self.case_insensitive_names else "case-sensitive"
        taken = f" by {row[0]!r}" if row is not None and row[0] != name else ""
        return ProblemError(
            409,
            f"organization name {quote_value(name)} is already taken{taken} (names are unique, {rule})",
        )

    def list_orgs(self, after: int, name_fold: str | None, limit: int) -> tuple[list[Wire], int]:
        """Up to ``limit + 1`` orgs after sequence ``after`` (0: the first page), oldest first.

        Args:
            after: Sequence number of the last row already served.
            name_fold: Casefolded substring filter, or ``None``.
            limit: The page size.

        Returns:
            The orgs (one more than ``limit`` when there is a next page) and the sequence
            number of the last org of the page proper.
        """
        sql = f"SELECT {ORG_COLUMNS} FROM orgs WHERE seq > ?"  # noqa: S608
        params: list[Any] = [after]
        if name_fold:
            sql += " AND instr(name_fold, ?) > 0"
            params.append(name_fold)
        return self._page(sql, params, after, limit, org_wire)

    def get_org(self, org_id: str) -> Wire:
        """Return one organization (404 when unknown)."""
        with self.lock:
            return org_wire(self._org_row(org_id))

    def create_org(self, name: str, description: str) -> Wire:
        """Create an organization from a validated name and description (409 when the name is taken)."""
        with self._tx() as conn:
            row = self._org_values(self._allocate(ids.ORGANIZATION), name, description, self._stamp("orgs"))
            try:
                conn.execute(_INSERT_ORG, row)
            except sqlite3.IntegrityError:
                raise self._conflict(name) from None
            return org_wire(row)

    def update_org(self, org_id: str, name: str | None, description: str | None) -> Wire:
        """Rename and/or re-describe an organization; ``None`` keeps a field, ``""`` clears the description.

        Raises:
            ProblemError: 404 when unknown, 409 when the new name is taken by another org.
        """
        with self._tx() as conn:
            row = self._org_row(org_id)
            if name is not None:
                try:
                    conn.execute(
                        "UPDATE orgs SET name = ?, name_key = ?, name_fold = ? WHERE seq = ?",
                        (name, self.name_key(name), name.casefold(), row[0]),
                    )
                except sqlite3.IntegrityError:
                    raise self._conflict(name) from None
            if description is not None:
                conn.execute("UPDATE orgs SET description = ? WHERE seq = ?", (description, row[0]))
            return org_wire(self._org_row(org_id))

    def delete_org(self, org_id: str) -> None:
        """Delete an organization and its memberships (404 when unknown or already deleted)."""
        with self._tx() as conn:
            row = self._org_row(org_id)
            conn.execute("DELETE FROM orgs WHERE seq = ?", (row[0],))

    # -------------------------------------------------------------- memberships

    def add_member(self, org_id: str, user_id: str, role: str) -> Wire:
        """Add a user to an organization, or REPLACE their role (upsert).

        Args:
            org_id: The organization ID (echoed as sent).
            user_id: The user ID (echoed as sent).
            role: The organization role name (already validated against the enum).

        Returns:
            The OrganizationMembership; its ID is stable across upserts.

        Raises:
            ProblemError: 404 for an unknown org or unknown/deactivated user, 400 when the
                annotator rule is broken.
        """
        with self._tx() as conn:
            org = self._org_row(org_id)
            user = self._user_row(user_id)
            account_role = user[6]
            if account_role == "ANNOTATOR" and role != "ANNOTATOR":
                raise ProblemError(
                    400,
                    "user with account role ANNOTATOR may only be given the organization "
                    f"role ANNOTATOR (requested {role})",
                )
            if account_role != "ANNOTATOR" and role == "ANNOTATOR":
                raise ProblemError(
                    400,
                    "the organization role ANNOTATOR may only be given to users whose "
                    f"account role is ANNOTATOR (this user's account role is {account_role})",
                )
            existing = conn.execute(
                "SELECT id FROM memberships WHERE org_seq = ? AND user_seq = ?",
                (org[0], user[0]),
            ).fetchone()
            if existing is not None:
                mem_id = str(existing[0])
                conn.execute("UPDATE memberships SET role = ? WHERE id = ?", (role, mem_id))
            else:
                values = _membership_values(self._allocate(ids.MEMBERSHIP), org[0], user[0], role)
                conn.execute(_INSERT_MEMBERSHIP, values)
                mem_id = values[1]
            return membership_wire(mem_id, org_id, user_id, role)

    def remove_member(self, org_id: str, user_id: str) -> None:
        """Remove a user from an organization (404 for an unknown org, or when not a member)."""
        with self._tx() as conn:
            org = self._org_row(org_id)
            cur = conn.execute(
                "DELETE FROM memberships WHERE org_seq = ? "
                "AND user_seq = (SELECT seq FROM users WHERE id = ?)",
                (org[0], user_id),
            )
            if cur.rowcount == 0:
                raise ProblemError(404, f"user {user_id!r} is not a member of organization {org_id!r}")

    # -------------------------------------------------------------------- users

    def _user_row(self, user_id: str) -> tuple[Any, ...]:
        row = self._conn.execute(
            f"SELECT {USER_COLUMNS} FROM users WHERE id = ? AND status != 'INACTIVE'",  # noqa: S608
            (user_id,),
        ).fetchone()
        if row is None:
            raise ProblemError(404, f"user {user_id!r} not found")
        return tuple(row)

    def list_users(
        self, after: int, email_fold: str | None, statuses: Sequence[str], limit: int
    ) -> tuple[list[Wire], int]:
        """Up to ``limit + 1`` users after sequence ``after``, oldest first, as :meth:`list_orgs`.

        ``email_fold`` is a casefolded substring filter on the email; ``statuses`` a subset of
        ACTIVE, INVITED and EXPIRED.
        """
        marks = ", ".join("?" for _ in statuses)
        sql = f"SELECT {USER_COLUMNS} FROM users WHERE seq > ? AND status IN ({marks})"  # noqa: S608
        params: list[Any] = [after, *statuses]
        if email_fold:
            sql += " AND instr(email_fold, ?) > 0"
            params.append(email_fold)
        return self._page(sql, params, after, limit, user_wire)

    def get_user(self, user_id: str) -> Wire:
        """Return one active (not deleted) user (404 when unknown or deactivated)."""
        with self.lock:
            return user_wire(self._user_row(user_id))

    def create_user(
        self, name: str, email: str, role: str, status: str, is_developer: bool
    ) -> tuple[Wire, bool]:
        """Create a user, or return the pending invitation for that email.

        Args:
            name: The (trimmed, validated) display name.
            email: The email address.
            role: The account role (ADMIN, MEMBER or ANNOTATOR).
            status: The initial status.
            is_developer: Whether the user may use the API.

        Returns:
            The User and whether it was created (``False`` when an INVITED user with that
            email already existed and is returned unchanged).

        Raises:
            ProblemError: 409 when a user with that email exists (active, expired or
                deactivated).
        """
        with self._tx() as conn:
            existing = conn.execute(
                f"SELECT {USER_COLUMNS} FROM users WHERE email_fold = ?",  # noqa: S608
                (email.casefold(),),
            ).fetchone()
            if existing is not None:
                if existing[5] == "INVITED":
                    return user_wire(existing), False
                if existing[5] == "INACTIVE":
                    raise ProblemError(
                        409,
                        f"a deactivated user with email {quote_value(email)} exists; "
                        "deactivated users cannot be invited again",
                    )
                raise ProblemError(409, f"a user with email {quote_value(email)} already exists")
            created = self._stamp("users")
            row = _user_values(self._allocate(ids.USER), name, email, created, status, role, is_developer)
            try:
                conn.execute(_INSERT_USER, row)
            except sqlite3.IntegrityError:
                raise ProblemError(409, f"a user with email {quote_value(email)} already exists") from None
            return user_wire(row), True

    def delete_user(self, user_id: str) -> None:
        """Deactivate a user and remove their memberships (idempotent; 404 when no user ever had the ID)."""
        with self._tx() as conn:
            row = conn.execute("SELECT seq FROM users WHERE id = ?", (user_id,)).fetchone()
            if row is None:
                raise ProblemError(404, f"user {user_id!r} not found")
            conn.execute("UPDATE users SET status = 'INACTIVE' WHERE seq = ?", (row[0],))
            conn.execute("DELETE FROM memberships WHERE user_seq = ?", (row[0],))

    # ---------------------------------------------------------------- bulk/seed

    def bulk_insert(
        self,
        orgs: Sequence[tuple[str, str, str]],
        users: Sequence[tuple[str, str, str, str, str, bool]],
        memberships: Sequence[tuple[int, int, str]],
    ) -> None:
        """Insert seed data in one transaction, without per-row rule checks.

        Args:
            orgs: ``(name, description, created_at)`` in creation order.
            users: ``(name, email, created_at, status, role, is_developer)`` in order.
            memberships: ``(org_index, user_index, role)`` indexes into the two lists.
        """
        with self._tx() as conn:
            self._insert(conn, orgs, users, memberships)

    def replace_all(
        self,
        orgs: Sequence[tuple[str, str, str]],
        users: Sequence[tuple[str, str, str, str, str, bool]],
        memberships: Sequence[tuple[int, int, str]],
    ) -> None:
        """Delete every organization, user and membership, then insert these, in one transaction.

        Dangerous: everything the store holds is lost. Ids are never reused: the new rows get
        fresh ids (the counters keep counting), so an id held from before names nothing.

        Args:
            orgs: ``(name, description, created_at)`` in creation order.
            users: ``(name, email, created_at, status, role, is_developer)`` in order.
            memberships: ``(org_index, user_index, role)`` indexes into the two lists.
        """
        with self._tx() as conn:
            for table in ("memberships", "orgs", "users"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self._insert(conn, orgs, users, memberships)

    def _insert(
        self,
        conn: sqlite3.Connection,
        orgs: Sequence[tuple[str, str, str]],
        users: Sequence[tuple[str, str, str, str, str, bool]],
        memberships: Sequence[tuple[int, int, str]],
    ) -> None:
        """Insert seed rows inside the caller's transaction."""
        org_first = self._allocate(ids.ORGANIZATION, len(orgs)) if orgs else 1
        user_first = self._allocate(ids.USER, len(users)) if users else 1
        mem_first = self._allocate(ids.MEMBERSHIP, len(memberships)) if memberships else 1
        conn.executemany(_INSERT_ORG, (self._org_values(org_first + i, *org) for i, org in enumerate(orgs)))
        conn.executemany(_INSERT_USER, (_user_values(user_first + i, *user) for i, user in enumerate(users)))
        conn.executemany(
            _INSERT_MEMBERSHIP,
            (
                _membership_values(mem_first + i, org_first + o, user_first + u, role)
                for i, (o, u, role) in enumerate(memberships)
            ),
        )
        for table, rows in (("orgs", orgs), ("users", users)):
            if rows:
                self._saw_time(table, rows[-1][2])

    # -------------------------------------------------------------------- views

    def all_orgs(self) -> list[Wire]:
        """Return every organization in list order."""
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {ORG_COLUMNS} FROM orgs ORDER BY seq"  # noqa: S608
            ).fetchall()
        return [org_wire(r) for r in rows]

    def all_users(self, include_inactive: bool = False) -> list[Wire]:
        """Every user in list order; ``include_inactive`` adds the deactivated (status ``INACTIVE``)."""
        where = "" if include_inactive else " WHERE status != 'INACTIVE'"
        with self.lock:
            rows = self._conn.execute(
                f"SELECT {USER_COLUMNS} FROM users{where} ORDER BY seq"  # noqa: S608
            ).fetchall()
        return [user_wire(r) for r in rows]

    def all_memberships(self) -> list[Wire]:
        """Return every membership, ordered by creation."""
        with self.lock:
            rows = self._conn.execute(
                "SELECT m.id, o.id, u.id, m.role FROM memberships m "
                "JOIN orgs o ON o.seq = m.org_seq JOIN users u ON u.seq = m.user_seq "
                "ORDER BY m.seq"
            ).fetchall()
        return [membership_wire(r[0], r[1], r[2], r[3]) for r in rows]


def temporary_password() -> str:
    """Return a fresh temporary password for ``invite_mode: TEMPORARY_PASSWORD``."""
    return secrets.token_urlsafe(12)
