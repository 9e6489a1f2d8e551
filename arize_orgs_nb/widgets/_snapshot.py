"""``Snapshot``: the organizations and users every form and picker of a panel share.

Loaded once (every page drained), refreshed on request, and patched locally after each change a
form makes, so pickers hold ``(label, id)`` pairs and a form never resolves a name on submit
(docs/DESIGN.md, R34). Listeners are told after every change. Pure Python: imports no ipywidgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.frames import ORG_SCHEMA, USER_SCHEMA, org_row
from arize_orgs_nb.models import Organization

__all__ = ["OrgEntry", "Snapshot", "UserEntry", "texts"]

Listener = Callable[["Snapshot"], None]


@dataclass(frozen=True)
class OrgEntry:
    """One organization as the pickers know it."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class UserEntry:
    """One user as the pickers know it.

    Attributes:
        account_role: the account-level role name (``ADMIN``, ``MEMBER``, ``ANNOTATOR``, ... or a
            custom role's name), which decides the annotator rule.
        role_type: ``PREDEFINED`` or ``CUSTOM``.
    """

    id: str
    name: str
    email: str
    status: str
    account_role: str
    role_type: str


def texts(column: pd.Series) -> list[str]:
    """A text column as a list of ``str``, missing values as ``""`` (converted at once, not per cell)."""
    return [str(v) for v in column.astype(object).where(column.notna(), "").tolist()]


class Snapshot:
    """Organizations and users of one client, drained once and shared by a panel's widgets.

    Nothing is fetched until first needed (users only when a users picker needs them).

    Args:
        client: the client.
        orgs: a preloaded organizations frame (``ORG_SCHEMA``), to skip the first drain.
        users: a preloaded users frame (``USER_SCHEMA``).
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        orgs: pd.DataFrame | None = None,
        users: pd.DataFrame | None = None,
    ) -> None:
        self._client = client
        self._lock = threading.RLock()
        self._orgs = orgs
        self._users = users
        self._org_entries: list[OrgEntry] | None = None
        self._user_entries: list[UserEntry] | None = None
        self._listeners: list[Listener] = []
        self.loaded_at: datetime | None = None
        """When the organizations were last drained (UTC)."""
        self.version = 0
        """Incremented after every change (refresh or local patch)."""

    def __repr__(self) -> str:
        orgs = "not loaded" if self._orgs is None else f"{len(self._orgs)} orgs"
        users = "" if self._users is None else f", {len(self._users)} users"
        return f"<Snapshot {orgs}{users}>"

    # -- frames ----------------------------------------------------------------------------

    @property
    def orgs(self) -> pd.DataFrame:
        """Every organization (``ORG_SCHEMA``), drained on first use."""
        with self._lock:
            if self._orgs is None:
                self._orgs = self._client.organizations.to_frame(progress=False)
                self.loaded_at = datetime.now(UTC)
            return self._orgs

    @property
    def users(self) -> pd.DataFrame:
        """Every user (``USER_SCHEMA``), drained on first use."""
        with self._lock:
            if self._users is None:
                self._users = self._client.users.to_frame(progress=False)
            return self._users

    @property
    def users_loaded(self) -> bool:
        """Whether the users were drained already."""
        return self._users is not None

    def load(self, *, users: bool = False) -> BaseException | None:
        """Drain what is not loaded yet; on failure keep an empty frame and return the error.

        Widgets call this when they are built, so a refused key or a network failure shows in a
        status line instead of raising from the constructor; :meth:`refresh` tries again.

        Args:
            users: also load the users.

        Returns:
            None, or the error of the failed drain.
        """
        try:
            _ = self.orgs
            if users:
                _ = self.users
        except OrgsNbError as error:
            with self._lock:
                if self._orgs is None:
                    self._orgs = ORG_SCHEMA.empty()
                if users and self._users is None:
                    self._users = USER_SCHEMA.empty()
                self._changed()
            return error
        return None

    def refresh(self, *, users: bool | None = None) -> None:
        """Drain the organizations again (and the users, if loaded or asked), then tell listeners.

        Args:
            users: also reload users; None reloads them only if they were loaded before.

        Raises:
            OrgsNbError: the drain failed (the previous data are kept).
        """
        reload_users = self._users is not None if users is None else users
        orgs = self._client.organizations.to_frame(progress=False)
        user_frame = self._client.users.to_frame(progress=False) if reload_users else None
        with self._lock:
            self._orgs = orgs
            if user_frame is not None:
                self._users = user_frame
            self.loaded_at = datetime.now(UTC)
            self._changed()
        self._notify()

    def upsert_org(self, org: Organization) -> None:
        """Put a created or updated organization into the snapshot (no request), then notify.

        Args:
            org: the organization as the server returned it.
        """
        with self._lock:
            rows: list[dict[str, Any]] = [
                {str(k): v for k, v in r.items()} for r in self.orgs.to_dict("records") if r["id"] != org.id
            ]
            rows.append(org_row(org))
            self._orgs = ORG_SCHEMA.from_rows(rows)
            self._changed()
        self._notify()

    def drop_org(self, org_id: str) -> None:
        """Remove a deleted organization from the snapshot (no request), then notify.

        Args:
            org_id: its id.
        """
        with self._lock:
            frame = self.orgs
            self._orgs = frame[frame["id"] != org_id].reset_index(drop=True)
            self._changed()
        self._notify()

    def patch_orgs(self, rows: list[dict[str, Any]], *, drop: Collection[str] = ()) -> None:
        """Replace or add many organizations and remove others in one step (no request), then notify.

        One rebuild of the frame however many rows change (a reviewed plan's outcome), where
        :meth:`upsert_org` rebuilds it per organization.

        Args:
            rows: ``ORG_SCHEMA`` rows (an existing id is replaced, a new one added).
            drop: ids of deleted organizations.
        """
        gone = {str(row["id"]) for row in rows} | set(drop)
        with self._lock:
            frame = self.orgs
            kept = frame[~frame["id"].isin(gone)]
            parts = [part for part in (kept, ORG_SCHEMA.from_rows(rows)) if len(part)]
            self._orgs = pd.concat(parts, ignore_index=True) if parts else ORG_SCHEMA.empty()
            self._changed()
        self._notify()

    # -- listeners -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` after every change.

        Args:
            listener: the callback (it may run in a form's background thread).

        Returns:
            A function that unsubscribes.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _changed(self) -> None:
        self.version += 1
        self._org_entries = None
        self._user_entries = None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    # -- lookups for pickers and validation ------------------------------------------------

    def org_entries(self) -> list[OrgEntry]:
        """Every organization, sorted by name (case-insensitive, then exact)."""
        with self._lock:
            if self._org_entries is None:
                frame = self.orgs
                columns = [texts(frame[c]) for c in ("id", "name", "description")]
                entries = [OrgEntry(*row) for row in zip(*columns, strict=True)]
                self._org_entries = sorted(entries, key=lambda e: (e.name.casefold(), e.name, e.id))
            return self._org_entries

    def user_entries(self) -> list[UserEntry]:
        """Every user, sorted by email (case-insensitive)."""
        with self._lock:
            if self._user_entries is None:
                frame = self.users
                columns = [
                    texts(frame[c]) for c in ("id", "name", "email", "status", "role_name", "role_type")
                ]
                entries = [UserEntry(*row) for row in zip(*columns, strict=True)]
                self._user_entries = sorted(entries, key=lambda e: (e.email.casefold(), e.id))
            return self._user_entries

    def find_org(self, org_id: str | None) -> OrgEntry | None:
        """Return the organization with this id, or None."""
        return next((e for e in self.org_entries() if e.id == org_id), None) if org_id else None

    def find_user(self, user_id: str | None) -> UserEntry | None:
        """Return the user with this id, or None."""
        return next((e for e in self.user_entries() if e.id == user_id), None) if user_id else None

    def name_taken_by(self, name: str, *, except_id: str | None = None) -> OrgEntry | None:
        """Return the organization whose name equals ``name`` ignoring case, or None.

        Names compare with ``str.casefold`` (so ``Straße`` equals ``STRASSE``), as the sandbox
        does; the service is assumed to be at most this strict.

        Args:
            name: the candidate name, as typed.
            except_id: an organization to ignore (the one being renamed).

        Returns:
            The organization holding the name, or None.
        """
        wanted = name.casefold()
        return next(
            (e for e in self.org_entries() if e.id != except_id and e.name.casefold() == wanted),
            None,
        )
