"""``OrgAdminPanel``: Browse | Create | Update | Members | Activity, on one client and one snapshot."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import Runner, css
from arize_orgs_nb.widgets._messages import describe_error, esc
from arize_orgs_nb.widgets._snapshot import Snapshot
from arize_orgs_nb.widgets.activity import ActivityView
from arize_orgs_nb.widgets.create_org import CreateOrgForm
from arize_orgs_nb.widgets.member_role import KnownRoles, MemberRoleForm
from arize_orgs_nb.widgets.table import OrgTable
from arize_orgs_nb.widgets.update_org import UpdateOrgForm

__all__ = ["TAB_TITLES", "OrgAdminPanel"]

TAB_TITLES = ("Browse", "Create", "Update", "Members", "Activity")


class OrgAdminPanel(widgets.VBox):
    """Every form in tabs (Browse | Create | Update | Members | Activity), sharing one snapshot.

    After any form succeeds the snapshot is patched, so the table, the pickers and the duplicate
    check see the change at once (no re-drain); Refresh in Browse drains again.

    Args:
        client: the client every form uses (its key is never shown or synced).
        snapshot: a shared snapshot (made, and drained, if None).
        runner: how actions run (default: a background thread per action).
        page_size: rows per page in Browse.
        known_roles: the Members tab's last-known-role source (default: the client's journal).
        activity_frame: the Activity tab's frame (default: ``client.journal.to_frame``).
        on_done: called with the outcome after any successful change.
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        runner: Runner | None = None,
        page_size: int = 25,
        known_roles: KnownRoles | None = None,
        activity_frame: Callable[[], pd.DataFrame] | None = None,
        on_done: Callable[[ActionOutcome], None] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self.on_done = on_done
        error = self.snapshot.load(users=True)
        self.table = OrgTable(
            client,
            snapshot=self.snapshot,
            page_size=page_size,
            runner=runner,
            on_open=self.open_org,
            on_applied=self.after_change,
        )
        self.create = CreateOrgForm(client, snapshot=self.snapshot, runner=runner, on_done=self.after_change)
        self.update = UpdateOrgForm(client, snapshot=self.snapshot, runner=runner, on_done=self.after_change)
        self.members = MemberRoleForm(
            client, snapshot=self.snapshot, runner=runner, on_done=self.after_change, known_roles=known_roles
        )
        self.activity = ActivityView(
            activity_frame if activity_frame is not None else client.journal.to_frame,
            journal=client.journal,
            runner=runner,
            on_undone=lambda _result: self.snapshot.refresh(),  # an undo changed the account
        )
        self.tabs = css(
            widgets.Tab(
                children=(self.table, self.create, self.update, self.members, self.activity),
                titles=TAB_TITLES,
            ),
            "aonb-tabs",
        )
        self.header = css(widgets.HTML(value=self._header(error)), "aonb-panel-header")
        self.children = (self.header, self.tabs)
        css(self, "aonb-panel")

    def _header(self, error: BaseException | None) -> str:
        text = f"Connected to {self.client.target}"
        line = f'<span style="color:#666">{esc(text)}</span>'
        if error is not None:
            line += f'<br><span style="color:#b3261e">✖ {esc(describe_error(error)[0])}</span>'
        return line

    def select(self, title: str) -> None:
        """Show a tab by title (``"Browse"``, ``"Create"``, ...)."""
        self.tabs.selected_index = TAB_TITLES.index(title)

    def open_org(self, org_id: str, tab: str = "Update") -> None:
        """Show one organization in the Update or Members tab (what a click on a Browse row does).

        Args:
            org_id: its id.
            tab: ``"Update"`` or ``"Members"``.
        """
        if tab == "Members":
            self.members.open_org(org_id=org_id)
        else:
            self.update.open_org(org_id)
        self.select(tab)

    def edited_frame(self) -> pd.DataFrame:
        """The Browse grid's edits as the frame ``client.organizations.plan`` reads (see ``OrgTable``)."""
        return self.table.edited_frame()

    def load_frame(self, frame: pd.DataFrame) -> int:
        """Load a frame edited in code into the Browse grid as edits, checked by the plan's rules.

        Nothing is sent: review the edits in Browse (or call ``panel.table.review()``).

        Args:
            frame: the edited organizations (``id, name, description`` and optional ``delete``).

        Returns:
            How many changes were loaded.

        Raises:
            PlanValidationError: every broken rule, row by row; the grid is left unchanged.
        """
        changes = self.table.load_frame(frame)
        self.select("Browse")
        return changes

    def after_change(self, outcome: ActionOutcome) -> None:
        """Bring the table and the activity up to date after a form's success (forms' ``on_done``).

        The form has already patched the shared snapshot; this re-renders the table and the
        Activity tab, then calls the panel's own ``on_done``.

        Args:
            outcome: the form's outcome.
        """
        self.table.render()
        self.activity.refresh()
        if self.on_done is not None:
            self.on_done(outcome)

    def close(self) -> None:
        """Close every form (they stop listening to the snapshot) and the panel."""
        for form in (self.table, self.create, self.update, self.members):
            form.close()
        for child in (self.activity, self.tabs, self.header):
            child.close()
        super().close()
