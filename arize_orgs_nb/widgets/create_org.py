"""``CreateOrgForm``: a name, a description, inline validation and a Create button."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.models import Organization
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, OnDone, Runner, css, fit, label, wide
from arize_orgs_nb.widgets._messages import esc
from arize_orgs_nb.widgets._snapshot import Snapshot
from arize_orgs_nb.widgets._validation import check_description, check_name

__all__ = ["CreateOrgForm", "hint_html"]


def hint_html(errors: list[str], warnings: list[str], *, quiet: bool = False) -> str:
    """Render validation errors (red) and warnings (amber) as escaped HTML lines.

    Args:
        errors: blocking problems.
        warnings: shown only.
        quiet: render errors in grey (a form that was not typed into yet).

    Returns:
        HTML, or ``""`` when there is nothing to say.
    """
    color = "#666" if quiet else "#b3261e"
    lines = [f'<div style="color:{color}">✖ {esc(e)}</div>' for e in errors]
    lines += [f'<div style="color:#9a6700">⚠ {esc(w)}</div>' for w in warnings]
    return "".join(lines)


class CreateOrgForm(FormView):
    """Create an organization.

    The Create button stays disabled while the name is blank, too long, holds invisible
    characters or is already taken (compared ignoring case against the snapshot), or the
    description is over 1000 characters. The name is sent exactly as typed.

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        on_done: called with the outcome after a successful create.
        runner: how the action runs (default: a background thread).
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
            client, title="Create an organization", css_class="aonb-create", runner=runner, on_done=on_done
        )
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self.name_input = css(
            widgets.Text(
                description="Name",
                placeholder="unique in the account",
                continuous_update=True,
                layout=wide(),
                style=label(),
            ),
            "aonb-create-name",
        )
        self.description_input = css(
            widgets.Textarea(
                description="Description",
                placeholder="optional, up to 1000 characters",
                rows=3,
                layout=wide(),
                style=label(),
            ),
            "aonb-create-description",
        )
        self.hint = css(widgets.HTML(), "aonb-create-hint")
        self.submit = css(
            widgets.Button(
                description="Create", button_style="primary", icon="plus", disabled=True, layout=fit()
            ),
            "aonb-create-submit",
        )
        self._button(self.submit, lambda: not self.problems()[0])
        self.submit.on_click(lambda _button: self.create())
        self.name_input.observe(self._validate, "value")
        self.description_input.observe(self._validate, "value")
        self._add_cleanup(self.snapshot.subscribe(lambda _s: self._validate()))
        self._set_rows([self.name_input, self.description_input, self.hint, self.submit])
        self._report_load_error(self.snapshot.load(), "the organizations")
        self._validate()

    def problems(self) -> tuple[list[str], list[str]]:
        """The current ``(errors, warnings)`` of the inputs."""
        name_errors, name_warnings = check_name(self.name_input.value, self.snapshot)
        description_errors, _ = check_description(self.description_input.value)
        return name_errors + description_errors, name_warnings

    def _validate(self, _change: Any = None) -> None:  # noqa: ANN401
        errors, warnings = self.problems()
        self.hint.value = hint_html(errors, warnings, quiet=not self.name_input.value)
        self.refresh_buttons()

    def create(self) -> bool:
        """Create the organization typed in (what the Create button does).

        Returns:
            True when the action started; False when the inputs are invalid or an action runs.
        """
        errors, _ = self.problems()
        if errors:
            self.set_status("error", errors[0])
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
        if isinstance(outcome.value, Organization):
            self.snapshot.upsert_org(outcome.value)
        self.name_input.value = ""
        self.description_input.value = ""
