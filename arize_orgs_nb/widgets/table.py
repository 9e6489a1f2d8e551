"""``OrgTable``: the organizations of the snapshot, filtered, counted and paged."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, OnDone, Runner, css, label, wide
from arize_orgs_nb.widgets._messages import describe_error, esc, visible
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["OrgTable", "orgs_html"]

_DESCRIPTION_SHOWN = 120
_CELL = "text-align:left;vertical-align:top;padding:3px 10px;border-bottom:1px solid #e0e0e0;"


def orgs_html(frame: pd.DataFrame) -> str:
    """Render organizations as an HTML table with pandas' escaping ``to_html()`` defaults.

    Names and descriptions are made visible first (``Team␠``, ``⟨U+200B⟩``), so look-alike names
    can be told apart; then every cell and header is escaped by pandas (``escape=True``, no
    ``render_links``; docs/RELIABILITY.md, C3), so a name like ``<img src=x onerror=...>`` shows as text.

    Args:
        frame: rows of ``ORG_SCHEMA``.

    Returns:
        The HTML table.
    """
    view = pd.DataFrame(
        {
            "name": [visible(str(n)) for n in frame["name"].fillna("")],
            "description": [_shorten(visible(str(d))) for d in frame["description"].fillna("")],
            "created (UTC)": [
                t.strftime("%Y-%m-%d %H:%M") if not pd.isna(t) else "" for t in frame["created_at"]
            ],
            "id": frame["id"].astype(object),
        }
    )
    markup = view.to_html(index=False, escape=True, border=0, classes="aonb-orgs", na_rep="")
    # Cell contents are escaped, so these literal tags can only be pandas' own markup.
    return (
        markup.replace('<tr style="text-align: right;">', "<tr>")
        .replace("<th>", f'<th style="{_CELL}font-weight:bold">')
        .replace("<td>", f'<td style="{_CELL}">')
        .replace(
            'class="dataframe aonb-orgs"', 'class="dataframe aonb-orgs" style="border-collapse:collapse"'
        )
    )


def _shorten(text: str) -> str:
    return text if len(text) <= _DESCRIPTION_SHOWN else text[: _DESCRIPTION_SHOWN - 1] + "…"


class OrgTable(FormView):
    """Browse the organizations: filter box, Refresh, row count, and pages of ``page_size`` rows.

    The table re-renders whenever the shared snapshot changes (after any form succeeds, or a
    Refresh). Sorted by name, ignoring case.

    Args:
        client: the client.
        snapshot: the shared organizations (a new one is made, and drained, if None).
        page_size: rows per page.
        runner: how Refresh runs (default: a background thread).
        on_done: called after a successful Refresh.
    """

    def __init__(
        self,
        client: ArizeOrgs,
        *,
        snapshot: Snapshot | None = None,
        page_size: int = 25,
        runner: Runner | None = None,
        on_done: OnDone | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        super().__init__(
            client, title="Organizations", css_class="aonb-table", runner=runner, on_done=on_done
        )
        self.snapshot = snapshot if snapshot is not None else Snapshot(client)
        self.page_size = page_size
        self.page = 0
        self.filter_input = css(
            widgets.Text(
                description="Filter",
                placeholder="name, description or id",
                continuous_update=True,
                layout=wide(),
                style=label(),
            ),
            "aonb-table-filter",
        )
        self.refresh_button = css(widgets.Button(description="Refresh", icon="refresh"), "aonb-table-refresh")
        self.count = css(widgets.HTML(), "aonb-table-count")
        self.prev_button = css(
            widgets.Button(description="Previous", icon="chevron-left", disabled=True), "aonb-table-prev"
        )
        self.next_button = css(
            widgets.Button(description="Next", icon="chevron-right", disabled=True), "aonb-table-next"
        )
        self.page_label = css(widgets.HTML(), "aonb-table-page")
        self.table = css(widgets.HTML(), "aonb-table-html")
        self._button(self.refresh_button, lambda: True)
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.prev_button.on_click(lambda _button: self.go(self.page - 1))
        self.next_button.on_click(lambda _button: self.go(self.page + 1))
        self.filter_input.observe(self._filter_changed, "value")
        self._add_cleanup(self.snapshot.subscribe(lambda _s: self.render()))
        self._set_rows(
            [
                widgets.HBox([self.filter_input, self.refresh_button]),
                self.count,
                self.table,
                widgets.HBox([self.prev_button, self.page_label, self.next_button]),
            ]
        )
        self._report_load_error(self.snapshot.load(), "the organizations")
        self.render()

    def rows(self) -> pd.DataFrame:
        """Every organization matching the filter, sorted by name (ignoring case)."""
        frame = self.snapshot.orgs
        query = self.filter_input.value.strip().casefold()
        if query:
            haystack = frame["name"].fillna("") + "\n" + frame["description"].fillna("") + "\n" + frame["id"]
            frame = frame[[query in str(text).casefold() for text in haystack]]
        keys = [str(name).casefold() for name in frame["name"].fillna("")]
        order = sorted(range(len(frame)), key=keys.__getitem__)
        return frame.iloc[order].reset_index(drop=True)

    def go(self, page: int) -> None:
        """Show page ``page`` (0-based; clamped)."""
        self.page = page
        self.render()

    def _filter_changed(self, _change: Any) -> None:  # noqa: ANN401
        self.page = 0
        self.render()

    def render(self) -> None:
        """Re-render count, page and table from the snapshot."""
        rows = self.rows()
        total = len(self.snapshot.orgs)
        pages = max(1, -(-len(rows) // self.page_size))
        self.page = min(max(self.page, 0), pages - 1)
        start = self.page * self.page_size
        shown = rows.iloc[start : start + self.page_size]
        if self.filter_input.value.strip():
            count = f"{len(rows)} of {total} organizations match"
        else:
            count = f"{total} organizations"
        self.count.value = f"<b>{esc(count)}</b>"
        self.page_label.value = f"&nbsp;page {self.page + 1} of {pages}&nbsp;"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        self.table.value = orgs_html(shown) if len(shown) else "<i>no organizations to show</i>"

    def refresh(self) -> bool:
        """Drain the organizations again (what Refresh does), in the runner.

        Returns:
            True when the refresh started.
        """

        def action() -> ActionOutcome:
            try:
                self.snapshot.refresh()
            except OrgsNbError as error:
                message, detail = describe_error(error, host=self._client.settings.host)
                return ActionOutcome(False, f"refresh failed: {message}", detail, error)
            return ActionOutcome(True, f"refreshed: {len(self.snapshot.orgs)} organizations")

        return self._run(action, busy_text="refreshing…")
