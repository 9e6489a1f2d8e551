"""``UpdateOrgForm``: pick an organization, edit its name or description, or delete it.

The form keeps a *base*: the organization's values as the server last gave them. Edits are
what differs from the base, and only they are sent. When the base moves under unsaved edits (a
Refresh, a reload, another form's change), the edits are kept, the fields the user did not edit
follow the server, and a field both sides changed is marked (docs/DESIGN.md, R38).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.errors import StalePlanError
from arize_orgs_nb.models import Organization
from arize_orgs_nb.visible import LEGEND
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import (
    Problem,
    SnapshotForm,
    action_button,
    css,
    field_note,
    fit,
    note_html,
    on_enter,
    section,
    text_input,
)
from arize_orgs_nb.widgets._messages import esc, name_taken_only, visible
from arize_orgs_nb.widgets._pickers import org_picker
from arize_orgs_nb.widgets._snapshot import OrgEntry
from arize_orgs_nb.widgets._validation import check_description, check_name

__all__ = ["CASCADE_WARNING", "NOTHING_TO_CHANGE", "UpdateOrgForm"]

CASCADE_WARNING = (
    "Deleting an organization deletes all of its spaces and everything in them. This cannot be undone."
)

NOTHING_TO_CHANGE = "edit the name or the description, then Save"
"""The neutral to-do of a picked organization with no edit yet."""

_FIELDS = ("name", "description")


class UpdateOrgForm(SnapshotForm):
    """Rename an organization, change or clear its description, or delete it.

    The fields are prefilled with the picked organization's current values and only the changed
    fields are sent. Clearing the description needs the explicit "clear the description" box (an
    emptied field alone is refused, so a stray select-all + delete cannot wipe it). Delete stays
    disabled until the organization's name is typed exactly (code points, case included); the
    prompt shows the id and the cascade warning. Save and Delete each have their own status line,
    under their button. Enter in the name field saves; Enter in the confirmation field deletes
    (only when the name typed there matches exactly).

    A save refused because the organization changed on the server since it was loaded (the stale
    check; nothing was sent) offers, under Save: **Reload this organization** (the server's values
    become the base; the edits are kept and the fields both sides changed are marked) and
    **Overwrite** (send the edits anyway, replacing what was saved meanwhile in those fields).

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        on_done: called with the outcome after a successful update or delete.
        runner: how actions run (default: a background thread).
    """

    TITLE = "Update an organization"
    CSS_CLASS = "aonb-update"
    STATUS_CLASS = "aonb-save-status"

    def _build(self) -> None:
        self._base: OrgEntry | None = None
        self._conflicts: set[str] = set()  # fields the server changed under an edit
        self._followed: list[str] = []  # fields the server changed that followed it (no edit)
        self._offer = False  # the last save was stale: Reload / Overwrite are offered
        self.save_line = self.line
        self.delete_line = self._line("aonb-delete-status")
        self.picker = self._control(org_picker(self.snapshot, "aonb-update-org"))
        self.id_label = field_note("aonb-update-id")
        picked = lambda: self._base is not None  # noqa: E731
        self.name_input = self._control(text_input("Name", "aonb-update-name"), picked)
        self.description_input = self._control(
            text_input("Description", "aonb-update-description", rows=3),
            lambda: picked() and not self.clear_description.value,
        )
        self.clear_description = self._control(
            css(
                widgets.Checkbox(description="clear the description", value=False, indent=True, layout=fit()),
                "aonb-update-clear",
            ),
            picked,
        )
        self.server_note = field_note("aonb-update-server")
        self.hint = field_note("aonb-update-hint")
        self.submit = self._button(
            action_button("Save changes", "aonb-update-submit", icon="check"),
            lambda: self._base is not None and not self.problems()[0],
        )
        self.reload_button = self._button(
            action_button("Reload this organization", "aonb-update-reload", style="info", icon="refresh"),
            lambda: self._offer,
        )
        self.overwrite_button = self._button(
            action_button("Overwrite with my edits", "aonb-update-overwrite", style="warning", icon="upload"),
            lambda: self._offer and not self.problems()[0],
        )
        self.conflict_box = css(
            widgets.VBox(
                [
                    widgets.HTML(
                        value=note_html(
                            "Reload: its current values become the base and your edits stay in the fields. "
                            "Overwrite: your edits replace what was saved meanwhile."
                        )
                    ),
                    widgets.HBox([self.reload_button, self.overwrite_button]),
                ],
                layout=widgets.Layout(display="none"),
            ),
            "aonb-update-conflict",
        )
        self.delete_prompt = css(widgets.HTML(), "aonb-delete-prompt")
        self.delete_confirm = self._control(
            text_input("Confirm", "aonb-delete-confirm", placeholder="type the organization's name exactly"),
            picked,
        )
        self.delete_button = self._button(
            action_button("Delete", "aonb-delete-submit", style="danger", icon="trash"),
            self._delete_confirmed,
        )
        self.submit.on_click(lambda _button: self.save())
        self.reload_button.on_click(lambda _button: self.reload())
        self.overwrite_button.on_click(lambda _button: self.save(overwrite=True))
        self.delete_button.on_click(lambda _button: self.delete())
        on_enter(self.name_input, self.save)
        on_enter(self.delete_confirm, self._delete_on_enter)
        self._watch([self.picker], clears=self.lines, then=self._sync_pick)
        self._watch(
            [self.name_input, self.description_input, self.clear_description],
            clears=[self.save_line],
            then=self._edited,
        )
        self._watch([self.delete_confirm], clears=[self.delete_line], then=self._validate)
        self._set_rows(
            [
                self.picker,
                self.id_label,
                self.name_input,
                self.description_input,
                self.clear_description,
                self.server_note,
                self.hint,
                self.submit,
                *self.save_line.rows,
                self.conflict_box,
                section("Delete"),
                self.delete_prompt,
                self.delete_confirm,
                self.delete_button,
                *self.delete_line.rows,
            ],
            status_below=False,
        )

    # -- state -----------------------------------------------------------------------------

    @property
    def org_id(self) -> str | None:
        """The id of the picked organization, or None."""
        return self._base.id if self._base is not None else None

    @property
    def base(self) -> OrgEntry | None:
        """The picked organization as the server last gave it: edits are relative to it."""
        return self._base

    def open_org(self, org_id: str) -> bool:
        """Pick an organization and load its values (what a click on its row in Browse does).

        Selecting the organization already picked keeps its unsaved edits. Selecting another one
        discards them, and the Save line says so. (Not ``open``: ``ipywidgets.Widget.open`` opens
        the widget's comm.)

        Args:
            org_id: the organization's id (from the shared snapshot).

        Returns:
            False when ignored because an action is running.

        Raises:
            ValueError: no organization with this id in the snapshot.
        """
        if self.busy:
            return False
        entry = self.snapshot.find_org(org_id)
        if entry is None:
            raise ValueError(f"no organization with id {org_id!r}")
        with self.quietly():
            self.picker.select(org_id)
        if self._base is not None and self._base.id == org_id:
            return True
        discarded = self._base if self.changes() else None
        for line in self.lines:
            line.clear()
        self._load(entry)
        if discarded is not None:
            self.save_line.set_status(
                "warn", f"your unsaved edits to “{visible(discarded.name)}” were discarded"
            )
        return True

    def changes(self) -> dict[str, Any]:
        """What Save would send: ``name`` and/or ``description`` or ``clear_description``."""
        base = self._base
        if base is None:
            return {}
        changes: dict[str, Any] = {}
        if self.name_input.value != base.name:
            changes["name"] = self.name_input.value
        if self.clear_description.value:
            if base.description:
                changes["clear_description"] = True
        elif self.description_input.value != base.description and self.description_input.value:
            changes["description"] = self.description_input.value
        return changes

    def problems(self) -> tuple[list[Problem], list[str]]:
        """The current ``(problems, warnings)``; "nothing to change" is a (neutral) problem."""
        base = self._base
        if base is None:
            return [(None, "pick an organization")], []
        problems: list[Problem] = []
        warnings: list[str] = []
        if self.name_input.value != base.name:
            errors, warnings = check_name(self.name_input.value, self.snapshot, except_id=base.id)
            problems += [(self.name_input, e) for e in errors]
        if not self.clear_description.value:
            problems += [
                (self.description_input, e) for e in check_description(self.description_input.value)[0]
            ]
            if base.description and not self.description_input.value:
                problems.append(
                    (self.description_input, "to clear the description, tick “clear the description”")
                )
        if not problems and not self.changes():
            problems.append((None, NOTHING_TO_CHANGE))
        return problems, warnings

    def conflicts(self) -> dict[str, str]:
        """Fields changed both on the server and here: field -> the server's value now."""
        base = self._base
        if base is None:
            return {}
        return {f: getattr(base, f) for f in _FIELDS if f in self._conflicts and self._differs(f, base)}

    def _differs(self, field: str, entry: OrgEntry) -> bool:
        """Whether the field holds an edit relative to ``entry`` (a ticked clear box counts)."""
        if field == "name":
            return bool(self.name_input.value != entry.name)
        if self.clear_description.value:
            return bool(entry.description)
        return bool(self.description_input.value != entry.description)

    def _delete_confirmed(self) -> bool:
        # Exact code-point equality: no strip, no casefold, no normalisation
        # (docs/RELIABILITY.md, C15; docs/DESIGN.md, R32).
        return self._base is not None and self.delete_confirm.value == self._base.name

    # -- following the picker and the server -----------------------------------------------

    def _snapshot_changed(self, refreshed: bool) -> None:
        with self.quietly():
            self.picker.reload()
            self._sync_pick()

    def _sync_pick(self) -> None:
        """Bring the form in line with the pick and the snapshot's values of it."""
        entry = self.snapshot.find_org(self.picker.value)
        base = self._base
        if entry is None:
            if base is not None and self.snapshot.find_org(base.id) is None:
                self.save_line.set_status(
                    "warn", f"“{visible(base.name)}” is no longer on the server (deleted elsewhere)"
                )
            if base is not None or self.picker.value is None:
                self._load(None)
        elif base is None or entry.id != base.id:
            self._load(entry)
        elif entry != base:
            self._rebase(entry)
        else:
            self._validate()

    def _load(self, entry: OrgEntry | None) -> None:
        """Show ``entry``'s values, clean: no edit, nothing touched (the status lines stay)."""
        with self.quietly():
            self.name_input.value = entry.name if entry else ""
            self.description_input.value = entry.description if entry else ""
            self.clear_description.value = False
            self.delete_confirm.value = ""
        self._base = entry
        self._conflicts.clear()
        self._followed = []
        self._offer = False
        self._untouch()
        if entry is None:
            self.id_label.value = ""
            self.delete_prompt.value = note_html(CASCADE_WARNING)
        else:
            self.id_label.value = f"id: <code>{esc(entry.id)}</code>"
            self.delete_prompt.value = _delete_prompt(entry)
        self._validate()

    def _rebase(self, entry: OrgEntry) -> None:
        """The server's values moved: fields without an edit follow them, edits are kept."""
        base = self._base
        assert base is not None  # noqa: S101 - only called with a picked organization
        inputs = {"name": self.name_input, "description": self.description_input}
        with self.quietly():
            for field in _FIELDS:
                before, now = getattr(base, field), getattr(entry, field)
                if before == now:
                    continue
                if not self._differs(field, base):
                    inputs[field].value = now
                    self._followed.append(field)
                else:
                    self._conflicts.add(field)
        self._base = entry
        self.id_label.value = f"id: <code>{esc(entry.id)}</code>"
        self.delete_prompt.value = _delete_prompt(entry)
        self._validate()

    def _edited(self) -> None:
        self._followed = []
        self._validate()

    def _validate(self) -> None:
        problems, warnings = self.problems()
        self._render_hint(self.hint, problems, warnings)
        self.server_note.value = self._server_note()
        if self.save_line.status_kind != "error":
            self._offer = False
        self.conflict_box.layout.display = "flex" if self._offer else "none"
        self.refresh_buttons()

    def _server_note(self) -> str:
        """Fields changed on both sides (amber, marked), then fields that followed the server (grey)."""
        lines = []
        for field, now in self.conflicts().items():
            what = "Name" if field == "name" else "Description"
            clearing = field == "description" and self.clear_description.value
            ours = "you are clearing it" if clearing else "yours is kept"
            shown = f"“{visible(now)}”" if now else "empty"
            lines.append(
                f'<div class="aonb-update-server-line" style="color:#9a6700">⚠ {esc(what)}: changed on the '
                f"server to {esc(shown)} while you were editing; {ours} (Save replaces it)</div>"
            )
        if self._followed:
            lines.append(note_html(f"updated from the server: the {' and the '.join(self._followed)}"))
        return "".join(lines)

    # -- actions ---------------------------------------------------------------------------

    def save(self, *, overwrite: bool = False) -> bool:
        """Send the changed fields (what Save, Enter in the name field and Overwrite do).

        Args:
            overwrite: DANGEROUS: skip the stale check (what Overwrite does): the edits replace
                what someone else saved in those fields since the organization was loaded.

        Returns:
            True when the action started.
        """
        problems, _ = self.problems()
        base = self._base
        if problems or base is None:
            return self._refuse(self.save_line, problems, "pick an organization")
        changes = self.changes()
        frame = self.snapshot.orgs

        def action() -> ActionOutcome:
            outcome = _actions.update_org(self._client, base.id, base=frame, force=overwrite, **changes)
            if outcome.ok and overwrite:
                return ActionOutcome(
                    True, f"saved over the other change: {outcome.message}", outcome.detail, outcome.value
                )
            return outcome

        return self._run(
            action,
            busy_text=f"{'overwriting' if overwrite else 'updating'} “{visible(base.name)}”…",
            on_success=self._saved,
            on_failure=self._save_failed,
            line=self.save_line,
        )

    def _saved(self, outcome: ActionOutcome) -> None:
        if isinstance(outcome.value, Organization):
            self.snapshot.upsert_org(outcome.value)
        self._load(self.snapshot.find_org(self.org_id))

    def _save_failed(self, outcome: ActionOutcome) -> None:
        if (
            not isinstance(outcome.value, StalePlanError)
            or name_taken_only(outcome.value)
            or self._base is None
        ):
            return
        self._offer = True
        self.save_line.set_status(
            "error",
            f"not saved: someone changed “{visible(self._base.name)}” on the server since it was loaded; "
            "nothing was sent",
        )
        self.save_line.show_details("\n".join(outcome.value.drifted))
        self._validate()

    def reload(self) -> bool:
        """Read the picked organization from the server: its values become the base, the edits stay.

        Returns:
            True when the action started.
        """
        base = self._base
        if base is None:
            return self._refuse(self.save_line, [], "pick an organization")

        def reloaded(outcome: ActionOutcome) -> None:
            if isinstance(outcome.value, Organization):
                self.snapshot.upsert_org(outcome.value)
            self._offer = False
            tail = "check the marked field, then Save" if self.conflicts() else "Save to send them"
            self.save_line.set_status("ok", f"{outcome.message}: your edits are kept; {tail}")
            self._validate()

        return self._run(
            lambda: _actions.read_org(self._client, base.id),
            busy_text=f"reloading “{visible(base.name)}”…",
            on_success=reloaded,
            line=self.save_line,
        )

    def delete(self) -> bool:
        """Delete the picked organization if its name was typed exactly (what Delete does).

        Returns:
            True when the action started.
        """
        base = self._base
        if base is None or not self._delete_confirmed():
            self.delete_line.set_status(
                "error", "not deleted: type the organization's name exactly to confirm"
            )
            return False
        typed = self.delete_confirm.value
        frame = self.snapshot.orgs

        def deleted(_outcome: ActionOutcome) -> None:
            self.picker.select(None)
            self._load(None)
            self.snapshot.drop_org(base.id)

        def refused(outcome: ActionOutcome) -> None:
            if not isinstance(outcome.value, StalePlanError):
                return
            read = _actions.read_org(self._client, base.id)  # show what is there now
            if isinstance(read.value, Organization):
                self.snapshot.upsert_org(read.value)
                self.delete_confirm.value = ""
                self.delete_line.set_status(
                    "error",
                    f"not deleted: “{visible(base.name)}” was changed on the server since it was loaded; "
                    "its current values are shown now: confirm again to delete",
                )
                self._validate()

        return self._run(
            lambda: _actions.delete_org(self._client, base.id, typed, base.name, base=frame),
            busy_text=f"deleting “{visible(base.name)}”…",
            on_success=deleted,
            on_failure=refused,
            line=self.delete_line,
        )

    def _delete_on_enter(self) -> None:
        if self._delete_confirmed():  # Enter in an unconfirmed field does nothing
            self.delete()


def _delete_prompt(entry: OrgEntry) -> str:
    shown = visible(entry.name)
    note = ""
    if shown != entry.name:
        note = (
            f"<br>The name above holds invisible characters, {esc(LEGEND)}: "
            "they must be typed exactly (paste the name)."
        )
    return (
        '<div class="aonb-delete-warning" style="border-left:3px solid #b3261e;padding-left:6px">'
        f"<b>{esc(CASCADE_WARNING)}</b><br>"
        f"Organization <code>{esc(shown)}</code>, id <code>{esc(entry.id)}</code>.<br>"
        f"Type its name exactly to enable Delete.{note}</div>"
    )
