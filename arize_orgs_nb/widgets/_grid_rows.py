"""The Browse grid's rows: filter, sort and page the organizations, and render one page's cells.

Layer: widgets (pure: pandas and numpy, no ipywidgets). A :class:`RowIndex` is built once per
organizations frame (the snapshot replaces its frame on every change); filtering scans one
case-folded string per organization and sorting reuses a rank computed once per column, so a
keystroke in the filter box costs milliseconds at 10,000 organizations. Only the page shown is
rendered (:func:`cell`), and only it is sent to the browser.

Cells are rendered to HTML here, escaped, so that what reaches the browser as markup is decided
(and tested) in Python: every value is first made visible (``Team␠``, ``⟨U+200B⟩``), then
escaped (docs/DESIGN.md, R30, R32); a line break shows as a grey ``⏎`` (a styled element, so a
literal ``⏎`` in a name still reads as text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arize_orgs_nb.widgets._messages import esc, visible
from arize_orgs_nb.widgets._snapshot import texts

__all__ = [
    "COLUMNS",
    "FIELDS",
    "LINE_BREAK",
    "SHORT_ID",
    "RowIndex",
    "cell",
    "short_id",
    "text_html",
    "text_title",
]

FIELDS = ("name", "description")
"""The columns edited in place."""

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("description", "Description"),
    ("created", "Created"),
    ("id", "Id"),
)
"""``(key, title)`` of the sortable data columns, in display order."""

SHORT_ID = 8
"""Characters of an id shown in the grid (the full id is its tooltip and what Copy copies)."""

LINE_BREAK = '<span class="aonb-grid-nl" title="line break">⏎</span>'
"""How a line break of a value shows in its one-line cell."""

_BREAKS = re.compile(r"\r\n|\n|\r")


def short_id(org_id: str) -> str:
    """The last :data:`SHORT_ID` characters of an id, padding left out.

    Global ids are base64 of ``Organization:<n>:…`` (docs/API.md, Ids), so their first
    characters are the same for every organization; the last ones tell them apart. The result
    is a substring of the id, so the filter box finds it.

    Args:
        org_id: the full id.

    Returns:
        ``"…E6ZHh2Nw"`` (an ellipsis first when characters were left out).
    """
    core = org_id.rstrip("=")
    return core if len(core) <= SHORT_ID else "…" + core[-SHORT_ID:]


def _lines(value: str) -> list[str]:
    return [visible(part) for part in _BREAKS.split(value)]


def text_html(value: str) -> str:
    """A value as one line of escaped HTML: made visible, escaped, line breaks as :data:`LINE_BREAK`."""
    return LINE_BREAK.join(esc(line) for line in _lines(value))


def text_title(value: str) -> str:
    """A value as a tooltip (plain text, set as an attribute by the browser, never parsed as HTML).

    Each line is made visible; the line breaks are kept, so the tooltip shows the lines.
    """
    return "\n".join(_lines(value))


def cell(value: str, *, before: str | None = None, problem: str = "") -> dict[str, Any]:
    """One editable cell of the page: its markup, tooltip, raw value and edit state.

    Args:
        value: the value shown (the edited one, when edited).
        before: the loaded value, when the cell is edited (shown in the tooltip).
        problem: what is wrong with the edited value (the cell is marked; it is the tooltip).

    Returns:
        ``{"html", "title", "value", "edited", "problem"}``.
    """
    lines = _lines(value)
    title = "\n".join(lines) if value else "(empty)"
    if before is not None:
        title += f"\n(was: {text_title(before) if before else 'empty'})"
    if problem:
        title = f"{problem}\n{title}"
    return {
        "html": LINE_BREAK.join(esc(line) for line in lines),
        "title": title,
        "value": value,
        "edited": before is not None,
        "problem": problem,
    }


@dataclass(frozen=True)
class Loaded:
    """One organization as loaded (the base of the grid's edits)."""

    id: str
    name: str
    description: str
    created_at: pd.Timestamp | None


class RowIndex:
    """The organizations of one frame, ready to filter, sort and page fast.

    Filtering and sorting look at the loaded values (edited rows keep their place until the
    plan is applied), names and descriptions ignoring case.

    Args:
        frame: an ``ORG_SCHEMA`` frame (the snapshot's); it is not copied and must not change.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.ids: list[str] = texts(frame["id"])
        self.names: list[str] = texts(frame["name"])
        self.descriptions: list[str] = texts(frame["description"])
        self._created = frame["created_at"]
        self._seconds = pd.DatetimeIndex(self._created).tz_convert(None).to_numpy(dtype="datetime64[s]")
        self.position: dict[str, int] = {org_id: i for i, org_id in enumerate(self.ids)}
        self._haystack: list[str] | None = None
        self._orders: dict[str, np.ndarray] = {}
        self._ranks: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def loaded(self, org_id: str) -> Loaded | None:
        """The organization with this id as loaded, or None."""
        i = self.position.get(org_id)
        if i is None:
            return None
        created = self._created.iloc[i]
        return Loaded(org_id, self.names[i], self.descriptions[i], None if pd.isna(created) else created)

    def created_texts(self, positions: np.ndarray) -> list[tuple[str, str]]:
        """The creation day and time of each row: ``("2024-05-01", "2024-05-01 13:22:52 UTC")``.

        Args:
            positions: rows of the frame (one page).

        Returns:
            One pair per position; ``("", "creation time unknown")`` when the time is missing.
        """
        moments = self._seconds[positions]
        texts = np.datetime_as_string(moments, unit="s").tolist()
        return [
            ("", "creation time unknown") if missing else (text[:10], text.replace("T", " ") + " UTC")
            for text, missing in zip(texts, np.isnat(moments).tolist(), strict=True)
        ]

    def select(self, query: str, column: str = "name", descending: bool = False) -> np.ndarray:
        """Positions of the organizations matching ``query``, sorted by ``column``.

        Args:
            query: case-insensitive substring of the name, the description or the id ("" for all).
            column: a key of :data:`COLUMNS`.
            descending: reverse the order.

        Returns:
            Positions into the frame, in display order.

        Raises:
            ValueError: an unknown column.
        """
        order = self._order(column)
        wanted = query.strip().casefold()
        if wanted:
            haystack = self._search_text()
            found = np.fromiter((i for i, text in enumerate(haystack) if wanted in text), dtype=np.intp)
            order = found[np.argsort(self._ranks[column][found], kind="stable")]
        return order[::-1] if descending else order

    def _search_text(self) -> list[str]:
        if self._haystack is None:
            self._haystack = [
                f"{n}\n{d}\n{i}".casefold()
                for n, d, i in zip(self.names, self.descriptions, self.ids, strict=True)
            ]
        return self._haystack

    def _order(self, column: str) -> np.ndarray:
        if column not in self._orders:
            keys = self._sort_keys(column)
            order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.intp)
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order), dtype=np.intp)
            self._orders[column], self._ranks[column] = order, rank
        return self._orders[column]

    def _sort_keys(self, column: str) -> Sequence[Any]:
        names = [n.casefold() for n in self.names]
        if column == "name":
            return list(zip(names, self.names, self.ids, strict=True))
        if column == "description":
            return [(d.casefold(), n, i) for d, n, i in zip(self.descriptions, names, self.ids, strict=True)]
        if column == "created":
            times = pd.DatetimeIndex(self._created).asi8.copy()
            times[pd.isna(self._created).to_numpy()] = np.iinfo(np.int64).max  # unknown times last
            return list(zip(times.tolist(), self.ids, strict=True))
        if column == "id":
            return self.ids
        raise ValueError(f"unknown column {column!r} (sortable: {', '.join(k for k, _ in COLUMNS)})")
