"""Applying plans against the sandbox: convergence, refusals with zero writes, ordering, journal, undo."""

import random
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.bulk.apply import TEMP_PREFIX
from arize_orgs_nb.errors import ConfirmationRequiredError, PlanValidationError, StalePlanError
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock, FrozenClock, SharedPauseWatch

WRITES = ("POST", "PATCH", "DELETE")
TERMINAL = {"applied", "failed", "skipped"}


def writes(server) -> int:
    return sum(server.log.count(method=m) for m in WRITES)


def sandbox_client(orgs=0, users=0, seed=0, **kwargs):
    clock = FakeClock()
    return ArizeOrgs.sandbox(
        orgs=orgs,
        users=users,
        seed=seed,
        in_process=True,
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(seed),
        **kwargs,
    )


def server_state(client):
    return sorted((o["name"], o["description"]) for o in client.local_sandbox.state.orgs())


@st.composite
def edits(draw):
    n = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 1000))
    rng = random.Random(seed)
    ops = [draw(st.sampled_from(["keep", "keep", "rename", "describe", "clear", "delete"])) for _ in range(n)]
    creates = draw(st.integers(0, 5))
    swap = draw(st.booleans())
    return n, seed, ops, creates, swap, rng.random()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=edits(), faults=st.booleans())
def test_random_edits_converge_and_a_second_plan_is_empty(spec, faults):
    n, seed, ops, creates, swap, _ = spec
    with sandbox_client(orgs=n, seed=seed) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited["delete"] = False
        for i, op in enumerate(ops):
            if op == "rename":
                edited.loc[i, "name"] = f"Renamed {seed}-{i} ☃"
            elif op == "describe":
                edited.loc[i, "description"] = f"about {i}\nnaïve"
            elif op == "clear":
                edited.loc[i, "description"] = ""
            elif op == "delete":
                edited.loc[i, "delete"] = True
        if swap and n >= 2 and ops[0] == ops[1] == "keep":
            edited.loc[0, "name"], edited.loc[1, "name"] = base.loc[1, "name"], base.loc[0, "name"]
        new = pd.DataFrame([{"name": f"New {seed}-{j}", "description": f"d{j}"} for j in range(creates)])
        edited = pd.concat([edited, new], ignore_index=True)
        plan = client.organizations.plan(edited, base=base)
        if faults:
            server.set_knobs(rate_limit_share=0.05, error_share=0.05, drop_share=0.03)
        result = plan.apply(confirm=True, workers=4, progress=False)
        assert {o.status for o in result.outcomes} <= TERMINAL
        rounds = 0
        while not result.ok and rounds < 3:
            rounds += 1
            result = result.failed().apply(confirm=True, workers=4, progress=False)
            assert {o.status for o in result.outcomes} <= TERMINAL
        assert result.ok, result.to_frame()
        server.set_knobs(rate_limit_share=0.0, error_share=0.0, drop_share=0.0)
        expected = edited[edited["delete"].ne(True)]  # the created rows' marker is missing (NaN)
        assert server_state(client) == sorted(zip(expected["name"], expected["description"], strict=True))
        created = [r.json["name"] for r in server.log.records() if r.method == "POST" and r.status == 201]
        assert len(created) == len(set(created)) <= creates  # no organization created twice
        assert not any(o["name"].startswith(TEMP_PREFIX) for o in server.state.orgs())
        assert (
            len(client.organizations.plan(edited.drop(columns="delete")[~edited["delete"].astype(bool)])) == 0
        )


def test_one_bad_row_among_500_sends_nothing():
    with sandbox_client(orgs=500) as client:
        base = client.organizations.to_frame(progress=False)
        client.local_sandbox.log.clear()
        edited = base.copy()
        edited["description"] = "bulk"
        edited.loc[317, "name"] = " \t "
        with pytest.raises(PlanValidationError) as info:
            client.organizations.plan(edited, base=base)
        assert {issue.row for issue in info.value.issues} == {"317"}
        assert "row 317" in str(info.value)
        assert len(client.local_sandbox.log) == 0


def test_a_stale_plan_is_refused_with_zero_writes():
    with sandbox_client(orgs=5) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited["description"] = "mine"
        plan = client.organizations.plan(edited, base=base)
        other = server.state.orgs()[2]
        client.transport.request(
            "PATCH", f"/v2/organizations/{other['id']}", body={"name": "Renamed Elsewhere"}
        )
        server.log.clear()
        with pytest.raises(StalePlanError, match="Renamed Elsewhere"):
            plan.apply(progress=False)
        assert writes(server) == 0
        result = plan.apply(force=True, progress=False)  # the user can insist
        assert result.ok


def test_a_new_org_taking_a_planned_name_makes_the_plan_stale():
    with sandbox_client(orgs=2) as client:
        base = client.organizations.to_frame(progress=False)
        edited = pd.concat([base, pd.DataFrame([{"name": "Wanted", "description": ""}])], ignore_index=True)
        plan = client.organizations.plan(edited, base=base)
        client.local_sandbox.state.create_org("WANTED")
        client.local_sandbox.log.clear()
        with pytest.raises(StalePlanError, match="'Wanted' is now taken"):
            plan.apply(progress=False)
        assert writes(client.local_sandbox) == 0


@pytest.mark.parametrize("confirm", [None, False, [], ["org 0"], ["Org 0 "], ["ORG 0"], ["Org\u200b 0"]])
def test_unconfirmed_destructive_plans_are_refused_with_zero_writes(confirm):
    with sandbox_client() as client:
        server = client.local_sandbox
        server.state.create_org("Org 0")
        server.state.create_org("Org 1")
        base = client.organizations.to_frame(progress=False)
        edited = base.assign(delete=[True, False], description=["x", "y"])
        plan = client.organizations.plan(edited, base=base)
        server.log.clear()
        with pytest.raises(ConfirmationRequiredError, match="'Org 0'"):
            plan.apply(confirm=confirm, progress=False)
        assert writes(server) == 0
        assert plan.apply(confirm=["Org 0"], progress=False).ok
        assert [o["name"] for o in server.state.orgs()] == ["Org 1"]


def test_swap_and_three_cycle_go_through_temporary_names():
    with sandbox_client() as client:
        for name in ["A", "B", "C", "D", "E"]:
            client.local_sandbox.state.create_org(name)
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited["name"] = ["B", "A", "D", "E", "C"]  # a swap and a 3-cycle
        result = client.organizations.plan(edited, base=base).apply(progress=False)
        assert result.ok
        assert [o["name"] for o in client.local_sandbox.state.orgs()] == ["B", "A", "D", "E", "C"]
        patches = [r.json["name"] for r in client.local_sandbox.log.records() if r.method == "PATCH"]
        assert len(patches) == 7  # 2 + 1 for the swap, 3 + 1 for the cycle
        assert sum(p.startswith(TEMP_PREFIX) for p in patches) == 2


def test_a_chain_renames_the_tail_first():
    with sandbox_client() as client:
        for name in ["A", "B"]:
            client.local_sandbox.state.create_org(name)
        base = client.organizations.to_frame(progress=False)
        edited = base.assign(name=["B", "C"])  # A->B needs B->C first
        assert client.organizations.plan(edited, base=base).apply(workers=8, progress=False).ok
        patches = [r.json["name"] for r in client.local_sandbox.log.records() if r.method == "PATCH"]
        assert patches == ["C", "B"]


def test_per_row_outcomes_and_retry_of_failures():
    with sandbox_client(orgs=6) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.assign(description=[f"v{i}" for i in range(6)])
        server.faults.add(status=422, method="PATCH", times=1)
        server.faults.add(status=503, method="PATCH", times=8)
        result = client.organizations.plan(edited, base=base).apply(workers=1, progress=False)
        frame = result.to_frame()
        assert list(frame.columns) == [
            "op",
            "organization",
            "organization_id",
            "user",
            "after",
            "invisible",
            "status",
            "reconciled",
            "http_status",
            "error",
            "temporary_name",
            "attempts",
            "seconds",
            "row",
        ]
        failed = frame[frame.status == "failed"]
        assert sorted(failed.http_status) == [422, 503, 503]
        assert (failed[failed.http_status == 503].attempts == 4).all()
        assert "422" in failed.error.iloc[0]
        retry = result.failed()
        assert len(retry) == 3
        again = retry.apply(progress=False)
        assert again.ok
        assert [o["description"] for o in server.state.orgs()] == [f"v{i}" for i in range(6)]
        assert len(client.organizations.plan(edited)) == 0


def test_a_401_stops_the_rest_of_the_apply():
    with sandbox_client(orgs=5) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        server.faults.add(status=401, method="PATCH", times=1)
        result = client.organizations.plan(base.assign(description="x"), base=base).apply(
            workers=1, progress=False
        )
        assert [o.status for o in result.outcomes] == ["failed", "skipped", "skipped", "skipped", "skipped"]
        assert server.log.count(method="PATCH") == 1
        assert "not attempted" in result.outcomes[1].error


def test_the_journal_records_intent_and_outcome_and_undo_restores(tmp_path):
    with sandbox_client(orgs=4, users=6, seed=2, journal=tmp_path / "j.sqlite3") as client:
        before = server_state(client)
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited.loc[0, "name"] = "Renamed"
        edited.loc[1, "description"] = "changed"
        edited = pd.concat(
            [edited, pd.DataFrame([{"name": "Temporary", "description": ""}])], ignore_index=True
        )
        result = client.organizations.plan(edited, base=base).apply(progress=False)
        journal = client.journal.to_frame()
        assert list(journal["status"]) == ["applied"] * 3
        assert set(journal["op"]) == {"rename", "describe", "create"}
        undo = client.journal.undo(result)
        assert undo.summary().startswith("undo: 1 to rename, 1 description to change, 1 to delete")
        with pytest.raises(ConfirmationRequiredError):
            undo.apply(progress=False)
        assert undo.apply(confirm=["Temporary"], progress=False).ok
        assert server_state(client) == before


def test_memberships_plan_apply_known_and_undo():
    with sandbox_client(orgs=2, users=0) as client:
        state = client.local_sandbox.state
        ana = state.create_user("Ana", "ana@example.com", role="MEMBER")
        org = state.orgs()[0]
        members = pd.DataFrame(
            {"organization": [org["name"]], "user": ["ANA@example.com"], "role": ["ADMIN"]}
        )
        plan = client.memberships.plan(members)
        assert plan.apply(progress=False).ok
        known = client.memberships.known()
        assert known[["organization_id", "user_id", "role"]].values.tolist() == [
            [org["id"], ana["id"], "ADMIN"]
        ]
        assert "journal" in known["provenance"][0]
        again = client.memberships.plan(members)  # the API cannot read roles: every row is sent
        assert [(c.before["role"], c.after["role"]) for c in again] == [("ADMIN", "ADMIN")]
        assert "last recorded by this tool" in again[0].note
        skipping = client.memberships.plan(members, skip_known=True)
        assert len(skipping) == 0 and "records it set to ADMIN" in skipping.left_out[0]
        demote = client.memberships.plan(members.assign(role="READ_ONLY")).apply(progress=False)
        removal = client.memberships.plan(members.assign(remove=True))
        with pytest.raises(ConfirmationRequiredError):
            removal.apply(progress=False)
        removed = removal.apply(confirm=[org["name"]], progress=False)
        assert state.memberships() == [] or all(m["user_id"] != ana["id"] for m in state.memberships())
        assert client.journal.undo(removed).apply(progress=False).ok  # re-added with its previous role
        roles = {m["user_id"]: m["role"]["name"] for m in state.memberships()}
        assert roles[ana["id"]] == "READ_ONLY"
        assert client.journal.undo(demote).apply(progress=False).ok
        roles = {m["user_id"]: m["role"]["name"] for m in state.memberships()}
        assert roles[ana["id"]] == "ADMIN"


def test_one_429_pauses_every_worker():
    """One 429 (Retry-After: 1) stops all four workers: each waits it out before its next PATCH.

    The clock stands still, so the shared pause is exactly 1.0 s for every worker that checks it;
    ``SharedPauseWatch`` makes the four workers meet the 429 together.
    """
    clock = FrozenClock()
    with Sandbox(api_key="k", orgs=40) as server:
        host = server.serve().split("://")[1]
        with ArizeOrgs(
            api_key="k",
            api_host=host,
            api_scheme="http",
            environ={},
            journal=":memory:",
            sleep=clock.sleep,
            clock=clock,
        ) as client:
            base = client.organizations.to_frame(progress=False)
            watch = SharedPauseWatch(client, workers=4)
            server.faults.add(status=429, retry_after=1, method="PATCH", times=1)
            result = client.organizations.plan(base.assign(description="paced"), base=base).apply(
                workers=4, progress=False
            )
            assert result.ok
        answers = [e.status for e in watch.events if e.kind == "answer"]
        assert answers.count(429) == 1 and answers.count(200) == 40
        workers = {e.thread for e in watch.events if e.kind == "send"}
        after = watch.after_the_pause()
        assert len(workers) == 4 and set(after) == workers
        for thread, seen in after.items():  # nobody sent while the shared pause ran
            # (after the 429 the learnt rate also spaces the sends: its "paced" waits are its own)
            waits = {(e.reason, e.seconds) for e in seen if e.kind == "wait" and e.reason != "paced"}
            assert waits == {("rate-limited", 1.0)}, thread
            sent = [i for i, e in enumerate(seen) if e.kind == "send"]
            assert all(i > 0 and seen[i - 1].kind == "wait" for i in sent), (thread, seen)
        assert sum(e.kind == "answer" and e.status == 200 for s in after.values() for e in s) >= 30


KILLER = textwrap.dedent(
    """
    import os, sys
    from arize_orgs_nb import ArizeOrgs
    host, journal, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = ArizeOrgs(api_key="kill-key", api_host=host, api_scheme="http", journal=journal, environ={})
    base = client.organizations.to_frame(progress=False)
    edited = base.assign(description="v2 " + base["name"])
    plan = client.organizations.plan(edited, base=base)
    patches = 0
    def die_after_k(event):
        global patches
        if event.kind == "response" and event.method == "PATCH":
            patches += 1
            if patches == k:
                os._exit(9)  # the kernel dies: the k-th answer is never recorded
    client.transport.add_listener(die_after_k)
    plan.apply(workers=1, progress=False)
    """
)


@pytest.mark.parametrize("k", [1, 7, 20])
def test_an_apply_killed_after_k_writes_resumes_without_repeating(tmp_path, k):
    journal = tmp_path / "journal.sqlite3"
    with Sandbox(api_key="kill-key", orgs=20, seed=k) as server:
        host = server.serve().split("://")[1]
        proc = subprocess.run(
            [sys.executable, "-c", KILLER, host, str(journal), str(k)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 9, proc.stderr
        assert server.log.count(method="PATCH") == k
        with ArizeOrgs(
            api_key="kill-key", api_host=host, api_scheme="http", environ={}, journal=journal
        ) as client:
            (unfinished,) = client.journal.unfinished()
            result = client.journal.resume(unfinished)
            assert result is not None and result.ok
            assert client.journal.unfinished() == []
            # the k-th write landed but its answer was never recorded: found done, not resent
            # the result covers the whole apply: the k-1 recorded before the kill, then the rest
            assert [o.reconciled for o in result.outcomes] == [False] * (k - 1) + [True] + [False] * (20 - k)
        patched = [r.path for r in server.log.records() if r.method == "PATCH"]
        assert len(patched) == len(set(patched)) == 20  # every org patched exactly once
        assert all(o["description"] == f"v2 {o['name']}" for o in server.state.orgs())


def test_retrying_failures_expects_what_the_first_apply_left():
    with sandbox_client(orgs=3) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited.loc[0, ["name", "description"]] = ["Renamed First", "described too"]
        server.faults.add(status=503, method="PATCH", times=4, path=f"/v2/organizations/{base.id[0]}")
        # the rename runs first and takes the four 503s; the description update then succeeds
        result = client.organizations.plan(edited, base=base).apply(workers=1, progress=False)
        assert [o.status for o in result.outcomes] == ["failed", "applied"]
        retry = result.failed()
        assert retry.apply(progress=False).ok  # not refused as stale by its own first half
        assert server.state.orgs()[0]["name"] == "Renamed First"
