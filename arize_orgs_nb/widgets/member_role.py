"""``MemberRoleForm``: give a user a role in an organization, or remove them from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.rules import ROLES, annotator_problem
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, OnDone, Runner, css, fit, heading, label, wide
from arize_orgs_nb.widgets._messages import describe_error, esc, visible
from arize_orgs_nb.widgets._pickers import Picker, org_choices, user_choices
from arize_orgs_nb.widgets._snapshot import Snapshot
from arize_orgs_nb.widgets.create_org import hint_html

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
            return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
        return f"{moment:%Y-%m-%d %H:%M}"
    return moment.isoformat()


REMOVE_WARNING = (
    "Removing a user from an organization also removes them from every space of that organization; "
    "adding them back does not restore their space roles."
)


class MemberRoleForm(FormView):
    """Set a user's role in an organization (an upsert), or remove them from it.

    Users are picked by email or name from one drain of the users list; the annotator rule is
    checked inline from the user's account role (an ANNOTATOR account may only get ANNOTATOR, and
    only such accounts may get it). Remove needs its confirmation box ticked.

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
        super().__init__(client, title="Members", css_class="aonb-members", runner=runner, on_done=on_done)
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self.known_roles: KnownRoles = known_roles if known_roles is not None else journal_known_roles(client)
        self.org_picker = Picker(
            org_choices(self.snapshot),
            description="Organization",
            placeholder="type part of a name (or an id)",
            css_prefix="aonb-members-org",
        )
        self.user_picker = Picker(
            user_choices(self.snapshot),
            description="User",
            placeholder="email or name",
            css_prefix="aonb-members-user",
        )
        self.account_label = css(widgets.HTML(), "aonb-members-account")
        # The last role this tool recorded for (org, user) in the local journal; see known_roles.
        self.last_known_role = css(widgets.HTML(), "aonb-members-last-known")
        self.role = css(
            widgets.Dropdown(description="Role", options=ROLES, value="MEMBER", layout=wide(), style=label()),
            "aonb-members-role",
        )
        self.hint = css(widgets.HTML(), "aonb-members-hint")
        self.submit = css(
            widgets.Button(
                description="Set role", button_style="primary", icon="user-plus", disabled=True, layout=fit()
            ),
            "aonb-members-submit",
        )
        self.upsert_note = widgets.HTML(
            value='<span style="color:#666">Setting a role is an upsert: an existing member\'s role is '
            "replaced.</span>"
        )
        self.remove_confirm = css(
            widgets.Checkbox(
                description="I understand: the user also loses every space of this organization",
                value=False,
                indent=False,
                layout=fit(),
            ),
            "aonb-members-remove-confirm",
        )
        self.remove_button = css(
            widgets.Button(
                description="Remove from organization", button_style="danger", icon="user-times", layout=fit()
            ),
            "aonb-members-remove",
        )
        self._button(self.submit, lambda: not self.problems())
        self._button(
            self.remove_button,
            lambda: self._targets() is not None and bool(self.remove_confirm.value),
        )
        self.submit.on_click(lambda _button: self.set_role())
        self.remove_button.on_click(lambda _button: self.remove())
        self.org_picker.on_change(lambda _id: self._selection_changed())
        self.user_picker.on_change(lambda _id: self._user_changed())
        self.role.observe(self._validate, "value")
        self.remove_confirm.observe(self._validate, "value")
        self._add_cleanup(self.snapshot.subscribe(lambda _s: self._reload()))
        self._set_rows(
            [
                self.org_picker,
                self.user_picker,
                self.account_label,
                self.last_known_role,
                self.role,
                self.hint,
                self.submit,
                self.upsert_note,
                heading("Remove"),
                widgets.HTML(value=f'<span style="color:#666">{esc(REMOVE_WARNING)}</span>'),
                self.remove_confirm,
                self.remove_button,
            ]
        )
        self._report_load_error(self.snapshot.load(users=True), "organizations and users")
        self._reload()

    def open_org(self, org_id: str | None = None, user_id: str | None = None) -> None:
        """Pick an organization and/or a user by id (what the Members action of a Browse row does).

        Raises:
            ValueError: no such organization or user.
        """
        for picker, item_id in ((self.org_picker, org_id), (self.user_picker, user_id)):
            if item_id is not None:
                picker.search.value = item_id  # narrows the list to it, even past the options shown
                picker.select(item_id)

    # -- state -----------------------------------------------------------------------------

    def _targets(self) -> tuple[str, str] | None:
        org_id, user_id = self.org_picker.value, self.user_picker.value
        return (org_id, user_id) if org_id and user_id else None

    def problems(self) -> list[str]:
        """What stops Set role now (an empty list when it may be sent)."""
        found = []
        if self.org_picker.value is None:
            found.append("pick an organization")
        if self.user_picker.value is None:
            found.append("pick a user")
        if self.role.value not in ROLES:
            found.append("pick a role")
        user = self.snapshot.find_user(self.user_picker.value)
        rule = annotator_problem(user.account_role if user else None, self.role.value)
        if rule:
            found.append(rule)
        return found

    def _reload(self) -> None:
        self.org_picker.reload()
        self.user_picker.reload()
        self._selection_changed()

    def _user_changed(self) -> None:
        user = self.snapshot.find_user(self.user_picker.value)
        if user is not None:
            # Steer the role to what the annotator rule allows; the user can still change it.
            if user.account_role == "ANNOTATOR":
                self.role.value = "ANNOTATOR"
            elif self.role.value == "ANNOTATOR":
                self.role.value = "MEMBER"
        self._selection_changed()

    def _selection_changed(self) -> None:
        user = self.snapshot.find_user(self.user_picker.value)
        if user is None:
            self.account_label.value = ""
        else:
            self.account_label.value = (
                f'<span style="color:#666">account role: <b>{esc(user.account_role or "?")}</b>'
                f" · status: {esc(user.status)} · id <code>{esc(user.id)}</code></span>"
            )
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
            self.last_known_role.value = f'<span style="color:#666">{esc(text)}</span>'
            return
        if record is None:
            text = "current role: unknown (the API cannot list an organization's members)"
        else:
            role, when = record
            if role is None:
                text = f"last known: removed on {_stamp(when)}, {JOURNAL_PROVENANCE}"
            else:
                text = f"last known role: {role} on {_stamp(when)}, {JOURNAL_PROVENANCE}"
        self.last_known_role.value = f'<span class="aonb-members-known" style="color:#666">{esc(text)}</span>'

    def _validate(self, _change: Any = None) -> None:  # noqa: ANN401
        found = self.problems()
        picking = self.org_picker.value is None or self.user_picker.value is None
        self.hint.value = hint_html(found, [], quiet=picking)
        self.refresh_buttons()

    def _labels(self, org_id: str, user_id: str) -> tuple[str, str]:
        org = self.snapshot.find_org(org_id)
        user = self.snapshot.find_user(user_id)
        return (visible(org.name) if org else org_id, user.email if user else user_id)

    # -- actions ---------------------------------------------------------------------------

    def set_role(self) -> bool:
        """Give the picked user the picked role in the picked organization (what Set role does).

        Returns:
            True when the action started.
        """
        found = self.problems()
        targets = self._targets()
        if found or targets is None:
            self.set_status("error", found[0] if found else "pick an organization and a user")
            return False
        org_id, user_id = targets
        role = str(self.role.value)
        org_label, user_label = self._labels(org_id, user_id)

        def action() -> ActionOutcome:
            outcome = _actions.set_member_role(
                self._client, org_id, user_id, role, orgs=self.snapshot.orgs, users=self.snapshot.users
            )
            if outcome.ok:
                outcome = replace(outcome, message=f"{user_label} is now {role} in “{org_label}”")
            return outcome

        return self._run(
            action,
            busy_text=f"setting {user_label}'s role to {role}…",
            on_success=lambda _o: self.show_last_known_role(),
        )

    def remove(self) -> bool:
        """Remove the picked user from the picked organization (what Remove does).

        Returns:
            True when the action started.
        """
        targets = self._targets()
        if targets is None or not self.remove_confirm.value:
            self.set_status("error", "not removed: pick an organization and a user, and tick the box")
            return False
        org_id, user_id = targets
        org_label, user_label = self._labels(org_id, user_id)

        def action() -> ActionOutcome:
            outcome = _actions.remove_member(
                self._client, org_id, user_id, orgs=self.snapshot.orgs, users=self.snapshot.users
            )
            if outcome.ok:
                outcome = replace(
                    outcome, message=f"{user_label} was removed from “{org_label}” and all of its spaces"
                )
            return outcome

        def removed(_outcome: ActionOutcome) -> None:
            self.remove_confirm.value = False
            self.show_last_known_role()

        return self._run(action, busy_text=f"removing {user_label}…", on_success=removed)
