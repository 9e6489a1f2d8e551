"""The Browse grid headless: sort, pager, page size, opening a row, short ids, rendering, messages.

The grid's front end sets traits (page, page_size, sort) and sends messages; here the tests set
the same traits and pass the same messages through ``OrgGrid.receive``, then check what the
kernel sends back (the page of rows) and what the other tabs show.
"""

import json
from importlib.resources import files
from pathlib import Path

import pytest

from arize_orgs_nb.widgets import OrgAdminPanel, OrgTable
from arize_orgs_nb.widgets._grid_rows import LINE_BREAK, RowIndex, short_id, text_html
from arize_orgs_nb.widgets.grid import PAGE_SIZES, OrgGrid
from arize_orgs_nb.widgets.panel import TAB_TITLES

from .conftest import XSS, dangerous_elements, grid_html, visible_text

ROOT = Path(__file__).resolve().parents[2]


def names(table):
    return [row["cells"]["name"]["value"] for row in table.grid.rows if not row["new"]]


def keys(table):
    return [row["key"] for row in table.grid.rows if not row["new"]]


@pytest.fixture
def many(wclient):
    """The 12 seeded organizations plus 290 more (some sharing a creation time)."""
    state = wclient.local_sandbox.state
    for i in range(290):
        state.create_org(f"Bulk {i:03d}", f"description {i % 7}")
    return wclient


def test_only_the_page_shown_is_sent_and_the_page_size_is_a_choice(many, sync):
    table = OrgTable(many, runner=sync)
    total = len(many.local_sandbox.state.orgs())
    assert table.grid.page_sizes == list(PAGE_SIZES) == [25, 50, 100, 250]
    assert (len(table.grid.rows), table.grid.total, table.grid.pages) == (25, total, -(-total // 25))
    table.grid.page = 3  # rows 76..100 (1-based) shown
    first = keys(table)[0]
    table.grid.page_size = 50  # what the select in the pager does
    assert table.page == 1 and len(table.grid.rows) == 50  # rows 51..100: the first row is still shown
    assert first in keys(table)
    table.grid.page_size = 250
    assert (table.page, len(table.grid.rows), table.grid.pages) == (0, 250, 2)
    sent = json.loads(table.grid.get_state()["rows"])  # what the browser receives: one JSON text
    assert len(sent) == 250 < total and sent == table.grid.rows
    table.grid.page_size = 0  # junk from the front end: refused
    assert table.page_size == 250
    assert OrgTable(many, runner=sync, page_size=10).grid.page_sizes == [10, 25, 50, 100, 250]


@pytest.mark.parametrize("column", ["name", "description", "created", "id"])
def test_a_header_click_sorts_ascending_then_descending(many, sync, column):
    table = OrgTable(many, runner=sync, page_size=250)
    table.grid.page_size = 400  # every row on one page, to compare whole orders
    frame = many.organizations.to_frame(progress=False)
    by = {
        "name": lambda r: (r.name.casefold(), r.name, r.id),
        "description": lambda r: (r.description.casefold(), r.name.casefold(), r.id),
        "created": lambda r: (r.created_at, r.id),
        "id": lambda r: r.id,
    }[column]
    expected = [r.id for r in sorted(frame.itertuples(), key=by)]
    table.sort_by("id" if column == "name" else "name")  # sorted by another column first
    table.sort_by(column)  # a click on the header
    assert table.grid.sort == {"column": column, "descending": False}
    assert keys(table) == expected
    table.sort_by(column)  # a second click reverses
    assert table.grid.sort == {"column": column, "descending": True}
    assert keys(table) == expected[::-1]
    table.grid.sort = {"column": column, "descending": False}  # as the front end sets it
    assert keys(table) == expected


def test_the_default_order_is_by_name_and_a_junk_sort_is_ignored(many, sync):
    table = OrgTable(many, runner=sync)
    assert table.grid.sort == {"column": "name", "descending": False}
    shown = names(table)
    assert shown == sorted(shown, key=str.casefold)
    table.grid.sort = {"column": "<script>", "descending": True}
    assert table.grid.sort == {"column": "name", "descending": False}
    assert names(table) == shown
    with pytest.raises(ValueError, match="unknown column"):
        table.sort_by("created_at")


def test_sort_and_filter_together_then_page(many, sync):
    table = OrgTable(many, runner=sync, page_size=25)
    table.sort_by("name", descending=True)
    table.filter_input.value = "bulk 1"
    assert table.grid.total == 100 and names(table)[:2] == ["Bulk 199", "Bulk 198"]
    table.grid.page = 3
    assert names(table)[-1] == "Bulk 100"
    table.filter_input.value = "description 3"  # descriptions are searched too
    assert table.page == 0 and all(
        row["cells"]["description"]["value"] == "description 3" for row in table.grid.rows
    )


def test_a_row_click_opens_it_in_update_and_the_action_in_members(many, sync):
    panel = OrgAdminPanel(many, runner=sync)
    table = panel.table
    table.sort_by("created", descending=True)
    table.grid.page = 2
    row = table.grid.rows[4]
    assert table.grid.receive({"event": "open", "key": row["key"], "target": "Update"})  # a row click
    assert panel.tabs.selected_index == TAB_TITLES.index("Update")
    assert panel.update.org_id == row["key"]
    assert panel.update.name_input.value == row["cells"]["name"]["value"]
    other = table.grid.rows[5]
    assert table.grid.receive({"event": "open", "key": other["key"], "target": "Members"})
    assert panel.tabs.selected_index == TAB_TITLES.index("Members")
    assert panel.members.org_picker.value == other["key"]
    assert table.opened == (other["key"], "Members")


def test_opening_reaches_an_organization_past_the_pickers_first_options(many, sync):
    panel = OrgAdminPanel(many, runner=sync)
    panel.table.sort_by("name", descending=True)
    last = panel.table.grid.rows[0]  # the last name of 302: past the 200 options a picker may list
    panel.table.grid.receive({"event": "open", "key": last["key"], "target": "Update"})
    assert panel.update.org_id == last["key"]
    panel.table.grid.receive({"event": "open", "key": last["key"], "target": "Members"})
    assert panel.members.org_picker.value == last["key"]


def test_opening_an_organization_gone_from_the_list_says_so(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    assert not panel.table.open_row("T3JnYW5pemF0aW9uOjk5OTk=")
    assert panel.table.status_text == "that organization is not in the list any more: refresh"
    assert panel.tabs.selected_index == 0


def test_ids_are_shortened_with_the_full_id_to_copy(wclient, sync):
    table = OrgTable(wclient, runner=sync)
    for row in table.grid.rows:
        full = row["id"]
        assert row["key"] == full  # the copy button copies row["id"]: the full id
        assert row["short_id"] == "…" + full.rstrip("=")[-8:]
        assert row["short_id"][1:] in full  # a substring: the filter finds it
    shown = [row["short_id"] for row in table.grid.rows]
    assert len(set(shown)) == len(shown)  # they tell the organizations apart
    target = table.grid.rows[3]
    table.filter_input.value = target["short_id"][1:]
    assert keys(table) == [target["key"]]
    assert short_id("YTpi") == "YTpi"


def test_line_breaks_show_as_a_mark_and_everything_is_escaped(wclient, sync):
    state = wclient.local_sandbox.state
    state.create_org(XSS, "first line\nsecond line\r\nthird <b>bold</b>")
    state.create_org("Edge ", "")
    table = OrgTable(wclient, runner=sync)
    table.filter_input.value = "second line"
    row = table.grid.rows[0]
    name, description = row["cells"]["name"], row["cells"]["description"]
    assert name["html"] == "&lt;img src=x onerror=alert(1)&gt;" and name["value"] == XSS
    assert (
        description["html"] == f"first line{LINE_BREAK}second line{LINE_BREAK}third &lt;b&gt;bold&lt;/b&gt;"
    )
    assert description["title"] == "first line\nsecond line\nthird <b>bold</b>"  # a tooltip shows lines
    assert dangerous_elements(grid_html(table.grid)) == [] and "<b>" not in grid_html(table.grid)
    assert visible_text(description["html"]) == "first line⏎second line⏎third <b>bold</b>"
    table.filter_input.value = "edge"
    assert table.grid.rows[0]["cells"]["name"]["html"] == "Edge␠"  # a trailing space is shown
    assert text_html("\u200b") == "⟨U+200B⟩"


def test_created_shows_the_day_with_the_full_time_on_hover(wclient, sync):
    table = OrgTable(wclient, runner=sync)
    frame = wclient.organizations.to_frame(progress=False).set_index("id")
    for row in table.grid.rows:
        moment = frame.loc[row["id"], "created_at"]
        assert row["created"] == moment.strftime("%Y-%m-%d")
        assert row["created_title"] == moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@pytest.mark.parametrize(
    "message",
    [
        "open",
        ["open"],
        {"event": "open", "key": "x", "target": "Delete"},
        {"event": "open", "key": 3, "target": "Update"},
        {"event": "edit", "key": "x", "field": "id", "value": "y"},
        {"event": "edit", "key": "x", "field": "name", "value": 7},
        {"event": "edit", "key": "x", "field": "name", "value": "y" * 10_001},
        {"event": "delete", "key": "x", "on": "yes"},
        {"event": "drop table"},
    ],
)
def test_malformed_messages_from_the_front_end_are_ignored(wclient, sync, message):
    table = OrgTable(wclient, runner=sync)
    assert table.grid.receive(message) is False
    assert table.edits.count() == 0 and not table.edits.new and table.opened is None


def test_the_front_end_ships_as_package_data():
    js = files("arize_orgs_nb.widgets").joinpath("static", "grid.js").read_text()
    css = files("arize_orgs_nb.widgets").joinpath("static", "grid.css").read_text()
    assert OrgGrid._esm == js and OrgGrid._css == css
    assert "export default { render }" in js and ".aonb-grid-table" in css
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = config["tool"]["setuptools"]["package-data"]["arize_orgs_nb"]
    assert {"widgets/static/*.js", "widgets/static/*.css"} <= set(data)
    assert any(d.startswith("anywidget") for d in config["project"]["dependencies"])


def test_the_index_sorts_and_filters_without_any_widget(many):
    index = RowIndex(many.organizations.to_frame(progress=False))
    everything = index.select("")
    assert sorted(everything.tolist()) == list(range(len(index)))
    assert [index.names[i] for i in index.select("bulk 00")] == [f"Bulk {i:03d}" for i in range(10)]
    assert list(index.select("bulk 00", "name", descending=True)) == list(index.select("bulk 00"))[::-1]
