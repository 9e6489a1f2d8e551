"""THE SEAM between the forms and the client: one function per form action, no ipywidgets.

Every function performs one change through the client and returns an :class:`Outcome`; none of
them raises for an API, network or validation error (those become ``Outcome(ok=False, ...)``
with a one-line message from :mod:`._messages`). Forms call ONLY these functions, so these
bodies can later be re-implemented on the plan/apply engine
(``client.organizations.plan(frame).apply(...)``) without touching a widget.

Every target is addressed by id (taken from a picker built from one drain), never by name: a
form never resolves a name on submit (DESIGN §6, RELIABILITY C14).
"""

from __future__ import annotations

from dataclasses import dataclass

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.models import OrganizationRole
from arize_orgs_nb.resolve import is_resource_id
from arize_orgs_nb.widgets._messages import describe_error, one_line

__all__ = [
    "ROLES",
    "Outcome",
    "create_org",
    "delete_org",
    "remove_member",
    "set_member_role",
    "update_org",
]

ROLES: tuple[str, ...] = tuple(role.value for role in OrganizationRole)
"""Organization roles a form offers, in display order: ADMIN, MEMBER, READ_ONLY, ANNOTATOR."""


@dataclass(frozen=True)
class Outcome:
    """What an action did.

    Attributes:
        ok: True when the change was made.
        message: one plain-text line for the status line (NOT HTML-escaped: escape it to render).
        detail: longer plain text for the details area (the full error), or None.
        value: on success the result (an ``Organization``, an ``OrganizationMembership``, or the
            deleted id); on failure the exception, or None when nothing was sent.
    """

    ok: bool
    message: str
    detail: str | None = None
    value: object = None


def _failed(client: ArizeOrgs, error: BaseException) -> Outcome:
    message, detail = describe_error(error, host=client.settings.host)
    return Outcome(False, message, detail, error)


def _refused(message: str) -> Outcome:
    """A request refused before anything was sent."""
    return Outcome(False, one_line(message))


def _check_id(value: str, what: str) -> None:
    if not is_resource_id(value):
        raise ValueError(f"{what} must be an id from the list, not {value!r}")


def create_org(client: ArizeOrgs, name: str, description: str = "") -> Outcome:
    """Create an organization.

    Args:
        client: the client.
        name: the new name, sent exactly as typed (1 to 255 characters, not blank, unique).
        description: up to 1000 characters; ``""`` leaves it empty.

    Returns:
        ``ok`` with the new ``Organization`` as ``value``, or the failure (409: name taken).
    """
    try:
        org = client.organizations.create(name=name, description=description or None)
    except (OrgsNbError, ValueError, TypeError) as error:
        return _failed(client, error)
    return Outcome(True, one_line(f"created “{org.name}”"), f"id: {org.id}", org)


def update_org(
    client: ArizeOrgs,
    org_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    clear_description: bool = False,
) -> Outcome:
    """Rename an organization and/or change its description; only the given fields are sent.

    Args:
        client: the client.
        org_id: the organization's id.
        name: the new name, or None to keep it.
        description: the new (non-empty) description, or None to keep it.
        clear_description: send ``description=""``, which clears it (not combinable with a
            non-empty ``description``).

    Returns:
        ``ok`` with the updated ``Organization``; a refusal with no request when there is nothing
        to change; or the failure (409: name taken, 404: deleted meanwhile).
    """
    try:
        _check_id(org_id, "org_id")
        if clear_description and description:
            raise ValueError("give either a new description or clear_description=True, not both")
    except ValueError as error:
        return _failed(client, error)
    new_description = "" if clear_description else (description or None)
    if name is None and new_description is None:
        return _refused("nothing to change: edit the name or the description first")
    try:
        org = client.organizations.update(organization=org_id, name=name, description=new_description)
    except (OrgsNbError, ValueError, TypeError) as error:
        return _failed(client, error)
    changed = []
    if name is not None:
        changed.append("renamed")
    if new_description == "":
        changed.append("description cleared")
    elif new_description is not None:
        changed.append("description changed")
    return Outcome(True, one_line(f"updated “{org.name}”: {', '.join(changed)}"), f"id: {org.id}", org)


def delete_org(client: ArizeOrgs, org_id: str, typed_name: str, expected_name: str) -> Outcome:
    """Delete an organization and EVERYTHING in it (all its spaces), if the typed name matches.

    Refused, with no request, unless ``typed_name == expected_name`` exactly (code point for code
    point: no case folding, no trimming, no normalisation; RELIABILITY C15). Then the organization
    is read once: if it was renamed since the list was loaded, the delete is refused too, so the
    confirmation is bound to the id AND the name the user saw.

    Args:
        client: the client.
        org_id: the organization's id.
        typed_name: what the user typed to confirm.
        expected_name: the organization's name as the user was shown it.

    Returns:
        ``ok`` with the deleted id as ``value``, a refusal, or the failure.
    """
    if typed_name != expected_name:
        return _refused("not deleted: the typed name does not match the organization's name exactly")
    try:
        _check_id(org_id, "org_id")
        current = client.organizations.get(organization=org_id)
        if current.name != expected_name:
            return _refused(
                f"not deleted: the organization is now named “{current.name}” (renamed since the "
                "list was loaded); refresh and confirm again"
            )
        client.organizations.delete(organization=org_id)
    except (OrgsNbError, ValueError, TypeError) as error:
        return _failed(client, error)
    return Outcome(
        True,
        one_line(f"deleted “{expected_name}” and all of its spaces"),
        f"id: {org_id}",
        org_id,
    )


def set_member_role(client: ArizeOrgs, org_id: str, user_id: str, role: str) -> Outcome:
    """Give a user a role in an organization (an upsert: an existing member's role is replaced).

    Args:
        client: the client.
        org_id: the organization's id.
        user_id: the user's id.
        role: ``"ADMIN"``, ``"MEMBER"``, ``"READ_ONLY"`` or ``"ANNOTATOR"``.

    Returns:
        ``ok`` with the ``OrganizationMembership``, or the failure (400: the annotator rule).
    """
    try:
        _check_id(org_id, "org_id")
        _check_id(user_id, "user_id")
        membership = client.organizations.add_user(organization=org_id, user_id=user_id, role=role)
    except (OrgsNbError, ValueError, TypeError) as error:
        return _failed(client, error)
    return Outcome(
        True, one_line(f"role set to {membership.role}"), f"membership: {membership.id}", membership
    )


def remove_member(client: ArizeOrgs, org_id: str, user_id: str) -> Outcome:
    """Remove a user from an organization; they also lose access to all of its spaces.

    Args:
        client: the client.
        org_id: the organization's id.
        user_id: the user's id.

    Returns:
        ``ok`` (``value`` is None), or the failure (404: not a member).
    """
    try:
        _check_id(org_id, "org_id")
        _check_id(user_id, "user_id")
        client.organizations.remove_user(organization=org_id, user_id=user_id)
    except (OrgsNbError, ValueError, TypeError) as error:
        return _failed(client, error)
    return Outcome(True, "removed from the organization and all of its spaces")
