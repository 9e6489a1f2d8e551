"""``client.organizations``: the official SDK's seven organization calls, plus ``iter``.

Layer: above ``resolve``. Method names and keyword-only signatures match the official SDK
(``list``, ``get``, ``create``, ``update``, ``delete``, ``add_user``, ``remove_user``) so its users
feel at home; ``organization`` takes an id or an exact name. A name means the organization that
bears it at the time of the call: it is looked up afresh (one filtered list request) before every
call that takes it, never taken from memory (see :mod:`arize_orgs_nb.api.resolve`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

import pandas as pd
from pydantic import ValidationError

from arize_orgs_nb.api.drain import Drain, Listing, Progress, ResumableDrains
from arize_orgs_nb.api.pagination import PageInfo, Pager, check_list_args
from arize_orgs_nb.api.resolve import OrgNameResolver, is_resource_id
from arize_orgs_nb.errors import (
    ConflictError,
    NameNotFoundError,
    OrgsNbError,
    ServerError,
    TransportError,
)
from arize_orgs_nb.frames import ORG_SCHEMA, org_row
from arize_orgs_nb.http.retry import Mode
from arize_orgs_nb.http.transport import Transport, parse_model, path_segment
from arize_orgs_nb.models import (
    AddOrganizationUserRequest,
    CreateOrganizationRequest,
    CustomRoleAssignment,
    ListOrganizationsResponse,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    PredefinedRoleAssignment,
    UpdateOrganizationRequest,
)

__all__ = ["Organizations"]

logger = logging.getLogger("arize_orgs_nb.api.organizations")

_BASE = "/v2/organizations"

P = TypeVar("P")
Role = str | OrganizationRole | PredefinedRoleAssignment | CustomRoleAssignment


class Organizations(Generic[P]):
    """Organization calls. Reached as ``client.organizations``; not built directly.

    A name given as ``organization`` means the organization that bears exactly that name at the
    time of the call. Before every call that takes a name, it is looked up afresh with one
    filtered list request (the official SDK's cost), so a write never lands on an organization a
    colleague has renamed since; only the one round trip between that lookup and the write is
    unguarded. An id is used as is, with no extra request.

    Args:
        transport: the client's transport.
        sleep: how to wait between reconciliation lookups after a lost create response.
        planner: makes bulk plans for :meth:`plan` (wired by the client, from the bulk layer).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        sleep: Callable[[float], None],
        planner: Callable[[pd.DataFrame, pd.DataFrame, bool], P] | None = None,
    ) -> None:
        self._transport = transport
        self._names = OrgNameResolver(lambda name: self.iter(name=name, limit=100))
        self._sleep = sleep
        self._planner = planner
        self._drains = ResumableDrains()
        self._listing: Listing[Organization, ListOrganizationsResponse] = Listing(
            "organizations",
            _BASE,
            ListOrganizationsResponse,
            lambda p: p.organizations,
            ORG_SCHEMA,
            org_row,
            transport,
        )

    def __repr__(self) -> str:
        return f"<Organizations of {self._transport.settings.base_url}>"

    # -- reading ---------------------------------------------------------------------------

    def list(
        self, *, name: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> ListOrganizationsResponse:
        """Return ONE page of organizations, as the SDK does. Use :meth:`iter` for all of them.

        Args:
            name: case-insensitive substring filter on the name (at most 255 characters).
            limit: page size, 1 to 100.
            cursor: ``pagination.next_cursor`` of the previous page, sent with the same ``name``.

        Returns:
            The page: ``.organizations`` and ``.pagination``.

        Raises:
            ValueError: invalid arguments (before any request).
            ApiError: the server refused (for example 400 for a cursor from another query).
        """
        check_list_args(limit=limit, cursor=cursor, text=name, text_name="name")
        return self._listing.page({"name": name or None, "limit": limit, "cursor": cursor})

    def iter(
        self,
        *,
        name: str | None = None,
        limit: int = 100,
        on_page: Callable[[PageInfo], None] | None = None,
        max_items: int | None = None,
    ) -> Pager[Organization]:
        """Iterate every organization across all pages, carrying ``name`` to every page.

        Nothing is sent until iteration starts. If a page fails, iterating the same pager again
        resumes from that page.

        Args:
            name: case-insensitive substring filter.
            limit: page size, 1 to 100.
            on_page: called after each page.
            max_items: stop after this many organizations.

        Returns:
            A resumable :class:`~arize_orgs_nb.api.pagination.Pager`.
        """
        check_list_args(limit=limit, cursor=None, text=name, text_name="name")
        params = {"name": name or None, "limit": limit, "cursor": None}
        return self._listing.pager(params, on_page=on_page, max_items=max_items)

    def drain(
        self,
        *,
        name: str | None = None,
        page_size: int = 100,
        max_rows: int | None = None,
        progress: Progress = None,
    ) -> Drain[Organization]:
        """Prepare a resumable drain of what :meth:`to_frame` reads, with the same arguments.

        Nothing is sent until ``run()``, which returns the frame; ``resume()`` continues after a
        failure, and ``truncated`` tells whether ``max_rows`` stopped it.
        """
        return self._listing.drain(self.iter(name=name, limit=page_size, max_items=max_rows), progress)

    def to_frame(
        self,
        *,
        name: str | None = None,
        page_size: int = 100,
        max_rows: int | None = None,
        progress: Progress = None,
    ) -> pd.DataFrame:
        """Every organization (all pages) as a DataFrame with a fixed schema.

        Columns ``id``, ``name``, ``description`` (``""`` kept as ``""``), ``created_at``
        (datetime64 UTC), whatever the data, zero rows included. If a page still fails after
        retries, :class:`~arize_orgs_nb.api.drain.DrainInterruptedError` says how far it got; running the
        same call again continues from the page that failed.

        Args:
            name: case-insensitive substring filter.
            page_size: organizations per request, 1 to 100.
            max_rows: stop after this many rows.
            progress: ``None`` (a bar in notebooks and terminals), ``True``, ``False`` or a callback.

        Raises:
            DrainInterruptedError: a page still failed after retries (resumable).
            PagingStoppedError: the server's paging would loop; the rows read so far are on its
                ``partial_frame``.
        """
        key = ("organizations", name, page_size, max_rows)
        return self._drains.run(
            key,
            lambda: self.drain(name=name, page_size=page_size, max_rows=max_rows, progress=progress),
        )

    def plan(
        self, edited: pd.DataFrame, *, base: pd.DataFrame | None = None, delete_missing: bool = False
    ) -> P:
        """Diff an edited organizations frame into a plan, checking every rule; nothing is sent.

        A row without an ``id`` is created; a changed ``name`` or ``description`` is updated
        (only changed fields are sent; ``""`` clears a description). Organizations are deleted
        only when their ``delete`` column is true, or with ``delete_missing=True`` — a row
        dropped by accident is never a delete. Deleting is IRREVERSIBLE and cascades to every
        space of the organization; ``apply`` asks for confirmation.

        Args:
            edited: the edited frame (``id``, ``name``, ``description``, optional ``created_at``
                and ``delete`` columns).
            base: the frame the edit started from (default: a fresh drain of the account).
            delete_missing: delete organizations of ``base`` missing from ``edited``.

        Returns:
            The plan: ``len``, iteration, ``to_frame()``, an HTML diff, ``summary()``, ``apply()``.

        Raises:
            PlanValidationError: every broken rule, row by row (blank, over-long or duplicate
                names, unknown ids, missing values, unexpected columns, read-only columns).
        """
        if self._planner is None:
            raise RuntimeError("bulk plans need the client's planner: use ArizeOrgs().organizations")
        base = self.to_frame(progress=False) if base is None else base
        return self._planner(base, edited, delete_missing)

    def get(self, *, organization: str) -> Organization:
        """Return one organization.

        By id: one ``GET``. By name: the organization that bears exactly that name now, read from
        one fresh filtered list request (which returns the whole organization).

        Args:
            organization: its id, or its exact (case-sensitive) name.

        Returns:
            The organization.

        Raises:
            NameNotFoundError: no organization has that name.
            NotFoundError: no organization has that id (or the key cannot see it).
        """
        if not is_resource_id(organization):
            return self._names.lookup(organization)
        return parse_model(
            Organization,
            self._transport.request("GET", f"{_BASE}/{path_segment(organization)}"),
            "organization",
        )

    # -- writing ---------------------------------------------------------------------------

    def create(self, *, name: str, description: str | None = None) -> Organization:
        """Create an organization.

        Never creates a duplicate: if the request may have reached the server but no answer came
        back (timeout, dropped connection, 5xx), the name is looked up first and an org found
        there is returned; only when none exists is the request sent again.

        Args:
            name: 1 to 255 characters, not blank, unique in the account (the stand-in and, we
                assume, the service compare case-insensitively).
            description: up to 1000 characters; ``None`` leaves it empty.

        Returns:
            The new organization.

        Raises:
            ValueError: an empty, blank or too long name or description (before any request).
            ConflictError: the name is already taken (409).
            PermissionDeniedError: the key may not create organizations (403).
        """
        return self.create_or_adopt(name=name, description=description)[0]

    def create_or_adopt(self, *, name: str, description: str | None = None) -> tuple[Organization, bool]:
        """:meth:`create`, also saying whether the organization was adopted rather than answered.

        Args:
            name: as for :meth:`create`.
            description: as for :meth:`create`.

        Returns:
            The organization, and ``True`` when the create's answer was lost and the organization
            was found under its name afterwards (reconciled: it was created once, by this call
            or by its lost attempt), ``False`` when the server answered the create.

        Raises:
            ValueError: as for :meth:`create`.
            ConflictError: the name is taken by another organization (409).
            PermissionDeniedError: the key may not create organizations (403).
        """
        body = _request(CreateOrganizationRequest, name=name, description=description).to_body()
        adopted = False
        try:
            data = self._transport.request("POST", _BASE, body=body, mode=Mode.CREATE)
        except (TransportError, ServerError) as exc:
            if not exc.ambiguous:
                raise
            data, adopted = self._reconcile_create(name, body, exc)
        return parse_model(Organization, data, "organization"), adopted

    def _reconcile_create(
        self, name: str, body: dict[str, object], error: OrgsNbError
    ) -> tuple[object, bool]:
        """After an ambiguous create: adopt the org if the server has it, else send once more.

        Returns:
            The organization's JSON, and whether it was adopted (found) rather than answered.
        """
        # %r: the error carries the server's text, which must not forge log lines
        # (docs/RELIABILITY.md, B4/S9; docs/DESIGN.md, R31).
        logger.warning("create %r got no clear answer (%r); looking it up before retrying", name, str(error))
        for attempt in range(3):
            try:
                org_id = self._names.lookup(name).id
            except NameNotFoundError:
                if attempt < 2:
                    self._sleep(0.5 * (attempt + 1))
                continue
            except OrgsNbError:
                raise error from None
            logger.warning("create %r: the name exists (%s); adopting it if it is ours", name, org_id)
            return self._adopt(name, org_id, body), True
        try:
            return self._transport.request("POST", _BASE, body=body, mode=Mode.CREATE), False
        except ConflictError as conflict:
            # The first attempt did land after all; adopt it rather than fail.
            try:
                org_id = self._names.lookup(name).id
            except NameNotFoundError:
                raise conflict from None  # taken by another org under another case: a plain 409
            return self._adopt(name, org_id, body), True

    def _adopt(self, name: str, org_id: str, body: dict[str, object]) -> object:
        """Return the org found under our name, if it is ours: same description.

        See docs/RELIABILITY.md, B1/R9 and docs/DESIGN.md, R11.

        Raises:
            ConflictError: an org of that name with another description: someone else's.
        """
        data = self._transport.request("GET", f"{_BASE}/{path_segment(org_id)}")
        theirs = data.get("description", "") if isinstance(data, dict) else None
        if theirs != body.get("description", ""):
            raise ConflictError(
                status=409,
                method="POST",
                path=_BASE,
                detail=f"an organization named {name!r} already exists ({org_id}) with another "
                "description; it was not made by this call, so it was not adopted",
                ambiguous=True,
            )
        return data

    def update(
        self,
        *,
        organization: str,
        name: str | None = None,
        description: str | None = None,
    ) -> Organization:
        """Rename an organization and/or change its description. Only given fields are sent.

        Args:
            organization: its id, or its exact name (looked up afresh just before the write).
            name: the new name (unique in the account), or None to keep it.
            description: the new description; ``""`` CLEARS it; None keeps it.

        Returns:
            The updated organization.

        Raises:
            ValueError: neither ``name`` nor ``description`` given, or invalid values (checked
                before any request, even before resolving the name).
            ConflictError: the new name is taken (409).
            NotFoundError: no such organization.
        """
        body = _request(UpdateOrganizationRequest, name=name, description=description).to_body()
        org_id = self._names.resolve(organization)
        return parse_model(
            Organization,
            self._transport.request("PATCH", f"{_BASE}/{path_segment(org_id)}", body=body),
            "organization",
        )

    def delete(self, *, organization: str) -> None:
        """Delete an organization and EVERYTHING in it. IRREVERSIBLE.

        The delete cascades to all of its spaces and their contents (projects, models, monitors,
        dashboards, datasets, experiments, ...) and to the org's integrations, SAML providers
        and API keys. It cannot be undone. If an attempt goes unanswered and the retry gets 404,
        the first attempt deleted it and this returns normally.

        Args:
            organization: its id, or its exact name (looked up afresh just before the write).

        Raises:
            NotFoundError: no such organization.
        """
        org_id = self._names.resolve(organization)
        self._transport.request("DELETE", f"{_BASE}/{path_segment(org_id)}", mode=Mode.DELETE)

    def add_user(self, *, organization: str, user_id: str, role: Role) -> OrganizationMembership:
        """Grant a user a role in an organization. UPSERT: an existing member's role is REPLACED.

        Annotator rule: a user whose account role is ANNOTATOR may only get ANNOTATOR, and any
        other user may not get ANNOTATOR (the server answers 400).

        Args:
            organization: its id, or its exact name (looked up afresh just before the write).
            user_id: the user's id (see ``client.users.find_by_email`` for an email).
            role: ``"ADMIN"``, ``"MEMBER"``, ``"READ_ONLY"``, ``"ANNOTATOR"`` (upper case), an
                :class:`OrganizationRole`, or a role object.

        Returns:
            The membership, with the role as stored.

        Raises:
            ValueError: an unknown or lower-case role (before any request).
            BadRequestError: the annotator rule, or a custom role (400).
            NotFoundError: no such organization or user.
        """
        body = AddOrganizationUserRequest.build(user_id, role).to_body()
        org_id = self._names.resolve(organization)
        return parse_model(
            OrganizationMembership,
            self._transport.request("POST", f"{_BASE}/{path_segment(org_id)}/users", body=body),
            "membership",
        )

    def remove_user(self, *, organization: str, user_id: str) -> None:
        """Remove a user from an organization; this CASCADES to every space of that org.

        The user loses access to all of the organization's spaces as well. Re-adding them does
        not restore their space roles.

        Args:
            organization: its id, or its exact name (looked up afresh just before the write).
            user_id: the user's id.

        Raises:
            NotFoundError: no such organization, or the user is not a member.
        """
        org_id = self._names.resolve(organization)
        self._transport.request(
            "DELETE", f"{_BASE}/{path_segment(org_id)}/users/{path_segment(user_id)}", mode=Mode.DELETE
        )


_M = TypeVar("_M", CreateOrganizationRequest, UpdateOrganizationRequest)


def _request(model: type[_M], **fields: str | None) -> _M:
    """Build a request body, turning pydantic's error into a plain ``ValueError``."""
    try:
        return model(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'request'}: {err['msg']}" for err in exc.errors()
        )
        raise ValueError(problems) from None
