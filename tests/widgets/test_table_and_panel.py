"""OrgTable and OrgAdminPanel headless: paging, filter, refresh after changes, escaping, no key."""

import base64
import urllib.parse
from html.parser import HTMLParser

import pandas as pd
import pytest

from arize_orgs_nb.widgets import OrgAdminPanel, OrgTable, Snapshot, SyncRunner
from arize_orgs_nb.widgets.panel import TAB_TITLES
from tests.conftest import make_client

from .conftest import XSS, dangerous_elements, grid_html, html_values, states_json, tree, visible_text


def shown_names(table):
    return [row["cells"]["name"]["value"] for row in table.grid.rows if not row["new"]]


def test_paging_filter_and_count(wclient, sync):
    for i in range(30):
        wclient.local_sandbox.state.create_org(f"zz paging {i:02d}")
    table = OrgTable(wclient, runner=sync, page_size=10)
    total = len(wclient.local_sandbox.state.orgs())
    assert visible_text(table.count.value) == f"{total} organizations"
    assert (table.grid.page, table.grid.pages, table.grid.total) == (0, -(-total // 10), total)
    assert len(table.grid.rows) == 10  # one page of rows, and only it, is sent
    table.filter_input.value = "ZZ PAGING"
    assert visible_text(table.count.value) == f"30 of {total} organizations match"
    assert shown_names(table)[0] == "zz paging 00"
    table.grid.page = 2  # the pager in the browser sets the trait
    assert shown_names(table)[0] == "zz paging 20"
    table.go(7)  # clamped to the last page
    assert table.page == 2 and table.grid.pages == 3
    table.filter_input.value = "zz paging 2"  # a new filter goes back to page 1
    assert table.page == 0 and len(table.rows()) == 10
    table.filter_input.value = "nothing matches this"
    assert (
        table.grid.rows == []
        and table.grid.total == 0
        and table.grid.empty_text == "no organizations to show"
    )


def test_refresh_button_drains_again(wclient, sync):
    table = OrgTable(wclient, runner=sync)
    before = len(table.rows())
    wclient.local_sandbox.state.create_org("Made Elsewhere")
    assert len(table.rows()) == before
    table.refresh_button.click()
    assert table.status_text.startswith("refreshed:")
    assert "Made Elsewhere" in set(table.rows()["name"])
    wclient.local_sandbox.faults.add(status=503, method="GET", times=10)
    table.refresh_button.click()
    assert table.status_text.startswith("refresh failed: the Arize service failed (503)")
    assert "Made Elsewhere" in set(table.rows()["name"])  # the previous data are kept


def test_the_table_renders_names_as_text(wclient, sync):
    wclient.local_sandbox.state.create_org(XSS, "</td><script>alert(2)</script>")
    table = OrgTable(wclient, runner=sync)
    assert dangerous_elements(grid_html(table.grid)) == []
    text = visible_text(grid_html(table.grid))
    assert XSS in text and "</td><script>alert(2)</script>" in text


def test_panel_tabs_share_one_snapshot_and_refresh_after_changes(wclient, sync):
    done = []
    panel = OrgAdminPanel(wclient, runner=sync, on_done=done.append)
    assert panel.tabs.titles == TAB_TITLES == ("Browse", "Create", "Update", "Members", "Activity")
    assert panel.create.snapshot is panel.update.snapshot is panel.members.snapshot is panel.table.snapshot
    drains = wclient.local_sandbox.log.count(method="GET", path_prefix="/v2/organizations")
    panel.create.name_input.value = "Panel Org"
    panel.create.submit.click()
    assert "Panel Org" in set(panel.table.rows()["name"])  # the table, at once
    assert done and done[-1].ok
    panel.update.picker.search.value = "panel org"
    assert panel.update.picker.value == done[-1].value.id  # the Update picker knows it
    panel.update.description_input.value = "described"
    panel.update.submit.click()
    assert "described" in set(panel.table.rows()["description"])
    panel.members.org_picker.search.value = "panel org"
    assert panel.members.org_picker.value == done[-1].value.id
    panel.update.delete_confirm.value = "Panel Org"
    panel.update.delete_button.click()
    assert "Panel Org" not in set(panel.table.rows()["name"])
    assert panel.members.org_picker.value is None
    # Patched locally: the snapshot is never drained again. The GETs are the plan/apply engine's:
    # one stale-check drain per change (one page here), the create's read-back of the new org and
    # the delete's re-read that binds the typed name to the id.
    assert wclient.local_sandbox.log.count(method="GET", path_prefix="/v2/organizations") - drains == 3 + 2
    panel.create.name_input.value = "panel org"  # deleted: the name is free again
    assert not panel.create.submit.disabled


def test_panel_activity_hook_and_header(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    assert "no activity yet" in panel.activity.table.value  # the journal, empty so far
    assert "Connected to the embedded sandbox" in visible_text(panel.header.value)
    frame = pd.DataFrame({"when": ["2026-01-01"], "what": [XSS]})
    hooked = OrgAdminPanel(wclient, runner=sync, activity_frame=lambda: frame)
    assert XSS in visible_text(hooked.activity.table.value)
    assert dangerous_elements(hooked.activity.table.value) == []

    def broken():
        raise RuntimeError("journal locked")

    failing = OrgAdminPanel(wclient, runner=sync, activity_frame=broken)
    assert "journal locked" in visible_text(failing.activity.table.value)


def test_every_html_value_of_the_panel_escapes_payloads(wclient, sync):
    state = wclient.local_sandbox.state
    payloads = [
        XSS,
        '"onmouseover="alert(1)',
        "javascript:alert(1)",
        "{{7*7}} $x$",
        "</td><script>x</script>",
    ]
    orgs = [wclient.organizations.create(name=p, description=p) for p in payloads]
    state.create_user(XSS, "xss@example.com", role="MEMBER")
    panel = OrgAdminPanel(wclient, runner=sync)
    for org in orgs:
        panel.update.picker.select(org.id)
        panel.members.org_picker.select(org.id)
        panel.members.user_picker.search.value = "xss@"
        for markup in html_values(panel):
            assert dangerous_elements(markup) == [], markup
    panel.update.name_input.value = XSS.upper()  # the "taken by <name>" hint
    wclient.local_sandbox.faults.add(
        status=400, method="PATCH", body=f'{{"detail": "{XSS}"}}', content_type="application/problem+json"
    )
    panel.update.name_input.value = "fine name"
    panel.update.submit.click()
    assert XSS in panel.update.status_text
    for markup in html_values(panel):
        assert dangerous_elements(markup) == [], markup


def test_the_api_key_is_never_in_widget_state_or_repr(clock):
    canary = "wgt-canary-key-7Hq2"
    forms = [canary, base64.b64encode(canary.encode()).decode(), urllib.parse.quote(canary)]
    with make_client(clock, orgs=5, users=4, api_key=canary, journal=":memory:") as client:
        panel = OrgAdminPanel(client, runner=SyncRunner())
        panel.create.name_input.value = "Canary Org"
        panel.create.submit.click()
        client.local_sandbox.faults.add(status=401, method="POST")
        panel.create.name_input.value = "Refused Org"
        panel.create.submit.click()
        assert panel.create.status_text.startswith("the API key was refused")
        client.local_sandbox.faults.add(drop="before", method="POST", times=10)
        panel.create.submit.click()
        texts = [states_json(panel), repr(panel), *(repr(w) for w in tree(panel))]
        texts += [str(panel.create.last_outcome), str(panel.create.details.outputs)]
        for text in texts:
            for form in forms:
                assert form not in text


@pytest.mark.parametrize("page_size", [0, -1])
def test_page_size_must_be_positive(wclient, page_size):
    with pytest.raises(ValueError, match="page_size"):
        OrgTable(wclient, page_size=page_size, snapshot=Snapshot(wclient))


def test_close_unsubscribes_from_the_snapshot(wclient, sync):
    snapshot = Snapshot(wclient)
    panel = OrgAdminPanel(wclient, runner=sync, snapshot=snapshot)
    assert len(snapshot._listeners) == 4
    panel.close()
    assert snapshot._listeners == []


def test_the_activity_tab_shows_the_journal_newest_first(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    activity = panel.activity
    assert "no activity yet" in activity.table.value
    assert "local journal" in visible_text(activity.note.value)
    panel.create.name_input.value = XSS
    panel.create.submit.click()
    assert panel.create.status_kind == "ok"
    # refreshed after the form succeeded: the create, its name as text
    text = visible_text(activity.table.value)
    assert "create" in text and XSS in text and "applied" in text
    assert dangerous_elements(activity.table.value) == []
    # a bulk apply made elsewhere in the kernel shows after Refresh, on top
    base = wclient.organizations.to_frame(progress=False)
    edited = base[base["name"] == XSS].copy()
    edited["description"] = "described by a plan"
    wclient.organizations.plan(edited, base=base).apply(progress=False)
    assert "described by a plan" not in visible_text(activity.table.value)
    activity.refresh_button.click()
    rows = parse_rows(activity.table.value)
    assert rows[0]["op"] == "describe" and "described by a plan" in rows[0]["after"]
    assert rows[1]["op"] == "create"
    assert rows[0]["when (UTC)"] >= rows[1]["when (UTC)"]
    assert {"status", "http_status", "error", "attempts"} <= set(rows[0])
    assert rows[0]["http_status"] == "200" and rows[0]["attempts"] == "1"
    # a failed form action is journaled too (shown at the next refresh)
    wclient.local_sandbox.faults.add(status=403, method="POST")
    panel.create.name_input.value = "Forbidden Org"
    panel.create.submit.click()
    activity.refresh()
    failed = parse_rows(activity.table.value)[0]
    assert failed["status"] == "failed" and failed["http_status"] == "403"


class _Table(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse_rows(markup):
    """The rows of the first HTML table as dicts (header -> cell text)."""
    table = _Table()
    table.feed(markup)
    header, *rows = table.rows
    return [dict(zip(header, row, strict=True)) for row in rows]
