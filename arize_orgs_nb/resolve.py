"""Turn an organization reference (an id or an exact name) into an id, with a cache.

Layer: above ``pagination``. The official SDK drains a name-filtered list on every call that takes
a name. Here every organization the client sees (listed, fetched, created, renamed) feeds one
index, so a name already seen costs no request; an unknown name costs one filtered lookup
(``name=<name>``, 100 per page), never a full drain. The index is per client: no globals.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterable

from arize_orgs_nb.errors import NameNotFoundError
from arize_orgs_nb.models import Organization

__all__ = ["OrgNameIndex", "is_resource_id"]


def is_resource_id(value: str) -> bool:
    """Tell whether ``value`` is an API id, by the official SDK's rule (spec §6.2).

    An id is strict standard base64 (with correct padding) whose decoded bytes are UTF-8 text
    containing ``:`` (``T3JnYW5pemF0aW9uOjEyMzQ1`` is ``Organization:12345``). Anything else is a
    name. As in the SDK, an org literally named like an id (``YTpi``) can only be reached by id.

    Args:
        value: the reference.

    Returns:
        True for an id.
    """
    if not value or len(value) % 4:
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return ":" in decoded


class OrgNameIndex:
    """A thread-safe name -> id cache for organizations.

    Args:
        search: yields the organizations whose name contains the given text (the server's
            case-insensitive substring filter, every page).
    """

    def __init__(self, search: Callable[[str], Iterable[Organization]]) -> None:
        self._search = search
        self._lock = threading.Lock()
        self._by_name: dict[str, str] = {}
        self._name_of: dict[str, str] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_name)

    def observe(self, orgs: Iterable[Organization]) -> None:
        """Record organizations just seen on the server."""
        with self._lock:
            for org in orgs:
                old = self._name_of.get(org.id)
                if old is not None and self._by_name.get(old) == org.id:
                    del self._by_name[old]
                self._by_name[org.name] = org.id
                self._name_of[org.id] = org.name

    def forget(self, org_id: str) -> None:
        """Drop an id (deleted, or found stale)."""
        with self._lock:
            name = self._name_of.pop(org_id, None)
            if name is not None and self._by_name.get(name) == org_id:
                del self._by_name[name]

    def cached(self, name: str) -> str | None:
        """Return the cached id for an exact name, if any."""
        with self._lock:
            return self._by_name.get(name)

    def lookup(self, name: str) -> str:
        """Find the id of the organization named exactly ``name`` (case-sensitive) on the server.

        Args:
            name: the exact name.

        Returns:
            The id.

        Raises:
            NameNotFoundError: no organization has exactly that name; the message lists the
                close matches the filter returned.
        """
        near: list[str] = []
        found: Organization | None = None
        for org in self._search(name):
            self.observe([org])
            if org.name == name and found is None:
                found = org
            elif org.name != name:
                near.append(org.name)
        if found is None:
            raise NameNotFoundError("organization", name, near)
        return found.id

    def resolve(self, ref: str) -> tuple[str, bool]:
        """Return ``(id, from_cache)`` for an id or an exact name.

        Args:
            ref: an id (returned as is, with no request) or an exact name.

        Returns:
            The id, and whether it came from the cache (so a 404 may mean the cache is stale).

        Raises:
            NameNotFoundError: the name matches no organization.
        """
        if is_resource_id(ref):
            return ref, False
        cached = self.cached(ref)
        if cached is not None:
            return cached, True
        return self.lookup(ref), False
