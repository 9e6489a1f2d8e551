"""B8 of docs/RELIABILITY.md: the account changes under you (a colleague, dying kernels), as a state machine.

Our client and a colleague's share one sandbox. Between any two of our steps the colleague may
rename (also onto names just freed), create, delete, re-describe and change roles. Our steps are
single calls by name, bulk plan/apply (forced or not, with outages and kills), ``failed().apply()``,
undo and resume. After every step the invariants of M1-M7 hold:

- a write lands only on the organization the user meant at the time of the call (by name: the
  one bearing it just before the call; in a plan: its targets and its creates);
- no colleague change is overwritten unless the step was refused (then nothing was written) or
  explicitly forced;
- no organization bears a temporary name that no outcome (or the journal of a killed apply) reports;
- every outcome row is true of the server;
- every step ends (the suite's timeout bounds it).
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from arize_orgs_nb import ArizeOrgs, ConflictError, NameNotFoundError
from arize_orgs_nb.bulk.apply import TEMP_PREFIX, ApplyResult
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.errors import PlanValidationError, StalePlanError
from tests.conftest import FakeClock, colleague_of
from tests.reliability._support import Figures, long_mode, scale

NAMES = ["Red", "red", "Blue", "Green", "Gold", "Teal"]  # few names: collisions and freed names
DESCRIPTIONS = ["", "one", "two"]
ROLES = ("ADMIN", "MEMBER", "READ_ONLY")
Snapshot = dict[str, tuple[str, str]]
Members = dict[tuple[str, str], str]

STATS: Counter[str] = Counter()


class Killed(BaseException):
    """The kernel dies right after the server answered a write (raised from a transport listener)."""


def snapshot(client: ArizeOrgs) -> Snapshot:
    return {o["id"]: (o["name"], o["description"]) for o in client.local_sandbox.state.orgs()}


def members(client: ArizeOrgs) -> Members:
    return {
        (m["organization_id"], m["user_id"]): m["role"]["name"]
        for m in client.local_sandbox.state.memberships()
    }


class ColleagueMachine(RuleBasedStateMachine):
    """Our client against a colleague's, checked against the server after every step."""

    def __init__(self) -> None:
        super().__init__()
        clock = FakeClock()
        self.ours = ArizeOrgs.sandbox(
            orgs=0, users=0, in_process=True, sleep=clock.sleep, clock=clock, rng=random.Random(3)
        )
        self.theirs = colleague_of(self.ours)
        self.state = self.ours.local_sandbox.state
        for name in NAMES[2:5]:
            self.state.create_org(name, "one")
        self.users = [
            self.state.create_user(f"User {i}", f"user{i}@example.com", role="MEMBER") for i in range(3)
        ]
        self.plan: tuple[Plan, Snapshot] | None = None  # a plan and the account it was made from
        self.last: tuple[ApplyResult, Snapshot] | None = None  # a result and what it left
        self.unfinished: tuple[str, Snapshot] | None = None  # a killed apply and what it left
        self.unfinished_roles: Members = {}  # the memberships it left
        self.reported_temps: set[str] = set()

    def teardown(self) -> None:
        self.theirs.close()
        self.ours.close()

    # -- helpers ----------------------------------------------------------------------------------

    def _holder(self, name: str, now: Snapshot) -> str | None:
        return next((i for i, (n, _) in now.items() if n == name), None)

    def _pick_org(self, data: st.DataObject) -> str | None:
        ids = sorted(snapshot(self.ours))
        return data.draw(st.sampled_from(ids)) if ids else None

    def _check(
        self,
        before: Snapshot,
        after: Snapshot,
        reference: Snapshot,
        *,
        allowed: set[str],
        forced: bool,
        result: ApplyResult | None,
        recorded: frozenset[str] = frozenset(),
    ) -> None:
        """The invariants of one of our writing steps (see the module docstring).

        ``recorded``: keys of changes a killed apply had finished, which a resume reports as
        recorded: they are checked against what that apply left (a colleague may have changed
        those organizations since, which does not make the record untrue).
        """
        for org_id in set(before) | set(after):
            was, now = before.get(org_id), after.get(org_id)
            if was == now:
                continue
            assert org_id in allowed, f"a write landed on {org_id} ({was} -> {now}), not a target"
            if forced or was is None:
                continue
            for field in (0, 1):
                if now is None or was[field] != now[field]:
                    expected = reference.get(org_id)
                    assert expected is not None and was[field] == expected[field], (
                        f"{org_id}: a colleague's {'name' if field == 0 else 'description'} {was[field]!r} "
                        f"was overwritten without a refusal or force (expected {expected})"
                    )
        if result is None:
            return
        for outcome in result.outcomes:
            if outcome.change.key in recorded and self.unfinished is not None:
                self._check_outcome(outcome, before, self.unfinished[1], roles=self.unfinished_roles)
            else:
                self._check_outcome(outcome, before, after)
        self.reported_temps |= {o.temporary_name for o in result.outcomes if o.temporary_name}

    def _check_outcome(
        self,
        outcome: Any,
        before: Snapshot,
        after: Snapshot,
        *,
        roles: Members | None = None,
    ) -> None:
        change = outcome.change
        op = change.op.value
        STATS[f"outcome:{op}:{outcome.status}"] += 1
        if op in ("set_role", "remove_member"):
            roles = members(self.ours) if roles is None else roles
            role = roles.get((str(change.org_id), str(change.user_id)))
            if outcome.status == "applied":
                assert role == change.after.get("role"), f"{op} reported applied, server has {role}"
            return
        org_id = outcome.result_id if op == "create" else change.org_id
        now = after.get(str(org_id))
        if outcome.status == "applied":
            if op == "delete":
                assert now is None, "delete reported applied, the org is still there"
            elif op in ("create", "rename"):
                assert now is not None and now[0] == change.after["name"], f"{op} reported applied, not so"
            elif op == "describe":
                assert now is not None and now[1] == change.after["description"], "describe not so"
        elif outcome.temporary_name:
            assert now is not None and now[0] == outcome.temporary_name, "temporary name not as reported"
        elif op != "create" and org_id in before:
            field = 1 if op == "describe" else 0
            was = before[str(org_id)]
            assert now is not None and now[field] == was[field], f"{op} {outcome.status} yet it changed"

    def _write_step(
        self,
        plan: Plan,
        reference: Snapshot,
        *,
        force: bool,
        kill_after: int = 0,
        outage: bool = False,
        run: Any = None,
        recorded: frozenset[str] = frozenset(),
    ) -> None:
        """Apply a plan (or run ``run``) once and check every invariant (``recorded``: see ``_check``)."""
        before, before_members = snapshot(self.ours), members(self.ours)
        allowed = {c.org_id for c in plan.changes if c.org_id}
        remove = self._arm_kill(kill_after) if kill_after else None
        if outage:
            self.ours.local_sandbox.faults.add(status=503, method="PATCH", times=4)
        result: ApplyResult | None = None
        try:
            result = (
                run() if run is not None else plan.apply(confirm=True, force=force, workers=1, progress=False)
            )
        except StalePlanError:
            STATS["refused"] += 1
            assert snapshot(self.ours) == before and members(self.ours) == before_members, (
                "refused, yet written"
            )
            return
        except Killed:
            STATS["killed"] += 1
            after = snapshot(self.ours)
            created = set(after) - set(before)
            self._check(before, after, reference, allowed=allowed | created, forced=force, result=None)
            (apply_id,) = self.ours.journal.unfinished()
            self.unfinished = (apply_id, after)
            self.unfinished_roles = members(self.ours)
            return
        finally:
            if remove is not None:
                remove()
            self.ours.local_sandbox.faults.clear()
        assert result is not None
        STATS["forced" if force else "applied"] += 1
        after = snapshot(self.ours)
        created = {o.result_id for o in result.outcomes if o.result_id}
        checks = {"allowed": allowed | created, "forced": force, "result": result, "recorded": recorded}
        self._check(before, after, reference, **checks)
        now_members = members(self.ours)
        changed = {
            k for k in set(before_members) | set(now_members) if before_members.get(k) != now_members.get(k)
        }
        planned = {(c.org_id, c.user_id) for c in plan.changes if c.user_id}
        deleted = set(before) - set(after)  # deleting an org removes its memberships too
        assert {k for k in changed if k[0] not in deleted} <= planned, (
            "a membership the plan did not name changed"
        )
        self.last = (result, after)

    def _arm_kill(self, nth: int) -> Any:
        seen = {"n": 0}

        def listener(event: Any) -> None:
            if event.kind == "response" and event.method in ("POST", "PATCH", "DELETE"):
                seen["n"] += 1
                if seen["n"] == nth:
                    raise Killed

        return self.ours.transport.add_listener(listener)

    # -- the colleague ----------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        STATS["examples"] += 1

    @rule(name=st.sampled_from(NAMES), description=st.sampled_from(DESCRIPTIONS))
    def colleague_creates(self, name: str, description: str) -> None:
        STATS["colleague"] += 1
        with contextlib.suppress(ConflictError):
            self.theirs.organizations.create(name=name, description=description)

    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def colleague_renames(self, data: st.DataObject, name: str) -> None:
        org_id = self._pick_org(data)
        if org_id is not None:
            STATS["colleague"] += 1
            with contextlib.suppress(ConflictError):
                self.theirs.organizations.update(organization=org_id, name=name)

    @rule(data=st.data(), description=st.sampled_from(DESCRIPTIONS))
    def colleague_describes(self, data: st.DataObject, description: str) -> None:
        org_id = self._pick_org(data)
        if org_id is not None:
            STATS["colleague"] += 1
            self.theirs.organizations.update(organization=org_id, description=description)

    @rule(data=st.data())
    def colleague_deletes(self, data: st.DataObject) -> None:
        org_id = self._pick_org(data)
        if org_id is not None and len(snapshot(self.ours)) > 1:
            STATS["colleague"] += 1
            self.theirs.organizations.delete(organization=org_id)

    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def colleague_sets_a_role(self, data: st.DataObject, role: str) -> None:
        org_id = self._pick_org(data)
        if org_id is not None:
            STATS["colleague"] += 1
            user = data.draw(st.sampled_from(self.users))
            self.theirs.organizations.add_user(organization=org_id, user_id=user["id"], role=role)

    # -- us: single calls by name -----------------------------------------------------------------

    @rule(
        call=st.sampled_from(["get", "describe", "rename", "delete", "add_user"]),
        name=st.sampled_from(NAMES),
        value=st.sampled_from(NAMES + DESCRIPTIONS),
        data=st.data(),
    )
    def we_call_by_name(self, call: str, name: str, value: str, data: st.DataObject) -> None:
        STATS[f"by_name:{call}"] += 1
        before, before_members = snapshot(self.ours), members(self.ours)
        meant = self._holder(name, before)
        orgs = self.ours.organizations
        try:
            if call == "get":
                assert orgs.get(organization=name).id == meant
            elif call == "describe":
                orgs.update(organization=name, description=value)
            elif call == "rename":
                orgs.update(organization=name, name=value)
            elif call == "delete":
                orgs.delete(organization=name)
            else:
                user = data.draw(st.sampled_from(self.users))
                orgs.add_user(organization=name, user_id=user["id"], role="MEMBER")
        except NameNotFoundError:
            assert meant is None, f"{name!r} is borne by {meant}, yet it was not found"
        except (ConflictError, ValueError):
            pass
        after, after_members = snapshot(self.ours), members(self.ours)
        touched = {i for i in set(before) | set(after) if before.get(i) != after.get(i)}
        touched |= {pair[0] for pair, role in after_members.items() if before_members.get(pair) != role}
        assert touched <= {meant}, f"{call} by name {name!r} wrote to {touched}, meant {meant}"

    # -- us: plans --------------------------------------------------------------------------------

    @rule(data=st.data())
    def we_plan_an_edit(self, data: st.DataObject) -> None:
        base = self.ours.organizations.to_frame(progress=False)
        edited = base.copy()
        edited["delete"] = False
        for i in range(len(edited)):
            what = data.draw(st.sampled_from(["keep", "keep", "rename", "describe", "delete"]))
            if what == "rename":
                edited.loc[i, "name"] = data.draw(st.sampled_from(NAMES))
            elif what == "describe":
                edited.loc[i, "description"] = data.draw(st.sampled_from(DESCRIPTIONS))
            elif what == "delete":
                edited.loc[i, "delete"] = True
        if data.draw(st.booleans()):
            new = {"name": data.draw(st.sampled_from(NAMES)), "description": "new"}
            edited = pd.concat([edited, pd.DataFrame([new])], ignore_index=True)
        try:
            plan = self.ours.organizations.plan(edited, base=base)
        except PlanValidationError:
            return
        if len(plan):
            STATS["plans"] += 1
            self.plan = (plan, snapshot(self.ours))

    @rule(data=st.data(), role=st.sampled_from(ROLES), remove=st.booleans())
    def we_plan_members(self, data: st.DataObject, role: str, remove: bool) -> None:
        org_id = self._pick_org(data)
        if org_id is None:
            return
        user = data.draw(st.sampled_from(self.users))
        frame = pd.DataFrame(
            [
                {
                    "organization": snapshot(self.ours)[org_id][0],
                    "user": user["email"],
                    "role": role,
                    "remove": remove,
                }
            ]
        )
        STATS["member_plans"] += 1
        self.plan = (self.ours.memberships.plan(frame), snapshot(self.ours))

    @precondition(lambda self: self.plan is not None and self.unfinished is None)
    @rule(force=st.booleans(), kill_after=st.sampled_from([0, 0, 1, 2]), outage=st.booleans())
    def we_apply(self, force: bool, kill_after: int, outage: bool) -> None:
        assert self.plan is not None
        plan, reference = self.plan
        self.plan = None
        self._write_step(
            plan, reference, force=force, kill_after=kill_after, outage=outage and not kill_after
        )

    @precondition(lambda self: self.last is not None and not self.last[0].ok and self.unfinished is None)
    @rule(force=st.booleans())
    def we_retry_what_failed(self, force: bool) -> None:
        assert self.last is not None
        result, left = self.last
        STATS["retries"] += 1
        self._write_step(result.failed(), left, force=force)

    @precondition(lambda self: self.last is not None and self.unfinished is None)
    @rule(force=st.booleans())
    def we_undo(self, force: bool) -> None:
        assert self.last is not None
        result, left = self.last
        self.last = None
        STATS["undos"] += 1
        self._write_step(self.ours.journal.undo(result), left, force=force)

    @precondition(lambda self: self.unfinished is not None)
    @rule(force=st.booleans())
    def we_resume(self, force: bool) -> None:
        assert self.unfinished is not None
        apply_id, left = self.unfinished
        STATS["resumes"] += 1
        entries = self.ours.journal.store.entries(apply_id)
        plan = Plan("resume", [e.change for e in entries])
        finished = frozenset(e.change.key for e in entries if e.status not in ("pending", "started"))
        self._write_step(
            plan,
            left,
            force=force,
            run=lambda: self.ours.journal.resume(apply_id, force=force),
            recorded=finished,
        )
        if not self.ours.journal.unfinished():
            self.unfinished = None

    # -- invariants -------------------------------------------------------------------------------

    @invariant()
    def no_unreported_temporary_name(self) -> None:
        STATS["steps"] += 1
        temps = {n for n, _ in snapshot(self.ours).values() if n.startswith(TEMP_PREFIX)}
        journaled = set(self.ours.journal.to_frame()["temporary_name"].dropna())
        assert temps <= self.reported_temps | journaled, f"unreported temporary names: {temps}"

    @invariant()
    def names_stay_unique_ignoring_case(self) -> None:
        names = [n.casefold() for n, _ in snapshot(self.ours).values()]
        assert len(names) == len(set(names))


ColleagueMachine.TestCase.settings = settings(
    max_examples=scale(25, 300),
    stateful_step_count=scale(25, 60),
    derandomize=not long_mode(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestColleagueMachine = ColleagueMachine.TestCase
TestColleagueMachine.pytestmark = [pytest.mark.timeout(scale(600, 3600))]


@pytest.fixture(scope="module", autouse=True)
def _record_module_figures():
    """After the module: how much the state machine exercised (docs/RELIABILITY.md, B8/M8)."""
    yield
    figures = Figures("tests/reliability/test_b8_colleague.py")
    for name, count in sorted(STATS.items()):
        figures.add(f"m8_{name}", count)


def test_the_state_machine_catches_a_cached_name():
    """The machine's by-name invariant fails against a client that remembers names (a mutant)."""
    machine = ColleagueMachine()
    try:
        orgs = machine.ours.organizations
        real = orgs._names.lookup
        remembered: dict[str, Any] = {}

        def cached(name: str) -> Any:
            if name not in remembered:
                remembered[name] = real(name)
            return remembered[name]

        orgs._names.lookup = cached  # type: ignore[method-assign]
        machine.we_call_by_name("get", "Blue", "", None)  # type: ignore[arg-type]
        blue = machine._holder("Blue", snapshot(machine.ours))
        machine.theirs.organizations.update(organization=str(blue), name="Teal")
        machine.theirs.organizations.create(name="Blue")
        with pytest.raises(AssertionError, match="wrote to"):
            machine.we_call_by_name("describe", "Blue", "two", None)  # type: ignore[arg-type]
    finally:
        machine.teardown()


def test_stale_reference_detection_catches_an_overwrite():
    """The overwrite invariant fails when a step writes over a colleague's value (a mutant step)."""
    machine = ColleagueMachine()
    try:
        org_id = sorted(snapshot(machine.ours))[0]
        reference = snapshot(machine.ours)
        machine.theirs.organizations.update(organization=org_id, description="two")
        before = snapshot(machine.ours)
        machine.ours.organizations.update(organization=org_id, description="one")
        with pytest.raises(AssertionError, match="overwritten"):
            machine._check(
                before, snapshot(machine.ours), reference, allowed={org_id}, forced=False, result=None
            )
    finally:
        machine.teardown()


def test_an_outcome_claiming_what_the_server_does_not_show_is_caught():
    machine = ColleagueMachine()
    try:
        org_id = sorted(snapshot(machine.ours))[0]
        base = machine.ours.organizations.to_frame(progress=False)
        plan = machine.ours.organizations.plan(base.assign(description="two"), base=base)
        result = plan.apply(progress=False)
        before = snapshot(machine.ours)
        machine.theirs.organizations.update(organization=org_id, description="one")  # undoes ours
        with pytest.raises(AssertionError, match="describe not so"):
            machine._check(
                before, snapshot(machine.ours), before, allowed=set(before), forced=True, result=result
            )
    finally:
        machine.teardown()
