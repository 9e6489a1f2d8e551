"""``MemberRoleForm``: give a user a role in an organization, or remove them from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.rules import ROLES, annotator_problem
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._base import (
    OnDone,
    Problem,
    Runner,
    SnapshotForm,
    action_button,
    css,
    field_note,
    fit,
    label,
    note_html,
    section,
    wide,
)
from arize_orgs_nb.widgets._messages import describe_error
from arize_orgs_nb.widgets._pickers import org_picker, user_picker
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["JOURNAL_PROVENANCE", "REMOVE_WARNING", "KnownRoles", "MemberRoleForm", "journal_known_roles"]

KnownRoles = Callable[[str, str], "tuple[str | None, date | datetime | str] | None"]
"""``known_roles(org_id, user_id) -> (role, when) | None``: the last role this machine recorded
(``role`` None: the user was removed)."""

JOURNAL_PROVENANCE = "last set by this tool (from the local journal; the API cannot list members)"
"""How the last-known-role line says where its role comes from."""


def journal_known_roles(client: ArizeOrgs) -> KnownRoles:
    """The default ``known_roles``: the last role this tool applied, from the client's journal.

    Args:
        client: the client (``client.journal.store.known_roles()`` is read on every call).

    Returns:
        ``(org_id, user_id) -> (role or None if removed, ISO time) | None``.
    """

    def known(org_id: str, user_id: str) -> tuple[str | None, date | datetime | str] | None:
        record = client.journal.store.known_roles().get((org_id, user_id))
        if record is None:
            return None
        role, when, _apply_id = record
        return role, when

    return known


def _stamp(when: date | datetime | str) -> str:
    """A journal time as ``YYYY-MM-DD HH:MM UTC`` (a date as ``YYYY-MM-DD``; unreadable text as is)."""
    moment: date | datetime
    if isinstance(when, str):
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            return when
    else:
        moment = when
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        return f"{moment:%Y-%m-%d %H:%M}"
    return moment.isoformat()


REMOVE_WARNING = (
    "Removing a user from an organization also removes them from every space of that organization; "
    "adding them back does not restore their space roles."
)


class MemberRoleForm(SnapshotForm):
    """Set a user's role in an organization (an upsert), or remove them from it.

    One search-as-you-type field picks the organization (by name or id), one the user (by email,
    name or id), from one drain of each list, with no cap: typing narrows the choices and a count
    says how many match. The annotator rule is checked inline from the user's account role (an
    ANNOTATOR account may only get ANNOTATOR, and only such accounts may get it). Remove needs its
    confirmation box ticked. Set role and Remove each have their own status line, under their
    button; results read like "alice@x is now ADMIN in “Team A”", with how to undo in the details.

    The API cannot list an organization's members, so the form cannot show the current role. The
    ``last_known_role`` line shows the last role THIS TOOL set, from the local journal (default:
    :func:`journal_known_roles`), with its date and where it comes from; pass ``known_roles`` to
    read another record.

    Args:
        client: the client.
        snapshot: the shared organizations and users (a new one is made, and drained, if None).
        on_done: called with the outcome after a successful change.
        runner: how actions run (default: a background thread).
        known_roles: ``(org_id, user_id) -> (role, when) | None`` from a local record (default:
            the client's journal).
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        on_done: OnDone | None = None,
        runner: Runner | None = None,
        known_roles: KnownRoles | None = None,
    ) -> None:
        self.known_roles: KnownRoles = known_roles if known_roles is not None else journal_known_roles(client)
        super().__init__(client, snapshot=snapshot, on_done=on_done, runner=runner)

    TITLE = "Members"
    CSS_CLASS = "aonb-members"
    STATUS_CLASS = "aonb-role-status"
    USERS = True
    LOADS = "organizations and users"

    def _build(self) -> None:
        self.role_line = self.line
        self.remove_line = self._line("aonb-remove-status")
        self._pair: tuple[str | None, str | None] = (None, None)
        self.org_picker = self._control(org_picker(self.snapshot, "aonb-members-org"))
        self.user_picker = self._control(user_picker(self.snapshot, "aonb-members-user"))
        self.account_label = field_note("aonb-members-account")
        # The last role this tool recorded for (org, user) in the local journal; see known_roles.
        self.last_known_role = field_note("aonb-members-last-known")
        self.role = self._control(
            css(
                widgets.Dropdown(
                    description="Role", options=ROLES, value="MEMBER", layout=wide(), style=label()
                ),
                "aonb-members-role",
            )
        )
        self.hint = field_note("aonb-members-hint")
        self.submit = self._button(
            action_button("Set role", "aonb-members-submit", icon="user-plus"), lambda: not self.problems()
        )
        self.remove_confirm = self._control(
            css(
                widgets.Checkbox(
                    description="I understand: the user also loses every space of this organization",
                    value=False,
                    indent=False,
                    layout=fit(),
                ),
                "aonb-members-remove-confirm",
            )
        )
        self.remove_button = self._button(
            action_button(
                "Remove from organization", "aonb-members-remove", style="danger", icon="user-times"
            ),
            lambda: self._targets() is not None and bool(self.remove_confirm.value),
        )
        self.submit.on_click(lambda _button: self.set_role())
        self.remove_button.on_click(lambda _button: self.remove())
        self._watch([self.org_picker], clears=self.lines, then=self._selection_changed)
        self._watch([self.user_picker], clears=self.lines, then=self._user_changed)
        self._watch([self.role], clears=[self.role_line], then=self._validate)
        self._watch([self.remove_confirm], clears=[self.remove_line], then=self._validate)
        self._set_rows(
            [
                self.org_picker,
                self.user_picker,
                self.account_label,
                self.last_known_role,
                self.role,
                self.hint,
                self.submit,
                *self.role_line.rows,
                widgets.HTML(
                    value=note_html("Setting a role is an upsert: an existing member's role is replaced.")
                ),
                section("Remove"),
                widgets.HTML(value=note_html(REMOVE_WARNING)),
                self.remove_confirm,
                self.remove_button,
                *self.remove_line.rows,
            ],
            status_below=False,
        )

    # -- state -----------------------------------------------------------------------------

    def open_org(self, org_id: str | None = None, user_id: str | None = None) -> bool:
        """Pick an organization and/or a user (what a click on a row in Browse does).

        Not named ``open``: ``ipywidgets.Widget.open`` opens the widget's comm.

        Args:
            org_id: the organization's id, or None to keep the current pick.
            user_id: the user's id, or None to keep the current pick.

        Returns:
            False when ignored because an action is running.

        Raises:
            ValueError: no organization or user with this id in the snapshot.
        """
        if self.busy:
            return False
        if org_id is not None and self.snapshot.find_org(org_id) is None:
            raise ValueError(f"no organization with id {org_id!r}")
        if user_id is not None and self.snapshot.find_user(user_id) is None:
            raise ValueError(f"no user with id {user_id!r}")
        before = self._pair
        with self.quietly():
            if org_id is not None:
                self.org_picker.select(org_id)
            if user_id is not None:
                self.user_picker.select(user_id)
                self._steer_role()
        if self._current_pair() != before:
            for line in self.lines:
                line.clear()
        self._selection_changed()
        return True

    def _targets(self) -> tuple[str, str] | None:
        org_id, user_id = self._current_pair()
        return (org_id, user_id) if org_id and user_id else None

    def _current_pair(self) -> tuple[str | None, str | None]:
        return self.org_picker.value, self.user_picker.value

    def problems(self) -> list[Problem]:
        """What stops Set role now (an empty list when it may be sent)."""
        found: list[Problem] = []
        if self.org_picker.value is None:
            found.append((None, "pick an organization"))
        if self.user_picker.value is None:
            found.append((None, "pick a user"))
        if self.role.value not in ROLES:
            found.append((self.role, "pick a role"))
        user = self.snapshot.find_user(self.user_picker.value)
        rule = annotator_problem(user.account_role if user else None, self.role.value)
        if rule:
            found.append((self.role, rule))
        return found

    def _snapshot_changed(self, refreshed: bool) -> None:
        with self.quietly():
            self.org_picker.reload()
            self.user_picker.reload()
        self._selection_changed()

    def _user_changed(self) -> None:
        with self.quietly():
            self._steer_role()
        self._selection_changed()

    def _steer_role(self) -> None:
        """Steer the role to what the annotator rule allows; the user can still change it."""
        user = self.snapshot.find_user(self.user_picker.value)
        if user is None:
            return
        if user.account_role == "ANNOTATOR":
            self.role.value = "ANNOTATOR"
        elif self.role.value == "ANNOTATOR":
            self.role.value = "MEMBER"

    def _selection_changed(self) -> None:
        user = self.snapshot.find_user(self.user_picker.value)
        if user is None:
            self.account_label.value = ""
        else:
            self.account_label.value = note_html(
                f"account role: {user.account_role or '?'} · status: {user.status} · id {user.id}",
                "aonb-members-account-line",
            )
        if self._current_pair() != self._pair:
            self._pair = self._current_pair()
            with self.quietly():
                self.remove_confirm.value = False
        self.show_last_known_role()
        self._validate()

    def show_last_known_role(self) -> None:
        """Fill the ``last_known_role`` line from ``known_roles`` (the local journal by default)."""
        targets = self._targets()
        if targets is None:
            self.last_known_role.value = ""
            return
        try:
            record = self.known_roles(*targets)
        except Exception as error:  # a local record that cannot be read must not break the form
            text = f"last known role: unavailable ({describe_error(error)[0]})"
            self.last_known_role.value = note_html(text)
            return
        if record is None:
            text = "current role: unknown (the API cannot list an organization's members)"
        else:
            role, when = record
            if role is None:
                text = f"last known: removed on {_stamp(when)}, {JOURNAL_PROVENANCE}"
            else:
                text = f"last known role: {role} on {_stamp(when)}, {JOURNAL_PROVENANCE}"
        self.last_known_role.value = note_html(text, "aonb-members-known")

    def _validate(self) -> None:
        self._render_hint(self.hint, self.problems())
        self.refresh_buttons()

    # -- actions ---------------------------------------------------------------------------

    def set_role(self) -> bool:
        """Give the picked user the picked role in the picked organization (what Set role does).

        Returns:
            True when the action started.
        """
        found = self.problems()
        targets = self._targets()
        if found or targets is None:
            self._validate()
            return self._refuse(self.role_line, found, "pick an organization and a user")
        org_id, user_id = targets
        role = str(self.role.value)
        user = self.snapshot.find_user(user_id)
        return self._run(
            lambda: _actions.set_member_role(
                self._client, org_id, user_id, role, orgs=self.snapshot.orgs, users=self.snapshot.users
            ),
            busy_text=f"setting {user.email if user else user_id}'s role to {role}…",
            on_success=self._changed,
            line=self.role_line,
        )

    def remove(self) -> bool:
        """Remove the picked user from the picked organization (what Remove does).

        Returns:
            True when the action started.
        """
        targets = self._targets()
        if targets is None or not self.remove_confirm.value:
            self.remove_line.set_status(
                "error", "not removed: pick an organization and a user, and tick the box"
            )
            return False
        org_id, user_id = targets
        user = self.snapshot.find_user(user_id)
        return self._run(
            lambda: _actions.remove_member(
                self._client, org_id, user_id, orgs=self.snapshot.orgs, users=self.snapshot.users
            ),
            busy_text=f"removing {user.email if user else user_id}…",
            on_success=self._changed,
            line=self.remove_line,
        )

    def _changed(self, _outcome: object) -> None:
        """After a success (quietly): the picks stay, the form is clean, the success line stays."""
        self.remove_confirm.value = False
        self._untouch()
        self.show_last_known_role()
        self._validate()
