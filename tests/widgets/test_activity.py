"""The Activity tab headless: grouped by apply, readable values, fits or scrolls, filters, pages, undo."""

import pandas as pd
import pytest

from arize_orgs_nb.bulk.journal import ACTIVITY_WIDTHS
from arize_orgs_nb.tables import short_id
from arize_orgs_nb.widgets import OrgAdminPanel
from arize_orgs_nb.widgets.activity import ALL_OPS, ALL_STATUSES, ActivityView
from tests.html_tables import parse_tables

from .conftest import XSS, dangerous_elements, html_values, org_names, states_json, visible_text, writes

PANEL_WIDTH = 913  # px: the Activity tab's room inside the panel in JupyterLab at 1280 px


def rows_of(block) -> list[dict[str, str]]:
    """The rows of one apply's table (header -> cell text)."""
    (table,) = parse_tables(block.children[1].value).texts()
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def headline(block) -> str:
    return visible_text(block.children[0].children[0].value)


def plan_descriptions(client, ids, text):
    base = client.organizations.to_frame(progress=False)
    edited = base[base["id"].isin(ids)].copy()
    edited["description"] = text
    return client.organizations.plan(edited, base=base)


@pytest.fixture
def two_applies(wclient):
    """An apply describing three organizations (one of which fails), then a rename."""
    base = wclient.organizations.to_frame(progress=False).sort_values("name").reset_index(drop=True)
    ids = list(base["id"][:3])
    wclient.local_sandbox.faults.add(status=403, method="PATCH", path=f"/v2/organizations/{ids[2]}")
    first = plan_descriptions(wclient, ids, "described").apply(progress=False)
    base = wclient.organizations.to_frame(progress=False)
    edited = base[base["id"] == ids[0]].assign(name="Renamed Once")
    second = wclient.organizations.plan(edited, base=base).apply(progress=False)
    return first, second, ids


def test_each_apply_has_a_header_row_and_its_rows_read_as_text(wclient, sync, two_applies):
    _first, second, ids = two_applies
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    newest, oldest = view.groups.children  # newest apply first
    assert headline(newest).endswith(f"1 change: 1 applied · apply {short_id(second.apply_id)}")
    assert "organizations: 1 to rename" in headline(newest)
    assert "UTC · organizations: 3 descriptions to change · 3 changes: 2 applied, 1 failed" in headline(
        oldest
    )
    (rename,) = rows_of(newest)
    assert rename["op"] == "rename" and rename["change"].endswith("→ “Renamed Once”")
    assert rename["result"] == "applied · HTTP 200 · 1 attempt"
    described = rows_of(oldest)
    assert [r["op"] for r in described] == ["describe"] * 3  # plan order within an apply
    assert described[0]["change"].endswith("→ “described”") and described[0]["change"].startswith(
        "description: "
    )
    failed = described[2]
    assert failed["result"].startswith("failed · HTTP 403 · 1 attempt")
    assert "403" in failed["result"]  # the error, under the result
    # the server's reason, not the request line the row already shows (op, organization, HTTP 403)
    assert "injected fault" in failed["result"] and "PATCH /v2/organizations" not in failed["result"]
    assert "title='PATCH /v2/organizations/" in oldest.children[1].value  # the full text on hover
    # plain values: no Python reprs, nothing recorded is blank (not None or nan)
    text = "\n".join(visible_text(v) for v in html_values(view))
    for repr_like in ("role=None", "description='", "None", "nan", "NaT"):
        assert repr_like not in text
    # ids short, the full id on hover
    org_cell = parse_tables(oldest.children[1].value)
    assert any(r["organization"].endswith(f"…{ids[0].rstrip('=')[-8:]}") for r in described)
    assert f'title="{ids[0]}"' in oldest.children[1].value
    assert org_cell.styles and all("text-align:left" in style for style in org_cell.styles)


def test_the_table_fits_the_panel_or_scrolls_sideways(wclient, sync, two_applies):
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    block = view.groups.children[0]
    widths = parse_tables(block.children[1].value).cols
    assert sum(widths) <= PANEL_WIDTH  # no user column on an organizations apply: it fits
    assert view.list.layout.overflow == "auto hidden"  # and what does not fit scrolls sideways
    assert "table-layout:fixed" in block.children[1].value  # every apply's columns line up
    # status, error and attempts are in view: they live in the result column, inside the width
    assert list(ACTIVITY_WIDTHS)[-1] == "result"


def test_member_rows_show_the_user_and_scroll(wclient, sync):
    org = wclient.organizations.create(name="Team Org")
    user = wclient.local_sandbox.state.create_user("Pat", "pat@example.com", role="MEMBER")
    members = pd.DataFrame([{"organization": "Team Org", "user": "pat@example.com", "role": "ADMIN"}])
    wclient.memberships.plan(members).apply(progress=False)
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    (row,) = rows_of(view.groups.children[0])
    assert row["user"] == "pat@example.com" and row["change"] == "role → ADMIN"  # not "role: None → ..."
    assert user["id"] and org.id


def test_filters_by_organization_operation_and_status(wclient, sync, two_applies):
    _first, second, ids = two_applies
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    assert view.op_filter.options == (ALL_OPS, "describe", "rename")
    assert view.status_filter.options == (ALL_STATUSES, "applied", "failed")
    view.status_filter.value = "failed"
    (block,) = view.groups.children
    assert [r["result"].split(" ·")[0] for r in rows_of(block)] == ["failed"]
    assert "3 changes: 2 applied, 1 failed · showing 1 of its 3 rows" in headline(block)  # whole-apply counts
    assert "1 change in 1 apply (of 4 in the journal)" in visible_text(view.count.value)
    view.status_filter.value = ALL_STATUSES
    view.op_filter.value = "rename"
    assert [headline(b).split(" · ")[-1] for b in view.groups.children] == [
        f"apply {short_id(second.apply_id)}"
    ]
    view.op_filter.value = ALL_OPS
    view.org_filter.value = "RENAMED once"  # by name, ignoring case
    assert len(view.groups.children) == 1
    view.org_filter.value = ids[1]  # by id
    (block,) = view.groups.children
    assert len(rows_of(block)) == 1
    view.org_filter.value = "nothing like this"
    assert view.groups.children == () and "no change matches the filters" in view.table.value


def test_pages_of_rows_newest_first(wclient, sync):
    base = wclient.organizations.to_frame(progress=False).sort_values("name")
    for i in range(3):
        plan_descriptions(wclient, list(base["id"][:4]), f"round {i}").apply(progress=False)
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync, page_rows=5)
    assert view.pages == 3 and visible_text(view.page_label.value) == "page 1 of 3"
    assert view.newer_button.disabled and not view.older_button.disabled
    first, second = view.groups.children  # 4 rows of the newest apply, 1 of the next
    assert "round 2" in rows_of(first)[0]["change"] and len(rows_of(second)) == 1
    assert "· showing 1 of its 4 rows ·" in headline(second)
    view.older_button.click()
    assert visible_text(view.page_label.value) == "page 2 of 3"
    view.older_button.click()
    view.older_button.click()  # past the end: stays on the last page
    assert view.page == 2 and view.older_button.disabled
    assert "round 0" in rows_of(view.groups.children[-1])[-1]["change"]
    view.status_filter.value = "applied"  # a new filter goes back to the first page
    assert view.page == 0
    with pytest.raises(ValueError, match="page_rows"):
        ActivityView(wclient.journal.to_frame, page_rows=0)


def test_undo_this_apply_reverts_that_apply_only(wclient, sync, two_applies):
    first, second, ids = two_applies
    panel = OrgAdminPanel(wclient, runner=sync)
    view = panel.activity
    assert set(view.undo_buttons) == {first.apply_id, second.apply_id}
    wclient.local_sandbox.log.clear()
    view.undo_buttons[first.apply_id].click()
    assert writes(wclient) == []  # the button shows the reverting plan; nothing is sent yet
    review = view.undo_review
    assert review.plan.summary() == "undo: 2 descriptions to change"  # the failed row is not undone
    assert review in view.undo_area.children
    before = {o["id"]: o["description"] for o in wclient.local_sandbox.state.orgs()}
    assert before[ids[0]] == before[ids[1]] == "described"
    review.apply_button.click()
    assert review.status_text == "2 of 2 applied"
    after = {o["id"]: o for o in wclient.local_sandbox.state.orgs()}
    assert after[ids[0]]["description"] != "described" and after[ids[1]]["description"] != "described"
    assert after[ids[0]]["name"] == "Renamed Once"  # the other apply is left alone
    # the tab shows the undo on top, and the panel's other tabs see the reverted account
    assert "undo: 2 descriptions to change" in headline(view.groups.children[0])
    table = panel.table.rows().set_index("id")
    assert table.loc[ids[0], "description"] == after[ids[0]]["description"]


def test_a_stale_undo_names_the_organization_and_offers_force(wclient, sync, two_applies):
    _first, second, ids = two_applies
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    wclient.organizations.update(organization=ids[0], name="Renamed By A Colleague")  # not journaled
    view.undo_buttons[second.apply_id].click()
    review = view.undo_review
    wclient.local_sandbox.log.clear()
    review.apply_button.click()
    assert review.status_text.startswith(
        "refused, nothing was sent: 1 change conflicts with the server since the plan was made: "
        f"row {second.outcomes[0].change.row} “Renamed Once”: was renamed to 'Renamed By A Colleague'"
    )
    assert writes(wclient) == [] and "Renamed By A Colleague" in org_names(wclient)
    assert review.force_button.layout.display is None  # offered, never done by itself
    review.force_button.click()
    assert review.status_text == "1 of 1 applied"
    assert "Renamed By A Colleague" not in org_names(wclient)


def test_an_apply_with_nothing_applied_cannot_be_undone(wclient, sync):
    base = wclient.organizations.to_frame(progress=False)
    wclient.local_sandbox.faults.add(status=403, method="PATCH")
    result = plan_descriptions(wclient, list(base["id"][:1]), "never").apply(progress=False)
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    assert view.undo_buttons[result.apply_id].disabled
    no_journal = ActivityView(wclient.journal.to_frame, runner=sync)
    assert no_journal.undo_buttons[result.apply_id].layout.display == "none"
    assert no_journal.undo(result.apply_id) is False


def test_undoing_a_create_is_a_delete_that_needs_confirmation(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    panel.create.name_input.value = "Made To Undo"
    panel.create.submit.click()
    view = panel.activity
    (apply_id,) = view.undo_buttons
    view.undo_buttons[apply_id].click()
    review = view.undo_review
    assert review.plan.summary().startswith("undo: 1 to delete — 1 destructive")
    assert review.apply_button.disabled  # the delete needs its name typed
    next(iter(review.confirm_inputs.values())).value = "Made To Undo"
    review.apply_button.click()
    assert "Made To Undo" not in org_names(wclient)
    assert "Made To Undo" not in set(panel.table.rows()["name"])


def test_every_server_string_is_escaped(wclient, sync):
    org = wclient.organizations.create(name=XSS, description="</td><script>alert(2)</script>")
    base = wclient.organizations.to_frame(progress=False)
    detail = f'{{"detail": "{XSS}"}}'
    wclient.local_sandbox.faults.add(
        status=400, method="PATCH", body=detail, content_type="application/problem+json"
    )
    plan_descriptions(wclient, [org.id], '"onmouseover="x').apply(progress=False)
    wclient.organizations.plan(base[base["id"] == org.id].assign(name=XSS + " 2"), base=base)
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    text = "\n".join(visible_text(v) for v in html_values(view))
    assert XSS in text and "</td><script>alert(2)</script>" in text
    for markup in html_values(view):
        assert dangerous_elements(markup) == [], markup
    assert "sandbox-key" not in states_json(view)


def test_a_frame_of_ones_own_and_a_broken_hook(wclient, sync):
    frame = pd.DataFrame({"when": ["2026-01-01"], "what": [XSS], "gone": [None]})
    view = ActivityView(lambda: frame, runner=sync)
    assert XSS in visible_text(view.table.value) and dangerous_elements(view.table.value) == []
    assert view.filters.layout.display == "none"  # not the journal's frame: shown as it is
    assert "None" not in visible_text(view.table.value)

    def broken():
        raise RuntimeError("journal locked")

    failing = ActivityView(broken, runner=sync)
    assert "journal locked" in visible_text(failing.status.value)
    assert "not connected yet" in ActivityView(None).output.outputs[0]["text"]
    empty = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    assert "no activity yet" in empty.table.value


def test_a_form_action_shows_after_it_succeeds(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    panel.create.name_input.value = "From The Form"
    panel.create.submit.click()
    (block,) = panel.activity.groups.children  # refreshed by the panel after the form's success
    (row,) = rows_of(block)
    assert row["op"] == "create" and row["change"] == "name: “From The Form”; description: (empty)"


def test_a_saved_notebook_reads_the_activity_without_a_kernel(wclient, sync, two_applies):
    first, _second, _ids = two_applies
    view = ActivityView(wclient.journal.to_frame, journal=wclient.journal, runner=sync)
    bundle = view._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert text.startswith("Activity (interactive")
    assert f"3 changes: 2 applied, 1 failed · apply {short_id(first.apply_id)}" in text
    assert "describe" in text and "→ “described”" in text
