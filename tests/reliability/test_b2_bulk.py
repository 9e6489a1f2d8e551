"""B2 of docs/RELIABILITY.md: bulk apply (plan, apply, journal) under faults, kills and drift."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arize_orgs_nb import RateLimit
from arize_orgs_nb.bulk.apply import TEMP_PREFIX
from arize_orgs_nb.bulk.plan import plan_org_changes
from arize_orgs_nb.errors import ConfirmationRequiredError, PlanValidationError, StalePlanError
from arize_orgs_nb.frames import ORG_SCHEMA, read_orgs_frame
from arize_orgs_nb.sandbox import Sandbox
from tests.reliability._support import (
    ORGS,
    Figures,
    PacedClock,
    host_of,
    http_client,
    inproc_client,
    long_mode,
    percentile,
    scale,
    timed,
    writes,
)

TERMINAL = {"applied", "failed", "skipped"}

# -- B1: an unedited frame plans nothing --------------------------------------------------------

_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
_descriptions = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs")), max_size=60)


@st.composite
def _snapshots(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(_names, min_size=0, max_size=12, unique_by=str.casefold))
    rows = []
    for i, name in enumerate(names):
        rows.append(
            {
                "id": f"T3JnOi{i:04d}",
                "name": name,
                "description": draw(_descriptions),
                "created_at": pd.Timestamp("2024-01-01", tz="UTC")
                + pd.Timedelta(seconds=draw(st.integers(0, 10**8))),
            }
        )
    return ORG_SCHEMA.from_rows(rows)


@settings(
    max_examples=scale(100, 500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    base=_snapshots(),
    missing=st.sampled_from([None, float("nan"), pd.NA]),
    tz=st.sampled_from(["UTC", "Asia/Jerusalem", "America/Los_Angeles", "Asia/Kolkata"]),
    via=st.sampled_from(["copy", "csv", "object"]),
    data=st.data(),
)
def test_b1_an_unedited_frame_plans_nothing(base, missing, tz, via, data, tmp_path_factory):
    if via == "csv":
        path = tmp_path_factory.mktemp("csv") / "orgs.csv"
        base.to_csv(path, index=False)
        edited = read_orgs_frame(path)
    elif via == "object":
        edited = base.astype(object)
    else:
        edited = base.copy()
    edited["created_at"] = pd.to_datetime(edited["created_at"], utc=True).dt.tz_convert(tz)
    if len(edited):
        blank = data.draw(st.lists(st.booleans(), min_size=len(edited), max_size=len(edited)))
        edited["description"] = [
            missing if b else d for b, d in zip(blank, edited["description"], strict=True)
        ]
    changes, _ = plan_org_changes(base, edited)
    assert changes == []
    _EXAMPLES["B2/B1"] += 1


_EXAMPLES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_examples():
    yield
    figures = Figures("tests/reliability/test_b2_bulk.py")
    for name, count in sorted(_EXAMPLES.items()):
        figures.add("examples", count, test=name)


# -- B3: drift after the plan ----------------------------------------------------------------------


@pytest.mark.parametrize("drift", ["renamed", "deleted", "described", "name-taken"])
def test_b3_a_stale_plan_is_refused_before_any_write(drift, figures):
    with inproc_client(orgs=6, seed=3) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.assign(description="mine")
        edited.loc[0, "name"] = "Wanted Name"
        plan = client.organizations.plan(edited, base=base)
        victim = server.state.orgs()[3]["id"]
        if drift == "renamed":
            client.transport.request("PATCH", f"{ORGS}/{victim}", body={"name": "Renamed Elsewhere"})
        elif drift == "deleted":
            client.transport.request("DELETE", f"{ORGS}/{victim}")
        elif drift == "described":
            client.transport.request("PATCH", f"{ORGS}/{victim}", body={"description": "theirs"})
        else:
            server.state.create_org("WANTED name")
        server.log.clear()
        before = server.state.snapshot()
        with pytest.raises(StalePlanError) as info:
            plan.apply(progress=False)
        assert writes(server) == 0
        assert server.state.snapshot() == before
        assert info.value.drifted and len(info.value.drifted) == 1
        figures.add("stale_plans_refused", 1, drift=drift)
        figures.add("writes_after_stale", writes(server), drift=drift)


# -- B4: random per-operation failures -----------------------------------------------------------


def test_b4_random_failures_end_every_row_terminal_and_retries_converge(figures):
    rounds_allowed = 3
    runs = scale(3, 12)
    for run in range(runs):
        with inproc_client(orgs=40, seed=run) as client:
            server = client.local_sandbox
            base = client.organizations.to_frame(progress=False)
            edited = base.copy()
            edited["delete"] = False
            rng = random.Random(run)
            for i in range(40):
                roll = rng.random()
                if roll < 0.3:
                    edited.loc[i, "description"] = f"run {run} row {i}"
                elif roll < 0.45:
                    edited.loc[i, "name"] = f"Renamed {run}-{i}"
                elif roll < 0.5:
                    edited.loc[i, "delete"] = True
            new = pd.DataFrame([{"name": f"New {run}-{j}", "description": "n"} for j in range(6)])
            edited = pd.concat([edited, new], ignore_index=True)
            edited["delete"] = edited["delete"].eq(True)  # the new rows' NaN is False
            plan = client.organizations.plan(edited, base=base)
            server.set_knobs(rate_limit_share=0.03, error_share=0.04, drop_share=0.03, retry_after=1)
            for status in (409, 422):
                server.faults.add(status=status, method="PATCH", times=2)
            result = plan.apply(confirm=True, workers=4, progress=False)
            unterminated = sum(o.status not in TERMINAL for o in result.outcomes)
            rounds = 0
            while not result.ok and rounds < rounds_allowed:
                rounds += 1
                result = result.failed().apply(confirm=True, workers=4, progress=False)
                unterminated += sum(o.status not in TERMINAL for o in result.outcomes)
            assert unterminated == 0
            assert result.ok, result.to_frame()
            server.set_knobs(rate_limit_share=0.0, error_share=0.0, drop_share=0.0)
            expected = edited[~edited["delete"].astype(bool)]
            got = sorted((o["name"], o["description"]) for o in server.state.orgs())
            assert got == sorted(zip(expected["name"], expected["description"], strict=True))
            created = Counter(
                r.json["name"] for r in server.log.records() if r.method == "POST" and r.status == 201
            )
            assert all(n == 1 for n in created.values())
            figures.add("b4_reruns", rounds, run=run)
            figures.add("duplicates", sum(n - 1 for n in created.values()), row="B4")
            figures.add("rows_lost", len(expected) - len(got), row="B4")
            figures.faults_from_log(server)


# -- B5, B6: kill -9 at a random write, then resume ------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, sys
    import pandas as pd
    from arize_orgs_nb import ArizeOrgs

    host, journal, mode, k, kind = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    client = ArizeOrgs(api_key="kill-key", api_host=host, api_scheme="http", journal=journal, environ={})
    base = client.organizations.to_frame(progress=False)
    if kind == "mixed":
        edited = base.assign(description="v2 " + base["name"])
        new = pd.DataFrame([{"name": f"New {i}", "description": "new"} for i in range(5)])
        edited = pd.concat([edited, new], ignore_index=True)
    else:
        edited = base.copy()
        edited.loc[0, "name"], edited.loc[1, "name"] = base.loc[1, "name"], base.loc[0, "name"]
    plan = client.organizations.plan(edited, base=base)
    real_send = client.transport._send
    sent = [0]

    def send(method, *args):
        if method not in ("POST", "PATCH", "DELETE"):
            return real_send(method, *args)
        sent[0] += 1
        if sent[0] == k and mode == "before-send":
            os._exit(9)  # killed with the intent journaled as started, nothing sent
        reply = real_send(method, *args)
        if sent[0] == k and mode == "after-commit":
            os._exit(9)  # killed after the server committed, before the outcome was journaled
        return reply

    client.transport._send = send
    plan.apply(workers=1, progress=False)
    os._exit(3)
    """
)


def _kill_and_resume(tmp_path: Path, kind: str, mode: str, k: int, figures: object) -> None:
    journal = tmp_path / f"journal-{kind}-{mode}-{k}.sqlite3"
    orgs = 20 if kind == "mixed" else 2
    with Sandbox(api_key="kill-key", orgs=orgs, seed=k) as server:
        before = {o["id"]: o["name"] for o in server.state.orgs()}
        host = host_of(server)
        proc = subprocess.run(
            [sys.executable, "-c", KILLER, host, str(journal), mode, str(k), kind],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 9, proc.stderr
        with http_client(host, api_key="kill-key", journal=journal) as client:
            (unfinished,) = client.journal.unfinished()
            result = client.journal.resume(unfinished)
            assert result is not None and result.ok, result.to_frame() if result else None
            assert client.journal.unfinished() == []
        records = server.log.records()
        state = {o["id"]: o for o in server.state.orgs()}
        if kind == "mixed":
            patches = Counter(r.path for r in records if r.method == "PATCH" and r.status == 200)
            posts = Counter(r.json["name"] for r in records if r.method == "POST" and r.status == 201)
            dup = sum(n - 1 for n in patches.values()) + sum(n - 1 for n in posts.values())
            assert dup == 0
            assert len(patches) == 20 and len(posts) == 5
            assert all(o["description"] == f"v2 {o['name']}" for oid, o in state.items() if oid in before)
            assert sorted(o["name"] for oid, o in state.items() if oid not in before) == [
                f"New {i}" for i in range(5)
            ]
        else:
            first, second = list(before)
            assert (state[first]["name"], state[second]["name"]) == (before[second], before[first])
            assert not any(r.status == 409 for r in records)  # never two orgs with one name
            dup = 0
        assert not any(o["name"].startswith(TEMP_PREFIX) for o in state.values())
        figures.add("duplicates", dup, row="B5" if kind == "mixed" else "B6")  # type: ignore[attr-defined]
        figures.add("kills_resumed", 1, kind=kind, mode=mode)  # type: ignore[attr-defined]


def _kill_cases() -> list[tuple[str, str, int]]:
    rng = random.Random(20240611)
    modes = ("after-commit", "before-send")
    mixed = [("mixed", modes[i % 2], rng.randint(1, 25)) for i in range(scale(2, 50))]
    swaps = [("swap", mode, k) for k in (1, 2, 3) for mode in modes]
    return mixed + (swaps if long_mode() else [("swap", "after-commit", 1), ("swap", "before-send", 2)])


@pytest.mark.parametrize(("kind", "mode", "k"), _kill_cases())
def test_b5_b6_an_apply_killed_at_write_k_resumes_without_repeating(tmp_path, kind, mode, k, figures):
    _kill_and_resume(tmp_path, kind, mode, k, figures)


# -- B8, B9, B10, B11, B15: rules checked before any I/O ------------------------------------------


def test_b8_b9_member_rows_for_a_failed_create_or_a_deleted_org_send_nothing(figures):
    with inproc_client(orgs=2, users=4, seed=1) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        victim = base.loc[0, "name"]
        edited = pd.concat(
            [base, pd.DataFrame([{"name": "Brand New", "description": ""}])], ignore_index=True
        )
        edited["delete"] = [True, False, False]
        server.faults.add(status=422, method="POST", path=ORGS)
        result = client.organizations.plan(edited, base=base).apply(confirm=[victim], progress=False)
        assert result.counts() == {"applied": 1, "failed": 1}
        user = server.state.users()[0]
        members = pd.DataFrame(
            {"organization": ["Brand New", victim], "user": [user["email"]] * 2, "role": ["MEMBER"] * 2}
        )
        server.log.clear()
        with pytest.raises(PlanValidationError) as info:
            client.memberships.plan(members)
        assert {i.row for i in info.value.issues} == {"0", "1"}
        assert server.log.count(method="POST") == 0
        figures.add("bad_inputs_tried", 2, row="B8/B9")
        figures.add("bad_inputs_rejected_before_io", 2, row="B8/B9")


def test_b10_conflicting_rows_are_plan_errors_with_zero_calls(figures):
    with inproc_client(orgs=3, users=3, seed=2) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        users = client.users.to_frame(progress=False)
        email = users.loc[users.role_name != "ANNOTATOR", "email"].iloc[0]
        server.log.clear()
        tried = 0
        two_renames = base.copy()
        two_renames.loc[0, "name"] = two_renames.loc[1, "name"] = "Same Target"
        folded = pd.concat(
            [
                base,
                pd.DataFrame([{"name": "Straße"}, {"name": "STRASSE".lower().replace("ss", "ß").upper()}]),
            ],
            ignore_index=True,
        )
        case_dupes = pd.concat(
            [base, pd.DataFrame([{"name": "Team X"}, {"name": "TEAM x"}])], ignore_index=True
        )
        for edited in (two_renames, folded, case_dupes):
            if edited is folded and folded.loc[3, "name"].casefold() != folded.loc[4, "name"].casefold():
                continue
            tried += 1
            with pytest.raises(PlanValidationError, match="collides"):
                client.organizations.plan(edited, base=base)
        org = base.loc[0, "name"]
        add_and_remove = pd.DataFrame(
            {
                "organization": [org, org],
                "user": [email, email],
                "role": ["MEMBER", None],
                "remove": [False, True],
            }
        )
        tried += 1
        with pytest.raises(PlanValidationError, match="same organization and user"):
            client.memberships.plan(add_and_remove, orgs=base, users=users)
        assert len(server.log) == 0
        figures.add("bad_inputs_tried", tried, row="B10")
        figures.add("bad_inputs_rejected_before_io", tried, row="B10")


def test_b11_rows_dropped_by_accident_are_never_deletes(figures):
    with inproc_client(orgs=60) as client:
        base = client.organizations.to_frame(progress=False)
        edited = base.drop(index=range(5, 55))
        client.local_sandbox.log.clear()
        assert len(client.organizations.plan(edited, base=base)) == 0
        explicit = client.organizations.plan(edited, base=base, delete_missing=True)
        assert len(explicit.destructive) == 50
        assert len(client.local_sandbox.log) == 0
        figures.add("b11_deletes_planned_by_accident", 0)


CONFIRM_ORG = "Café Ops"  # NFC


@pytest.mark.parametrize(
    "typed",
    [
        "café ops",  # case
        "Café Ops ",  # trailing space
        "Cafe\u0301 Ops",  # NFD: looks identical
        "Caf\u0435 Ops",  # Cyrillic e: a look-alike
        "Café\u200b Ops",  # zero-width space
        "CAFÉ OPS",
    ],
)
def test_b12_a_wrong_confirmation_sends_no_delete(typed, figures):
    assert unicodedata.normalize("NFC", "Cafe\u0301 Ops") == CONFIRM_ORG
    with inproc_client() as client:
        server = client.local_sandbox
        server.state.create_org(CONFIRM_ORG)
        server.state.create_org("Keep")
        base = client.organizations.to_frame(progress=False)
        plan = client.organizations.plan(base.assign(delete=[True, False]), base=base)
        with pytest.raises(ConfirmationRequiredError):
            plan.apply(confirm=[typed], progress=False)
        assert server.log.count(method="DELETE") == 0
        assert plan.apply(confirm=[CONFIRM_ORG], progress=False).ok
        assert [o["name"] for o in server.state.orgs()] == ["Keep"]
        figures.add("b12_wrong_confirmations_refused", 1)


def test_b15_rule_violations_are_caught_before_any_call(figures):
    with inproc_client(orgs=3, users=6, seed=4) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        users = client.users.to_frame(progress=False)
        annotator = users.loc[users.role_name == "ANNOTATOR", "email"].iloc[0]
        member = users.loc[users.role_name != "ANNOTATOR", "email"].iloc[0]
        server.log.clear()
        org = base.loc[0, "name"]
        bad = [
            pd.DataFrame({"organization": [org], "user": [annotator], "role": ["MEMBER"]}),
            pd.DataFrame({"organization": [org], "user": [member], "role": ["ANNOTATOR"]}),
            pd.DataFrame({"organization": [org], "user": [member], "role": ["member"]}),
        ]
        for frame in bad:
            with pytest.raises(PlanValidationError):
                client.memberships.plan(frame, orgs=base, users=users)
        with pytest.raises(ValueError, match="at least one"):
            client.organizations.update(organization=base.loc[0, "id"])
        dupes = pd.concat([base, pd.DataFrame([{"name": base.loc[1, "name"].upper()}])], ignore_index=True)
        with pytest.raises(PlanValidationError):
            client.organizations.plan(dupes, base=base)
        assert len(client.organizations.plan(base.copy(), base=base)) == 0  # nothing edited: no update
        assert len(server.log) == 0
        figures.add("bad_inputs_tried", len(bad) + 2, row="B15")
        figures.add("bad_inputs_rejected_before_io", len(bad) + 2, row="B15")


# -- B13, B16, B17: pacing, call budget, re-runs -------------------------------------------------


def _apply_all_under_a_service_limit(
    server: Sandbox, *, rps: float, rate_limit: RateLimit | None = None, **options: Any
) -> tuple[Any, float]:
    """Describe every org of ``server`` with 8 workers once it allows ``rps``; (result, seconds)."""
    with http_client(host_of(server), api_key="k", rate_limit=rate_limit, **options) as client:
        base = client.organizations.to_frame(progress=False)
        server.set_knobs(rate_limit_rps=rps)
        server.log.clear()
        with timed() as elapsed:
            result = client.organizations.plan(base.assign(description="paced"), base=base).apply(
                workers=8, progress=False
            )
        return result, elapsed()


def test_b13_a_rate_limited_apply_completes(figures):
    """The stand-in allows 20 requests/s; 8 workers push harder: 429s are waited out, all apply."""
    ops = scale(80, 400)
    with Sandbox(api_key="k", orgs=ops, seed=5) as server:
        result, wall = _apply_all_under_a_service_limit(server, rps=20)
        assert result.ok, result.counts()
        throttled = server.log.count(status=429)
        p95 = percentile([o.seconds for o in result.outcomes], 0.95)
        figures.add("b13_ops", ops)
        figures.add("b13_ops_per_second", round(ops / wall, 1))
        figures.add("b13_429s", throttled)
        figures.add("b13_p95_seconds", round(p95, 3))
        figures.add("b13_wall_seconds", round(wall, 2))
        figures.faults_from_log(server)


def test_b13_a_paced_apply_under_the_service_limit_meets_no_429(figures, monkeypatch):
    """Client paced at 10 writes/s, stand-in limit 15 requests/s: 8 workers, not one 429.

    The pacing waits are slept for real (the stand-in's limit runs on real time), on a clock that
    moves only by them, so the token bucket's schedule is exact and asserted as such.
    """
    ops = scale(30, 100)
    clock = PacedClock(monkeypatch)
    with Sandbox(api_key="k", orgs=ops, seed=6) as server:
        pacing = RateLimit(writes_per_second=10, burst=2)
        result, wall = _apply_all_under_a_service_limit(
            server, rps=15, rate_limit=pacing, sleep=clock.sleep, clock=clock
        )
        assert result.ok, result.counts()
        assert server.log.count(status=429) == 0
        assert server.log.count(method="PATCH") == ops
        figures.add("b13_paced_ops", ops)
        figures.add("b13_paced_ops_per_second", round(ops / wall, 1))
        figures.add("b13_paced_429s", 0)
    # The pace held: one slot per write, the burst of 2 at once, then one every 0.1 s, in order.
    offsets = [slot - clock.slots[0] for slot in clock.slots]
    assert offsets == pytest.approx([0.0, 0.0] + [k / 10 for k in range(1, ops - 1)])
    assert len(clock.sleeps) == ops - 2  # every write after the burst waited for its slot


def test_b16_the_call_budget_is_edits_plus_pages(figures):
    n, k = 250, 10
    with inproc_client(orgs=n) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited.loc[: k - 1, "description"] = "edited"
        client.organizations.plan(edited, base=base).apply(progress=False)
        calls = len(server.log)
        pages = -(-n // 100)
        assert calls <= k + pages + pages  # base drain + writes + freshness drain
        figures.add("b16_calls", calls, edits=k, orgs=n)


def test_b17_rerunning_a_finished_apply_sends_nothing(figures, tmp_path):
    with inproc_client(orgs=5, journal=tmp_path / "j.sqlite3") as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        plan = client.organizations.plan(base.assign(description="once"), base=base)
        result = plan.apply(progress=False)
        assert result.ok
        server.log.clear()
        assert client.journal.unfinished() == []
        assert client.journal.resume() is None
        again = client.journal.store.entries(result.apply_id)
        assert {e.status for e in again} == {"applied"}
        with pytest.raises(StalePlanError):
            plan.apply(progress=False)  # the same plan again: its targets changed (by itself)
        assert len(client.organizations.plan(base.assign(description="once"))) == 0
        assert writes(server) == 0
        figures.add("b17_duplicate_writes", writes(server))


def test_b7_a_create_of_a_name_a_rename_frees_runs_after_the_renames(figures):
    """Creates run first, renames after; a create taking a name the plan's renames free must wait."""
    with inproc_client() as client:
        server = client.local_sandbox
        for name in ("Old", "Swap A", "Swap B"):
            server.state.create_org(name)
        base = client.organizations.to_frame(progress=False)
        edited = base.assign(name=["New", "Swap B", "Swap A"])
        edited = pd.concat(
            [edited, pd.DataFrame([{"name": "old", "description": "takes the freed name"}])],
            ignore_index=True,
        )
        result = client.organizations.plan(edited, base=base).apply(workers=4, progress=False)
        assert result.ok, result.to_frame()
        assert sorted(o["name"] for o in server.state.orgs()) == ["New", "Swap A", "Swap B", "old"]
        assert server.log.count(status=409) == 0
        figures.add("b7_order_conflicts", server.log.count(status=409))
