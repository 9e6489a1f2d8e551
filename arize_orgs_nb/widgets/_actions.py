"""THE SEAM between the forms and the client: one function per form action, no ipywidgets.

Every function makes one change through the plan/apply engine, so a click is exactly as safe as
a reviewed bulk edit: a one-row edit is planned (every rule checked, nothing sent), then applied
with the stale check (the organizations are drained once and compared with what the form was
showing), the confirmation of destructive changes, retries, and a journal entry (the Activity
tab, ``client.journal.undo``). Every function returns an :class:`ActionOutcome`; none of them raises
for an API, network, validation or stale-plan error (those become ``ActionOutcome(ok=False, ...)`` with
a one-line message from :mod:`._messages`).

Every target is addressed by id (taken from a picker built from one drain), never by name: a
form never resolves a name on submit (docs/DESIGN.md, R34; docs/RELIABILITY.md, C14).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from arize_orgs_nb.api.resolve import is_resource_id
from arize_orgs_nb.bulk.apply import ApplyResult, ChangeOutcome
from arize_orgs_nb.bulk.changes import Op
from arize_orgs_nb.bulk.journal import inverse_change
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.frames import ORG_SCHEMA, org_row
from arize_orgs_nb.models import Organization
from arize_orgs_nb.rules import is_missing
from arize_orgs_nb.widgets._messages import describe_error, describe_outcome, one_line, visible

__all__ = [
    "ActionOutcome",
    "create_org",
    "delete_org",
    "read_org",
    "remove_member",
    "set_member_role",
    "update_org",
]


@dataclass(frozen=True)
class ActionOutcome:
    """What an action did.

    Attributes:
        ok: True when the change was made.
        message: one plain-text line for the status line (NOT HTML-escaped: escape it to render).
        detail: longer plain text for the details area (the full error), or None.
        value: on success the result (an ``Organization`` for create and update, the deleted id
            for delete, the :class:`~arize_orgs_nb.bulk.apply.ApplyResult` for member changes); on
            failure the exception (rebuilt from the failed change's status and error text when
            the server refused it), or None when nothing was sent.
    """

    ok: bool
    message: str
    detail: str | None = None
    value: object = None


_ERRORS = (OrgsNbError, ValueError, TypeError)


def _failed(client: ArizeOrgs, error: BaseException) -> ActionOutcome:
    message, detail = describe_error(error, host=client.settings.host)
    return ActionOutcome(False, message, detail, error)


def _refused(message: str) -> ActionOutcome:
    """A request refused before anything was sent."""
    return ActionOutcome(False, one_line(message))


def _check_id(value: str, what: str) -> None:
    if not is_resource_id(value):
        raise ValueError(f"{what} must be an id from the list, not {value!r}")


def _apply(plan: Plan[ApplyResult], *, confirm: list[str] | None = None, force: bool = False) -> ApplyResult:
    """Apply a one-click plan: no progress bar (the form's status line says it), one worker."""
    return plan.apply(confirm=confirm, workers=1, progress=False, force=force)


def _not_applied(client: ArizeOrgs, result: ApplyResult, done: str = "") -> ActionOutcome | None:
    """The failure of the first change that was not applied, or None when all were applied.

    Args:
        client: the client (for the host in "cannot reach" messages).
        result: the apply result.
        done: what to say first when an earlier change of the same click was applied.
    """
    failed: ChangeOutcome | None = next((o for o in result.outcomes if o.status != "applied"), None)
    if failed is None:
        return None
    message, detail = describe_outcome(failed, host=client.settings.host)
    error = failed.exception if failed.exception is not None else OrgsNbError(failed.error or failed.status)
    if done and any(o.status == "applied" for o in result.outcomes):
        message = f"{done}, but {message}"
    return ActionOutcome(False, one_line(message), detail, error)


def _base_row(base: pd.DataFrame, org_id: str) -> dict[str, object] | None:
    rows = ORG_SCHEMA.conform(base)
    found = rows[rows["id"] == org_id]
    if found.empty:
        return None
    return {str(k): v for k, v in found.iloc[0].to_dict().items()}


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def create_org(
    client: ArizeOrgs, name: str, description: str = "", *, base: pd.DataFrame | None = None
) -> ActionOutcome:
    """Create an organization (a one-row plan, applied).

    Args:
        client: the client.
        name: the new name, sent exactly as typed (1 to 255 characters, not blank, unique).
        description: up to 1000 characters; ``""`` leaves it empty.
        base: the organizations the form was showing (the snapshot's frame): the plan checks the
            name against them; the apply's stale check then checks it against the server.

    Returns:
        ``ok`` with the new ``Organization`` as ``value``, or the failure ("name already taken"
        when the server holds the name, found before sending or as a 409).
    """
    try:
        edited = pd.DataFrame([{"name": name, "description": description}], dtype=object)
        plan = client.organizations.plan(edited, base=ORG_SCHEMA.empty() if base is None else base)
        result = _apply(plan)
    except _ERRORS as error:
        return _failed(client, error)
    failure = _not_applied(client, result)
    if failure is not None:
        return failure
    org_id = result.outcomes[0].result_id if result.outcomes else None
    if not org_id:
        return ActionOutcome(True, one_line(f"created “{name}”"), None, None)
    try:
        org = client.organizations.get(organization=org_id)  # its creation time, as the server has it
    except _ERRORS:
        # Created; only the read-back failed: show what was sent (the next refresh corrects the time).
        org = Organization(id=org_id, name=name, description=description, created_at=pd.Timestamp.now("UTC"))
    return ActionOutcome(True, one_line(f"created “{org.name}”"), f"id: {org.id}", org)


def read_org(client: ArizeOrgs, org_id: str) -> ActionOutcome:
    """Read one organization as the server has it now (no write).

    Args:
        client: the client.
        org_id: the organization's id.

    Returns:
        ``ok`` with the ``Organization``, or the failure (404: deleted meanwhile).
    """
    try:
        _check_id(org_id, "org_id")
        org = client.organizations.get(organization=org_id)
    except _ERRORS as error:
        return _failed(client, error)
    return ActionOutcome(True, one_line(f"reloaded “{visible(org.name)}” from the server"), None, org)


def update_org(
    client: ArizeOrgs,
    org_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    clear_description: bool = False,
    base: pd.DataFrame | None = None,
    force: bool = False,
) -> ActionOutcome:
    """Rename an organization and/or change its description (a plan of the changed fields, applied).

    Args:
        client: the client.
        org_id: the organization's id.
        name: the new name, or None to keep it.
        description: the new (non-empty) description, or None to keep it.
        clear_description: send ``description=""``, which clears it (not combinable with a
            non-empty ``description``).
        base: the organizations the form was showing (the snapshot's frame); when the target
            changed on the server since, nothing is sent. None reads the organization first.
        force: DANGEROUS: send the changed fields even when the organization changed on the
            server since ``base`` (the stale check is skipped), replacing what someone else
            saved in those fields. Fields not given are not sent, so their server values stay.
            The organization is read back afterwards, so the result holds the server's values.

    Returns:
        ``ok`` with the updated ``Organization``; a refusal with no request when there is nothing
        to change; or the failure (stale, 409: name taken, 404: deleted meanwhile).
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
        if base is None:
            base = ORG_SCHEMA.from_rows([org_row(client.organizations.get(organization=org_id))])
        row = _base_row(base, org_id)
        if row is None:
            return _refused("not saved: this organization is not in the list any more; refresh")
        edited = pd.DataFrame(
            [
                {
                    "id": org_id,
                    "name": _text(row["name"]) if name is None else name,
                    "description": new_description,
                }
            ],
            dtype=object,
        )
        plan = client.organizations.plan(edited, base=base)
        if not len(plan):
            return _refused("nothing to change: the organization already has these values")
        result = _apply(plan, force=force)
    except _ERRORS as error:
        return _failed(client, error)
    failure = _not_applied(client, result, done="partly saved (refresh the list)")
    if failure is not None:
        return failure
    org = Organization(
        id=org_id,
        name=_text(row["name"]) if name is None else name,
        description=_text(row["description"]) if new_description is None else new_description,
        created_at=row["created_at"],
    )
    if force:
        # The base was stale: the fields not sent may hold someone else's values now.
        read = read_org(client, org_id)
        if isinstance(read.value, Organization):
            org = read.value
    changed = []
    ops = {o.change.op for o in result.outcomes}
    if Op.RENAME in ops:
        changed.append("renamed")
    if Op.DESCRIBE in ops:
        changed.append("description cleared" if new_description == "" else "description changed")
    return ActionOutcome(True, one_line(f"updated “{visible(org.name)}”: {', '.join(changed)}"), None, org)


def delete_org(
    client: ArizeOrgs,
    org_id: str,
    typed_name: str,
    expected_name: str,
    *,
    base: pd.DataFrame | None = None,
) -> ActionOutcome:
    """Delete an organization and EVERYTHING in it (all its spaces), if the typed name matches.

    Refused, with no request, unless ``typed_name == expected_name`` exactly (code point for code
    point: no case folding, no trimming, no normalisation; docs/RELIABILITY.md, C15). Then the organization
    is read once: if it was renamed since the list was loaded, the delete is refused too, so the
    confirmation is bound to the id AND the name the user saw. Only then is the one-row delete
    planned and applied with ``confirm=[expected_name]`` (the apply's stale check runs too).

    Args:
        client: the client.
        org_id: the organization's id.
        typed_name: what the user typed to confirm.
        expected_name: the organization's name as the user was shown it.
        base: the organizations the form was showing (the snapshot's frame); None uses the
            organization as just read.

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
        if base is None or _base_row(base, org_id) is None:
            base = ORG_SCHEMA.from_rows([org_row(current)])
        edited = pd.DataFrame([{"id": org_id, "name": expected_name, "delete": True}], dtype=object)
        result = _apply(client.organizations.plan(edited, base=base), confirm=[expected_name])
    except _ERRORS as error:
        return _failed(client, error)
    failure = _not_applied(client, result)
    if failure is not None:
        return failure
    return ActionOutcome(
        True,
        one_line(f"deleted “{expected_name}” and all of its spaces"),
        f"id: {org_id}",
        org_id,
    )


def _member_change(
    client: ArizeOrgs,
    row: dict[str, object],
    orgs: pd.DataFrame | None,
    users: pd.DataFrame | None,
    *,
    done: Callable[[str, str], str],
    confirm: list[str] | None = None,
) -> ActionOutcome:
    """Plan and apply one membership change; say what was done in an admin's words.

    A click is always sent (``skip_known=False``): the local journal is only this machine's record
    (the API cannot list members), so the role may have been changed elsewhere since.

    Args:
        client: the client.
        row: the one row of the membership plan (``organization`` and ``user`` are ids).
        orgs: the organizations frame the pickers were built from (default: a fresh drain).
        users: the users frame (default: a fresh drain).
        done: ``done(user_email, quoted_org_name)``: what the status line says on success (the
            name is made visible and quoted).
        confirm: the apply's confirmation (removals).
    """
    try:
        org_id, user_id = str(row["organization"]), str(row["user"])
        _check_id(org_id, "org_id")
        _check_id(user_id, "user_id")
        orgs = client.organizations.to_frame(progress=False) if orgs is None else orgs
        users = client.users.to_frame(progress=False) if users is None else users
        frame = pd.DataFrame([row], dtype=object)
        plan = client.memberships.plan(frame, orgs=orgs, users=users, skip_known=False)
        result = _apply(plan, confirm=confirm)
    except _ERRORS as error:
        return _failed(client, error)
    failure = _not_applied(client, result)
    if failure is not None:
        return failure
    message = done(_cell(users, user_id, "email"), f"“{visible(_cell(orgs, org_id, 'name'))}”")
    return ActionOutcome(True, one_line(message), _undo_hint(result), result)


def _cell(frame: pd.DataFrame, row_id: str, column: str) -> str:
    """``frame[column]`` of the row with this id, or the id when it is not there."""
    found = frame.loc[frame["id"] == row_id, column]
    return row_id if found.empty or is_missing(found.iloc[0]) else str(found.iloc[0])


def _undo_hint(result: ApplyResult) -> str:
    """How to undo an applied member change, or why it cannot be undone from here."""
    reasons = []
    for outcome in result.outcomes:
        inverse, reason = inverse_change(outcome.change, outcome.result_id)
        if inverse is None:
            reasons.append(reason or "it cannot be undone")
        elif inverse.op is Op.SET_ROLE:
            previous = inverse.after.get("role")
            return f'To undo (back to {previous}): client.journal.undo("{result.apply_id}").apply()'
    return f"Cannot be undone from here: {'; '.join(reasons)}."


def set_member_role(
    client: ArizeOrgs,
    org_id: str,
    user_id: str,
    role: str,
    *,
    orgs: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
) -> ActionOutcome:
    """Give a user a role in an organization (an upsert: an existing member's role is replaced).

    Args:
        client: the client.
        org_id: the organization's id.
        user_id: the user's id.
        role: ``"ADMIN"``, ``"MEMBER"``, ``"READ_ONLY"`` or ``"ANNOTATOR"``.
        orgs: the organizations frame the pickers were built from (default: a fresh drain).
        users: the users frame (default: a fresh drain); the annotator rule is checked from it.

    Returns:
        ``ok`` with the ``ApplyResult`` ("alice@x is now ADMIN in “Team A”", and how to undo it
        in the detail), or the failure (the annotator rule, 403, 404, ...).
    """
    row: dict[str, object] = {"organization": org_id, "user": user_id, "role": role}
    return _member_change(client, row, orgs, users, done=lambda user, org: f"{user} is now {role} in {org}")


def remove_member(
    client: ArizeOrgs,
    org_id: str,
    user_id: str,
    *,
    orgs: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
) -> ActionOutcome:
    """Remove a user from an organization; they also lose access to all of its spaces.

    The form's confirmation box is the confirmation: the apply is confirmed by the org's id.

    Args:
        client: the client.
        org_id: the organization's id.
        user_id: the user's id.
        orgs: the organizations frame the pickers were built from (default: a fresh drain).
        users: the users frame (default: a fresh drain).

    Returns:
        ``ok`` with the ``ApplyResult``, or the failure (404: not a member).
    """
    row: dict[str, object] = {"organization": org_id, "user": user_id, "remove": True}
    return _member_change(
        client,
        row,
        orgs,
        users,
        done=lambda user, org: f"{user} was removed from {org} and all of its spaces",
        confirm=[org_id],
    )
