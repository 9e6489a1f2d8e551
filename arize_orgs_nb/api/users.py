"""``client.users``: list users and map emails to user ids.

Layer: beside ``organizations``. The API cannot list an organization's members; users are listed
for the account only, and this module exists to turn emails into the ids that ``add_user`` needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from arize_orgs_nb.api.drain import Drain, Listing, Progress, ResumableDrains
from arize_orgs_nb.api.pagination import PageInfo, Pager, check_list_args
from arize_orgs_nb.api.resolve import is_resource_id
from arize_orgs_nb.errors import NameNotFoundError
from arize_orgs_nb.frames import USER_SCHEMA, user_row
from arize_orgs_nb.http.transport import Transport, parse_model, path_segment
from arize_orgs_nb.models import ListUsersResponse, User, UserStatus

__all__ = ["Users"]

_BASE = "/v2/users"


def _statuses(status: Sequence[UserStatus | str] | None) -> list[str] | None:
    if status is None:
        return None
    if isinstance(status, str):
        status = [status]
    values = []
    for item in status:
        try:
            values.append(UserStatus(item).value)
        except ValueError:
            allowed = ", ".join(s.value for s in UserStatus)
            raise ValueError(f"unknown user status {item!r}; expected {allowed}") from None
    return values


def _params(
    limit: int, cursor: str | None, email: str | None, status: Sequence[UserStatus | str] | None
) -> dict[str, Any]:
    return {"limit": limit, "cursor": cursor, "email": email or None, "status": _statuses(status)}


class Users:
    """User calls. Reached as ``client.users``; not built directly.

    Args:
        transport: the client's transport.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._drains = ResumableDrains()
        self._listing: Listing[User, ListUsersResponse] = Listing(
            "users", _BASE, ListUsersResponse, lambda p: p.users, USER_SCHEMA, user_row, transport
        )

    def __repr__(self) -> str:
        return f"<Users of {self._transport.settings.base_url}>"

    def list(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        email: str | None = None,
        status: Sequence[UserStatus | str] | None = None,
    ) -> ListUsersResponse:
        """Return ONE page of users, oldest first.

        Args:
            limit: page size, 1 to 100.
            cursor: the previous page's ``next_cursor`` (send the same filters with it).
            email: case-insensitive substring filter on the email.
            status: statuses to include (default on the server: ACTIVE, INVITED, EXPIRED).

        Returns:
            The page: ``.users`` and ``.pagination``.

        Raises:
            ValueError: invalid arguments (before any request).
        """
        check_list_args(limit=limit, cursor=cursor, text=email, text_name="email")
        return self._listing.page(_params(limit, cursor, email, status))

    def iter(
        self,
        *,
        email: str | None = None,
        status: Sequence[UserStatus | str] | None = None,
        limit: int = 100,
        on_page: Callable[[PageInfo], None] | None = None,
    ) -> Pager[User]:
        """Iterate every user across all pages, carrying the filters to every page.

        Args:
            email: case-insensitive substring filter.
            status: statuses to include.
            limit: page size, 1 to 100.
            on_page: called after each page.

        Returns:
            A resumable pager.
        """
        check_list_args(limit=limit, cursor=None, text=email, text_name="email")
        return self._listing.pager(_params(limit, None, email, status), on_page=on_page)

    def drain(
        self,
        *,
        email: str | None = None,
        status: Sequence[UserStatus | str] | None = None,
        page_size: int = 100,
        progress: Progress = None,
    ) -> Drain[User]:
        """Prepare a resumable drain of what :meth:`to_frame` reads, with the same arguments.

        Nothing is sent until ``run()``, which returns the frame; ``resume()`` continues after a
        failure.
        """
        return self._listing.drain(self.iter(email=email, status=status, limit=page_size), progress)

    def to_frame(
        self,
        *,
        email: str | None = None,
        status: Sequence[UserStatus | str] | None = None,
        page_size: int = 100,
        progress: Progress = None,
    ) -> pd.DataFrame:
        """Every user (all pages) as a DataFrame with a fixed schema, resumable like organizations'.

        Columns ``id``, ``name``, ``email``, ``status``, ``role_type``, ``role_name``, ``role_id``,
        ``is_developer``, ``created_at``: enums as plain strings, the role union flattened.

        Args:
            email: case-insensitive substring filter.
            status: statuses to include.
            page_size: users per request, 1 to 100.
            progress: ``None`` (a bar in notebooks and terminals), ``True``, ``False`` or a callback.

        Raises:
            DrainInterruptedError: a page still failed after retries; the same call resumes it.
            PagingStoppedError: the server's paging would loop (the rows so far: ``partial_frame``).
        """
        statuses = tuple(_statuses(status) or ())
        key = ("users", email, statuses, page_size)
        return self._drains.run(
            key,
            lambda: self.drain(email=email, status=status, page_size=page_size, progress=progress),
        )

    def get(self, *, user: str) -> User:
        """Return one user, by id or by email (exact, case-insensitive).

        Args:
            user: a user id, or an email address.

        Returns:
            The user.

        Raises:
            NameNotFoundError: no user has that email.
            NotFoundError: no user has that id (deleted users are not found either).
        """
        if "@" in user and not is_resource_id(user):
            found = self.find_by_email(user)
            if found is None:
                raise NameNotFoundError("user", user)
            return found
        data = self._transport.request("GET", f"{_BASE}/{path_segment(user)}")
        return parse_model(User, data, "user")

    def find_by_email(self, email: str) -> User | None:
        """Return the user whose email equals ``email`` (case-insensitive), or None.

        Every page of the server's substring match is read, so a match on page 2 is not missed.

        Args:
            email: the full address.

        Returns:
            The user, or None.
        """
        wanted = email.strip().casefold()
        for user in self.iter(email=email.strip()):
            if user.email.casefold() == wanted:
                return user
        return None
