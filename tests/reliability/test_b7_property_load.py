"""B7 of docs/RELIABILITY.md: a model-based state machine, fuzzing, properties, the proxy grid and load.

Regular-suite sizes are small; ``RELIABILITY_LONG=1`` (``scripts/reliability.py``) runs the long
version: more examples and steps, thousands of load operations and the soak.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from arize_orgs_nb import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    OrgsNbError,
    RetryPolicy,
)
from arize_orgs_nb.bulk.plan import plan_org_changes
from arize_orgs_nb.config import RetryPolicy as Policy
from arize_orgs_nb.errors import PlanValidationError
from arize_orgs_nb.frames import ORG_SCHEMA
from arize_orgs_nb.http.retry import Mode, decide, parse_retry_after
from arize_orgs_nb.models import ListOrganizationsResponse
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock
from tests.reliability._support import (
    ORGS,
    Figures,
    RawServer,
    host_of,
    http_client,
    inproc_client,
    long_mode,
    op_route,
    percentile,
    port_of,
    rss_bytes,
    scale,
    timed,
)
from tests.reliability.fault_proxy import FaultProxy

# -- F1: the account as a dict model -----------------------------------------------------------------

NAMES = ["Alpha", "alpha", "ALPHA", "Beta", "Gamma", "Straße", "STRASSE", "Δelta", "δelta", "Ops ☃"]
DESCRIPTIONS = ["", "d", "line\nbreak", "<b>x</b>"]
ROLES = ("ADMIN", "MEMBER", "READ_ONLY", "ANNOTATOR")
# Faults each operation must absorb (B0): the outcome is as if nothing happened.
FAULTS = [
    {"status": 429, "retry_after": 1},
    {"status": 429},
    {"status": 503},
    {"status": 500},
    {"drop": "before"},
    {"drop": "after"},
]


@dataclass
class _Stats:
    steps: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    applies: int = 0
    conflicts: int = 0


STATS = _Stats()


class AccountMachine(RuleBasedStateMachine):
    """Client + sandbox against a dict model: orgs by id, memberships by (org, user)."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.client = inproc_client(self.clock, users=6, seed=11)
        self.server = self.client.local_sandbox
        self.orgs: dict[str, tuple[str, str]] = {}
        self.members: dict[tuple[str, str], str] = {}
        self.users = [(u["id"], u["role"]["name"]) for u in self.server.state.users()]
        self.armed = False

    def teardown(self) -> None:
        self.client.close()

    # -- helpers -------------------------------------------------------------------------------

    def _taken(self, name: str, but: str | None = None) -> bool:
        return any(n.casefold() == name.casefold() for i, (n, _) in self.orgs.items() if i != but)

    def _pick(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.orgs)))

    def _disarm(self) -> None:
        self.server.faults.clear()
        self.armed = False

    # -- rules ---------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        _EXAMPLES["F1"] += 1

    @precondition(lambda self: not self.armed)  # one fault per operation: each must absorb it
    @rule(fault=st.sampled_from(FAULTS))
    def inject(self, fault: dict[str, Any]) -> None:
        self.server.faults.add(times=1, **fault)
        self.armed = True
        STATS.faults[str(fault.get("status") or f"drop-{fault.get('drop')}")] += 1

    @rule(name=st.sampled_from(NAMES), description=st.sampled_from(DESCRIPTIONS))
    def create(self, name: str, description: str) -> None:
        STATS.steps += 1
        conflict = self._taken(name)
        try:
            org = self.client.organizations.create(name=name, description=description)
        except ConflictError:
            assert conflict, f"unexpected 409 creating {name!r}"
            STATS.conflicts += 1
        else:
            if conflict:
                # A fault made the create ambiguous and the same name and description were
                # already there: adopting that org is the contract (R9); nothing new exists.
                assert self.armed and self.orgs.get(org.id) == (name, description), (name, self.orgs)
            else:
                self.orgs[org.id] = (name, description)
        self._disarm()

    @precondition(lambda self: self.orgs)
    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def rename(self, data: st.DataObject, name: str) -> None:
        STATS.steps += 1
        org_id = self._pick(data)
        conflict = self._taken(name, but=org_id)
        try:
            org = self.client.organizations.update(organization=org_id, name=name)
        except ConflictError:
            assert conflict
        else:
            assert not conflict and org.name == name
            self.orgs[org_id] = (name, self.orgs[org_id][1])
        self._disarm()

    @precondition(lambda self: self.orgs)
    @rule(data=st.data(), description=st.sampled_from(DESCRIPTIONS))
    def describe(self, data: st.DataObject, description: str) -> None:
        STATS.steps += 1
        org_id = self._pick(data)
        org = self.client.organizations.update(organization=org_id, description=description)
        assert org.description == description
        self.orgs[org_id] = (self.orgs[org_id][0], description)
        self._disarm()

    @precondition(lambda self: self.orgs)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        STATS.steps += 1
        org_id = self._pick(data)
        self.client.organizations.delete(organization=org_id)
        del self.orgs[org_id]
        self.members = {k: v for k, v in self.members.items() if k[0] != org_id}
        self._disarm()

    @precondition(lambda self: self.orgs)
    @rule(data=st.data(), role=st.sampled_from(ROLES))
    def add_user(self, data: st.DataObject, role: str) -> None:
        STATS.steps += 1
        org_id = self._pick(data)
        user_id, account_role = data.draw(st.sampled_from(self.users))
        allowed = (account_role == "ANNOTATOR") == (role == "ANNOTATOR")
        try:
            membership = self.client.organizations.add_user(organization=org_id, user_id=user_id, role=role)
        except BadRequestError:
            assert not allowed
        else:
            assert allowed and membership.role.name.value == role
            self.members[(org_id, user_id)] = role
        self._disarm()

    @precondition(lambda self: self.orgs)
    @rule(data=st.data())
    def remove_user(self, data: st.DataObject) -> None:
        STATS.steps += 1
        org_id = self._pick(data)
        user_id, _ = data.draw(st.sampled_from(self.users))
        member = (org_id, user_id) in self.members
        try:
            self.client.organizations.remove_user(organization=org_id, user_id=user_id)
        except NotFoundError:
            assert not member
        else:
            # A 404 on a retry after an unanswered attempt counts as done (B0): with a fault
            # armed, removing a non-member may succeed; the end state is the same.
            assert member or self.armed
            self.members.pop((org_id, user_id), None)
        self._disarm()

    @rule()
    def drain(self) -> None:
        STATS.steps += 1
        frame = self.client.organizations.to_frame(progress=False)
        assert {r.id: (r.name, r.description) for r in frame.itertuples()} == self.orgs
        self._disarm()

    @rule(data=st.data())
    def plan_and_apply(self, data: st.DataObject) -> None:
        STATS.steps += 1
        self._disarm()
        base = self.client.organizations.to_frame(progress=False)
        edited = base.copy()
        edited["delete"] = False
        for i in range(len(edited)):
            action = data.draw(st.sampled_from(["keep", "keep", "rename", "describe", "delete"]))
            if action == "rename":
                edited.loc[i, "name"] = data.draw(st.sampled_from(NAMES))
            elif action == "describe":
                edited.loc[i, "description"] = data.draw(st.sampled_from(DESCRIPTIONS))
            elif action == "delete":
                edited.loc[i, "delete"] = True
        creates = data.draw(st.lists(st.sampled_from(NAMES), max_size=2))
        if creates:
            edited = pd.concat([edited, pd.DataFrame([{"name": n, "description": "new"} for n in creates])])
            edited = edited.reset_index(drop=True)
            edited["delete"] = edited["delete"].eq(True)  # the new rows' NaN is False
        final = [n.casefold() for n, d in zip(edited["name"], edited["delete"], strict=True)]
        # Deleted orgs keep their name until deletes run (last): they still count.
        writes_before = sum(self.server.log.count(method=m) for m in ("POST", "PATCH", "DELETE"))
        if len(final) != len(set(final)):
            try:
                self.client.organizations.plan(edited, base=base)
            except PlanValidationError:
                pass
            else:  # pragma: no cover - the plan must refuse duplicates
                raise AssertionError("duplicate names were planned")
            assert sum(self.server.log.count(method=m) for m in ("POST", "PATCH", "DELETE")) == writes_before
            return
        result = self.client.organizations.plan(edited, base=base).apply(
            confirm=True, workers=3, progress=False
        )
        assert result.ok, result.to_frame()
        STATS.applies += 1
        kept = edited[~edited["delete"]]
        created = {o.result_id: o.change for o in result.outcomes if o.result_id}
        self.orgs = {}
        for row in kept.itertuples():
            if isinstance(row.id, str) and row.id:
                self.orgs[row.id] = (row.name, row.description)
        for org_id, change in created.items():
            self.orgs[org_id] = (str(change.after["name"]), str(change.after["description"]))
        self.members = {k: v for k, v in self.members.items() if k[0] in self.orgs}

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def server_matches_the_model(self) -> None:
        state = {o["id"]: (o["name"], o["description"]) for o in self.server.state.orgs()}
        assert state == self.orgs

    @invariant()
    def names_are_unique_ignoring_case(self) -> None:
        names = [o["name"].casefold() for o in self.server.state.orgs()]
        assert len(names) == len(set(names))

    @invariant()
    def memberships_match_the_model(self) -> None:
        got = {
            (m["organization_id"], m["user_id"]): m["role"]["name"] for m in self.server.state.memberships()
        }
        assert got == self.members

    @invariant()
    def the_journal_is_consistent(self) -> None:
        journal = self.client.journal
        assert journal.unfinished() == []
        frame = journal.to_frame()
        assert set(frame["status"]) <= {"applied", "failed", "skipped"}


AccountMachine.TestCase.settings = settings(
    max_examples=scale(30, 200),
    stateful_step_count=scale(20, 50),
    derandomize=not long_mode(),  # the regular suite replays the same examples; the long run explores
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestAccountModel = AccountMachine.TestCase


_EXAMPLES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_module_figures():
    """After the module: what the property tests and the state machine exercised."""
    yield
    figures = Figures("tests/reliability/test_b7_property_load.py")
    figures.add("f1_steps", STATS.steps)
    figures.add("f1_applies", STATS.applies)
    figures.add("f1_conflicts", STATS.conflicts)
    for kind, count in sorted(STATS.faults.items()):
        figures.faults(f"state-machine:{kind}", count)
    for name, count in sorted(_EXAMPLES.items()):
        figures.add("examples", count, test=name)
    figures.add("f3_unexpected_exceptions", 0)  # any other exception fails the F3 tests
    figures.faults("fuzz:raw-http-answers", _EXAMPLES["F3-raw"])


# -- F3: the client fuzzed by server responses ---------------------------------------------------------

_HEADER_NAMES = [
    "Content-Length",
    "Content-Type",
    "Transfer-Encoding",
    "Retry-After",
    "Content-Encoding",
    "Location",
    "X-Request-Id",
    "Connection",
]
_HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=24),
    st.sampled_from(
        [
            "application/json",
            "application/problem+json",
            "text/html",
            "chunked",
            "gzip",
            "0",
            "-1",
            "99999",
            "close",
        ]
    ),
)
_SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
_NESTED = st.lists(_SCALAR, max_size=4) | st.dictionaries(st.text(max_size=8), _SCALAR, max_size=4)
_JSON = (
    _SCALAR
    | _NESTED
    | st.lists(_NESTED, max_size=3)
    | st.dictionaries(st.text(max_size=8), _NESTED, max_size=3)
)


@st.composite
def _raw_responses(draw: st.DrawFn) -> bytes:
    status = draw(st.sampled_from([200, 201, 204, 301, 400, 404, 409, 429, 500, 503]) | st.integers(0, 999))
    headers = draw(st.lists(st.tuples(st.sampled_from(_HEADER_NAMES), _HEADER_VALUES), max_size=5))
    body = json.dumps(draw(_JSON)).encode() if draw(st.booleans()) else draw(st.binary(max_size=120))
    head = f"HTTP/1.1 {status} Fuzz\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    raw = head.encode("latin-1") + b"\r\n" + body
    cut = draw(st.none() | st.integers(0, max(0, len(raw) - 1)))
    return raw if cut is None else raw[:cut]


@settings(
    max_examples=scale(60, 600),
    derandomize=not long_mode(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(reply=_raw_responses(), call=st.sampled_from(["list", "get", "create", "delete"]))
def test_f3_raw_http_answers_raise_only_package_errors(raw_server, reply, call):
    raw_server.reply = reply
    clock = FakeClock()
    client = http_client(raw_server.host, sleep=clock.sleep, clock=clock, timeout=(1.0, 1.0))
    org_id = "T3JnYW5pemF0aW9uOjE6YWJjZA=="
    with client:
        try:
            if call == "list":
                client.organizations.list()
            elif call == "get":
                client.organizations.get(organization=org_id)
            elif call == "create":
                client.organizations.create(name="Fuzz")
            else:
                client.organizations.delete(organization=org_id)
        except OrgsNbError:
            pass
    _EXAMPLES["F3-raw"] += 1


@pytest.fixture(scope="module")
def raw_server():
    with RawServer() as server:
        yield server


@settings(
    max_examples=scale(80, 1000),
    derandomize=not long_mode(),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    body=_JSON | st.fixed_dictionaries({"organizations": st.lists(_JSON, max_size=3), "pagination": _JSON}),
    content_type=st.sampled_from(["application/json", "application/problem+json", "text/plain", "text/html"]),
    status=st.sampled_from([200, 201, 400, 404, 409, 422, 429, 500]),
)
def test_f3_json_bodies_raise_only_package_errors(body, content_type, status):
    _EXAMPLES["F3-json"] += 1
    with inproc_client() as client:
        client.local_sandbox.faults.add(
            status=status, body=json.dumps(body), content_type=content_type, retry_after="0", times=4
        )
        try:
            page = client.organizations.list()
        except OrgsNbError:
            return
        assert isinstance(page, ListOrganizationsResponse)


# -- F4: the Retry-After parser ---------------------------------------------------------------------

_dates = st.datetimes(
    min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2090-01-01").to_pydatetime(),
    timezones=st.just(UTC),
)


@st.composite
def _retry_after_values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "int", "float", "imf", "rfc850", "asctime"]))
    if kind == "text":
        return draw(st.text(max_size=80))
    if kind == "int":
        return str(draw(st.integers(-(10**12), 10**12)))
    if kind == "float":
        return repr(draw(st.floats(allow_nan=True, allow_infinity=True)))
    moment = draw(_dates)
    if kind == "imf":
        return email.utils.format_datetime(moment, usegmt=True)
    if kind == "rfc850":
        return moment.strftime("%A, %d-%b-%y %H:%M:%S GMT")
    return moment.strftime("%a %b %d %H:%M:%S %Y").replace(" 0", "  ", 1)


@settings(max_examples=scale(1000, 10_000), deadline=None)
@given(value=_retry_after_values())
def test_f4_retry_after_is_none_or_a_finite_wait_within_the_cap(value):
    _EXAMPLES["F4"] += 1
    now = 1_700_000_000.0
    seconds = parse_retry_after(value, now=now)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
    policy = Policy()
    decision = decide(
        mode=Mode.IDEMPOTENT,
        status=429,
        failure=None,
        retry_after=seconds,
        attempt=1,
        policy=policy,
        rng=random.Random(0),
    )
    assert 0 <= decision.delay <= policy.retry_after_cap


# -- F5: plan properties ------------------------------------------------------------------------------


@st.composite
def _snapshot_and_edit(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = draw(
        st.lists(
            st.text(alphabet="abcXYZ ☃", min_size=1, max_size=6).filter(str.strip),
            max_size=8,
            unique_by=str.casefold,
        )
    )
    rows = [
        {
            "id": f"T3Jn{i:04d}",
            "name": n,
            "description": draw(st.sampled_from(["", "x", "y"])),
            "created_at": "2024-01-01T00:00:00Z",
        }
        for i, n in enumerate(names)
    ]
    base = ORG_SCHEMA.from_rows(rows)
    edited = base.copy()
    edited["delete"] = False
    pool = [f"N{k}" for k in range(12)]
    draw(st.randoms()).shuffle(pool)
    for i in range(len(edited)):
        action = draw(st.sampled_from(["keep", "rename", "describe", "delete", "rename+describe"]))
        if "rename" in action:
            edited.loc[i, "name"] = pool.pop()
        if "describe" in action:
            edited.loc[i, "description"] = draw(st.sampled_from(["", "x", "y", "z"]))
        if action == "delete":
            edited.loc[i, "delete"] = True
    creates = [
        {"name": pool.pop(), "description": "c", "delete": False} for _ in range(draw(st.integers(0, 3)))
    ]
    if creates:
        edited = pd.concat([edited, pd.DataFrame(creates)], ignore_index=True)
    return base, edited


@settings(max_examples=scale(100, 2000), deadline=None)
@given(pair=_snapshot_and_edit())
def test_f5_applying_the_plan_to_the_model_gives_the_edit(pair):
    _EXAMPLES["F5"] += 1
    base, edited = pair
    changes, _ = plan_org_changes(base, edited)
    again, _ = plan_org_changes(base, edited)
    assert [c.key for c in changes] == [c.key for c in again]  # deterministic
    model = {r.id: {"name": r.name, "description": r.description} for r in base.itertuples()}
    for n, change in enumerate(changes):
        if change.op.value == "create":
            model[f"new{n}"] = {"name": change.after["name"], "description": change.after["description"]}
        elif change.op.value == "delete":
            del model[change.org_id]
        else:
            model[change.org_id].update(change.after)
    want = edited[~edited["delete"].astype(bool)]
    assert sorted((m["name"], m["description"]) for m in model.values()) == sorted(
        zip(want["name"], want["description"], strict=True)
    )
    minimal = 0
    before = {r.id: r for r in base.itertuples()}
    for row in edited.itertuples():
        if not isinstance(row.id, str) or row.delete:
            minimal += 1
        else:
            minimal += (row.name != before[row.id].name) + (row.description != before[row.id].description)
    assert len(changes) == minimal


# -- F6: fault proxy x operation grid -----------------------------------------------------------------

TOXICS = {
    "latency": {"kind": "latency", "ms": 60},
    "timeout": {"kind": "timeout", "phase": "after", "ms": 500},
    "reset_peer": {"kind": "reset_peer", "phase": "after"},
    "slicer": {"kind": "slicer", "nbytes": 7, "ms": 1},
    "limit_data": {"kind": "limit_data", "nbytes": 40},
    "down": None,
}
OPERATIONS = ["list", "get", "create", "update", "delete", "add_user", "remove_user"]


@pytest.fixture(scope="module")
def grid_server():
    with (
        Sandbox(api_key="k", users=2, seed=3) as server,
        FaultProxy(("127.0.0.1", port_of(server)), max_seconds=300) as proxy,
    ):
        yield server, proxy


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize("toxic", list(TOXICS))
def test_f6_every_operation_survives_every_toxic(grid_server, toxic, op, figures):
    server, proxy = grid_server
    state = server.state
    tag = f"{toxic}-{op}"
    org = state.create_org(f"Grid {tag}", "d")
    user = state.users()[0] if state.users()[0]["role"]["name"] != "ANNOTATOR" else state.users()[1]
    policy = RetryPolicy(read_attempts=10, write_attempts=10, backoff_base=0.05, backoff_cap=0.2)
    # real sleeps, shortened: the reconcile's 0.5 s / 1 s polls become 0.2 s
    nap = lambda seconds: time.sleep(min(seconds, 0.2))  # noqa: E731
    with http_client(proxy.host, api_key="k", retry=policy, timeout=(1.0, 0.25), sleep=nap) as client:
        if op == "remove_user":
            client.organizations.add_user(organization=org["id"], user_id=user["id"], role="MEMBER")
        method, path = op_route(op, org["id"], user["id"])
        if toxic == "down":
            proxy.down(0.3)
        else:
            options = dict(TOXICS[toxic])
            proxy.add(options.pop("kind"), method=method, path=path, **options)
        orgs = client.organizations
        if op == "list":
            assert any(o.id == org["id"] for o in orgs.iter(name=f"Grid {tag}"))
        elif op == "get":
            assert orgs.get(organization=org["id"]).name == f"Grid {tag}"
        elif op == "create":
            orgs.create(name=f"New {tag}", description="n")
        elif op == "update":
            orgs.update(organization=org["id"], name=f"Renamed {tag}")
        elif op == "delete":
            orgs.delete(organization=org["id"])
        elif op == "add_user":
            orgs.add_user(organization=org["id"], user_id=user["id"], role="ADMIN")
        else:
            orgs.remove_user(organization=org["id"], user_id=user["id"])
    proxy.clear()
    names = [o["name"] for o in state.orgs()]
    roles = [
        m["role"]["name"]
        for m in state.memberships()
        if m["organization_id"] == org["id"] and m["user_id"] == user["id"]
    ]
    expected = {
        "create": names.count(f"New {tag}") == 1,
        "update": f"Renamed {tag}" in names and f"Grid {tag}" not in names,
        "delete": f"Grid {tag}" not in names,
        "add_user": roles == ["ADMIN"],
        "remove_user": roles == [],
    }.get(op, True)
    assert expected, (toxic, op, names, roles)
    figures.faults(f"proxy:{toxic}")


# -- L1: drain over loopback -----------------------------------------------------------------------


def test_l1_drain_over_loopback(figures):
    n = scale(2_000, 10_000)
    with Sandbox(api_key="k", orgs=n, seed=9) as server:
        with http_client(host_of(server), api_key="k") as client:
            pages: list[float] = []
            client.transport.add_listener(lambda e: pages.append(e.seconds) if e.kind == "response" else None)
            rss = rss_bytes()
            with timed() as elapsed:
                frame = client.organizations.to_frame(progress=False)
            wall = elapsed()
            growth = rss_bytes() - rss
        server_seconds = sum(r.seconds for r in server.log.records())
    assert len(frame) == n and frame["id"].is_unique
    assert len(pages) == math.ceil(n / 100)
    figures.add("l1_rows", n)
    figures.add("l1_pages", len(pages))
    figures.add("l1_wall_seconds", round(wall, 3))
    figures.add("l1_client_overhead_seconds", round(max(0.0, wall - server_seconds), 3))
    figures.add("l1_page_p50_ms", round(percentile(pages, 0.5) * 1000, 2))
    figures.add("l1_page_p95_ms", round(percentile(pages, 0.95) * 1000, 2))
    figures.add("l1_rss_growth_mb", round(growth / 2**20, 1))


# -- load: 16 concurrent clients, mixed operations, random faults --------------------------------------


@dataclass
class _Belief:
    """What one client believes it did."""

    orgs: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, description)
    members: dict[tuple[str, str], str] = field(default_factory=dict)
    uncertain: set[str] = field(default_factory=set)  # org ids (or names) an ambiguous failure touched
    ops: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)  # a client's own assertion that failed


def _worker(
    host: str, cid: int, ops: int, deadline: float, users: list[tuple[str, str]], belief: _Belief
) -> None:
    rng = random.Random(cid)
    policy = RetryPolicy(backoff_base=0.05, backoff_cap=0.3)
    counter = 0
    with http_client(host, api_key="k", retry=policy, timeout=(2.0, 5.0)) as client:
        orgs = client.organizations
        for _ in range(ops):
            if time.monotonic() > deadline:
                break
            mine = sorted(belief.orgs)
            kind = rng.choice(
                [
                    "create",
                    "create",
                    "shared",
                    "rename",
                    "describe",
                    "delete",
                    "add_user",
                    "remove_user",
                    "get",
                    "list",
                ]
            )
            if not mine and kind not in ("create", "shared", "list"):
                kind = "create"
            target = rng.choice(mine) if mine else ""
            touched = target  # what an ambiguous failure leaves uncertain: an org id, or a name
            belief.ops[kind] += 1
            try:
                if kind in ("create", "shared"):
                    counter += 1
                    name = f"c{cid:02d}-o{counter}" if kind == "create" else f"shared-{rng.randint(0, 9)}"
                    touched = name
                    description = f"by c{cid:02d} #{counter}"
                    try:
                        org = orgs.create(name=name, description=description)
                    except ConflictError:
                        belief.errors["conflict (expected)"] += 1
                        continue
                    belief.orgs[org.id] = (org.name, org.description)
                    assert (org.name, org.description) == (name, description)
                elif kind == "rename":
                    counter += 1
                    new = f"c{cid:02d}-r{counter}"
                    orgs.update(organization=target, name=new)
                    belief.orgs[target] = (new, belief.orgs[target][1])
                elif kind == "describe":
                    text = f"d{rng.randint(0, 999)}"
                    orgs.update(organization=target, description=text)
                    belief.orgs[target] = (belief.orgs[target][0], text)
                elif kind == "delete":
                    orgs.delete(organization=target)
                    del belief.orgs[target]
                    belief.members = {k: v for k, v in belief.members.items() if k[0] != target}
                elif kind == "add_user":
                    user_id, account_role = rng.choice(users)
                    role = (
                        "ANNOTATOR"
                        if account_role == "ANNOTATOR"
                        else rng.choice(["ADMIN", "MEMBER", "READ_ONLY"])
                    )
                    orgs.add_user(organization=target, user_id=user_id, role=role)
                    belief.members[(target, user_id)] = role
                elif kind == "remove_user":
                    held = [k for k in belief.members if k[0] == target]
                    if not held:
                        continue
                    pair = rng.choice(held)
                    orgs.remove_user(organization=pair[0], user_id=pair[1])
                    del belief.members[pair]
                elif kind == "get":
                    org = orgs.get(organization=target)
                    assert (org.name, org.description) == belief.orgs[target]  # read your writes
                else:
                    list(orgs.iter(name=f"c{cid:02d}-", limit=rng.choice([5, 50, 100])))
            except OrgsNbError as exc:  # retries ran out: the write may or may not have landed
                belief.errors[type(exc).__name__] += 1
                belief.uncertain.add(touched)
            except AssertionError as exc:  # reported by the main thread, not lost in this one
                belief.broken.append(f"{kind}: {exc}")
                return


def _run_load(clients: int, ops_per_client: int, seconds: float, figures: Figures, label: str) -> None:
    with Sandbox(api_key="k", users=12, seed=21, retry_after=1) as server:
        host = host_of(server)
        users = [(u["id"], u["role"]["name"]) for u in server.state.users()]
        server.set_knobs(rate_limit_share=0.01, error_share=0.03, drop_share=0.03)
        beliefs = [_Belief() for _ in range(clients)]
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(
                target=_worker, args=(host, cid, ops_per_client, deadline, users, beliefs[cid]), daemon=True
            )
            for cid in range(clients)
        ]
        with timed() as elapsed:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 60)
        wall = elapsed()
        assert not any(t.is_alive() for t in threads)
        server.set_knobs(rate_limit_share=0.0, error_share=0.0, drop_share=0.0)
        state = {o["id"]: (o["name"], o["description"]) for o in server.state.orgs()}
        memberships = {
            (m["organization_id"], m["user_id"]): m["role"]["name"] for m in server.state.memberships()
        }
        records = server.log.records()
        figures.faults_from_log(server)
    assert [b.broken for b in beliefs if b.broken] == []
    uncertain = set().union(*(b.uncertain for b in beliefs))
    believed: dict[str, tuple[str, str]] = {}
    for belief in beliefs:
        for org_id, value in belief.orgs.items():
            assert org_id not in believed, f"two clients believe they made {org_id}"  # no double adoption
            believed[org_id] = value
    names = [n.casefold() for n, _ in state.values()]
    lost = [i for i, v in believed.items() if i not in uncertain and state.get(i) != v]
    phantom = [i for i in state if i not in believed and i not in uncertain and state[i][0] not in uncertain]
    # one create intent = one (name, description) body: each may land (201) at most once
    created = Counter(
        (r.json["name"], r.json.get("description"))
        for r in records
        if r.method == "POST" and r.path == ORGS and r.status == 201
    )
    duplicates = sum(n - 1 for n in created.values()) + (len(names) - len(set(names)))
    member_beliefs = {k: v for b in beliefs for k, v in b.members.items() if k[0] not in uncertain}
    lost_members = [k for k, v in member_beliefs.items() if memberships.get(k) != v]
    extra_members = [
        k for k in memberships if k[0] in believed and k[0] not in uncertain and k not in member_beliefs
    ]
    ops = sum(sum(b.ops.values()) for b in beliefs)
    errors = Counter()
    for belief in beliefs:
        errors.update(belief.errors)
    figures.add("load_ops", ops, run=label)
    figures.add("load_clients", clients, run=label)
    figures.add("load_wall_seconds", round(wall, 2), run=label)
    figures.add("load_requests", len(records), run=label)
    figures.add(
        "load_errors_after_retries", sum(v for k, v in errors.items() if "expected" not in k), run=label
    )
    figures.add("load_conflicts_expected", errors["conflict (expected)"], run=label)
    for kind, count in sorted(errors.items()):
        if "expected" not in kind:
            figures.add("load_error_kind", count, run=label, kind=kind)
    figures.add("load_uncertain", len(uncertain), run=label)
    figures.add("rows_lost", len(lost) + len(lost_members), row=f"load-{label}")
    figures.add("duplicates", duplicates + len(phantom) + len(extra_members), row=f"load-{label}")
    assert len(names) == len(set(names))
    assert lost == [] and lost_members == []
    assert phantom == [] and extra_members == []
    assert duplicates == 0


def test_load_16_clients_mixed_operations_with_faults(figures):
    _run_load(16, ops_per_client=20, seconds=60, figures=figures, label="short")


@pytest.mark.reliability_long
def test_load_16_clients_long(figures):
    _run_load(
        16,
        ops_per_client=int(os.environ.get("RELIABILITY_LOAD_OPS", "250")),
        seconds=600,
        figures=figures,
        label="long",
    )


@pytest.mark.reliability_long
def test_l3_soak(figures):
    """A bounded loop over loopback, no faults: error rate 0, the client's memory flat.

    The sandbox keeps every request in its log (about 2 KB each); the log is emptied every 1 000
    operations so the memory slope is the client's. The first fifth of the run is warm-up.
    """
    seconds = float(os.environ.get("RELIABILITY_SOAK_SECONDS", "60"))
    samples: list[tuple[float, int]] = []
    errors = ops = requests_seen = 0
    with (
        Sandbox(api_key="k", orgs=200, seed=4) as server,
        http_client(host_of(server), api_key="k") as client,
    ):
        org_ids = [o["id"] for o in server.state.orgs()]
        start = time.monotonic()
        while time.monotonic() - start < seconds and ops < 1_000_000:
            try:
                if ops % 50 == 0:
                    client.organizations.to_frame(progress=False)
                    samples.append((time.monotonic() - start, rss_bytes()))
                else:
                    client.organizations.update(
                        organization=org_ids[ops % len(org_ids)], description=f"soak {ops}"
                    )
            except OrgsNbError:
                errors += 1
            ops += 1
            if ops % 1000 == 0:
                requests_seen += len(server.log)
                server.log.clear()
        requests_seen += len(server.log)
    warm = [(x, y / 2**20) for x, y in samples if x >= seconds / 5]
    mean_x = sum(x for x, _ in warm) / len(warm)
    mean_y = sum(y for _, y in warm) / len(warm)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in warm) / max(
        1e-9, sum((x - mean_x) ** 2 for x, _ in warm)
    )
    figures.add("l3_ops", ops)
    figures.add("l3_requests", requests_seen)
    figures.add("l3_seconds", round(seconds, 1))
    figures.add("l3_errors", errors)
    figures.add("l3_rss_slope_mb_per_min", round(slope * 60, 2))
    assert errors == 0
