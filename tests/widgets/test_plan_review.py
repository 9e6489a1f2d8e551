"""PlanReview headless: include/exclude, confirmation of destructive rows, apply, cancel, retry, stale."""

import threading

import pandas as pd
import pytest

from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE
from arize_orgs_nb.widgets import PlanReview, ThreadRunner
from arize_orgs_nb.widgets.plan_review import CONFIRM_ALL
from tests.conftest import make_client

from .conftest import ORGS, XSS, dangerous_elements, html_values, org_names, visible_text, writes


def described(client, count, text="reviewed"):
    """A plan changing the description of the first ``count`` organizations (sorted by name)."""
    base = client.organizations.to_frame(progress=False).sort_values("name").reset_index(drop=True)
    edited = base.head(count).copy()
    edited["description"] = [f"{text} {i}" for i in range(count)]
    return client.organizations.plan(edited, base=base), base


def server_descriptions(client):
    return {o["id"]: o["description"] for o in client.local_sandbox.state.orgs()}


def patched_ids(client):
    return [r.path.rsplit("/", 1)[-1] for r in writes(client) if r.method == "PATCH"]


def result_text(review, change):
    return visible_text(review.result_cells[change.key].value)


def test_the_diff_has_one_row_per_change_and_escapes_every_name(wclient, sync):
    state = wclient.local_sandbox.state
    evil = state.create_org(XSS, "</td><script>alert(2)</script>")
    base = wclient.organizations.to_frame(progress=False)
    edited = base.copy()
    edited["delete"] = edited["id"] == evil["id"]
    first = edited.index[edited["id"] != evil["id"]][0]
    edited.loc[first, "name"] = "Renamed <b>bold</b>"
    new = pd.DataFrame([{"name": XSS + " 2", "description": '"onmouseover="x'}])
    plan = wclient.organizations.plan(pd.concat([edited, new], ignore_index=True), base=base)
    review = plan.review()  # the entry point of the plan; default runner (no apply here)
    assert isinstance(review, PlanReview)
    assert len(review.include) == len(plan) == 3
    assert all(box.value for box in review.include.values())  # everything included by default
    rows = {c.op.value: c for c in plan}
    cells = [
        visible_text(w.value) for w in review.grid.children if isinstance(getattr(w, "value", None), str)
    ]
    text = "\n".join(cells)
    assert {"+", "~", "-"} <= set(cells)
    assert "create" in cells and "rename" in cells and "delete" in cells
    assert f"name: “{XSS} 2”" in text
    assert "→ “Renamed <b>bold</b>”" in text
    assert "destructive" in cells and "safe" in cells
    assert list(review.confirm_inputs) == [rows["delete"].org_id] == [evil["id"]]
    assert CASCADE_DELETE in visible_text(review.confirm_box.children[0].value)
    assert XSS in text
    for markup in html_values(review):
        assert dangerous_elements(markup) == [], markup
    review.close()


def test_only_the_included_changes_are_sent(wclient, sync):
    plan, _ = described(wclient, 4)
    review = PlanReview(plan, runner=sync)
    skipped = [plan[1], plan[3]]
    for change in skipped:
        review.include[change.key].value = False
    assert "2 of 4 changes included" in visible_text(review.count.value)
    before = server_descriptions(wclient)
    wclient.local_sandbox.log.clear()
    review.apply_button.click()
    assert review.status_kind == "ok" and review.status_text == "2 of 2 applied"
    assert sorted(patched_ids(wclient)) == sorted(c.org_id for c in (plan[0], plan[2]))
    after = server_descriptions(wclient)
    assert after[plan[0].org_id] == "reviewed 0" and after[plan[2].org_id] == "reviewed 2"
    for change in skipped:
        assert after[change.org_id] == before[change.org_id]
        assert result_text(review, change) == "—"
    assert result_text(review, plan[0]).startswith("applied · HTTP 200 · 1 attempt")
    assert review.progress.value == review.progress.max == 2
    # applied once: Apply, the checkboxes and Retry are off now
    assert review.apply_button.disabled and review.retry_button.disabled
    assert all(box.disabled for box in review.include.values())
    review.apply()
    assert len(patched_ids(wclient)) == 2
    assert list(wclient.journal.to_frame()["status"]) == ["applied", "applied"]


def test_nothing_included_keeps_apply_disabled(wclient, sync):
    plan, _ = described(wclient, 2)
    review = PlanReview(plan, runner=sync)
    review.exclude_all.click()
    assert review.apply_button.disabled
    assert "include at least one change" in visible_text(review.hint.value)
    wclient.local_sandbox.log.clear()
    assert review.apply() is False
    assert review.status_kind == "error" and writes(wclient) == []
    review.include_all.click()
    assert not review.apply_button.disabled


@pytest.fixture
def doomed_plan(wclient):
    """A plan that renames one organization and deletes another one."""
    keep = wclient.organizations.create(name="Keep Me")
    doomed = wclient.organizations.create(name="Doomed Org")
    base = wclient.organizations.to_frame(progress=False)
    edited = base[base["id"].isin([keep.id, doomed.id])].copy()
    edited["delete"] = edited["id"] == doomed.id
    edited.loc[edited["id"] == keep.id, "name"] = "Kept"
    return wclient.organizations.plan(edited, base=base), keep, doomed


def test_a_destructive_change_needs_its_exact_name_typed(wclient, sync, doomed_plan):
    plan, _keep, doomed = doomed_plan
    review = PlanReview(plan, runner=sync)
    assert review.apply_button.disabled
    assert "confirm the destructive changes first" in visible_text(review.hint.value)
    assert review.confirm_box.layout.display is None  # shown: a destructive change is included
    prompt = visible_text(review.confirm_box.children[1].children[0].value)
    assert "Doomed Org" in prompt and doomed.id in prompt and "all of its spaces" in prompt
    text = review.confirm_inputs[doomed.id]
    wclient.local_sandbox.log.clear()
    for typed in (
        "doomed org",
        "Doomed Org ",
        " Doomed Org",
        "Doomed Or",
        "Doomed\u200bOrg",
        "D\u03bfomed Org",
    ):
        text.value = typed
        assert review.apply_button.disabled, typed
        assert review.apply() is False  # a click reaching the kernel anyway: refused
        assert review.status_text.startswith("not applied: confirm the destructive changes first")
    assert writes(wclient) == []
    text.value = "Doomed Org"
    assert not review.apply_button.disabled and review.hint.value == ""
    assert review.confirm_value() == ["Doomed Org"]
    review.apply_button.click()
    assert review.status_text == "2 of 2 applied"
    assert "Doomed Org" not in org_names(wclient) and "Kept" in org_names(wclient)
    assert [r.method for r in writes(wclient)] == ["PATCH", "DELETE"]  # deletes run last


def test_excluding_the_destructive_change_needs_no_confirmation(wclient, sync, doomed_plan):
    plan, _keep, _doomed = doomed_plan
    review = PlanReview(plan, runner=sync)
    delete = next(c for c in plan if c.op.value == "delete")
    review.include[delete.key].value = False
    assert review.confirm_box.layout.display == "none"
    assert not review.apply_button.disabled
    review.apply_button.click()
    assert review.status_text == "1 of 1 applied"
    assert "Doomed Org" in org_names(wclient) and "Kept" in org_names(wclient)


def test_the_confirm_everything_box_and_member_removals(wclient, sync):
    state = wclient.local_sandbox.state
    org = wclient.organizations.create(name="Team Org")
    pat = state.create_user("Pat", "pat@example.com", role="MEMBER")
    sam = state.create_user("Sam", "sam@example.com", role="MEMBER")
    for user in (pat, sam):
        wclient.organizations.add_user(organization=org.id, user_id=user["id"], role="MEMBER")
    members = pd.DataFrame(
        [
            {"organization": "Team Org", "user": "pat@example.com", "role": "ADMIN", "remove": False},
            {"organization": "Team Org", "user": "sam@example.com", "role": None, "remove": True},
        ]
    )
    plan = wclient.memberships.plan(members)
    review = PlanReview(plan, runner=sync)
    warning = visible_text(review.confirm_box.children[0].value)
    assert CASCADE_REMOVE in warning and CASCADE_DELETE not in warning
    assert "remove sam@example.com" in visible_text(review.confirm_box.children[1].children[0].value)
    assert review.apply_button.disabled
    assert review.confirm_all.description == CONFIRM_ALL
    review.confirm_all.value = True
    assert not review.apply_button.disabled and review.confirm_value() is True
    review.apply_button.click()
    assert review.status_text == "2 of 2 applied"
    roles = {m["user_id"]: m["role"]["name"] for m in state.memberships() if m["organization_id"] == org.id}
    assert roles == {pat["id"]: "ADMIN"}


def test_a_double_click_applies_once(wclient, deferred):
    plan, _ = described(wclient, 3)
    review = PlanReview(plan, runner=deferred)
    wclient.local_sandbox.log.clear()
    review.apply_button.click()
    assert review.busy and review.apply_button.disabled and review.status_kind == "busy"
    review.apply_button.click()
    review.apply()
    review.retry()
    assert len(deferred.jobs) == 1
    deferred.run_all()
    assert len(patched_ids(wclient)) == 3
    assert not review.busy and review.status_kind == "ok"


def test_cancel_mid_apply_leaves_the_later_rows_skipped(clock):
    with make_client(clock, orgs=12, users=2, seed=5, latency_ms=80, journal=":memory:") as client:
        plan, _ = described(client, 10)
        review = PlanReview(plan, runner=ThreadRunner(), workers=2)
        first_done = threading.Event()
        review.progress.observe(lambda change: first_done.set() if change["new"] >= 1 else None, "value")
        before = server_descriptions(client)
        client.local_sandbox.log.clear()
        review.apply_button.click()
        assert first_done.wait(30)
        assert not review.cancel_button.disabled
        review.cancel_button.click()
        assert review.cancel_button.disabled
        assert review.wait(30)
        statuses = [review.outcomes[c.key].status for c in plan]
        applied = [c for c, s in zip(plan, statuses, strict=True) if s == "applied"]
        skipped = [c for c, s in zip(plan, statuses, strict=True) if s == "skipped"]
        assert len(applied) + len(skipped) == 10
        assert 1 <= len(applied) <= 6 and len(skipped) >= 4, statuses
        assert len(patched_ids(client)) == len(applied)  # a skipped change was never sent
        after = server_descriptions(client)
        for change in skipped:
            assert after[change.org_id] == before[change.org_id]
            assert result_text(review, change).startswith("skipped")
            assert "cancelled before it was sent" in result_text(review, change)
        assert review.status_kind == "warn"
        assert f"{len(skipped)} not sent" in review.status_text
        # the rest can still be sent
        assert not review.retry_button.disabled
        review.retry_button.click()
        assert review.wait(30)
        assert all(review.outcomes[c.key].status == "applied" for c in plan)
        assert server_descriptions(client)[plan[9].org_id] == "reviewed 9"


def test_retry_failed_after_503s(wclient, sync):
    plan, _ = described(wclient, 3)
    review = PlanReview(plan, runner=sync, workers=1)
    wclient.local_sandbox.faults.add(status=503, method="PATCH", times=8)
    review.apply_button.click()
    # 4 attempts per change (retries included): the first two changes use up the 8 faults
    assert review.status_kind == "error"
    assert review.status_text.startswith("1 of 3 applied, 2 failed: the Arize service failed (503)")
    assert "Retry failed" in review.status_text
    failed_text = result_text(review, plan[0])
    assert failed_text.startswith("failed · HTTP 503 · 4 attempts")
    assert "the Arize service failed (503)" in failed_text
    assert result_text(review, plan[2]).startswith("applied")
    assert "503" in review.details.outputs[0]["text"]
    assert not review.retry_button.disabled and review.apply_button.disabled
    wclient.local_sandbox.log.clear()
    review.retry_button.click()
    assert review.status_text == "2 of 2 applied"
    assert len(patched_ids(wclient)) == 2  # only the failed ones were sent again
    assert result_text(review, plan[0]).startswith("applied · HTTP 200 · 1 attempt")
    assert review.retry_button.disabled
    assert [server_descriptions(wclient)[c.org_id] for c in plan] == [
        "reviewed 0",
        "reviewed 1",
        "reviewed 2",
    ]


def test_a_stale_plan_says_so_and_sends_nothing(wclient, sync):
    plan, _ = described(wclient, 2)
    review = PlanReview(plan, runner=sync)
    wclient.organizations.update(organization=plan[1].org_id, name="Renamed Elsewhere")  # another admin
    wclient.local_sandbox.log.clear()
    review.apply_button.click()
    assert review.status_kind == "error"
    assert review.status_text.startswith("changed on the server since the list was loaded: refresh")
    assert "Renamed Elsewhere" in review.status_text
    assert writes(wclient) == []
    assert "nothing was sent" in review.details.outputs[0]["text"]
    assert not review.apply_button.disabled  # nothing was applied: it may be tried again
    assert all(result_text(review, c) == "—" for c in plan)


def test_a_failure_before_sending_is_one_line_and_the_review_recovers(wclient, sync):
    plan, _ = described(wclient, 1)
    review = PlanReview(plan, runner=sync)
    wclient.local_sandbox.faults.add(status=401, method="GET", path=ORGS)  # the stale-check drain
    review.apply_button.click()
    assert review.status_text.startswith("the API key was refused (401)")
    assert not review.busy and not review.apply_button.disabled
    review.apply_button.click()
    assert review.status_text == "1 of 1 applied"


def test_a_server_error_detail_with_markup_is_escaped(wclient, sync):
    plan, _ = described(wclient, 1)
    review = PlanReview(plan, runner=sync)
    wclient.local_sandbox.faults.add(
        status=400, method="PATCH", body=f'{{"detail": "{XSS}"}}', content_type="application/problem+json"
    )
    review.apply_button.click()
    assert XSS in review.status_text
    assert XSS in result_text(review, plan[0])
    for markup in html_values(review):
        assert dangerous_elements(markup) == [], markup
