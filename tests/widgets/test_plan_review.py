"""PlanReview headless: include/exclude, confirmation, apply, waits, cancel, retry totals, stale, undo."""

import threading
from datetime import UTC, datetime

import pandas as pd
import pytest

from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE
from arize_orgs_nb.errors import Issue, PlanValidationError
from arize_orgs_nb.http.transport import TransportEvent
from arize_orgs_nb.widgets import PlanReview, SyncRunner, ThreadRunner
from arize_orgs_nb.widgets._waits import WaitWatch
from arize_orgs_nb.widgets.plan_review import CONFIRM_ALL, SHOW_ALL, SHOW_NOT_APPLIED, refusal_headline
from tests.conftest import FakeClock, colleague_of, make_client

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


def shown_keys(review):
    """The changes whose row is in view (the Show filter hides the others' cells)."""
    return [k for k, cells in review.row_cells.items() if all(c.layout.display != "none" for c in cells)]


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
    assert len(review.grid.children) == 3 * 5  # one grid row per change: send, op, org, change, result
    assert {"~ rename", "- deletedestructive", "+ create"} <= set(cells)
    assert f'name: “{XSS} 2”description: “"onmouseover="x”' in cells  # a create: one row, name first
    assert "→ “Renamed <b>bold</b>”" in text
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
    cell = review.result_cells[plan[0].key].value  # a narrow column wraps between bits, not in one
    assert '<span style="white-space:nowrap">1 attempt</span>' in cell
    assert '<span style="white-space:nowrap">HTTP 200</span>' in cell
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
    markup = review.confirm_box.children[1].children[0].value
    prompt = visible_text(markup)
    assert "Doomed Org" in prompt and "all of its spaces" in prompt
    assert (
        f"(id …{doomed.id.rstrip('=')[-8:]})" in prompt and f'title="{doomed.id}"' in markup
    )  # short, full on hover
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
    assert review.status_text == "3 of 3 applied (2 on retry)"  # the whole plan's totals
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
    assert review.status_text.startswith(
        f"refused, nothing was sent: 1 change conflicts with the server since the plan was made: "
        f"row {plan[1].row} “{plan[1].org_name}”: was renamed to 'Renamed Elsewhere'"
    )
    assert writes(wclient) == []
    assert "nothing was sent" in review.details.outputs[0]["text"]
    assert not review.apply_button.disabled  # nothing was applied: it may be tried again
    assert result_text(review, plan[0]) == "—"
    assert result_text(review, plan[1]) == "refusedwas renamed to 'Renamed Elsewhere'"  # the row, marked
    review.show.value = SHOW_NOT_APPLIED  # only the refused row is left in view
    assert shown_keys(review) == [plan[1].key]
    # forcing is offered, never done silently: only its own button overwrites
    assert review.force_button.layout.display is None and not review.force_button.disabled
    review.force_button.click()
    assert review.status_text == "2 of 2 applied"
    assert review.force_button.layout.display == "none"
    assert server_descriptions(wclient)[plan[1].org_id] == "reviewed 1"
    assert shown_keys(review) == []  # nothing left that did not apply


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


class SteppingClock(FakeClock):
    """A fake clock whose sleeps look at the review half-way through and at the end of each wait."""

    def __init__(self) -> None:
        super().__init__()
        self.review = None
        self.reason = ""  # why the transport sleeps now (its "wait" event comes just before)
        self.seen: list[tuple[str, str]] = []  # (when in the wait, the wait line as text)

    def watch(self, client) -> None:
        """Look at the review during its client's waits (pacing's own spacing is no wait to show)."""
        client.transport.add_listener(
            lambda e: setattr(self, "reason", e.reason) if e.kind == "wait" else None
        )

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.review is None or self.reason == "paced":
            self.now += seconds
            return
        self.seen.append(("start", visible_text(self.review.wait_line.value)))
        self.now += seconds / 2
        self.review.render_wait()  # what the countdown's tick does every second
        self.seen.append(("half-way", visible_text(self.review.wait_line.value)))
        self.now += seconds / 2


EPOCH = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC


def test_a_rate_limit_wait_shows_its_reason_and_when_it_resumes_live():
    clock = SteppingClock()
    with make_client(clock, orgs=6, users=0, seed=5, journal=":memory:") as client:
        plan, _ = described(client, 6)
        review = PlanReview(
            plan, runner=SyncRunner(), workers=1, clock=clock, wall_clock=lambda: EPOCH + clock.now, tick=0
        )
        clock.review = review
        clock.watch(client)
        client.local_sandbox.faults.add(status=429, retry_after=30, method="PATCH", times=1)
        review.apply_button.click()
        assert clock.sleeps[0] == 30.0  # the wait the server asked for, not slept for real
        assert [when for when, _ in clock.seen] == ["start", "half-way"]
        (_, start_text), (_, half_text) = clock.seen
        resume = datetime.fromtimestamp(EPOCH + 1000 + 30, tz=UTC).strftime("%H:%M:%S")
        assert start_text == (
            "⚠ rate limited by the server (HTTP 429): every request waits 30 s, as it asked; "
            f"resumes in 30 s, at {resume} UTC · 0 of 6 done"
        )
        assert half_text.endswith(f"resumes in 15 s, at {resume} UTC · 0 of 6 done")  # counting down
        # after the wait: the apply went on, and the line says what it waited for in all
        assert review.status_text == "6 of 6 applied"
        assert visible_text(review.wait_line.value) == "waited: rate limited once (30 s)"


def test_a_backoff_after_a_503_says_what_the_service_answered():
    clock = SteppingClock()
    with make_client(clock, orgs=3, users=0, seed=5, journal=":memory:") as client:
        plan, _ = described(client, 3)
        review = PlanReview(
            plan, runner=SyncRunner(), workers=1, clock=clock, wall_clock=lambda: EPOCH, tick=0
        )
        clock.review = review
        clock.watch(client)
        client.local_sandbox.faults.add(status=503, method="PATCH", times=1)
        review.apply_button.click()
        ((_, text), _) = clock.seen
        assert text.startswith("⚠ the service answered HTTP 503: trying again after ")
        assert "resumes in " in text and text.endswith("· 0 of 3 done")
        assert review.status_text == "3 of 3 applied"


def test_the_countdown_ticks_by_itself_while_a_wait_lasts(clock):
    """With a real ticker (tick > 0) the wait line is refreshed from the review's own thread."""
    with make_client(clock, orgs=2, users=0, seed=5, journal=":memory:") as client:
        plan, _ = described(client, 1)
        now = [100.0]
        review = PlanReview(
            plan, runner=SyncRunner(), clock=lambda: now[0], wall_clock=lambda: EPOCH, tick=0.01
        )
        refreshed = threading.Event()
        shown: list[str] = []

        def seen(change):
            shown.append(visible_text(change["new"]))
            if "resumes in 7 s" in shown[-1]:
                refreshed.set()

        review.wait_line.observe(seen, "value")
        stop = review.waits.watch(threading.get_ident())
        client.transport._emit(TransportEvent("wait", "PATCH", "/x", seconds=10.0, reason="rate-limited"))
        assert "resumes in 10 s" in shown[-1]
        now[0] += 3  # three seconds later, no new event: only the ticker can update the line
        assert refreshed.wait(10), shown
        stop()
        review.close()


def test_totals_after_retry_are_the_whole_plans(clock):
    with make_client(clock, orgs=60, users=0, seed=5, journal=":memory:") as client:
        plan, _ = described(client, 60)
        review = PlanReview(plan, runner=SyncRunner(), workers=1)
        client.local_sandbox.faults.add(status=503, method="PATCH", times=12)  # 3 changes x 4 attempts
        review.apply_button.click()
        assert review.status_text.startswith("57 of 60 applied, 3 failed: the Arize service failed (503)")
        seen = []
        review.progress.observe(lambda change: seen.append((review.progress.max, change["new"])), "value")
        review.retry_button.click()
        assert review.status_text == "60 of 60 applied (3 on retry)"  # not "3 of 3"
        assert visible_text(review.progress_label.value) == "60 of 60 applied"
        # the bar counts the whole plan too: it goes on from 57 of 60, not from 0 of 3
        assert seen[0] == (60, 58) and seen[-1] == (60, 60) and all(v >= 57 for _, v in seen)
        assert all(review.outcomes[c.key].status == "applied" for c in plan)


def test_the_not_applied_filter_shows_only_the_rows_that_failed_or_were_skipped(wclient, sync):
    plan, _ = described(wclient, 4)
    review = PlanReview(plan, runner=sync, workers=1)
    assert review.show.disabled and review.show.options == (SHOW_ALL, SHOW_NOT_APPLIED)  # nothing sent yet
    wclient.local_sandbox.faults.add(status=503, method="PATCH", times=4)  # the first change fails
    review.include[plan[3].key].value = False  # never sent: not "not applied"
    review.apply_button.click()
    assert not review.show.disabled
    review.show.value = SHOW_NOT_APPLIED
    assert shown_keys(review) == [plan[0].key]
    assert "showing the 1 not applied" in visible_text(review.count.value)
    review.show.value = SHOW_ALL
    assert shown_keys(review) == [c.key for c in plan]
    review.show.value = SHOW_NOT_APPLIED
    review.retry_button.click()
    assert shown_keys(review) == []  # all applied now


def test_the_header_stays_in_view_over_the_scrolling_rows(wclient, sync):
    plan, _ = described(wclient, 12)
    review = PlanReview(plan, runner=sync)
    head, scroll = review.table.children
    assert head.layout.grid_template_columns == review.grid.layout.grid_template_columns  # they line up
    assert head.layout.width == review.grid.layout.width
    assert [visible_text(c.value) for c in head.children] == [
        "send",
        "op",
        "organization",
        "change",
        "result",
    ]
    assert scroll.children == (review.grid,)
    assert scroll.layout.max_height and scroll.layout.overflow == "hidden auto"  # rows scroll, not the header
    assert (
        review.table.layout.overflow == "auto hidden"
    )  # narrow outputs scroll sideways, header and rows together


def test_undo_after_apply_reverts_what_was_applied(wclient, sync):
    plan, _ = described(wclient, 2)
    before = server_descriptions(wclient)
    review = PlanReview(plan, runner=sync)
    assert review.undo_button.disabled  # nothing applied yet
    review.apply_button.click()
    assert not review.undo_button.disabled
    wclient.local_sandbox.log.clear()
    review.undo_button.click()
    assert writes(wclient) == []  # Undo only shows the reverting plan
    undo = review.undo_review
    assert undo is not None and undo.plan.summary() == "undo: 2 descriptions to change"
    assert undo.apply_button.description == "Apply undo"
    assert review.undo_button.disabled  # one undo at a time
    undo.apply_button.click()
    assert undo.status_text == "2 of 2 applied"
    assert server_descriptions(wclient) == before
    assert review.status_text == "undo: 2 of 2 changes reverted"


def test_an_undo_a_colleague_made_stale_says_who_changed_and_offers_force(wclient, sync):
    plan, _ = described(wclient, 2)
    review = PlanReview(plan, runner=sync)
    review.apply_button.click()
    colleague = colleague_of(wclient)
    colleague.organizations.update(organization=plan[0].org_id, description="set by a colleague")
    review.undo_button.click()
    undo = review.undo_review
    wclient.local_sandbox.log.clear()
    undo.apply_button.click()
    assert undo.status_kind == "error"
    assert undo.status_text.startswith("refused, nothing was sent: 1 change conflicts with the server")
    assert f"“{plan[0].org_name}”: had its description changed to 'set by a colleague'" in undo.status_text
    assert writes(wclient) == []
    assert server_descriptions(wclient)[plan[0].org_id] == "set by a colleague"
    assert undo.force_button.layout.display is None
    undo.force_button.click()  # explicit: overwrite the colleague's description with the old one
    assert undo.status_text == "2 of 2 applied"
    assert server_descriptions(wclient)[plan[0].org_id] != "set by a colleague"
    colleague.close()


def test_a_saved_notebook_reads_the_review_without_a_kernel(wclient, sync):
    plan, _ = described(wclient, 2)
    review = PlanReview(plan, runner=sync)
    bundle = review._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle  # still the live widget in Lab
    assert not text.startswith(("VBox(", "PlanReview(")) and len(text) > 110
    assert text.splitlines()[1] == "Plan organizations: 2 descriptions to change"
    (row,) = [line for line in text.splitlines() if line.startswith("~") and plan[0].org_name in line]
    assert "description: “" in row and "→ “reviewed 0”" in row
    review.apply_button.click()
    assert review._repr_mimebundle_()["text/plain"].endswith("status: 2 of 2 applied")


def test_a_refusal_names_the_rows_that_break_a_rule(wclient):
    plan, _ = described(wclient, 1)
    issues = [Issue(str(i), "name", f"problem {i}") for i in range(7)]
    headline = refusal_headline(PlanValidationError(issues), plan)
    assert headline == (
        "refused, nothing was sent: 7 problems in the plan: row 0, name: problem 0; row 1, name: problem 1; "
        "row 2, name: problem 2; row 3, name: problem 3; row 4, name: problem 4; and 2 more"
    )
    assert refusal_headline(ValueError("x"), plan) is None


def test_a_refusal_escapes_hostile_names(wclient, sync):
    org = wclient.organizations.create(name=XSS)
    base = wclient.organizations.to_frame(progress=False)
    edited = base[base["id"] == org.id].assign(description="x")
    plan = wclient.organizations.plan(edited, base=base)
    review = PlanReview(plan, runner=sync)
    wclient.organizations.update(organization=org.id, name=XSS + "</td><script>alert(2)</script>")
    review.apply_button.click()
    assert XSS in review.status_text and "<script>alert(2)</script>" in review.status_text
    for markup in html_values(review):
        assert dangerous_elements(markup) == [], markup


def test_the_estimate_follows_the_included_changes(wclient, sync):
    plan, _ = described(wclient, 4)
    review = PlanReview(plan, runner=sync)
    assert visible_text(review.estimate_line.value).startswith(
        "estimate: 5 HTTP calls"
    )  # 4 + the stale check
    review.include[plan[0].key].value = False
    assert visible_text(review.estimate_line.value).startswith("estimate: 4 HTTP calls")
    review.exclude_all.click()
    assert review.estimate_line.value == ""
    review.include_all.click()
    review.apply_button.click()
    assert review.estimate_line.value == ""  # applied: what it cost is in the result


def test_a_shared_pause_counts_once_and_pacing_slots_follow_it(clock):
    """Eight workers meet one 429 pause; the adaptive pacing's slots taken meanwhile show after it."""
    with make_client(clock, orgs=1, users=0, journal=":memory:") as client:
        now = [100.0]
        watch = WaitWatch(client.transport, clock=lambda: now[0], wall_clock=lambda: EPOCH)
        stop = watch.watch(threading.get_ident())
        emit = client.transport._emit
        emit(TransportEvent("response", "PATCH", "/x", status=429))
        for _ in range(8):  # every worker waits out the same pause
            emit(TransportEvent("wait", "PATCH", "/x", seconds=8.0, reason="rate-limited"))
        emit(TransportEvent("wait", "PATCH", "/x", seconds=12.0, reason="paced"))  # a slot after it
        assert watch.text().startswith("rate limited by the server (HTTP 429): every request waits 8 s")
        now[0] += 8.5  # the pause is over: what is left is pacing, said as such
        assert watch.text().startswith("paced: this client spaces its requests")
        assert "(in 4 s)" in watch.text()
        now[0] += 4
        emit(TransportEvent("response", "PATCH", "/x", status=200))
        assert watch.text() == "" and watch.summary() == "waited: rate limited once (8 s), paced (4 s)"
        stop()
