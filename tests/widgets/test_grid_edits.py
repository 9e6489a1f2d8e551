"""Editing in the Browse grid headless: edits marked and counted, reviewed as a plan, applied, discarded.

Edits come in as the front end sends them (``OrgGrid.receive``) or through the table's methods;
the plan review they open is the bulk-plan engine's, against the in-process sandbox, and the
tests check the server's state after Apply.
"""

import pandas as pd
import pytest

from arize_orgs_nb.bulk.changes import Op
from arize_orgs_nb.errors import PlanValidationError
from arize_orgs_nb.widgets import OrgAdminPanel, OrgTable, ThreadRunner
from arize_orgs_nb.widgets._grid_edits import FRAME_DTYPES
from arize_orgs_nb.widgets.panel import TAB_TITLES

from .conftest import (
    XSS,
    DeferredRunner,
    dangerous_elements,
    grid_html,
    html_values,
    org_names,
    visible_text,
    writes,
)


def row_of(table, key):
    return next(row for row in table.grid.rows if row["key"] == key)


def edit(table, key, field, value):
    assert table.grid.receive({"event": "edit", "key": key, "field": field, "value": value})


def plan_summary(plan):
    return sorted((c.op.value, c.org_id, tuple(sorted(c.after.items()))) for c in plan.changes)


@pytest.fixture
def table(wclient, sync):
    table = OrgTable(wclient, runner=sync)
    yield table
    table.close()


def first_rows(table, n):
    return [row["key"] for row in table.grid.rows[:n]]


def test_edits_are_marked_counted_and_sent_nowhere(wclient, table):
    a, b, c = first_rows(table, 3)
    before = {k: row_of(table, k)["cells"]["name"]["value"] for k in (a, b, c)}
    edit(table, a, "name", "Renamed In Grid")
    edit(table, b, "description", "new\ndescription")
    assert table.grid.receive({"event": "delete", "key": c, "on": True})
    assert table.edits.count() == 3
    assert visible_text(table.edits_label.value) == "3 edits (not sent)"
    assert table.review_button.description == "Review 3 changes" and not table.review_button.disabled
    cell = row_of(table, a)["cells"]["name"]
    assert cell["edited"] and cell["value"] == "Renamed In Grid"
    assert cell["title"] == f"Renamed In Grid\n(was: {before[a]})"
    assert row_of(table, b)["cells"]["description"]["edited"]
    assert not row_of(table, b)["cells"]["name"]["edited"]
    assert row_of(table, c)["deleted"]
    edit(table, a, "name", before[a])  # typed back: no edit any more
    assert table.edits.count() == 2 and not row_of(table, a)["cells"]["name"]["edited"]
    assert writes(wclient) == []


def test_the_review_plans_exactly_the_edits_and_nothing_is_sent_before_apply(wclient, table):
    a, c = first_rows(table, 2)
    b = next(row["key"] for row in table.grid.rows[2:] if row["cells"]["description"]["value"])
    edit(table, a, "name", "Renamed In Grid")
    edit(table, b, "description", "")  # clearing a description is an edit too
    table.mark_delete(c)
    new = table.add_row()
    edit(table, new, "name", "Made In Grid")
    assert table.edits.count() == 4
    table.review_button.click()
    review = table.review_widget
    assert review is not None and table.review_box.children == (review,)
    same = wclient.organizations.plan(table.edited_frame(), base=table.snapshot.orgs)
    assert plan_summary(review.plan) == plan_summary(same)
    assert plan_summary(review.plan) == sorted(
        [
            ("rename", a, (("name", "Renamed In Grid"),)),
            ("describe", b, (("description", ""),)),
            ("delete", c, ()),
            ("create", None, (("description", ""), ("name", "Made In Grid"))),
        ]
    )
    assert writes(wclient) == []
    assert not review.apply()  # the delete is not confirmed yet
    assert writes(wclient) == [] and "confirm the destructive changes" in review.status_text


def test_apply_sends_the_reviewed_edits_and_the_grid_shows_the_new_values(wclient, sync):
    done = []
    panel = OrgAdminPanel(wclient, runner=sync, on_done=done.append)
    table = panel.table
    a, b, c = first_rows(table, 3)
    doomed = row_of(table, c)["cells"]["name"]["value"]
    edit(table, a, "name", "Renamed In Grid")
    edit(table, b, "description", "described\nin the grid")
    table.mark_delete(c)
    table.add_row("Made In Grid", "from a new row")
    drains = wclient.local_sandbox.log.count(method="GET", path_prefix="/v2/organizations")
    review = table.review()
    review.confirm_inputs[c].value = doomed  # the delete's confirmation: its exact name
    assert review.apply()
    assert review.status_text == "4 of 4 applied"
    server = {o["id"]: o for o in wclient.local_sandbox.state.orgs()}
    assert server[a]["name"] == "Renamed In Grid"
    assert server[b]["description"] == "described\nin the grid"
    assert c not in server and "Made In Grid" in org_names(wclient)
    # the grid, at once: the new values, unmarked; no edit left; the snapshot patched, not re-drained
    assert table.edits.count() == 0 and table.problems == {}
    assert table.status_text == "4 changes applied: the grid shows the new values"
    table.filter_input.value = "in grid"
    shown = {row["cells"]["name"]["value"]: row for row in table.grid.rows}
    assert set(shown) == {"Renamed In Grid", "Made In Grid"}
    assert not any(cell["edited"] for row in table.grid.rows for cell in row["cells"].values())
    assert not shown["Made In Grid"]["new"] and shown["Made In Grid"]["created"]  # read back: real id, time
    table.filter_input.value = ""
    assert c not in [row["key"] for row in table.grid.rows]
    gets = wclient.local_sandbox.log.count(method="GET", path_prefix="/v2/organizations") - drains
    assert gets <= 3  # the stale check's drain, the create's read-back(s): no re-drain of the list
    assert done and done[-1].ok  # the panel was told (its Activity tab refreshed)
    assert "Renamed In Grid" in "".join(visible_text(markup) for markup in html_values(panel.activity))
    panel.open_org(a)  # the other tabs know the new name
    assert panel.update.name_input.value == "Renamed In Grid"


def test_a_failed_change_stays_marked_and_the_rest_is_applied(wclient, table):
    a, b = first_rows(table, 2)
    edit(table, a, "name", "Renamed In Grid")
    edit(table, b, "description", "refused")
    wclient.local_sandbox.faults.add(status=403, method="PATCH", path=f"/v2/organizations/{b}", times=10)
    review = table.review()
    review.apply()
    assert review.status_text.startswith("1 of 2 applied, 1 failed")
    assert table.edits.count() == 1 and table.edits.edited(b, "description")
    assert row_of(table, b)["cells"]["description"]["edited"]  # still marked: retry or discard
    assert not row_of(table, a)["cells"]["name"]["edited"]
    assert row_of(table, a)["cells"]["name"]["value"] == "Renamed In Grid"
    wclient.local_sandbox.faults.clear()
    review.retry()
    assert table.edits.count() == 0
    assert {o["id"]: o for o in wclient.local_sandbox.state.orgs()}[b]["description"] == "refused"


def test_discard_restores_the_loaded_values_and_closes_the_review(wclient, table):
    a, b = first_rows(table, 2)
    name = row_of(table, a)["cells"]["name"]["value"]
    edit(table, a, "name", "Never Sent")
    table.mark_delete(b)
    table.add_row("Never Created")
    table.review()
    assert table.review_widget is not None
    table.discard_button.click()
    assert table.edits.count() == 0 and not table.edits.new and table.review_widget is None
    assert table.review_box.children == () and table.status_text == "discarded 3 edits"
    assert row_of(table, a)["cells"]["name"]["value"] == name
    assert not row_of(table, a)["cells"]["name"]["edited"]
    assert not row_of(table, b)["deleted"] and not any(row["new"] for row in table.grid.rows)
    assert writes(wclient) == []


def test_a_new_edit_closes_an_open_review(table):
    a, b = first_rows(table, 2)
    edit(table, a, "name", "First Edit")
    table.review()
    edit(table, b, "name", "Second Edit")
    assert table.review_widget is None
    assert table.status_text == "the edits changed: review them again before applying"
    assert plan_summary(table.review().plan) == sorted(
        [("rename", a, (("name", "First Edit"),)), ("rename", b, (("name", "Second Edit"),))]
    )


def test_edited_frame_and_load_frame_round_trip(wclient, sync, table):
    a, b, c = first_rows(table, 3)
    edit(table, a, "name", "Round Trip")
    edit(table, b, "description", "multi\nline")
    table.mark_delete(c)
    table.add_row("Brand New", "made here")
    table.add_row()  # blank: left out
    frame = table.edited_frame()
    assert list(frame.columns) == ["id", "name", "description", "created_at", "delete"]
    assert {str(k): str(v) for k, v in frame.dtypes.items()} == FRAME_DTYPES
    assert list(frame["id"].fillna("")) == [a, b, c, ""]
    assert list(frame["delete"]) == [False, False, True, False]
    other = OrgTable(wclient, runner=sync)
    assert other.load_frame(frame) == 4
    assert other.edits.fields == table.edits.fields and other.edits.deletes == table.edits.deletes
    assert [(r.name, r.description) for r in other.edits.new.values()] == [("Brand New", "made here")]
    assert plan_summary(other.review().plan) == plan_summary(table.review().plan)
    assert writes(wclient) == []
    other.close()


def test_load_frame_reads_a_frame_edited_in_code(wclient, sync):
    panel = OrgAdminPanel(wclient, runner=sync)
    base = wclient.organizations.to_frame(progress=False)
    edited = base.copy()  # the whole account: unchanged rows change nothing
    edited.loc[0, "name"] = "Edited In Code"
    edited.loc[1, "description"] = "line one\nline two"
    edited["delete"] = False
    edited.loc[2, "delete"] = True
    edited = pd.concat([edited, pd.DataFrame([{"name": "Added In Code"}])], ignore_index=True)
    panel.select("Create")
    assert panel.load_frame(edited) == 4
    assert panel.tabs.selected_index == TAB_TITLES.index("Browse")
    table = panel.table
    assert table.edits.value(base.loc[0, "id"], "name", "") == "Edited In Code"
    assert table.edits.deletes == {base.loc[2, "id"]}
    assert table.grid.rows[0]["new"] and table.grid.rows[0]["cells"]["name"]["value"] == "Added In Code"
    assert len(panel.edited_frame()) == 4
    assert writes(wclient) == []


def test_load_frame_reports_every_broken_rule_and_leaves_the_grid_alone(wclient, table):
    a = first_rows(table, 1)[0]
    edit(table, a, "name", "Kept Edit")
    base = wclient.organizations.to_frame(progress=False)
    bad = base.head(3).copy()
    bad.loc[0, "name"] = "   "
    bad.loc[1, "id"] = "T3JnYW5pemF0aW9uOjk5OTk="
    with pytest.raises(PlanValidationError) as caught:
        table.load_frame(bad)
    assert {issue.row for issue in caught.value.issues} == {"0", "1"}
    assert table.edits.fields == {a: {"name": "Kept Edit"}}


def test_add_row_opens_its_name_for_typing_and_a_blank_row_counts_for_nothing(table):
    assert table.grid.receive({"event": "add"})
    new = table.grid.rows[0]
    assert new["new"] and new["key"].startswith("new:")
    assert table.grid.focus["key"] == new["key"] and table.grid.focus["field"] == "name"
    n = table.grid.focus["n"]
    assert table.edits.count() == 0 and table.review_button.disabled  # blank: nothing to create yet
    assert table.edited_frame().empty
    edit(table, new["key"], "name", "Typed In")
    assert table.edits.count() == 1 and table.grid.rows[0]["cells"]["name"]["value"] == "Typed In"
    table.grid.receive({"event": "add"})
    assert table.grid.focus["n"] == n + 1  # each add opens its own editor once
    assert table.grid.receive({"event": "delete", "key": new["key"], "on": True})  # removes a new row
    assert new["key"] not in table.edits.new and table.edits.count() == 0


def test_a_delete_mark_still_needs_its_confirmation_in_the_review(wclient, table):
    org = table.grid.rows[0]
    table.mark_delete(org["key"])
    review = table.review()
    assert [c.op for c in review.plan.changes] == [Op.DELETE]
    assert review.apply_button.disabled and review.unconfirmed() == [org["cells"]["name"]["value"]]
    review.confirm_inputs[org["key"]].value = org["cells"]["name"]["value"].upper()
    assert review.apply_button.disabled and not review.apply()
    assert writes(wclient) == []
    table.mark_delete(org["key"], on=False)  # unmarked: the review closes, nothing to review
    assert table.review_widget is None and table.edits.count() == 0


def test_bad_values_are_marked_inline_and_the_plan_checks_every_rule(wclient, table):
    a, b, c = first_rows(table, 3)
    taken = row_of(table, c)["cells"]["name"]["value"]
    edit(table, a, "name", "  ")
    assert "cannot be empty" in row_of(table, a)["cells"]["name"]["problem"]
    edit(table, a, "name", taken.upper())
    assert "already taken" in row_of(table, a)["cells"]["name"]["problem"]
    assert "1 to fix" in visible_text(table.edits_label.value)
    edit(table, a, "name", "Same New Name")
    edit(table, b, "name", "same new name")  # not taken now; the two edits collide
    assert table.problems == {}
    assert table.review() is None
    assert table.status_text == "not reviewed: 2 problems in the edits (marked in red)"
    assert "collides" in row_of(table, a)["cells"]["name"]["problem"]
    assert "collides" in row_of(table, b)["cells"]["name"]["problem"]
    assert row_of(table, a)["cells"]["name"]["title"].startswith(row_of(table, a)["cells"]["name"]["problem"])
    edit(table, b, "name", "Another Name")
    assert table.review() is not None and writes(wclient) == []


def test_edits_wait_while_an_apply_runs(wclient):
    deferred = DeferredRunner()
    table = OrgTable(wclient, runner=deferred)
    a, b = first_rows(table, 2)
    edit(table, a, "name", "In Flight")
    review = table.review()
    assert review.apply() and review.busy  # the apply is in flight
    assert not table.edit(b, "name", "Too Late") and not table.grid.editable
    assert table.status_text == "an apply is running: edit again when it has finished"
    assert table.review_button.disabled and table.discard_button.disabled
    deferred.run_all()
    assert not review.busy and table.grid.editable and table.edits.count() == 0
    assert table.edit(b, "name", "Now Fine")


def test_with_background_threads_wait_covers_the_apply_and_the_grid_following_it(wclient):
    table = OrgTable(wclient, runner=ThreadRunner())
    a = first_rows(table, 1)[0]
    edit(table, a, "name", "From A Thread")
    review = table.review()
    assert review.apply()
    assert table.wait(30)
    assert review.status_text == "1 of 1 applied" and table.edits.count() == 0
    cell = row_of(table, a)["cells"]["name"]
    assert cell["value"] == "From A Thread" and not cell["edited"]
    table.close()


def test_a_refresh_keeps_edits_and_drops_those_of_organizations_gone(wclient, table):
    a, b = first_rows(table, 2)
    edit(table, a, "description", "kept over a refresh")
    edit(table, b, "name", "Its Org Is Gone")
    wclient.organizations.delete(organization=b)  # another admin
    table.refresh_button.click()
    assert table.edits.fields == {a: {"description": "kept over a refresh"}}
    assert table.status_text.endswith("; 1 edited organization is gone from the list: edits dropped")
    assert row_of(table, a)["cells"]["description"]["edited"]


def test_hostile_edits_and_names_render_as_text(wclient, table):
    wclient.local_sandbox.state.create_org(XSS, "<script>alert(2)</script>")
    table.refresh_button.click()
    hostile, a = first_rows(table, 2)
    assert row_of(table, hostile)["cells"]["name"]["value"] == XSS
    edit(table, a, "name", "<script>alert(3)</script>")
    edit(table, a, "description", '"><img src=x onerror=alert(4)>')
    table.add_row("<iframe src=x>")
    markup = grid_html(table.grid)
    assert dangerous_elements(markup) == []
    assert "<script>alert(3)</script>" in visible_text(markup) and XSS in visible_text(markup)


def test_two_names_swapped_in_the_grid_are_no_problem_and_apply(wclient, table):
    a, b = first_rows(table, 2)
    name_a, name_b = (row_of(table, k)["cells"]["name"]["value"] for k in (a, b))
    edit(table, a, "name", name_b)
    assert "already taken" in row_of(table, a)["cells"]["name"]["problem"]  # b still holds it
    edit(table, b, "name", name_a)
    edit(table, a, "name", name_b)  # checked again: b is renamed too, the plan decides
    assert table.problems == {}
    review = table.review()
    assert review is not None and review.apply()
    server = {o["id"]: o["name"] for o in wclient.local_sandbox.state.orgs()}
    assert (server[a], server[b]) == (name_b, name_a)
    assert row_of(table, a)["cells"]["name"]["value"] == name_b and table.edits.count() == 0
