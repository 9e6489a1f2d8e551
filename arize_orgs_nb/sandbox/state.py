"""Direct access to the sandbox state for tests (no HTTP, no log entries)."""

from __future__ import annotations

from typing import Any

from arize_orgs_nb.sandbox.app import USER_ROLES
from arize_orgs_nb.sandbox.errors import ProblemError
from arize_orgs_nb.sandbox.store import Store
from arize_orgs_nb.sandbox.validate import check_description, check_org_name

STATUSES = ("ACTIVE", "INVITED", "EXPIRED", "INACTIVE")


class StateView:
    """Read and seed the state directly.

    Args:
        store: The sandbox store.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def orgs(self) -> list[dict[str, Any]]:
        """Return every organization (wire shape), in list order."""
        return self._store.all_orgs()

    def users(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        """Users (wire shape), oldest first; ``include_inactive`` adds deleted ones (``INACTIVE``)."""
        return self._store.all_users(include_inactive)

    def memberships(self) -> list[dict[str, Any]]:
        """Return every membership: ``id``, ``organization_id``, ``user_id``, ``role``."""
        return self._store.all_memberships()

    def create_org(self, name: str, description: str = "") -> dict[str, Any]:
        """Create an organization under the API's rules (a unique name of 1-255 characters).

        Raises:
            ValueError: When a rule is broken (blank, too long, duplicate name).
        """
        try:
            return self._store.create_org(check_org_name(name), check_description(description))
        except ProblemError as exc:
            raise ValueError(exc.detail) from None

    def create_user(
        self,
        name: str,
        email: str,
        role: str = "MEMBER",
        status: str = "ACTIVE",
        is_developer: bool = False,
    ) -> dict[str, Any]:
        """Create a user directly, with any status.

        Args:
            name: Display name.
            email: Email address (unique, case-insensitive).
            role: Account role: ADMIN, MEMBER or ANNOTATOR.
            status: ACTIVE, INVITED, EXPIRED or INACTIVE.
            is_developer: Whether the user may use the API.

        Returns:
            The User.

        Raises:
            ValueError: On an invalid role or status, or a duplicate email.
        """
        if role not in USER_ROLES:
            raise ValueError(f"role must be one of {', '.join(USER_ROLES)}")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        if not name.strip() or "@" not in email:
            raise ValueError("name must not be blank and email must contain '@'")
        try:
            user, created = self._store.create_user(name.strip(), email.strip(), role, status, is_developer)
        except ProblemError as exc:
            raise ValueError(exc.detail) from None
        if not created:
            raise ValueError(f"a user with email {email!r} already exists")
        return user

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Return the whole state, for "nothing changed" assertions.

        Returns:
            ``{"orgs": [...], "users": [...], "memberships": [...]}`` (inactive users
            included).
        """
        with self._store.lock:
            return {
                "orgs": self.orgs(),
                "users": self.users(include_inactive=True),
                "memberships": self.memberships(),
            }
