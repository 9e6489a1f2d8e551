"""``OrgTable``: the Browse tab. A grid of the organizations to filter, sort, page, open and edit.

Edits made in the grid (names, descriptions, delete marks, new rows) are only kept here until
*Review N changes* plans them with ``client.organizations.plan(edited, base=...)``, the engine
of bulk edits: every rule is checked, the plan review shows exactly those changes, deletes need
their confirmation there, and nothing is sent until Apply. After the apply the grid shows the
new values; *Discard* forgets the edits (docs/DESIGN.md, R36).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from arize_orgs_nb.bulk.apply import ApplyResult
from arize_orgs_nb.bulk.changes import Op
from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.errors import OrgsNbError, PlanValidationError
from arize_orgs_nb.frames import org_row
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, OnDone, Runner, css, fit, label
from arize_orgs_nb.widgets._grid_edits import NEW_PREFIX, GridEdits
from arize_orgs_nb.widgets._grid_rows import COLUMNS, FIELDS, RowIndex, cell, short_id
from arize_orgs_nb.widgets._messages import describe_error, esc, visible
from arize_orgs_nb.widgets._snapshot import Snapshot
from arize_orgs_nb.widgets._validation import check_description, check_name
from arize_orgs_nb.widgets.grid import PAGE_SIZES, GridEvent, OrgGrid
from arize_orgs_nb.widgets.plan_review import PlanReview
from arize_orgs_nb.wording import counted

__all__ = ["EDIT_HINT", "OnOpen", "OrgTable"]

OnOpen = Callable[[str, str], None]
"""Called with ``(organization id, "Update" | "Members")`` when a row is opened."""

EDIT_HINT = "click a row to open it · double-click a name or description to edit it"

_SORTABLE = {key for key, _ in COLUMNS}


class _ThenRunner:
    """Runs each job through ``inner``, then ``after()``, sets ``idle``, then ``idle_then()``: one thread."""

    def __init__(
        self, inner: Runner, after: Callable[[], None], idle: threading.Event, idle_then: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._after = after
        self._idle = idle
        self._idle_then = idle_then

    def submit(self, job: Callable[[], None]) -> None:
        def run() -> None:
            try:
                job()
            finally:
                try:
                    self._after()
                finally:
                    self._idle.set()
                    self._idle_then()

        self._idle.clear()
        try:
            self._inner.submit(run)
        except BaseException:
            self._idle.set()
            raise


class OrgTable(FormView):
    """Browse the organizations: a filter, Refresh, a count, and a grid of ``page_size`` rows.

    The grid (:class:`~arize_orgs_nb.widgets.grid.OrgGrid`) shows one page, one line per row,
    sorted by name (ignoring case) until a header is clicked; only that page is sent to the
    browser. Filtering and sorting use the loaded values, so an edited row keeps its place. It
    re-renders whenever the shared snapshot changes (after any form succeeds, or a Refresh).

    Editing is local until reviewed: :meth:`review` plans the edits (every rule checked; nothing
    sent) and shows the plan review, whose Apply sends them (deletes need their confirmation
    there, as anywhere). Applied edits leave the grid, which shows the new values; failed ones
    stay, still marked.

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        page_size: rows per page (one of 25, 50, 100, 250 is offered; another value is added).
        runner: how Refresh and the review's apply run (default: a background thread).
        on_done: called after a successful Refresh.
        on_open: called with ``(org_id, "Update" | "Members")`` when a row is opened (the panel
            shows that tab); None leaves opening to the caller.
        on_applied: called with an outcome (its ``value`` the ``ApplyResult``) after a reviewed
            plan of the grid's edits applied at least one change.
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        page_size: int = 25,
        runner: Runner | None = None,
        on_done: OnDone | None = None,
        on_open: OnOpen | None = None,
        on_applied: OnDone | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        super().__init__(
            client, title="Organizations", css_class="aonb-table", runner=runner, on_done=on_done
        )
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self.on_open = on_open
        self.on_applied = on_applied
        self.edits = GridEdits()
        """The pending edits (nothing is sent until a reviewed plan is applied)."""
        self.problems: dict[str, dict[str, str]] = {}
        """What is wrong with an edited cell, by row key and field (shown on the cell)."""
        self.review_widget: PlanReview | None = None
        """The open plan review, or None."""
        self.opened: tuple[str, str] | None = None
        """The last row opened: ``(org_id, tab)``."""
        self._index: RowIndex | None = None
        self._rendering = False
        self._view_lock = threading.RLock()
        self._folded: set[str] = set()
        self._dropped = 0
        self._review_idle = threading.Event()
        self._review_idle.set()

        self.filter_input = css(
            widgets.Text(
                description="Filter",
                placeholder="name, description or id",
                continuous_update=True,
                layout=widgets.Layout(width="420px", max_width="95%"),
                style=label(),
            ),
            "aonb-table-filter",
        )
        self.refresh_button = css(
            widgets.Button(description="Refresh", icon="refresh", layout=fit()), "aonb-table-refresh"
        )
        self.count = css(widgets.HTML(), "aonb-table-count")
        sizes = sorted({*PAGE_SIZES, page_size})
        self.grid = css(
            OrgGrid(on_event=self._on_event, page_size=page_size, page_sizes=sizes), "aonb-table-grid"
        )
        self.edits_label = css(widgets.HTML(), "aonb-table-edits")
        self.review_button = css(
            widgets.Button(description="Review changes", button_style="primary", icon="list", layout=fit()),
            "aonb-table-review",
        )
        self.discard_button = css(
            widgets.Button(description="Discard", icon="undo", layout=fit()), "aonb-table-discard"
        )
        self.review_box = css(widgets.VBox(), "aonb-table-review-box")
        self._button(self.refresh_button, lambda: True)
        self._button(self.review_button, lambda: bool(self.edits) and not self._applying())
        self._button(
            self.discard_button, lambda: bool(self.edits.count() or self.edits.new) and not self._applying()
        )
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.review_button.on_click(lambda _button: self.review())
        self.discard_button.on_click(lambda _button: self.discard())
        self.filter_input.observe(self._filter_changed, "value")
        self.grid.observe(self._view_changed, ["page", "page_size", "sort"])
        self._add_cleanup(self.snapshot.subscribe(lambda _s: self._snapshot_changed()))
        self._set_rows(
            [
                widgets.HBox([self.filter_input, self.refresh_button, self.count], layout=_row()),
                widgets.HBox([self.review_button, self.discard_button, self.edits_label], layout=_row()),
                self.grid,
                self.review_box,
            ]
        )
        self._report_load_error(self.snapshot.load(), "the organizations")
        self.render()

    # -- the view --------------------------------------------------------------------------

    @property
    def page(self) -> int:
        """The page shown (0-based)."""
        return int(self.grid.page)

    @property
    def page_size(self) -> int:
        """Rows per page."""
        return int(self.grid.page_size)

    def index(self) -> RowIndex:
        """The loaded organizations, indexed (rebuilt when the snapshot's frame changes)."""
        frame = self.snapshot.orgs
        with self._view_lock:
            if self._index is None or self._index.frame is not frame:
                self._index = RowIndex(frame)
            return self._index

    def rows(self) -> pd.DataFrame:
        """Every organization matching the filter, in the grid's order (loaded values)."""
        index = self.index()
        order = self._select(index)
        return index.frame.iloc[order].reset_index(drop=True)

    def go(self, page: int) -> None:
        """Show page ``page`` (0-based; clamped)."""
        self.render(page=page)

    def set_page_size(self, size: int) -> None:
        """Show ``size`` rows per page, keeping the first row shown on the page shown."""
        self.grid.page_size = size

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        """Sort by a column (what a click on its header does: ascending, then reversed).

        Args:
            column: ``name``, ``description``, ``created`` or ``id``.
            descending: the direction; None reverses the current one for the same column, else ascending.

        Raises:
            ValueError: an unknown column.
        """
        if column not in _SORTABLE:
            raise ValueError(f"unknown column {column!r} (sortable: {', '.join(sorted(_SORTABLE))})")
        sort = self.grid.sort
        if descending is None:
            descending = not sort.get("descending") if sort.get("column") == column else False
        self.grid.sort = {"column": column, "descending": descending}

    def _select(self, index: RowIndex) -> np.ndarray:
        sort = self.grid.sort
        return index.select(self.filter_input.value, sort["column"], bool(sort["descending"]))

    def _filter_changed(self, _change: Any) -> None:  # noqa: ANN401
        self.render(page=0)

    def _view_changed(self, change: Any) -> None:  # noqa: ANN401
        if self._rendering:
            return
        if change["name"] == "sort" and (
            not isinstance(change["new"], dict) or change["new"].get("column") not in _SORTABLE
        ):
            self.grid.sort = change["old"]  # not a column: ignored
            return
        if change["name"] == "page_size":
            size = change["new"]
            if not isinstance(size, int) or size < 1:
                self.grid.page_size = change["old"]
                return
            self.grid.page = (self.grid.page * change["old"]) // size
        self.render()

    def render(self, page: int | None = None) -> None:
        """Re-render the count, the pager and the page shown from the snapshot and the edits.

        Args:
            page: the page to show (0-based, clamped); None keeps the page shown.
        """
        with self._view_lock:
            index = self.index()
            order = self._select(index)
            size = self.page_size
            pages = max(1, -(-len(order) // size))
            page = min(max(self.page if page is None else page, 0), pages - 1)
            shown = order[page * size : (page + 1) * size]
            rows = [self._new_row(key) for key in self.edits.new]
            times = index.created_texts(shown)
            rows += [self._row(index, int(i), created) for i, created in zip(shown, times, strict=True)]
            self._rendering = True
            try:
                with self.grid.hold_sync():
                    self.grid.page = page
                    self.grid.pages = pages
                    self.grid.total = len(order)
                    self.grid.editable = not self._applying()
                    self.grid.rows = rows
            finally:
                self._rendering = False
            total = len(index)
            if self.filter_input.value.strip():
                count = f"{len(order):,} of {total:,} organizations match"
            else:
                count = f"{total:,} organizations"
            self.count.value = f"<b>{esc(count)}</b>"
            self.edits_label.value = self._edits_html()
            n = self.edits.count()
            self.review_button.description = f"Review {counted(n, 'change')}"
            self.refresh_buttons()

    def _row(self, index: RowIndex, i: int, created: tuple[str, str]) -> dict[str, Any]:
        org_id = index.ids[i]
        loaded = {"name": index.names[i], "description": index.descriptions[i]}
        return {
            "key": org_id,
            "id": org_id,
            "short_id": short_id(org_id),
            "new": False,
            "deleted": org_id in self.edits.deletes,
            "created": created[0],
            "created_title": created[1],
            "cells": {name: self._cell(org_id, name, loaded[name]) for name in FIELDS},
        }

    def _new_row(self, key: str) -> dict[str, Any]:
        row = self.edits.new[key]
        cells = {
            name: cell(getattr(row, name), problem=self.problems.get(key, {}).get(name, ""))
            for name in FIELDS
        }
        return {
            "key": key,
            "id": "",
            "short_id": "",
            "new": True,
            "deleted": False,
            "created": "",
            "cells": cells,
        }

    def _cell(self, key: str, name: str, loaded: str) -> dict[str, Any]:
        edited = self.edits.edited(key, name)
        value = self.edits.value(key, name, loaded)
        problem = self.problems.get(key, {}).get(name, "") if edited else ""
        return cell(value, before=loaded if edited else None, problem=problem)

    def _edits_html(self) -> str:
        n = self.edits.count()
        if not n:
            return f'<span style="color:#666">{esc(EDIT_HINT)}</span>'
        problems = sum(len(p) for p in self.problems.values())
        text = f"<b>{counted(n, 'edit')}</b> (not sent)"
        if problems:
            text += f' <span style="color:#b3261e">· {problems} to fix (marked in red)</span>'
        return text

    # -- what the browser sends ------------------------------------------------------------

    def _on_event(self, event: GridEvent) -> None:
        kind, key = event["event"], event.get("key", "")
        if kind == "open":
            self.open_row(key, event["target"])
        elif kind == "edit":
            self.edit(key, event["field"], event["value"])
        elif kind == "delete":
            self.mark_delete(key, event["on"])
        elif kind == "add":
            self.grid.focus_cell(self.add_row())

    def open_row(self, org_id: str, tab: str = "Update") -> bool:
        """Open an organization in the Update or Members tab (what a click on its row does).

        Args:
            org_id: its id.
            tab: ``"Update"`` or ``"Members"``.

        Returns:
            False when the id is not a loaded organization (or nobody handles opening).
        """
        if self.index().loaded(org_id) is None:
            self.set_status("error", "that organization is not in the list any more: refresh")
            return False
        self.opened = (org_id, tab)
        if self.on_open is None:
            return False
        self.on_open(org_id, tab)
        return True

    # -- editing ---------------------------------------------------------------------------

    def _applying(self) -> bool:
        """An apply of the review runs, or the grid is still folding its outcome in."""
        busy = self.review_widget is not None and self.review_widget.busy
        return busy or not self._review_idle.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no Refresh and no apply of the review runs, and the grid has followed (for scripts).

        Args:
            timeout: seconds, or None to wait as long as needed.

        Returns:
            True when idle, False on timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if not super().wait(timeout):
            return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._review_idle.wait(left)

    def _refuse_while_applying(self) -> bool:
        if self._applying():
            self.set_status("error", "an apply is running: edit again when it has finished")
            self.render()
            return True
        return False

    def edit(self, key: str, field: str, value: str) -> bool:
        """Edit a name or description in the grid (what committing a cell's editor does).

        Nothing is sent. The value is checked at once (blank, too long, invisible characters, a
        name already taken) and the cell marked when wrong; the review checks every rule again.

        Args:
            key: the organization's id, or a new row's key.
            field: ``name`` or ``description``.
            value: the new value, exactly as typed.

        Returns:
            False when refused (an apply is running, or no such row).
        """
        if self._refuse_while_applying():
            return False
        with self._view_lock:
            loaded = None if key.startswith(NEW_PREFIX) else self.index().loaded(key)
            if loaded is None and key not in self.edits.new:
                self.set_status("error", "that row is not in the grid any more")
                return False
            self.edits.set(key, field, value, None if loaded is None else getattr(loaded, field))
            errors = self._check(key, field, value)
            cells = self.problems.setdefault(key, {})
            cells.pop(field, None)
            if errors and (loaded is None or self.edits.edited(key, field)):
                cells[field] = "; ".join(errors)
            if not cells:
                del self.problems[key]
        self._edits_changed()
        return True

    def _check(self, key: str, field: str, value: str) -> list[str]:
        """The inline check of one edited value (the plan checks everything again)."""
        if field != "name":
            return check_description(value)[0]
        errors = check_name(value, self.snapshot, except_id=key)[0]
        holder = self.snapshot.name_taken_by(value, except_id=key)
        if holder is not None and self.edits.edited(holder.id, "name"):
            # its holder is renamed too (a swap, say): the plan decides whether the names collide
            errors = [e for e in errors if not e.startswith("name already taken")]
        return errors

    def mark_delete(self, key: str, on: bool = True) -> bool:
        """Mark an organization for deletion, or unmark it; on a new row, remove the row.

        Deletes are only sent after the review, where each needs its confirmation.

        Returns:
            False when refused (an apply is running).
        """
        if self._refuse_while_applying():
            return False
        self.edits.mark_delete(key, on)
        if key.startswith(NEW_PREFIX) and on:
            self.problems.pop(key, None)
        self._edits_changed()
        return True

    def add_row(self, name: str = "", description: str = "") -> str:
        """Add a row for a new organization at the top of the grid (created once the plan is applied).

        Returns:
            The new row's key (for :meth:`edit`).
        """
        key = self.edits.add(name, description)
        for field, value in (("name", name), ("description", description)):
            if value:
                self.edit(key, field, value)
        self._edits_changed()
        return key

    def discard(self) -> None:
        """Forget every edit, close the review and show the loaded values again (what Discard does)."""
        if self._refuse_while_applying():
            return
        n = self.edits.count()
        self.edits.clear()
        self.problems.clear()
        self._close_review()
        self.set_status("ok", f"discarded {counted(n, 'edit')}")
        self.render()

    def _edits_changed(self) -> None:
        if self.review_widget is not None:
            self._close_review()
            self.set_status("warn", "the edits changed: review them again before applying")
        self.render()

    def edited_frame(self) -> pd.DataFrame:
        """The edits as the frame a bulk plan reads: ``id, name, description, created_at, delete``.

        One row per edited or delete-marked organization (loaded values where not edited), then
        one per new row (no id). ``client.organizations.plan(table.edited_frame(),
        base=table.snapshot.orgs)`` plans exactly the grid's edits.
        """
        return self.edits.to_frame(self.index())

    def load_frame(self, frame: pd.DataFrame) -> int:
        """Load a frame edited in code into the grid as edits (replacing the grid's edits).

        The frame is read by the bulk plan's own rules against the loaded organizations (the
        same frame ``client.organizations.plan`` reads: rows without an id are created, a true
        ``delete`` marks a deletion, changed names and descriptions are edits; rows left out
        change nothing). Nothing is sent.

        Args:
            frame: the edited organizations.

        Returns:
            How many changes were loaded.

        Raises:
            PlanValidationError: every broken rule, row by row; the grid is left unchanged.
        """
        if self._applying():
            raise RuntimeError("an apply is running: load the frame when it has finished")
        index = self.index()
        plan = self._client.organizations.plan(frame, base=index.frame)
        edits = GridEdits.from_changes(plan.changes)
        self.edits = edits
        self.problems.clear()
        self._close_review()
        n = edits.count()
        self.set_status("ok", f"loaded {counted(n, 'change')} into the grid: review them to apply")
        self.render()
        return n

    # -- review and apply ------------------------------------------------------------------

    def review(self) -> PlanReview | None:
        """Plan the edits and show the plan review below the grid (what *Review N changes* does).

        Every rule of the bulk plan is checked; nothing is sent until the review's Apply. A
        broken rule marks its cells and lists every problem; no review opens then.

        Returns:
            The review, or None when there is nothing to review or a rule is broken.
        """
        if self._refuse_while_applying():
            return None
        if not self.edits:
            self.set_status("error", "nothing to review: edit a cell, mark a row for deletion or add one")
            return None
        index = self.index()
        keys = self.edits.keys()
        try:
            plan = self._client.organizations.plan(self.edits.to_frame(index), base=index.frame)
        except PlanValidationError as error:
            self._show_issues(error, keys)
            return None
        self._close_review()
        self.problems.clear()  # every rule holds: inline doubts are settled
        review: PlanReview | None = None

        def after() -> None:
            if review is not None:
                self._after_apply(review, keys)

        review = PlanReview(plan, runner=_ThenRunner(self.runner, after, self._review_idle, self.render))
        self.review_widget = review
        self._folded = set()
        self.review_box.children = (review,)
        self.set_status("idle", "")
        self.render()
        return review

    def _show_issues(self, error: PlanValidationError, keys: list[str]) -> None:
        self.problems.clear()
        for issue in error.issues:
            key = _key_of(issue.row, keys)
            if key is None:
                continue
            field = issue.column if issue.column in FIELDS else _field_of(issue.message)
            cells = self.problems.setdefault(key, {})
            cells[field] = "; ".join(filter(None, [cells.get(field), issue.message]))
        n = len(error.issues)
        self.set_status("error", f"not reviewed: {counted(n, 'problem')} in the edits (marked in red)")
        self.show_details(
            "\n".join(f"{self._describe_row(_key_of(i.row, keys))}: {i.message}" for i in error.issues)
        )
        self.render()

    def _describe_row(self, key: str | None) -> str:
        if key is None:
            return "the edits"
        if key in self.edits.new:
            return f"new row “{visible(self.edits.new[key].name)}”"
        loaded = self.index().loaded(key)
        return f"“{visible(loaded.name)}” ({key})" if loaded is not None else key

    def _close_review(self) -> None:
        review, self.review_widget = self.review_widget, None
        self.review_box.children = ()
        if review is not None:
            review.close()

    def _after_apply(self, review: PlanReview, keys: list[str]) -> None:
        """Fold what the review applied into the snapshot and out of the edits (in the apply's thread)."""
        result = review.result
        if result is None:
            return  # refused before sending (stale, unconfirmed): nothing changed
        try:
            applied = self._fold(result, keys)
        except Exception as error:  # the apply went through; only the view could not follow
            self.set_status("warn", f"applied, but the grid could not be updated: {describe_error(error)[0]}")
            self.show_details(traceback.format_exc())
            return
        if applied:
            n = len(applied)
            self.set_status("ok", f"{counted(n, 'change')} applied: the grid shows the new values")
            if self.on_applied is not None:
                self.on_applied(ActionOutcome(True, self.status_text, value=result))

    def _fold(self, result: ApplyResult, keys: list[str]) -> list[str]:
        index = self.index()
        rows: dict[str, dict[str, Any]] = {}
        drop: list[str] = []
        applied = []
        for outcome in result.outcomes:
            change = outcome.change
            if outcome.status != "applied" or change.key in self._folded:
                continue
            self._folded.add(change.key)
            applied.append(change.key)
            key = _key_of(change.row, keys)
            if change.op is Op.CREATE:
                rows[outcome.result_id or change.key] = self._created_row(outcome.result_id, change.after)
            elif change.op is Op.DELETE and change.org_id:
                drop.append(change.org_id)
            elif change.org_id and (loaded := index.loaded(change.org_id)) is not None:
                row = rows.setdefault(
                    loaded.id,
                    {
                        "id": loaded.id,
                        "name": loaded.name,
                        "description": loaded.description,
                        "created_at": loaded.created_at,
                    },
                )
                row.update({k: v or "" for k, v in change.after.items() if k in FIELDS})
            if key is not None:
                self.edits.forget(change, key)
                self.problems.pop(key, None)
        if rows or drop:
            self.snapshot.patch_orgs(list(rows.values()), drop=drop)
        return applied

    def _created_row(self, org_id: str | None, after: dict[str, str | None]) -> dict[str, Any]:
        if org_id:
            try:
                return org_row(self._client.organizations.get(organization=org_id))
            except OrgsNbError:
                pass  # created; its creation time shows after a Refresh
        return {
            "id": org_id,
            "name": after.get("name") or "",
            "description": after.get("description") or "",
            "created_at": None,
        }

    # -- refresh ---------------------------------------------------------------------------

    def _snapshot_changed(self) -> None:
        gone = self.edits.prune(self.index())
        if gone:
            self._dropped += gone
            self.set_status("warn", _dropped_text(gone))
        self.render()

    def refresh(self) -> bool:
        """Drain the organizations again (what Refresh does), in the runner; edits are kept.

        Returns:
            True when the refresh started.
        """

        def action() -> ActionOutcome:
            self._dropped = 0
            try:
                self.snapshot.refresh()
            except OrgsNbError as error:
                message, detail = describe_error(error, host=self._client.settings.host)
                return ActionOutcome(False, f"refresh failed: {message}", detail, error)
            message = f"refreshed: {len(self.snapshot.orgs):,} organizations"
            return ActionOutcome(
                True, message + (f"; {_dropped_text(self._dropped)}" if self._dropped else "")
            )

        return self._run(action, busy_text="refreshing…")

    def close(self) -> None:
        """Close the review, stop listening to the snapshot and close the widgets."""
        if hasattr(self, "review_box"):  # close() also runs from __del__ of a failed __init__
            self._close_review()
        super().close()


def _row() -> widgets.Layout:
    return widgets.Layout(align_items="center", flex_flow="row wrap", grid_gap="0 8px")


def _dropped_text(gone: int) -> str:
    return f"{gone} edited organization{' is' if gone == 1 else 's are'} gone from the list: edits dropped"


def _key_of(row: str | None, keys: list[str]) -> str | None:
    """The grid row of a plan row label (the edited frame has a RangeIndex in ``keys`` order)."""
    if row is None or not row.isdigit() or int(row) >= len(keys):
        return None
    return keys[int(row)]


def _field_of(message: str) -> str:
    return "description" if message.startswith("description") else "name"
