"""``UpdateOrgForm``: pick an organization, edit its name or description, or delete it."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.models import Organization
from arize_orgs_nb.visible import LEGEND
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, OnDone, Runner, css, fit, heading, label, wide
from arize_orgs_nb.widgets._messages import esc, visible
from arize_orgs_nb.widgets._pickers import Picker, org_choices
from arize_orgs_nb.widgets._snapshot import OrgEntry, Snapshot
from arize_orgs_nb.widgets._validation import check_description, check_name
from arize_orgs_nb.widgets.create_org import hint_html

__all__ = ["CASCADE_WARNING", "UpdateOrgForm"]

CASCADE_WARNING = (
    "Deleting an organization deletes all of its spaces and everything in them. This cannot be undone."
)


class UpdateOrgForm(FormView):
    """Rename an organization, change or clear its description, or delete it.

    The fields are prefilled with the picked organization's current values and only the changed
    fields are sent. Clearing the description needs the explicit "clear the description" box (an
    emptied field alone is refused, so a stray select-all + delete cannot wipe it). Delete stays
    disabled until the organization's name is typed exactly (code points, case included); the
    prompt shows the id and the cascade warning.

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        on_done: called with the outcome after a successful update or delete.
        runner: how actions run (default: a background thread).
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        on_done: OnDone | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(
            client, title="Update an organization", css_class="aonb-update", runner=runner, on_done=on_done
        )
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self._current: OrgEntry | None = None
        self.picker = Picker(
            org_choices(self.snapshot),
            description="Organization",
            placeholder="type part of a name (or an id)",
            css_prefix="aonb-update-org",
        )
        self.id_label = css(widgets.HTML(), "aonb-update-id")
        self.name_input = css(
            widgets.Text(
                description="Name", continuous_update=True, disabled=True, layout=wide(), style=label()
            ),
            "aonb-update-name",
        )
        self.description_input = css(
            widgets.Textarea(description="Description", disabled=True, rows=3, layout=wide(), style=label()),
            "aonb-update-description",
        )
        self.clear_description = css(
            widgets.Checkbox(
                description="clear the description", value=False, indent=True, disabled=True, layout=fit()
            ),
            "aonb-update-clear",
        )
        self.hint = css(widgets.HTML(), "aonb-update-hint")
        self.submit = css(
            widgets.Button(
                description="Save changes", button_style="primary", icon="check", disabled=True, layout=fit()
            ),
            "aonb-update-submit",
        )
        self.delete_prompt = css(widgets.HTML(), "aonb-delete-prompt")
        self.delete_confirm = css(
            widgets.Text(
                description="Confirm",
                placeholder="type the organization's name exactly",
                continuous_update=True,
                disabled=True,
                layout=wide(),
                style=label(),
            ),
            "aonb-delete-confirm",
        )
        self.delete_button = css(
            widgets.Button(
                description="Delete", button_style="danger", icon="trash", disabled=True, layout=fit()
            ),
            "aonb-delete-submit",
        )
        self._button(self.submit, lambda: self._current is not None and not self.problems()[0])
        self._button(self.delete_button, self._delete_confirmed)
        self.submit.on_click(lambda _button: self.save())
        self.delete_button.on_click(lambda _button: self.delete())
        self.picker.on_change(lambda _id: self._prefill())
        for field in (self.name_input, self.description_input, self.clear_description, self.delete_confirm):
            field.observe(self._validate, "value")
        self._add_cleanup(self.snapshot.subscribe(lambda _s: self._snapshot_changed()))
        self._set_rows(
            [
                self.picker,
                self.id_label,
                self.name_input,
                self.description_input,
                self.clear_description,
                self.hint,
                self.submit,
                heading("Delete"),
                self.delete_prompt,
                self.delete_confirm,
                self.delete_button,
            ]
        )
        self._report_load_error(self.snapshot.load(), "the organizations")
        self.picker.reload()
        self._prefill()

    def open_org(self, org_id: str) -> None:
        """Pick one organization by id and prefill the form (what a click on a Browse row does).

        Raises:
            ValueError: no such organization.
        """
        self.picker.search.value = org_id  # narrows the list to it, even past the options shown
        self.picker.select(org_id)

    # -- state -----------------------------------------------------------------------------

    @property
    def org_id(self) -> str | None:
        """The id of the picked organization, or None."""
        return self._current.id if self._current is not None else None

    def changes(self) -> dict[str, Any]:
        """What Save would send: ``name`` and/or ``description`` or ``clear_description``."""
        current = self._current
        if current is None:
            return {}
        changes: dict[str, Any] = {}
        if self.name_input.value != current.name:
            changes["name"] = self.name_input.value
        if self.clear_description.value:
            if current.description:
                changes["clear_description"] = True
        elif self.description_input.value != current.description and self.description_input.value:
            changes["description"] = self.description_input.value
        return changes

    def problems(self) -> tuple[list[str], list[str]]:
        """The current ``(errors, warnings)``; "nothing to change" counts as an error."""
        current = self._current
        if current is None:
            return ["pick an organization"], []
        errors: list[str] = []
        warnings: list[str] = []
        if self.name_input.value != current.name:
            errors, warnings = check_name(self.name_input.value, self.snapshot, except_id=current.id)
        if not self.clear_description.value:
            errors += check_description(self.description_input.value)[0]
            if current.description and not self.description_input.value:
                errors.append("to clear the description, tick “clear the description”")
        if not errors and not self.changes():
            errors.append("nothing to change yet")
        return errors, warnings

    def _delete_confirmed(self) -> bool:
        # Exact code-point equality: no strip, no casefold, no normalisation
        # (docs/RELIABILITY.md, C15; docs/DESIGN.md, R32).
        return self._current is not None and self.delete_confirm.value == self._current.name

    def _snapshot_changed(self) -> None:
        self.picker.reload()
        entry = self.snapshot.find_org(self.picker.value)
        if entry != self._current:
            self._prefill()

    def _prefill(self) -> None:
        entry = self.snapshot.find_org(self.picker.value)
        self._current = entry
        enabled = entry is not None
        for field in (self.name_input, self.description_input, self.clear_description, self.delete_confirm):
            field.disabled = not enabled
        self.name_input.value = entry.name if entry else ""
        self.description_input.value = entry.description if entry else ""
        self.clear_description.value = False
        self.delete_confirm.value = ""
        if entry is None:
            self.id_label.value = ""
            self.delete_prompt.value = f'<div style="color:#666">{esc(CASCADE_WARNING)}</div>'
        else:
            self.id_label.value = f"id: <code>{esc(entry.id)}</code>"
            self.delete_prompt.value = _delete_prompt(entry)
        self._validate()

    def _validate(self, _change: Any = None) -> None:  # noqa: ANN401
        self.description_input.disabled = self._current is None or bool(self.clear_description.value)
        errors, warnings = self.problems()
        quiet = self._current is None or errors == ["nothing to change yet"]
        self.hint.value = hint_html(errors, warnings, quiet=quiet)
        self.refresh_buttons()

    # -- actions ---------------------------------------------------------------------------

    def save(self) -> bool:
        """Send the changed fields (what Save does).

        Returns:
            True when the action started.
        """
        errors, _ = self.problems()
        current = self._current
        if errors or current is None:
            self.set_status("error", errors[0] if errors else "pick an organization")
            return False
        changes = self.changes()
        base = self.snapshot.orgs
        return self._run(
            lambda: _actions.update_org(self._client, current.id, base=base, **changes),
            busy_text=f"updating “{current.name}”…",
            on_success=self._updated,
        )

    def _updated(self, outcome: ActionOutcome) -> None:
        if isinstance(outcome.value, Organization):
            self.snapshot.upsert_org(outcome.value)

    def delete(self) -> bool:
        """Delete the picked organization if its name was typed exactly (what Delete does).

        Returns:
            True when the action started.
        """
        current = self._current
        if current is None or not self._delete_confirmed():
            self.set_status("error", "not deleted: type the organization's name exactly to confirm")
            return False
        typed = self.delete_confirm.value
        base = self.snapshot.orgs
        return self._run(
            lambda: _actions.delete_org(self._client, current.id, typed, current.name, base=base),
            busy_text=f"deleting “{current.name}”…",
            on_success=lambda _outcome: self.snapshot.drop_org(current.id),
        )


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
