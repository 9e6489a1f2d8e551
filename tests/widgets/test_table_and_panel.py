"""OrgTable and OrgAdminPanel headless: paging, filter, refresh after changes, escaping, no key."""

import base64
import urllib.parse

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


def test_panel_header(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    assert "Connected to the embedded sandbox" in visible_text(panel.header.value)


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
