"""The tables of some HTML, as the tests read them: cell texts by table and row, styles, tags."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Cell:
    tag: str  # "td" or "th"
    text: str  # as rendered (character references decoded), not stripped


class Tables(HTMLParser):
    """Every table of some markup (rows of cells), cell styles, `<col>` widths and every start tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[Cell]]] = []
        self.styles: list[str] = []
        self.cols: list[int] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table" or (tag == "tr" and not self.tables):
            self.tables.append([])
        if tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.styles.append(attrs.get("style") or "")
        elif tag == "col":
            self.cols.append(int(attrs["style"].removeprefix("width:").removesuffix("px")))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(Cell(tag, "".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    @property
    def cells(self) -> list[str]:
        """The text of every cell, headers included, in document order."""
        return [cell.text for table in self.tables for row in table for cell in row]

    @property
    def rows(self) -> list[list[str]]:
        """Each row's ``<td>`` texts (a header row is empty)."""
        return [[c.text for c in row if c.tag == "td"] for table in self.tables for row in table]

    def texts(self) -> list[list[list[str]]]:
        """Every table as rows of stripped cell texts, headers included."""
        return [[[c.text.strip() for c in row] for row in table] for table in self.tables]


def parse_tables(markup: str) -> Tables:
    parser = Tables()
    parser.feed(markup)
    parser.close()
    return parser
