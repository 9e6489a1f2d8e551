"""``CreateOrgForm``: a name, a description, inline validation and a Create button (Enter creates too)."""

from __future__ import annotations

from arize_orgs_nb.models import Organization
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import Problem, SnapshotForm, action_button, field_note, on_enter, text_input
from arize_orgs_nb.widgets._validation import check_description, check_name

__all__ = ["NAME_REQUIRED", "CreateOrgForm"]

NAME_REQUIRED = "a name is required (unique in the account)"
"""The to-do shown while the name field is untouched and empty."""


class CreateOrgForm(SnapshotForm):
    """Create an organization.

    The Create button stays disabled while the name is blank, too long, holds invisible
    characters or is already taken (compared ignoring case against the snapshot), or the
    description is over 1000 characters. Enter in the name field creates too. The name is sent
    exactly as typed. After a success the fields are emptied and the success line stays until
    the next edit.

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        on_done: called with the outcome after a successful create.
        runner: how the action runs (default: a background thread).
    """

    TITLE = "Create an organization"
    CSS_CLASS = "aonb-create"
    STATUS_CLASS = "aonb-create-status"

    def _build(self) -> None:
        self.name_input = self._control(
            text_input("Name", "aonb-create-name", placeholder="unique in the account")
        )
        self.description_input = self._control(
            text_input(
                "Description",
                "aonb-create-description",
                placeholder="optional, up to 1000 characters",
                rows=3,
            )
        )
        self.hint = field_note("aonb-create-hint")
        self.submit = self._button(
            action_button("Create", "aonb-create-submit", icon="plus"), lambda: not self.problems()[0]
        )
        self.submit.on_click(lambda _button: self.create())
        on_enter(self.name_input, self.create)
        self._watch([self.name_input, self.description_input], clears=[self.line], then=self._validate)
        self._set_rows([self.name_input, self.description_input, self.hint, self.submit])

    def _snapshot_changed(self, refreshed: bool) -> None:
        self._validate()

    def problems(self) -> tuple[list[Problem], list[str]]:
        """The current ``(problems, warnings)`` of the inputs (a problem disables Create)."""
        name = self.name_input.value
        name_errors, name_warnings = check_name(name, self.snapshot)
        if not name and not self.touched(self.name_input):
            name_errors = [NAME_REQUIRED]
        description_errors, _ = check_description(self.description_input.value)
        problems = [(self.name_input, e) for e in name_errors]
        problems += [(self.description_input, e) for e in description_errors]
        return problems, name_warnings

    def _validate(self) -> None:
        problems, warnings = self.problems()
        self._render_hint(self.hint, problems, warnings)
        self.refresh_buttons()

    def create(self) -> bool:
        """Create the organization typed in (what the Create button and Enter do).

        Returns:
            True when the action started; False when the inputs are invalid or an action runs.
        """
        problems, _ = self.problems()
        if problems:
            self._refuse(self.line, problems, "")
            self._validate()
            return False
        name = self.name_input.value
        description = self.description_input.value
        base = self.snapshot.orgs
        return self._run(
            lambda: _actions.create_org(self._client, name, description, base=base),
            busy_text=f"creating “{name}”…",
            on_success=self._created,
        )

    def _created(self, outcome: ActionOutcome) -> None:
        """Runs quietly: the emptied fields are untouched again; the success line stays."""
        if isinstance(outcome.value, Organization):
            self.snapshot.upsert_org(outcome.value)
        self.name_input.value = ""
        self.description_input.value = ""
        self._untouch()
        self._validate()
