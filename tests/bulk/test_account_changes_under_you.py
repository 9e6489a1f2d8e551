"""Another admin works in the same account between our calls; a kernel dies mid-apply.

Each test here failed before the fix it pins (the issue "never act on stale knowledge"): by-name
calls acted on a remembered id, forced applies looped, swaps stranded a temporary name, undo
overwrote a later edit, a resumed removal was misreported, a members plan claimed roles it cannot read.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pandas as pd
import pytest

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.bulk.apply import TEMP_PREFIX
from arize_orgs_nb.errors import ConfirmationRequiredError, StalePlanError
from tests.conftest import FakeClock, colleague_of

WRITES = ("POST", "PATCH", "DELETE")


class Killed(BaseException):
    """The kernel dies: raised from a transport listener, it unwinds the apply like a kill."""


@pytest.fixture(params=["in-process", "http"])
def pair(request) -> Iterator[tuple[ArizeOrgs, ArizeOrgs]]:
    """Our client and a colleague's, on one sandbox."""
    clock = FakeClock()
    ours = ArizeOrgs.sandbox(
        orgs=0,
        users=0,
        in_process=request.param == "in-process",
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(1),
    )
    with ours, colleague_of(ours) as theirs:
        yield ours, theirs


def writes(client: ArizeOrgs) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in client.local_sandbox.log.records() if r.method in WRITES]


def names(client: ArizeOrgs) -> dict[str, str]:
    return {o["id"]: o["name"] for o in client.local_sandbox.state.orgs()}


def kill_on(client: ArizeOrgs, method: str, nth: int = 1) -> None:
    """Die right after the server answered the nth ``method`` (committed, answer never recorded)."""
    seen = {"n": 0}

    def listener(event) -> None:
        if event.kind == "response" and event.method == method:
            seen["n"] += 1
            if seen["n"] == nth:
                raise Killed

    client.transport.add_listener(listener)


# -- 1. a name means the organization that bears it now --------------------------------------------


def test_a_write_by_name_lands_on_the_org_that_bears_the_name_now(pair):
    ours, theirs = pair
    x = ours.organizations.create(name="X", description="first")
    assert ours.organizations.get(organization="X").id == x.id  # we have seen "X" before
    theirs.organizations.update(organization=x.id, name="X-old")
    new_x = theirs.organizations.create(name="X", description="the colleague's")
    assert ours.organizations.get(organization="X").id == new_x.id
    ours.organizations.update(organization="X", description="ours")
    assert ours.organizations.get(organization=x.id).description == "first"  # the renamed one untouched
    ours.organizations.delete(organization="X")  # IRREVERSIBLE: must hit the org named X now
    assert names(ours) == {x.id: "X-old"}


def test_a_write_by_name_costs_one_lookup_and_one_write_and_by_id_only_the_write(pair):
    ours, _ = pair
    for i in range(99):
        ours.local_sandbox.state.create_org(f"Team {i}")
    org = ours.organizations.create(name="Team")  # 100 names contain "Team"
    log = ours.local_sandbox.log
    log.clear()
    ours.organizations.update(organization="Team", description="d")
    assert [r.method for r in log.records()] == ["GET", "PATCH"]
    log.clear()
    ours.organizations.delete(organization=org.id)
    assert [r.method for r in log.records()] == ["DELETE"]


# -- 2. a forced apply always ends ------------------------------------------------------------------


def plan_edit(client: ArizeOrgs, edit) -> tuple[pd.DataFrame, object]:
    base = client.organizations.to_frame(progress=False)
    edited = base.copy()
    edit(edited)
    return base, client.organizations.plan(edited, base=base)


@pytest.mark.timeout(60)
def test_a_forced_rename_onto_a_name_a_colleague_took_fails_with_the_holder_and_the_rest_applies(pair):
    ours, theirs = pair
    for name in ("A", "B", "C"):
        ours.organizations.create(name=name)

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[frame.name == "C", "description"] = "still applied"
        frame["name"] = frame["name"].replace({"A": "B", "B": "Wanted"})  # a chain: A waits for B

    _, plan = plan_edit(ours, edit)
    holder = theirs.organizations.create(name="Wanted")
    with pytest.raises(StalePlanError, match="'Wanted' is now taken"):
        plan.apply(progress=False)
    result = plan.apply(force=True, progress=False)
    by_op = {(o.change.op.value, o.change.org_name): o for o in result.outcomes}
    assert by_op[("rename", "B")].status == "failed"
    assert "not sent" in by_op[("rename", "B")].error and holder.id in by_op[("rename", "B")].error
    assert by_op[("rename", "A")].status == "failed" and "did not happen" in by_op[("rename", "A")].error
    assert by_op[("describe", "C")].status == "applied"
    assert sorted(names(ours).values()) == ["A", "B", "C", "Wanted"]  # nothing renamed, nothing stranded
    # one PATCH in all: C's description; no rename and no temporary-name step was sent
    assert [m for m, _ in writes(ours)].count("PATCH") == 1


@pytest.mark.timeout(60)
def test_a_resume_whose_rename_target_was_taken_meanwhile_is_refused_then_ends_when_forced(pair):
    ours, theirs = pair
    ours.organizations.create(name="B")
    base = ours.organizations.to_frame(progress=False)
    edited = pd.concat([base.assign(name="Wanted"), pd.DataFrame([{"name": "New"}])], ignore_index=True)
    plan = ours.organizations.plan(edited, base=base)  # creates run first, then renames
    kill_on(ours, "POST")
    with pytest.raises(Killed):
        plan.apply(workers=1, progress=False)
    theirs.organizations.create(name="Wanted")
    (unfinished,) = ours.journal.unfinished()
    with pytest.raises(StalePlanError, match="'Wanted' is now taken"):
        ours.journal.resume(unfinished)
    result = ours.journal.resume(unfinished, force=True)
    assert result is not None
    by_op = {o.change.op.value: o for o in result.outcomes}
    assert (by_op["create"].status, by_op["create"].reconciled) == ("applied", True)  # landed before the kill
    assert by_op["rename"].status == "failed" and "not sent" in by_op["rename"].error
    assert ours.journal.unfinished() == []
    assert sorted(names(ours).values()) == ["B", "New", "Wanted"]


# -- 3. a swap never strands a temporary name unreported -------------------------------------------


def test_a_swap_whose_last_step_fails_reports_the_temporary_name_and_the_retry_finishes_it(pair):
    ours, _ = pair
    a = ours.organizations.create(name="Alpha")
    b = ours.organizations.create(name="Beta")

    def edit(frame: pd.DataFrame) -> None:
        frame["name"] = frame["name"].replace({"Alpha": "Beta", "Beta": "Alpha"})

    _, plan = plan_edit(ours, edit)
    faults = ours.local_sandbox.faults
    steps = {"n": 0}

    def fail_the_last_step(event) -> None:  # after two renames landed, the third one meets an outage
        if event.kind == "response" and event.method == "PATCH":
            steps["n"] += 1
            if steps["n"] == 2:
                faults.add(status=503, method="PATCH", times=4)

    remove = ours.transport.add_listener(fail_the_last_step)
    result = plan.apply(workers=1, progress=False)
    remove()
    (stranded,) = [o for o in result.outcomes if o.status == "failed"]
    assert stranded.temporary_name is not None and stranded.temporary_name.startswith(TEMP_PREFIX)
    assert names(ours)[stranded.change.org_id] == stranded.temporary_name
    assert stranded.temporary_name in stranded.error and "failed().apply()" in stranded.error
    frame = result.to_frame()
    assert frame.loc[frame.status == "failed", "temporary_name"].tolist() == [stranded.temporary_name]
    assert ours.journal.to_frame()["temporary_name"].dropna().tolist() == [stranded.temporary_name]
    assert result.failed().apply(progress=False).ok  # not refused as stale: it finishes the swap
    assert names(ours) == {a.id: "Beta", b.id: "Alpha"}


# -- 4. undo never overwrites a later edit silently ------------------------------------------------


def test_undo_is_refused_when_a_colleague_changed_the_org_since_and_forced_it_reverts(pair):
    ours, theirs = pair
    org = ours.organizations.create(name="Team", description="v1")
    other = ours.organizations.create(name="Other", description="o1")

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[frame.name == "Team", "description"] = "v2"
        frame.loc[frame.name == "Other", "description"] = "o2"

    _, plan = plan_edit(ours, edit)
    result = plan.apply(progress=False)
    theirs.organizations.update(organization=org.id, description="v3")
    ours.local_sandbox.log.clear()
    undo = ours.journal.undo(result)
    with pytest.raises(StalePlanError, match="'v3'"):
        undo.apply(progress=False)
    assert writes(ours) == []
    assert undo.apply(force=True, progress=False).ok
    assert ours.organizations.get(organization=org.id).description == "v1"
    assert ours.organizations.get(organization=other.id).description == "o1"


def test_undoing_a_create_is_refused_when_the_org_was_re_described_since(pair):
    """The long B8 run found it: the undo of a create (a delete) checked the name only, so it
    deleted an organization whose description had been changed since, erasing that edit."""
    ours, theirs = pair

    base = ours.organizations.to_frame(progress=False)  # empty: the row is a create
    edited = pd.concat([base, pd.DataFrame([{"name": "Red", "description": "new"}])], ignore_index=True)
    result = ours.organizations.plan(edited, base=base).apply(progress=False)
    (created,) = [o.result_id for o in result.outcomes]
    theirs.organizations.update(organization="Red", description="a colleague's")
    ours.local_sandbox.log.clear()
    undo = ours.journal.undo(result)
    with pytest.raises(StalePlanError, match='had its description changed to "a colleague\'s"'):
        undo.apply(confirm=True, progress=False)
    assert writes(ours) == [] and names(ours) == {created: "Red"}
    assert undo.apply(confirm=True, force=True, progress=False).ok  # forced: deleted as asked
    assert names(ours) == {}


def test_undo_never_inverts_a_row_that_did_not_apply(pair):
    ours, _ = pair
    first = ours.organizations.create(name="First", description="d1")
    ours.organizations.create(name="Second", description="d2")

    def edit(frame: pd.DataFrame) -> None:
        frame["description"] = "new"

    _, plan = plan_edit(ours, edit)
    ours.local_sandbox.faults.add(status=422, method="PATCH", path=f"/v2/organizations/{first.id}")
    result = plan.apply(workers=1, progress=False)
    assert sorted(o.status for o in result.outcomes) == ["applied", "failed"]
    undo = ours.journal.undo(result)
    assert [c.org_name for c in undo] == ["Second"]
    assert undo.apply(progress=False).ok
    assert sorted((o["name"], o["description"]) for o in ours.local_sandbox.state.orgs()) == [
        ("First", "d1"),
        ("Second", "d2"),
    ]


# -- 5. a resumed removal that had landed is done ---------------------------------------------------


def members_frame(org: str, email: str, **columns) -> pd.DataFrame:
    return pd.DataFrame([{"organization": org, "user": email, **columns}])


def test_a_resumed_removal_that_had_landed_is_applied_and_forgotten_in_known_members(pair):
    ours, _ = pair
    state = ours.local_sandbox.state
    ana = state.create_user("Ana", "ana@example.com", role="MEMBER")
    ours.organizations.create(name="Search")
    assert ours.memberships.plan(members_frame("Search", ana["email"], role="ADMIN")).apply(progress=False).ok
    removal = ours.memberships.plan(members_frame("Search", ana["email"], remove=True))
    kill_on(ours, "DELETE")
    with pytest.raises(Killed):
        removal.apply(confirm=True, workers=1, progress=False)
    assert state.memberships() == []  # the removal landed; its answer was never recorded
    result = ours.journal.resume()
    assert result is not None and [(o.status, o.reconciled) for o in result.outcomes] == [("applied", True)]
    assert ours.memberships.known().empty


def test_a_resumed_role_set_is_sent_again(pair):
    ours, _ = pair
    ana = ours.local_sandbox.state.create_user("Ana", "ana@example.com", role="MEMBER")
    ours.organizations.create(name="Search")
    plan = ours.memberships.plan(members_frame("Search", ana["email"], role="READ_ONLY"))
    kill_on(ours, "POST")
    with pytest.raises(Killed):
        plan.apply(workers=1, progress=False)
    result = ours.journal.resume()
    assert result is not None and result.ok
    posts = [r for r in ours.local_sandbox.log.records() if r.method == "POST" and r.path.endswith("/users")]
    assert len(posts) == 2  # an upsert: sending it again is safe and converges
    assert ours.memberships.known()["role"].tolist() == ["READ_ONLY"]


# -- 9. a members plan never claims a role it cannot read -------------------------------------------


def test_a_role_a_colleague_changed_since_is_set_again_by_default(pair):
    ours, theirs = pair
    ana = ours.local_sandbox.state.create_user("Ana", "ana@example.com", role="MEMBER")
    org = ours.organizations.create(name="Search")
    desired = members_frame("Search", ana["email"], role="ADMIN")
    assert ours.memberships.plan(desired).apply(progress=False).ok
    theirs.organizations.add_user(organization=org.id, user_id=ana["id"], role="READ_ONLY")
    assert ours.memberships.plan(desired).apply(progress=False).ok
    roles = {m["user_id"]: m["role"]["name"] for m in ours.local_sandbox.state.memberships()}
    assert roles[ana["id"]] == "ADMIN"


def test_a_members_plan_by_name_is_refused_when_the_name_moved_to_another_org(pair):
    ours, theirs = pair
    ana = ours.local_sandbox.state.create_user("Ana", "ana@example.com", role="MEMBER")
    old = ours.organizations.create(name="Search")
    plan = ours.memberships.plan(members_frame("Search", ana["email"], role="ADMIN"))
    theirs.organizations.update(organization=old.id, name="Search-old")
    theirs.organizations.create(name="Search")
    ours.local_sandbox.log.clear()
    with pytest.raises(StalePlanError, match="renamed to 'Search-old'"):
        plan.apply(progress=False)
    assert writes(ours) == []


# -- 10. smaller holes ------------------------------------------------------------------------------


def test_each_delete_needs_its_own_confirmation(pair):
    ours, _ = pair
    for name in ("One", "Two", "Three"):
        ours.organizations.create(name=name)

    def edit(frame: pd.DataFrame) -> None:
        frame["delete"] = True

    _, plan = plan_edit(ours, edit)
    ours.local_sandbox.log.clear()
    with pytest.raises(ConfirmationRequiredError) as info:
        plan.apply(confirm=["One"], progress=False)
    assert sorted(c.org_name for c in info.value.unconfirmed) == ["Three", "Two"]
    assert writes(ours) == []


def test_an_id_twice_on_one_page_is_kept_once_with_a_warning(pair):
    from arize_orgs_nb.errors import DuplicateRowsWarning

    ours, _ = pair
    org = ours.organizations.create(name="Only")
    row = {"id": org.id, "name": "Only", "description": "", "created_at": org.created_at.isoformat()}
    page = {"organizations": [row, row], "pagination": {"has_more": False, "next_cursor": None}}
    ours.local_sandbox.faults.add(
        status=200, method="GET", body=json.dumps(page), content_type="application/json"
    )
    with pytest.warns(DuplicateRowsWarning, match="kept once"):
        frame = ours.organizations.to_frame(progress=False)
    assert frame["id"].tolist() == [org.id]


def test_tests_run_with_a_temporary_home(tmp_path_factory):
    import os
    from pathlib import Path

    with ArizeOrgs(api_key="k", api_host="127.0.0.1:1", api_scheme="http") as client:
        journal = Path(client.journal.path)
    home = Path(os.environ["HOME"])
    assert journal.is_relative_to(home) and home.is_relative_to(tmp_path_factory.getbasetemp())
