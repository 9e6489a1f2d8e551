"""``OrgGrid``: the Browse tab's grid in the browser, an anywidget showing one page of rows.

The front end (``static/grid.js``, ``static/grid.css``, shipped as package data) draws the
pager (first, previous, next, last, rows per page), the sortable headers, one line per row
(ellipsis, full text in the tooltip), in-place editors for names and descriptions, a delete
mark per row, Update and Members actions, a copy button per id and an "add organization"
row. It holds no data of its own: the kernel sends the page shown (``rows``) and decides
everything else (:class:`~arize_orgs_nb.widgets.table.OrgTable`).

What the user does comes back as traits (``page``, ``page_size``, ``sort``) or as messages:
``{"event": "open", "key", "target"}``, ``{"event": "edit", "key", "field", "value"}``,
``{"event": "delete", "key", "on"}``, ``{"event": "add"}``. :meth:`OrgGrid.receive` handles a
message exactly as one from the browser (headless tests call it).

Cell markup in ``rows`` is escaped in Python (:mod:`._grid_rows`); the module sets every other
value as text or as an attribute, never as HTML.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import anywidget
import traitlets

from arize_orgs_nb.widgets._grid_rows import COLUMNS, FIELDS

__all__ = ["GRID_COLUMNS", "MAX_VALUE", "PAGE_SIZES", "GridEvent", "OrgGrid"]

PAGE_SIZES = (25, 50, 100, 250)
"""The rows-per-page choices."""

MAX_VALUE = 10_000
"""Longest value an edit message may carry (the rules allow far less; longer is refused as junk)."""

GRID_COLUMNS: tuple[dict[str, Any], ...] = (
    *(
        {"key": key, "title": title, "sortable": True, "width": width}
        for (key, title), width in zip(COLUMNS, ("32%", "", "96px", "112px"), strict=True)
    ),
    {"key": "actions", "title": "", "sortable": False, "width": "72px"},
)
"""The columns the front end draws (``width`` ``""``: the rest of the table).

``actions`` holds the row's Members button and its delete mark."""

GridEvent = dict[str, Any]
"""A message from the front end, checked (see :meth:`OrgGrid.receive`)."""


def _asset(name: str) -> str:
    return files("arize_orgs_nb.widgets").joinpath("static", name).read_text(encoding="utf-8")


class OrgGrid(anywidget.AnyWidget):
    """One page of organizations in the browser; the kernel side of ``static/grid.js``.

    Args:
        on_event: called with every well-formed message of the front end.
    """

    _esm = _asset("grid.js")
    _css = _asset("grid.css")

    rows = traitlets.List(traitlets.Dict()).tag(sync=True, to_json=lambda rows, _widget: _encoded(rows))
    """The page shown: one dict per row (see ``OrgTable``), sent as one JSON text."""
    columns = traitlets.List(traitlets.Dict(), default_value=list(GRID_COLUMNS)).tag(sync=True)
    sort = traitlets.Dict(default_value={"column": "name", "descending": False}).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    pages = traitlets.Int(1).tag(sync=True)
    page_size = traitlets.Int(PAGE_SIZES[0]).tag(sync=True)
    page_sizes = traitlets.List(traitlets.Int(), default_value=list(PAGE_SIZES)).tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    """Organizations matching the filter (new rows are not counted)."""
    editable = traitlets.Bool(True).tag(sync=True)
    empty_text = traitlets.Unicode("no organizations to show").tag(sync=True)
    focus = traitlets.Dict(default_value={}).tag(sync=True)
    """``{"key", "field", "n"}``: open this cell's editor once (``n`` changes each time)."""

    def __init__(self, on_event: Callable[[GridEvent], None] | None = None, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(**kwargs)
        self.on_event = on_event
        self.on_msg(lambda _widget, content, _buffers: self.receive(content))

    def __repr__(self) -> str:
        return f"<OrgGrid page {self.page + 1} of {self.pages}, {len(self.rows)} rows shown>"

    def receive(self, content: object) -> bool:
        """Handle one message of the front end; malformed ones are ignored.

        Args:
            content: the message (``{"event": ..., ...}``).

        Returns:
            True when the message was well formed and passed on.
        """
        event = _checked(content)
        if event is None or self.on_event is None:
            return False
        self.on_event(event)
        return True

    def focus_cell(self, key: str, field: str = "name") -> None:
        """Open the editor of one cell of the page in the browser (once)."""
        self.focus = {"key": key, "field": field, "n": int(self.focus.get("n", 0)) + 1}


def _encoded(rows: list[dict[str, Any]]) -> str:
    """The page as one JSON text: a kernel encodes it as a single string, not node by node."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def _checked(content: object) -> GridEvent | None:
    """The message if it is one the grid sends, else None (the browser is not trusted blindly)."""
    if not isinstance(content, dict):
        return None
    kind = content.get("event")
    key = content.get("key")
    if kind == "add":
        return {"event": "add"}
    if not isinstance(key, str) or not key:
        return None
    if kind == "open" and content.get("target") in ("Update", "Members"):
        return {"event": "open", "key": key, "target": content["target"]}
    if kind == "delete" and isinstance(content.get("on"), bool):
        return {"event": "delete", "key": key, "on": content["on"]}
    value = content.get("value")
    if (
        kind == "edit"
        and content.get("field") in FIELDS
        and isinstance(value, str)
        and len(value) <= MAX_VALUE
    ):
        return {"event": "edit", "key": key, "field": content["field"], "value": value}
    return None
