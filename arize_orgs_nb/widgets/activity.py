"""``ActivityView``: the Activity tab, the local journal grouped by apply, filtered, paged, undoable.

    ActivityView(client.journal.to_frame, journal=client.journal)   # what OrgAdminPanel shows

Every change this tool made from this machine (forms, reviewed plans, bulk applies), newest apply
first, each apply under a header row: when, what its plan was, how many changes and how many
failed, and an *Undo this apply* button. Values read as text (``description: “old” → “new”``,
in the :mod:`~arize_orgs_nb.visible` notation; nothing recorded is blank), ids are short with the
full id on hover, and the table has fixed columns in a container that scrolls sideways when the
panel is narrower. Filters: organization (name or id), operation, status; pages of
:data:`PAGE_ROWS` rows.

Undo never sends by itself: it shows the reverting plan (``client.journal.undo(apply_id)``) in a
:class:`~arize_orgs_nb.widgets.plan_review.PlanReview`, where Apply undo checks the account first.
If a colleague changed one of those organizations since, the undo is refused, naming it, and only
its explicit *Apply anyway* overwrites. Every server string is escaped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from arize_orgs_nb.bulk.apply import ApplyResult
from arize_orgs_nb.bulk.journal import ACTIVITY_WIDTHS, ApplyGroup, Journal, apply_groups
from arize_orgs_nb.tables import short_id
from arize_orgs_nb.widgets._base import Runner, _close_tree, css, fit, heading
from arize_orgs_nb.widgets._messages import describe_error, esc, status_html
from arize_orgs_nb.widgets.plan_review import PlanReview
from arize_orgs_nb.wording import counted

__all__ = ["ALL_OPS", "ALL_STATUSES", "PAGE_ROWS", "ActivityView", "activity_html"]

PLACEHOLDER = (
    "The journal of every change made from this machine will appear here: what was sent, when, "
    "and how it ended. It is not connected yet."
)

NOTE = (
    "Every change made by this tool from this machine (forms, reviewed plans, bulk applies), newest "
    "apply first, from the local journal: what was asked, how it ended, when. Changes made elsewhere "
    "(the Arize UI, other keys or machines) are not listed."
)

PAGE_ROWS = 50
"""Journal rows per page of the Activity tab."""

ALL_OPS, ALL_STATUSES = "all operations", "all statuses"
"""The "no filter" choices of the operation and status filters."""


def activity_html(frame: pd.DataFrame) -> str:
    """A frame that is not the journal's (an ``activity_frame`` hook of one's own), as an escaped table.

    Args:
        frame: any frame; missing values are blank.

    Returns:
        HTML (a note when the frame is empty).
    """
    if not len(frame):
        return "<i>no activity yet</i>"
    shown = frame.astype(object).where(frame.notna(), "")  # None as blank, like NaN
    return str(shown.to_html(index=False, escape=True, border=0, classes="aonb-activity-table"))


class ActivityView(widgets.VBox):
    """The Activity tab: the journal's frame grouped by apply, with filters, pages and Undo per apply.

    Attributes:
        frame: the frame last read (all rows, newest apply first).
        page: the page shown (0-based).
        undo_review: the review of the last undo asked for, if any.

    Args:
        activity_frame: returns the activity (``client.journal.to_frame``); None shows a
            placeholder. A frame without the journal's columns is shown as a plain table.
        journal: where Undo builds its plans (``client.journal``); None: no Undo buttons.
        runner: how an undo's apply runs (default: a background thread).
        page_rows: journal rows per page.
        on_undone: called with the result of each undo applied from here, after the tab refreshed
            (the panel drains the account again); what it raises is shown on the status line.
        clock: the monotonic clock of the undo reviews' wait countdown (tests inject one).
        wall_clock: Unix time, for their "resumes at".
        tick: seconds between two refreshes of their countdown.
    """

    def __init__(
        self,
        activity_frame: Callable[[], pd.DataFrame] | None = None,
        *,
        journal: Journal | None = None,
        runner: Runner | None = None,
        page_rows: int = PAGE_ROWS,
        on_undone: Callable[[ApplyResult], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
        tick: float = 1.0,
    ) -> None:
        super().__init__()
        if page_rows < 1:
            raise ValueError("page_rows must be at least 1")
        self.activity_frame = activity_frame
        self.journal = journal
        self.runner = runner
        self.page_rows = page_rows
        self.on_undone = on_undone
        self._review_options: dict[str, Any] = {"clock": clock, "wall_clock": wall_clock, "tick": tick}
        self.frame = pd.DataFrame()
        self.page = 0
        self.undo_review: PlanReview | None = None
        self.undo_buttons: dict[str, Any] = {}
        self._groups: dict[str, ApplyGroup] = {}

        self.output = css(widgets.Output(), "aonb-activity-output")
        self.note = css(widgets.HTML(), "aonb-activity-note")
        self.org_filter = css(
            widgets.Text(
                placeholder="organization name or id",
                description="Organization",
                continuous_update=True,
                layout=widgets.Layout(width="300px"),
                style={"description_width": "90px"},
            ),
            "aonb-activity-org-filter",
        )
        self.op_filter = css(
            widgets.Dropdown(options=[ALL_OPS], value=ALL_OPS, layout=widgets.Layout(width="160px")),
            "aonb-activity-op-filter",
        )
        self.status_filter = css(
            widgets.Dropdown(
                options=[ALL_STATUSES], value=ALL_STATUSES, layout=widgets.Layout(width="140px")
            ),
            "aonb-activity-status-filter",
        )
        self.refresh_button = css(
            widgets.Button(description="Refresh", icon="refresh", layout=fit()), "aonb-activity-refresh"
        )
        self.newer_button = css(
            widgets.Button(description="Newer", icon="chevron-left", layout=fit()), "aonb-activity-newer"
        )
        self.older_button = css(
            widgets.Button(description="Older", icon="chevron-right", layout=fit()), "aonb-activity-older"
        )
        self.page_label = css(widgets.HTML(), "aonb-activity-page")
        self.count = css(widgets.HTML(), "aonb-activity-count")
        self.status = css(widgets.HTML(), "aonb-activity-status-line")
        self.undo_area = css(widgets.VBox(), "aonb-activity-undo-area")
        self.table = css(widgets.HTML(), "aonb-activity-html")
        self.groups = css(widgets.VBox(), "aonb-activity-groups")
        self.list = css(
            widgets.VBox(
                [self.table, self.groups], layout=widgets.Layout(overflow="auto hidden", width="100%")
            ),
            "aonb-activity-list",
        )
        self.filters = widgets.HBox(
            [self.org_filter, self.op_filter, self.status_filter, self.refresh_button]
        )
        self.pager = widgets.HBox([self.newer_button, self.page_label, self.older_button, self.count])

        self.refresh_button.on_click(lambda _button: self.refresh())
        self.newer_button.on_click(lambda _button: self.go(self.page - 1))
        self.older_button.on_click(lambda _button: self.go(self.page + 1))
        for control in (self.org_filter, self.op_filter, self.status_filter):
            control.observe(self._filter_changed, "value")
        self.children = (
            heading("Activity"),
            self.output,
            self.note,
            self.filters,
            self.pager,
            self.status,
            self.undo_area,
            self.list,
        )
        css(self, "aonb-activity")
        self.refresh()

    def __repr__(self) -> str:
        return f"<ActivityView {len(self.frame)} rows>"

    # -- reading ---------------------------------------------------------------------------

    @property
    def is_journal(self) -> bool:
        """True when the frame has the journal's columns (grouped, filtered, undoable)."""
        return "apply_id" in self.frame.columns

    def refresh(self) -> None:
        """Read the activity again and show it (filters and page kept where they still apply)."""
        if self.activity_frame is None:
            for box in (self.filters, self.pager):
                box.layout.display = "none"
            self.output.outputs = ({"output_type": "stream", "name": "stdout", "text": PLACEHOLDER + "\n"},)
            return
        self.output.outputs = ()
        self.note.value = f'<span style="color:#666">{esc(NOTE)}</span>'
        try:
            self.frame = self.activity_frame()
        except Exception as error:  # a hook of someone else's: show it, do not break the panel
            self.frame = pd.DataFrame()
            self._set_status("error", describe_error(error)[0])
            self.table.value = ""
            self.groups.children = ()
            return
        self._set_status("idle", "")
        journal = self.is_journal
        for box in (self.filters, self.pager):
            box.layout.display = None if journal else "none"
        if journal:
            self._set_options(self.op_filter, ALL_OPS, "op")
            self._set_options(self.status_filter, ALL_STATUSES, "status")
        self.render()

    def _set_options(self, dropdown: Any, everything: str, column: str) -> None:  # noqa: ANN401
        values = sorted({str(v) for v in self.frame[column].dropna()}) if column in self.frame.columns else []
        kept = dropdown.value if dropdown.value in values else everything
        dropdown.unobserve(self._filter_changed, "value")
        try:
            dropdown.options = [everything, *values]
            dropdown.value = kept
        finally:
            dropdown.observe(self._filter_changed, "value")

    def rows(self) -> pd.DataFrame:
        """The journal rows the filters keep, newest apply first (all rows, every page).

        The organization filter matches a part of the name (ignoring case; a rename's new name
        too) or the exact id.
        """
        frame = self.frame
        if not self.is_journal or not len(frame):
            return frame
        keep = pd.Series(True, index=frame.index)
        wanted = self.org_filter.value.strip()
        if wanted:
            folded = wanted.casefold()
            names = frame["organization"].fillna("").astype(str).str.casefold()
            new_names = (
                frame["after"].fillna("").astype(str).str.casefold().where(frame["op"] == "rename", "")
            )
            ids = frame["organization_id"].fillna("").astype(str)
            named = names.str.contains(folded, regex=False) | new_names.str.contains(folded, regex=False)
            keep &= named | (ids == wanted)
        if self.op_filter.value != ALL_OPS:
            keep &= frame["op"] == self.op_filter.value
        if self.status_filter.value != ALL_STATUSES:
            keep &= frame["status"] == self.status_filter.value
        return frame[keep]

    @property
    def pages(self) -> int:
        """How many pages the filtered rows fill (at least 1)."""
        return max(1, -(-len(self.rows()) // self.page_rows))

    def go(self, page: int) -> None:
        """Show a page (0-based, clamped to the pages there are).

        Args:
            page: the page.
        """
        self.page = min(max(0, page), self.pages - 1)
        self.render()

    def _filter_changed(self, _change: Any) -> None:  # noqa: ANN401
        self.page = 0
        self.render()

    # -- rendering -------------------------------------------------------------------------

    def render(self) -> None:
        """Show the current page: one header row per apply, then its rows."""
        if not self.is_journal:
            self.table.value = activity_html(self.frame)
            self.groups.children = ()
            return
        self.table.value = ""
        if not len(self.frame):
            self.table.value = "<i>no activity yet</i>"
            self._close_groups()
            self._pager(0)
            return
        rows = self.rows()
        self.page = min(self.page, self.pages - 1)
        shown = rows.iloc[self.page * self.page_rows : (self.page + 1) * self.page_rows]
        self._groups = {g.apply_id: g for g in apply_groups(self.frame)}
        users = "user" in shown.columns and bool(shown["user"].notna().any())
        blocks = []
        self._close_groups()
        for part in apply_groups(shown):
            blocks.append(self._block(self._groups[part.apply_id], part.rows, users))
        self.groups.children = tuple(blocks)
        if not blocks:
            self.table.value = '<i style="color:#666">no change matches the filters</i>'
        self._pager(len(rows))

    def _block(self, group: ApplyGroup, rows: pd.DataFrame, users: bool) -> Any:  # noqa: ANN401
        button = css(
            widgets.Button(
                description="Undo this apply",
                icon="undo",
                tooltip=f"review the plan that reverts apply {group.apply_id}, then apply it",
                disabled=self.journal is None or not group.undoable,
                layout=widgets.Layout(
                    width="max-content", flex="0 0 auto", display=None if self.journal else "none"
                ),
            ),
            "aonb-activity-undo",
        )
        button.on_click(lambda _button, apply_id=group.apply_id: self.undo(apply_id))
        self.undo_buttons[group.apply_id] = button
        when, plan, changes, apply_id = group.headline_parts()
        color = "#b3261e" if group.count("failed") else "inherit"
        shown = f" · showing {len(rows)} of its {len(group.rows)} rows" if len(rows) < len(group.rows) else ""
        markup = (
            f'<div style="line-height:1.4"><b>{esc(when)}</b> · {esc(plan)} · '
            f'<b style="color:{color}">{esc(changes)}</b>{esc(shown)} · '
            f'<span style="color:#666" title="{esc(group.apply_id)}">{esc(apply_id)}</span></div>'
        )
        head = css(
            widgets.HBox(
                [widgets.HTML(value=markup, layout=widgets.Layout(flex="1 1 auto", width="auto")), button],
                layout=widgets.Layout(
                    align_items="center", border_top="1px solid #ddd", margin="8px 0 0 0", width="100%"
                ),
            ),
            "aonb-activity-apply",
        )
        table = widgets.HTML(value=group.html(rows, users=users))
        width = sum(px for column, px in ACTIVITY_WIDTHS.items() if users or column != "user")
        return css(  # as wide as its table: the header wraps above it, the list scrolls sideways
            widgets.VBox([head, table], layout=widgets.Layout(width=f"{width}px", flex="0 0 auto")),
            "aonb-activity-group",
        )

    def _close_groups(self) -> None:
        for block in self.groups.children:
            _close_tree(block)
        self.groups.children = ()
        self.undo_buttons = {}

    def _pager(self, matching: int) -> None:
        pages = self.pages
        self.newer_button.disabled = self.page == 0
        self.older_button.disabled = self.page >= pages - 1
        self.page_label.value = esc(f"page {self.page + 1} of {pages}")
        applies = self.rows()["apply_id"].nunique() if matching else 0
        changes = counted(matching, "change")
        text = f"{changes} in {counted(applies, 'apply', 'applies')}"
        if matching != len(self.frame):
            text += f" (of {len(self.frame)} in the journal)"
        self.count.value = f'<span style="color:#666">&nbsp;{esc(text)}</span>'

    def _set_status(self, kind: str, text: str) -> None:
        self.status.value = status_html(kind, text) if text else ""

    # -- undo ------------------------------------------------------------------------------

    def undo(self, apply_id: str) -> bool:
        """Show the plan that reverts one apply, to review and apply (what *Undo this apply* does).

        Nothing is sent here: the review's Apply undo checks the account first, and a change a
        colleague made since refuses it, naming the organization (its *Apply anyway* overwrites).

        Args:
            apply_id: the apply (the ``apply_id`` column of the journal).

        Returns:
            True when the undo's review is shown.
        """
        if self.journal is None:
            self._set_status("error", "no journal: nothing can be undone here")
            return False
        try:
            plan = self.journal.undo(apply_id)
        except Exception as error:  # an unreadable journal, an unknown id: shown, nothing sent
            self._set_status("error", f"cannot undo apply {short_id(apply_id)}: {describe_error(error)[0]}")
            return False
        group = self._groups.get(apply_id)
        started = group.started if group is not None else None
        when = f" of {started.strftime('%Y-%m-%d %H:%M:%S UTC')}" if started is not None else ""
        if self.undo_review is not None:
            self.undo_review.close()
        self.undo_review = PlanReview(
            plan,
            runner=self.runner,
            journal=self.journal,
            title=f"Undo apply {short_id(apply_id)}{when}: the plan that reverts it (sent by Apply undo)",
            on_done=self._undone,
            **self._review_options,
        )
        self.undo_area.children = (self.undo_review,)
        self._set_status("idle", "")
        return True

    def _undone(self, result: ApplyResult) -> None:
        self.refresh()
        if self.on_undone is None:
            return
        try:
            self.on_undone(result)
        except Exception as error:  # the undo itself is done and shown: say what did not follow
            self._set_status(
                "warn", f"undone; but updating the other tabs failed: {describe_error(error)[0]}"
            )

    # -- offline ---------------------------------------------------------------------------

    def text(self) -> str:
        """The page shown, as plain text (the notebook's ``text/plain``; docs/DESIGN.md, R35)."""
        lines = ["Activity (interactive: run the notebook to filter, page and undo)"]
        if not self.is_journal:
            lines.append(
                self.frame.to_string(index=False, na_rep="") if len(self.frame) else "no activity yet"
            )
            return "\n".join(lines)
        shown = self.rows().iloc[self.page * self.page_rows : (self.page + 1) * self.page_rows]
        for part in apply_groups(shown):
            group = self._groups.get(part.apply_id, part)
            lines += ["", group.headline(), ApplyGroup(part.apply_id, part.rows).text()]
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:  # noqa: ANN401
        bundle: dict[str, Any] | None = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.text()
        return bundle

    def close(self) -> None:
        """Close this view and every widget in it."""
        for child in self.children:
            _close_tree(child)
        super().close()
