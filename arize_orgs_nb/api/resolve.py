"""Turn an organization reference (an id or an exact name) into an organization, asking the server.

Layer: above ``pagination``. The account changes under you: another admin may rename, create or
delete between any two of your requests. So a name given to a single call means the organization
that bears exactly that name **at the time of the call**, and it is looked up afresh every time
(``GET /v2/organizations?name=<name>&limit=100``, the server's case-insensitive substring filter;
one request while fewer than 100 names contain it, and it stops at the first exact match).
Nothing is cached: a remembered name -> id would send a write to an organization a colleague
has renamed since. An id costs no request. Bulk plans work on ids and check their own
expectations against the server before they write.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable

from arize_orgs_nb.errors import NameNotFoundError
from arize_orgs_nb.models import Organization

__all__ = ["OrgNameResolver", "is_resource_id"]


def is_resource_id(value: str) -> bool:
    """Tell whether ``value`` is an API id, by the official SDK's rule.

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


class OrgNameResolver:
    """Finds the organization that bears a name now. Stateless: every call asks the server.

    Args:
        search: yields the organizations whose name contains the given text (the server's
            case-insensitive substring filter, page after page, lazily).
    """

    def __init__(self, search: Callable[[str], Iterable[Organization]]) -> None:
        self._search = search

    def lookup(self, name: str) -> Organization:
        """Find the organization named exactly ``name`` (case-sensitive) on the server, now.

        Names are unique case-insensitively, so at most one organization matches exactly; the
        search stops at it and reads no further page.

        Args:
            name: the exact name.

        Returns:
            The organization, as the server lists it.

        Raises:
            NameNotFoundError: no organization has exactly that name; the message lists the
                close matches the filter returned.
        """
        near: list[str] = []
        for org in self._search(name):
            if org.name == name:
                return org
            near.append(org.name)
        raise NameNotFoundError("organization", name, near)

    def resolve(self, ref: str) -> str:
        """Return the id for an id (no request) or for an exact name (one fresh lookup).

        Args:
            ref: an id, or an exact name.

        Returns:
            The id.

        Raises:
            NameNotFoundError: the name matches no organization now.
        """
        return ref if is_resource_id(ref) else self.lookup(ref).id
