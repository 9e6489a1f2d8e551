"""Plain-text and HTML tables for reprs, the shell and the widgets: one cell format for all.

Layer: with ``rules`` (pure; no I/O). A cell shows a value in the :mod:`~arize_orgs_nb.visible`
notation; a missing value (``None``, ``NaN``, ``pd.NA``) is blank. Text tables are padded by the
columns a terminal draws (a wide character takes two, a combining accent none), so they line up
in a terminal, a saved notebook's ``text/plain`` output and a preview alike. HTML tables are
left-aligned (notebook front ends right-align table cells by default) and escape every cell
(docs/DESIGN.md, R30) unless it is :class:`Markup` built here from escaped parts.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Sequence

from arize_orgs_nb.rules import is_missing
from arize_orgs_nb.visible import show

__all__ = [
    "CELL_WIDTH",
    "Markup",
    "cut",
    "esc",
    "html_table",
    "id_html",
    "short_id",
    "text_cell",
    "text_table",
    "width",
]

CELL_WIDTH = 48
"""Longest cell of a text table, in terminal columns (longer values end in ``…``)."""

SHORT_ID = 8
"""Characters of an id shown in tables (the full id is a tooltip in HTML, and in every frame)."""

_CELL_STYLE = "text-align:left;vertical-align:top;padding:2px 10px 2px 0"


class Markup(str):
    """HTML that is safe as it is (built from escaped parts): :func:`html_table` does not escape it."""

    __slots__ = ()


def esc(value: object) -> str:
    """Escape any value for HTML text or attribute context; a missing value is blank.

    Args:
        value: anything; ``str()`` is applied first.

    Returns:
        The escaped text.
    """
    return "" if is_missing(value) else html.escape(str(value), quote=True)


def width(text: str) -> int:
    """Terminal columns: wide characters take 2, combining marks (an NFD accent) none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        for ch in text
    )


def text_cell(value: object, limit: int = CELL_WIDTH) -> str:
    """A value for a text table cell: in the visible notation, cut to ``limit`` columns.

    Args:
        value: any value; missing values are blank, an empty string is ``""``.
        limit: the widest cell, in terminal columns.

    Returns:
        The cell's text.
    """
    if is_missing(value):
        return ""
    if isinstance(value, str) and value == "":
        return '""'
    return cut(show(str(value)), limit)


def cut(text: str, limit: int = CELL_WIDTH) -> str:
    """Text already shown (in the visible notation) cut to ``limit`` terminal columns, ending in ``…``."""
    if width(text) <= limit:
        return text
    kept = ""
    for ch in text:
        if width(kept + ch) > limit - 1:
            break
        kept += ch
    return kept + "…"


def text_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain text table: a header, a rule, one line per row, left-aligned, padded by display width.

    Args:
        headers: the column titles.
        rows: the cells, already text (see :func:`text_cell`).

    Returns:
        The table, one line per row, no trailing spaces.
    """
    body = [list(r) for r in rows]
    widths = [max([width(h)] + [width(r[i]) for r in body]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)])


def short_id(value: object) -> str:
    """An id cut to its last :data:`SHORT_ID` characters, after ``…``; blank when missing.

    Arize ids are long and share their beginning (``T3JnYW5pemF0aW9u…`` encodes "Organization"),
    so the end is the part that tells two apart. Short ids are for reading only: frames and
    tooltips hold the full id.

    Args:
        value: an id, or a missing value.

    Returns:
        ``"…E6ZHh2Nw"``, the id itself when short already, or ``""``.
    """
    if is_missing(value) or not str(value):
        return ""
    text = str(value)
    if len(text) <= SHORT_ID + 2:
        return text
    return "…" + text.rstrip("=")[-SHORT_ID:]


def id_html(value: object) -> Markup:
    """An id as ``<code>`` with its short form shown and the full id as the tooltip (escaped)."""
    if is_missing(value) or not str(value):
        return Markup("")
    return Markup(f'<code class="aonb-id" title="{esc(value)}">{esc(short_id(value))}</code>')


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    css_class: str = "",
    widths: Sequence[int] = (),
) -> Markup:
    """An HTML table, every cell left-aligned and escaped (a :class:`Markup` cell is kept as it is).

    Args:
        headers: the column titles.
        rows: the cells: text (escaped here; missing values blank) or :class:`Markup`.
        css_class: a class for the ``<table>`` (a hook for tests and browsers).
        widths: fixed column widths in pixels (a fixed layout: tables made with the same widths
            line up one under the other); empty: as wide as the content.

    Returns:
        The table.
    """
    layout = f"table-layout:fixed;width:{sum(widths)}px;" if widths else ""
    columns = "".join(f'<col style="width:{int(w)}px">' for w in widths)
    head = "".join(f'<th style="{_CELL_STYLE}">{esc(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td style="{_CELL_STYLE};overflow-wrap:anywhere">'
            f"{cell if isinstance(cell, Markup) else esc(cell)}</td>"
            for cell in row
        )
        body.append(f"<tr>{cells}</tr>")
    colgroup = f"<colgroup>{columns}</colgroup>" if columns else ""
    return Markup(
        f'<table class="{esc(css_class)}" style="border-collapse:collapse;line-height:1.4;{layout}">'
        f"{colgroup}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
