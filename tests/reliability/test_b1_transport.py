"""B0 (the retry contract) and B1 (transport faults and retries) of docs/RELIABILITY.md.

The B0 grid runs every failure class against the six operations through the in-process adapter
with a fake clock (no real sleeping); the B1 rows that need real sockets use the sandbox over
loopback HTTP and the fault proxy.
"""

from __future__ import annotations

import inspect
import json
import shutil
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
import requests
import urllib3.exceptions

from arize_orgs_nb import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    ArizeOrgs,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OrgsNbError,
    PermissionDeniedError,
    ProtocolError,
    RateLimit,
    RateLimitError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
)
from arize_orgs_nb.errors import DrainInterruptedError
from arize_orgs_nb.http.retry import parse_retry_after
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock, FrozenClock, SharedPauseWatch
from tests.reliability._support import (
    ORGS,
    free_port,
    host_of,
    http_client,
    inproc_client,
    op_route,
    port_of,
    scale,
    self_signed,
    timed,
    tls_server,
    writes,
)
from tests.reliability.fault_proxy import FaultProxy

# -- the six operations of the B0 table --------------------------------------------------------


@dataclass
class Target:
    """What one grid case works on: an org, a user who is a member, and the op's wire path."""

    org_id: str
    user_id: str
    method: str
    path: str


def _setup(client: Any, op: str) -> Target:
    state = client.local_sandbox.state
    org = state.create_org("Target", "d")
    user = state.create_user("Ana", "ana@example.com")
    if op == "remove_user":
        client.organizations.add_user(organization=org["id"], user_id=user["id"], role="MEMBER")
    client.local_sandbox.log.clear()
    return Target(org["id"], user["id"], *op_route(op, org["id"], user["id"]))


def _run(client: Any, op: str, t: Target) -> object:
    orgs = client.organizations
    if op == "list":
        return orgs.list()
    if op == "get":
        return orgs.get(organization=t.org_id)
    if op == "create":
        return orgs.create(name="Fresh", description="new")
    if op == "update":
        return orgs.update(organization=t.org_id, name="Renamed")
    if op == "delete":
        return orgs.delete(organization=t.org_id)
    if op == "add_user":
        return orgs.add_user(organization=t.org_id, user_id=t.user_id, role="ADMIN")
    return orgs.remove_user(organization=t.org_id, user_id=t.user_id)


def _done(client: Any, op: str, t: Target) -> bool:
    """The state the operation was meant to reach (reads the sandbox directly)."""
    state = client.local_sandbox.state
    names = [o["name"] for o in state.orgs()]
    roles = [m["role"]["name"] for m in state.memberships() if m["user_id"] == t.user_id]
    return {
        "list": names == ["Target"],
        "get": names == ["Target"],
        "create": sorted(names) == ["Fresh", "Target"],
        "update": names == ["Renamed"],
        "delete": names == [],
        "add_user": roles == ["ADMIN"],
        "remove_user": roles == [],
    }[op]


def _untouched(client: Any, op: str, t: Target) -> bool:
    state = client.local_sandbox.state
    names = [o["name"] for o in state.orgs()]
    members = [m for m in state.memberships() if m["user_id"] == t.user_id]
    return names == ["Target"] and len(members) == (1 if op == "remove_user" else 0)


def _sent(client: Any, t: Target) -> int:
    return sum(1 for r in client.local_sandbox.log.records() if r.method == t.method and r.path == t.path)


OPS = ["list", "get", "create", "update", "delete", "add_user", "remove_user"]


# -- B0 grid ------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_b0_never_sent_failures_are_retried_for_every_call(op, figures):
    """Connect error / connect timeout (never sent): retry, for every method, POST included."""
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        real_send = client.transport._send
        failed = []

        def refuse_once(*args: object) -> object:
            if not failed:
                failed.append(1)
                reason = urllib3.exceptions.NewConnectionError(None, "connection refused")  # type: ignore[arg-type]
                raise requests.exceptions.ConnectionError(reason)
            return real_send(*args)

        client.transport._send = refuse_once
        _run(client, op, t)
        assert _done(client, op, t)
        assert _sent(client, t) == 1  # the refused attempt never reached the server
        assert len(clock.sleeps) == 1
        figures.faults("stub:connect-refused")


@pytest.mark.parametrize("op", OPS)
def test_b0_429_within_the_cap_is_waited_out_for_every_call(op, figures):
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        client.local_sandbox.faults.add(status=429, retry_after=2, method=t.method, path=t.path)
        _run(client, op, t)
        assert _done(client, op, t)
        assert _sent(client, t) == 2
        assert clock.sleeps == [2.0]
        figures.faults_from_log(client.local_sandbox)


@pytest.mark.parametrize("op", OPS)
def test_b0_429_beyond_the_cap_raises_at_once_for_every_call(op, figures):
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        client.local_sandbox.faults.add(status=429, retry_after=3600, method=t.method, path=t.path)
        with pytest.raises(RateLimitError) as info:
            _run(client, op, t)
        assert info.value.retry_after == 3600
        assert clock.sleeps == []
        assert _sent(client, t) == 1
        assert _untouched(client, op, t)
        figures.faults_from_log(client.local_sandbox)


@pytest.mark.parametrize("op", OPS)
def test_b0_429_without_retry_after_backs_off_with_jitter(op, figures):
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        client.local_sandbox.faults.add(status=429, method=t.method, path=t.path, times=2)
        _run(client, op, t)
        assert _done(client, op, t)
        policy = client.settings.retry
        assert len(clock.sleeps) == 2
        for attempt, slept in enumerate(clock.sleeps, start=1):
            assert 0 <= slept <= min(policy.backoff_cap, policy.throttled_backoff_base * 2 ** (attempt - 1))
        figures.faults_from_log(client.local_sandbox)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("op", OPS)
def test_b0_5xx_is_retried_and_create_reconciles_first(op, status, figures):
    """503 (and 500/502/504 with nothing committed): retry; create looks the name up first."""
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        client.local_sandbox.faults.add(status=status, method=t.method, path=t.path)
        _run(client, op, t)
        assert _done(client, op, t)
        assert _sent(client, t) == 2
        if op == "create":
            kinds = [r.method for r in client.local_sandbox.log.records()]
            assert kinds[0] == "POST" and kinds[-1] == "POST" and "GET" in kinds  # reconcile between
        figures.faults_from_log(client.local_sandbox)


@pytest.mark.parametrize("fault", ["reset-after-commit", "read-timeout-after-commit"])
@pytest.mark.parametrize("op", OPS)
def test_b0_ambiguous_failures_after_commit(op, fault, figures):
    """Read timeout / reset after send: retry (set semantics); create reconciles, never resends;
    a DELETE whose retry gets 404 is "gone, confirmed"."""
    clock = FakeClock()
    with inproc_client(clock, timeout=(1.0, 0.05)) as client:
        t = _setup(client, op)
        if fault == "reset-after-commit":
            client.local_sandbox.faults.add(drop="after", method=t.method, path=t.path)
        else:
            client.local_sandbox.faults.add(delay_ms=120, method=t.method, path=t.path)
        _run(client, op, t)
        assert _done(client, op, t)
        expected = 1 if op == "create" else 2  # create adopts what it committed: one POST
        assert _sent(client, t) == expected
        if op in ("delete", "remove_user"):
            assert client.local_sandbox.log.records()[-1].status == 404  # confirmed gone
        figures.faults_from_log(client.local_sandbox)
        if op == "create":
            figures.add("duplicates", len(client.local_sandbox.state.orgs()) - 2, row="B0")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
@pytest.mark.parametrize("op", OPS)
def test_b0_client_errors_are_never_retried(op, status, figures):
    classes = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        422: UnprocessableEntityError,
    }
    clock = FakeClock()
    with inproc_client(clock) as client:
        t = _setup(client, op)
        client.local_sandbox.faults.add(status=status, method=t.method, path=t.path, times=5)
        with pytest.raises(classes[status]):
            _run(client, op, t)
        assert _sent(client, t) == 1
        assert clock.sleeps == []
        assert _untouched(client, op, t)
        figures.faults_from_log(client.local_sandbox)


def test_b0_a_404_on_the_first_delete_attempt_is_an_error():
    with inproc_client() as client:
        t = _setup(client, "delete")
        client.organizations.delete(organization=t.org_id)
        client.local_sandbox.log.clear()
        with pytest.raises(NotFoundError):
            client.organizations.delete(organization=t.org_id)
        with pytest.raises(NotFoundError):
            client.organizations.remove_user(organization=t.org_id, user_id=t.user_id)
        assert len(client.local_sandbox.log) == 2


def test_b0_409_is_never_retried():
    with inproc_client() as client:
        state = client.local_sandbox.state
        state.create_org("Taken")
        other = state.create_org("Other")
        client.local_sandbox.log.clear()
        with pytest.raises(ConflictError):
            client.organizations.create(name="TAKEN")
        with pytest.raises(ConflictError):
            client.organizations.update(organization=other["id"], name="taken")
        assert [r.method for r in client.local_sandbox.log.records()] == ["POST", "PATCH"]


def test_b0_defaults_match_the_contract():
    policy = RetryPolicy()
    assert (policy.read_attempts, policy.write_attempts) == (4, 3)
    assert (policy.backoff_base, policy.throttled_backoff_base, policy.backoff_cap) == (0.5, 1.0, 8.0)
    assert (policy.retry_budget, policy.retry_cost, policy.throttled_retry_cost) == (100, 5, 1)
    assert policy.retry_after_cap == 60.0
    assert policy.total_wait_cap == 120.0
    with inproc_client() as client:
        assert (client.settings.connect_timeout, client.settings.read_timeout) == (5.0, 30.0)
    # Retry-After: integer or HTTP-date; fractions rounded up; negative -> 0; unreadable -> None.
    assert parse_retry_after("1.2", now=0) == 2.0
    assert parse_retry_after("-5", now=0) == 0.0
    assert parse_retry_after("soon", now=0) is None


# -- B1 rows ------------------------------------------------------------------------------------


def test_r1_two_429s_are_waited_out_exactly(figures):
    clock = FakeClock()
    with inproc_client(clock) as client:
        client.local_sandbox.state.create_org("A")
        client.local_sandbox.faults.add(status=429, retry_after=2, method="GET", times=2)
        assert [o.name for o in client.organizations.list().organizations] == ["A"]
        assert clock.sleeps == [2.0, 2.0]
        assert client.local_sandbox.log.count(method="GET") == 3
        figures.faults_from_log(client.local_sandbox)


def test_r1_real_clock_waits_out_retry_after(figures):
    """The defaults (time.sleep, time.monotonic) over real HTTP: each 429 is waited out, then retried.

    What the client decided is asserted (one pause per 429, never longer than its Retry-After,
    nothing else waited for); how long the run took is only recorded, for the report.
    """
    defaults = inspect.signature(ArizeOrgs).parameters
    assert (defaults["sleep"].default, defaults["clock"].default) == (time.sleep, time.monotonic)
    with Sandbox(api_key="k", orgs=1) as server:
        server.faults.add(status=429, retry_after=1, method="GET", times=2)
        with http_client(host_of(server), api_key="k") as client, timed() as elapsed:
            waits: list[Any] = []
            client.transport.add_listener(lambda e: waits.append(e) if e.kind == "wait" else None)
            assert len(client.organizations.list().organizations) == 1
        figures.add("r1_real_wait_seconds", round(elapsed(), 3))
        figures.faults_from_log(server)
        assert [(r.method, r.status) for r in server.log.records()] == [("GET", 429)] * 2 + [("GET", 200)]
    assert {e.reason for e in waits} == {"rate-limited"}
    paused: dict[int, float] = {}
    for e in waits:  # the attempt that met the 429 -> how long the client paused before the next
        paused[e.attempt] = paused.get(e.attempt, 0.0) + e.seconds
    assert sorted(paused) == [1, 2]
    assert all(0 < seconds <= 1.0 for seconds in paused.values())


@pytest.mark.parametrize("tz", ["UTC", "Asia/Jerusalem"])
def test_r2_http_dates_do_not_depend_on_the_time_zone(tz, monkeypatch, figures):
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        now = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
        cases = {
            "Tue, 14 Nov 2023 22:13:30 GMT": 10.0,  # IMF-fixdate, future
            "Tuesday, 14-Nov-23 22:13:50 GMT": 30.0,  # RFC 850
            "Tue Nov 14 22:13:40 2023": 20.0,  # asctime (UTC by definition, RFC 9110 5.6.7)
            "Mon, 13 Nov 2023 00:00:00 GMT": 0.0,  # past
        }
        got = {value: parse_retry_after(value, now=now) for value in cases}
        mismatches = sum(got[v] != cases[v] for v in cases)
        figures.add("r2_date_mismatches", mismatches, tz=tz)
        assert got == cases
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


MALFORMED = ["1.5", "0.503", "abc", "-1", "", "1m0s", "nan", "inf", "9" * 5000, "²"]


@pytest.mark.parametrize("over_http", [False, True])
def test_r3_malformed_retry_after_never_crashes(over_http, figures):
    clock = FakeClock()
    crashes = 0
    with Sandbox(api_key="k", orgs=1) as server:
        if over_http:
            client = http_client(host_of(server), api_key="k", sleep=clock.sleep, clock=clock)
        else:
            client = inproc_client(clock)
            server = client.local_sandbox
            server.state.create_org("A")
        with client:
            waits: list[float] = []  # for the 429s (after them the learnt rate paces: not these)
            client.transport.add_listener(
                lambda e: waits.append(e.seconds) if e.kind == "wait" and e.reason != "paced" else None
            )
            for value in MALFORMED:
                server.faults.add(status=429, retry_after=value, method="GET")
                try:
                    client.organizations.list()
                except OrgsNbError:
                    crashes += 1
                except Exception:  # urllib3's InvalidHeader would land here
                    crashes += 1
            assert crashes == 0
            assert waits[:2] == [2.0, 1.0]  # "1.5" and "0.503" rounded up; the rest backed off
            assert all(s <= client.settings.retry.throttled_backoff_base for s in waits[2:])
        figures.add("r3_unhandled", crashes, transport="http" if over_http else "in-process")
        figures.faults("sandbox:429-malformed-retry-after", len(MALFORMED))


def test_r4_a_long_retry_after_fails_fast_with_a_resumable_drain(figures):
    clock = FakeClock()
    with inproc_client(clock, orgs=250) as client:
        server = client.local_sandbox
        seen = []

        def on_response(event: Any) -> None:
            seen.append(event)
            if len(seen) == 1:
                server.faults.add(status=429, retry_after=3600, method="GET", times=1)

        client.transport.add_listener(lambda e: on_response(e) if e.kind == "response" else None)
        with pytest.raises(DrainInterruptedError) as info:
            client.organizations.to_frame(progress=False)
        assert clock.sleeps == []  # no sleeping at all
        assert server.log.count(method="GET") == 2  # and no retry: page 2 met the 429 once
        assert isinstance(info.value.__cause__, RateLimitError)
        assert info.value.__cause__.retry_after == 3600
        assert len(info.value.partial_frame) == 100
        frame = info.value.drain.resume()
        assert len(frame) == 250 and frame["id"].is_unique
        figures.faults_from_log(server)


def test_r5_429_forever_gives_up_with_the_problem_details(figures):
    clock = FakeClock()
    body = json.dumps({"title": "Slow down", "detail": "quota exceeded", "request_id": "req-42", "x": 1})
    with inproc_client(clock) as client:
        client.local_sandbox.faults.add(
            status=429, body=body, content_type="application/problem+json", method="GET", times=100
        )
        with pytest.raises(RateLimitError) as info:
            client.organizations.list()
        error = info.value
        policy = client.settings.retry
        assert error.attempts == policy.read_attempts == 4
        assert len(clock.sleeps) == 3
        for attempt, slept in enumerate(clock.sleeps, start=1):
            assert slept <= min(policy.backoff_cap, policy.throttled_backoff_base * 2 ** (attempt - 1))
        text = str(error)
        assert "429" in text and "after 4 attempts" in text
        assert (error.title, error.detail, error.request_id) == ("Slow down", "quota exceeded", "req-42")
        assert "req-42" in text
        figures.faults_from_log(client.local_sandbox)


def test_r6_persistent_503_gives_up_within_the_deadline(figures):
    clock = FakeClock()
    with inproc_client(clock) as client:
        client.local_sandbox.faults.add(status=503, method="GET", times=100)
        start = clock.now
        with pytest.raises(ServerError) as info:
            client.organizations.list()
        assert info.value.attempts == 4
        assert clock.now - start <= client.settings.retry.total_wait_cap
        figures.add("r6_fake_wall_seconds", round(clock.now - start, 3))
        figures.faults_from_log(client.local_sandbox)


def test_r7_create_committed_then_reset_is_adopted_not_resent(figures):
    runs = scale(60, 200)
    with inproc_client() as client:
        server = client.local_sandbox
        for i in range(runs):
            server.faults.add(drop="after", method="POST", path=ORGS)
            org, adopted = client.organizations.create_or_adopt(name=f"Once {i}", description="d")
            assert org.name == f"Once {i}" and adopted  # outcome: reconciled
        names = [o["name"] for o in server.state.orgs()]
        posts = server.log.count(method="POST")
        assert sorted(names) == sorted(f"Once {i}" for i in range(runs))
        assert posts == runs  # one POST per create
        figures.add("r7_runs", runs)
        figures.add("duplicates", len(names) - len(set(names)), row="R7")
        figures.faults_from_log(server)


def test_r7_a_bulk_create_adopted_after_a_lost_answer_is_marked_reconciled():
    with inproc_client() as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        edited = pd.concat(
            [base, pd.DataFrame({"name": ["Lost answer", "Clean answer"], "description": ["a", "b"]})],
            ignore_index=True,
        )
        server.faults.add(drop="after", method="POST", path=ORGS, times=1)
        result = client.organizations.plan(edited, base=base).apply(workers=1, progress=False)
        assert result.ok and server.log.count(method="POST") == 2  # nothing sent twice
        by_name = {o.change.org_name: o for o in result.outcomes}
        assert by_name["Lost answer"].reconciled and by_name["Lost answer"].status == "applied"
        assert not by_name["Clean answer"].reconciled
        frame = result.to_frame().set_index("organization")
        assert frame.loc["Lost answer", "reconciled"] and not frame.loc["Clean answer", "reconciled"]
        assert frame.loc["Lost answer", "organization_id"] == server.state.orgs()[0]["id"]


def test_r7_over_a_real_connection_reset(figures):
    runs = scale(10, 50)
    with Sandbox(api_key="k") as server, FaultProxy(("127.0.0.1", port_of(server)), max_seconds=60) as proxy:
        clock = FakeClock()
        with http_client(proxy.host, api_key="k", sleep=clock.sleep, clock=clock) as client:
            for i in range(runs):
                proxy.add("reset_peer", phase="after", method="POST")
                client.organizations.create(name=f"Reset {i}")
        names = [o["name"] for o in server.state.orgs()]
        assert len(names) == len(set(names)) == runs
        assert server.log.count(method="POST") == runs
        figures.faults("proxy:reset_peer", proxy.stats["reset_peer"])


def test_r8_create_reset_before_commit_is_sent_again(figures):
    with inproc_client() as client:
        server = client.local_sandbox
        server.faults.add(drop="before", method="POST", path=ORGS)
        org, adopted = client.organizations.create_or_adopt(name="Second try")
        assert not adopted  # nothing had landed: the second POST's answer made it
        assert [o["id"] for o in server.state.orgs()] == [org.id]
        assert server.log.count(method="POST") == 2
        figures.faults_from_log(server)


def _empty_list_fault(server: Sandbox, times: int) -> None:
    """Reads that lag writes: the next ``times`` lists answer an empty page."""
    server.faults.add(
        status=200,
        body=json.dumps({"organizations": [], "pagination": {"has_more": False}}),
        content_type="application/json",
        method="GET",
        path=ORGS,
        times=times,
    )


def _late_commit_client(**options: Any) -> Any:
    # The reconcile waits (0.5 s, 1 s) are shortened to 0.15 s of real time: long enough for the
    # commit that lands 0.1 s after the read timeout.
    return inproc_client(timeout=(1.0, 0.05), sleep=lambda s: time.sleep(min(s, 0.15)), **options)


def test_r9_commit_after_the_timeout_with_lagging_reads_is_adopted_after_409(figures):
    with _late_commit_client() as client:
        server = client.local_sandbox
        server.faults.add(delay_ms=150, delay_phase="before", method="POST", path=ORGS)
        _empty_list_fault(server, times=3)
        org = client.organizations.create(name="Late", description="mine")
        assert (org.name, org.description) == ("Late", "mine")
        statuses = [(r.method, r.status) for r in server.log.records() if r.method == "POST"]
        assert len(statuses) == 2 and ("POST", 409) in statuses
        assert [o["name"] for o in server.state.orgs()] == ["Late"]
        figures.add("duplicates", 0, row="R9")
        figures.faults_from_log(server)


def test_r9_a_same_named_org_with_another_description_is_not_adopted(figures):
    """Someone else made an org of that name meanwhile: adopting it would report their org as ours."""
    with _late_commit_client() as client:
        server = client.local_sandbox
        server.faults.add(drop="before", method="POST", path=ORGS)  # our create never landed ...
        real_send = client.transport._send
        calls = []

        def someone_else_creates(*args: object) -> object:
            calls.append(args[0])
            if len(calls) == 2:  # ... and before we look, another tool takes the name
                server.state.create_org("Contested", "theirs")
            return real_send(*args)

        client.transport._send = someone_else_creates
        with pytest.raises(ConflictError, match="Contested"):
            client.organizations.create(name="Contested", description="mine")
        assert [(o["name"], o["description"]) for o in server.state.orgs()] == [("Contested", "theirs")]
        figures.faults_from_log(server)


def test_r11_a_409_after_an_ambiguous_attempt_is_still_a_conflict(figures):
    """The name is taken under another case: the reconcile finds no exact match, the retry gets
    409; the caller must see ConflictError (not a lookup's NameNotFoundError)."""
    with inproc_client() as client:
        server = client.local_sandbox
        server.state.create_org("STRASSE")
        server.faults.add(drop="before", method="POST", path=ORGS)
        with pytest.raises(ConflictError, match="already taken"):
            client.organizations.create(name="Straße")
        assert [o["name"] for o in server.state.orgs()] == ["STRASSE"]
        figures.faults_from_log(server)


def test_r10_create_after_500_reconciles_then_retries():
    with inproc_client() as client:
        client.local_sandbox.faults.add(status=500, method="POST", path=ORGS)
        client.organizations.create(name="After 500")
        assert [o["name"] for o in client.local_sandbox.state.orgs()] == ["After 500"]
        assert client.local_sandbox.log.count(method="POST") == 2


@pytest.mark.parametrize("workers", [1, 4])
def test_r16_a_401_mid_apply_stops_everything_not_yet_sent(workers, figures):
    with inproc_client(orgs=12) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        sends: list[str] = []
        real_send = client.transport._send
        revoked: list[int] = []

        def send(method: str, *args: object) -> object:
            sends.append(method)
            reply = real_send(method, *args)
            if reply.status_code == 401:
                revoked.append(len(sends))
            return reply

        client.transport._send = send
        server.faults.add(status=401, method="PATCH", times=1)
        result = client.organizations.plan(base.assign(description="x"), base=base).apply(
            workers=workers, progress=False
        )
        counts = result.counts()
        (at,) = revoked
        after = len(sends) - at  # requests sent after the 401 came back (in flight ones included)
        assert after <= workers - 1
        assert counts["failed"] + counts.get("applied", 0) + counts["skipped"] == 12
        assert counts["skipped"] >= 12 - workers - after
        assert all("not attempted" in o.error for o in result.outcomes if o.status == "skipped")
        assert client.journal.unfinished() == []
        figures.add("r16_requests_after_401", after, workers=workers)
        figures.faults_from_log(server)


def test_b0_writes_are_paced_by_a_client_side_limiter():
    """RateLimit(writes_per_second=2, burst=2): 10 writes take (10 - 2) / 2 s; reads are not slowed."""
    clock = FakeClock()
    pacing = RateLimit(writes_per_second=2, burst=2)
    with inproc_client(clock, orgs=10, rate_limit=pacing) as client:
        server = client.local_sandbox
        start = clock.now
        base = client.organizations.to_frame(progress=False)
        assert clock.now == start  # reads are not paced
        waits: list[float] = []
        client.transport.add_listener(
            lambda e: waits.append(e.seconds) if e.kind == "wait" and e.reason == "paced" else None
        )
        result = client.organizations.plan(base.assign(description="paced"), base=base).apply(
            workers=1,
            progress=False,  # one worker: the fake clock's sleeps add up in one thread
        )
        assert result.ok and server.log.count(method="PATCH") == 10
        assert clock.now - start == pytest.approx((10 - 2) / 2)  # burst 2, then a write every 0.5 s
        assert waits == [pytest.approx(0.5)] * 8


def test_b0_reads_can_be_paced_too():
    """RateLimit(reads_per_second=10, burst=1): a 5-page drain waits 4 x 0.1 s; writes unpaced."""
    clock = FakeClock()
    with inproc_client(clock, orgs=50, rate_limit=RateLimit(reads_per_second=10, burst=1)) as client:
        start = clock.now
        frame = client.organizations.to_frame(page_size=10, progress=False)
        assert len(frame) == 50 and client.local_sandbox.log.count(method="GET") == 5
        assert clock.now - start == pytest.approx(0.4)
        start = clock.now
        client.organizations.update(organization=frame["id"][0], description="not paced")
        assert clock.now == start


def test_b0_pacing_spaces_writes_sent_by_many_threads():
    """Real threads: 4 workers, 12 writes at 20/s, burst 1: the k-th slot handed out is k x 50 ms away.

    The clock stands still, so the shared token bucket's reservations are exact: one slot per
    write, 1/rate apart, whichever thread asks; and each worker waits for its slot right before
    the write it reserved it for.
    """
    clock = FrozenClock()
    with (
        Sandbox(api_key="k", orgs=12) as server,
        http_client(
            host_of(server),
            api_key="k",
            rate_limit=RateLimit(writes_per_second=20, burst=1),
            sleep=clock.sleep,
            clock=clock,
        ) as client,
    ):
        base = client.organizations.to_frame(progress=False)
        seen: list[tuple[str, str, float]] = []  # (thread, "paced" or "send", seconds)
        real_send = client.transport._send

        def recorded_send(method: str, *args: object) -> Any:
            if method != "GET":
                seen.append((threading.current_thread().name, "send", 0.0))
            return real_send(method, *args)

        def recorded_wait(event: Any) -> None:
            if event.kind == "wait":
                seen.append((threading.current_thread().name, event.reason, event.seconds))

        client.transport._send = recorded_send  # type: ignore[method-assign]
        client.transport.add_listener(recorded_wait)
        result = client.organizations.plan(base.assign(description="spaced"), base=base).apply(
            workers=4, progress=False
        )
    assert result.ok and [kind for _, kind, _ in seen].count("send") == 12
    paced = [seconds for _, kind, seconds in seen if kind != "send"]
    assert {kind for _, kind, _ in seen} == {"send", "paced"}
    assert sorted(paced) == pytest.approx([k * 0.05 for k in range(1, 12)])  # slot 0 waits nothing
    assert sorted(seconds for _, seconds in clock.sleeps) == sorted(paced)  # each wait was slept
    threads = {thread for thread, _, _ in seen}
    assert len(threads) > 1
    unpaced = 0
    for thread in threads:
        mine = [kind for t, kind, _ in seen if t == thread]
        unpaced += sum(kind == "send" and (i == 0 or mine[i - 1] != "paced") for i, kind in enumerate(mine))
    assert unpaced == 1  # only the write holding the first slot went without waiting


def test_r17_a_403_fails_its_row_and_the_others_continue(figures):
    with inproc_client(orgs=5) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        target = base["id"][2]
        server.faults.add(status=403, method="PATCH", path=f"{ORGS}/{target}")
        result = client.organizations.plan(base.assign(description="x"), base=base).apply(
            workers=2, progress=False
        )
        statuses = {o.change.org_id: (o.status, o.http_status) for o in result.outcomes}
        assert statuses.pop(target) == ("failed", 403)
        (refused,) = [o for o in result.outcomes if o.change.org_id == target]
        assert "needs a key of an admin of that organization" in str(refused.error)  # least privilege
        assert set(statuses.values()) == {("applied", 200)}
        assert server.log.count(method="PATCH") == 5
        figures.faults_from_log(server)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_r18_tls_failure_is_one_attempt_with_a_clear_message(tmp_path, figures):
    clock = FakeClock()
    with tls_server(*self_signed(tmp_path)) as (port, handshakes):
        client = ArizeOrgs(
            api_key="k",
            api_host=f"127.0.0.1:{port}",
            api_scheme="https",
            environ={},
            journal=":memory:",
            sleep=clock.sleep,
            clock=clock,
        )
        with client, pytest.raises(APIConnectionError) as info:
            client.organizations.list()
        assert info.value.attempts == 1
        assert "TLS verification failed" in str(info.value)
        assert "ARIZE_SSL_CA_CERT" in str(info.value)
        assert client.settings.verify is True
        assert clock.sleeps == []
        assert len(handshakes) == 1
        figures.faults("tls:self-signed")


def test_r19_connection_refused_backs_off_then_says_cannot_reach(figures):
    clock = FakeClock()
    port = free_port()
    with http_client(f"127.0.0.1:{port}", sleep=clock.sleep, clock=clock) as client:
        with pytest.raises(APIConnectionError, match="cannot reach 127.0.0.1.*after 4 attempts") as info:
            client.organizations.list()
        assert info.value.attempts == 4
        assert info.value.ambiguous is False
        assert sum(clock.sleeps) <= client.settings.retry.total_wait_cap
    figures.faults("refused:no-listener", 4)


def test_r19_a_server_down_for_a_while_is_waited_out(figures):
    """The proxy refuses connections for 0.4 s; real backoff sleeps carry the client past it.

    The outage is real, so a client that did not back off would spend its attempts at once and
    fail: the call succeeding after failed attempts, each followed by a backoff, is the proof.
    20 attempts: the backoff is full jitter (uniform up to 0.1 s, then 0.2 s), so 7 waits can
    add up to less than the outage now and then; 19 (about 1.9 s on average) outlast it by far.
    """
    policy = RetryPolicy(read_attempts=20, backoff_base=0.1, backoff_cap=0.2)
    with Sandbox(api_key="k", orgs=3) as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        with http_client(proxy.host, api_key="k", retry=policy) as client:
            client.organizations.list()
            events: list[Any] = []
            client.transport.add_listener(events.append)
            proxy.down(0.4)
            page = client.organizations.list()
            assert len(page.organizations) == 3
        figures.faults("proxy:down", proxy.stats["down"])
    kinds = [e.kind for e in events]
    failures = kinds.count("failure")
    assert failures >= 1 and failures < policy.read_attempts  # met the outage, got past it
    assert kinds == ["failure", "wait"] * failures + ["response"]  # each failure backed off first
    assert {e.reason for e in events if e.kind == "wait"} == {"backoff"}
    assert events[-1].status == 200 and events[-1].attempt == failures + 1


def test_r20_latency_beyond_the_read_timeout_times_out_each_attempt(figures):
    clock = FakeClock()
    with Sandbox(api_key="k", orgs=2) as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        proxy.add("latency", ms=800, method="GET", times=4)
        client = http_client(proxy.host, api_key="k", timeout=(1.0, 0.15), sleep=clock.sleep, clock=clock)
        events: list[Any] = []
        client.transport.add_listener(events.append)
        with client, timed() as elapsed, pytest.raises(APITimeoutError) as info:
            client.organizations.list()
        figures.faults("proxy:latency", proxy.stats["latency"])
        figures.add("r20_wall_seconds", round(elapsed(), 3))
        # Each attempt stops at its read timeout: had one waited the 800 ms out, it would have had
        # its answer (the latency only holds it back) and the call would not have failed.
        assert info.value.attempts == 4
        assert proxy.stats["latency"] == 4  # every attempt met the held-back answer
        assert [(e.kind, e.reason) for e in events if e.kind != "wait"] == [("failure", "read timeout")] * 4
        assert len(clock.sleeps) == 3  # a backoff between attempts, none after the last
        assert sum(clock.sleeps) <= client.settings.retry.total_wait_cap


@pytest.mark.parametrize("cut", [17, 60, 100, 200])
def test_r21_a_body_cut_short_is_retried_or_reconciled_never_taken_as_success(cut, figures):
    """limit_data: the connection closes after ``cut`` bytes of the answer (inside the headers
    or inside the body). A GET is retried; a create is reconciled: one org, no error."""
    with Sandbox(api_key="k", orgs=3) as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        clock = FakeClock()
        with http_client(proxy.host, api_key="k", sleep=clock.sleep, clock=clock) as client:
            proxy.add("limit_data", nbytes=cut, method="GET")
            assert len(client.organizations.list().organizations) == 3
            proxy.add("limit_data", nbytes=cut, method="POST")
            org = client.organizations.create(name="Cut short")
            assert org.name == "Cut short"
        assert [o["name"] for o in server.state.orgs()].count("Cut short") == 1
        assert server.log.count(method="POST") == 1
        figures.faults("proxy:limit_data", proxy.stats["limit_data"])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>login</body></html>", "text/html"),
        ("not json at all", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"organizations": "nope"}', "application/json"),
        ("[" * 50_000 + "]" * 50_000, "application/json"),
    ],
)
def test_r21_bodies_that_break_the_contract_are_protocol_errors(body, content_type, figures):
    with inproc_client() as client:
        client.local_sandbox.faults.add(status=200, body=body, content_type=content_type, method="GET")
        with pytest.raises(ProtocolError) as info:
            client.organizations.list()
        assert len(str(info.value)) < 600
        figures.faults("sandbox:bad-body")


@pytest.mark.parametrize(
    ("body", "content_type", "shown"),
    [
        (
            {"title": "Nope", "detail": "d1", "request_id": "r-1", "extra": [1]},
            "application/problem+json",
            "r-1",
        ),
        ({"detail": "no title here"}, "application/problem+json", "no title here"),
        ({"title": "Wrong type", "detail": "d2"}, "text/plain", "Wrong type"),
        ({"title": "Nested", "detail": "d3", "errors": {"name": ["bad"]}}, "application/json", "d3"),
    ],
)
def test_r22_problem_bodies_are_parsed_leniently(body, content_type, shown):
    with inproc_client() as client:
        client.local_sandbox.faults.add(
            status=400, body=json.dumps(body), content_type=content_type, method="GET"
        )
        with pytest.raises(BadRequestError) as info:
            client.organizations.list()
        assert shown in str(info.value)
        assert info.value.title


def test_r22_a_500_with_a_deeply_nested_problem_is_still_a_server_error():
    with inproc_client() as client:
        client.local_sandbox.faults.add(
            status=500, body="[" * 50_000 + "]" * 50_000, content_type="application/json", times=4
        )
        with pytest.raises(ServerError):
            client.organizations.list()


def test_r23_an_undeclared_2xx_is_judged_by_its_body():
    with inproc_client() as client:
        org = {
            "id": "T3JnYW5pemF0aW9uOjE6YWJjZA==",
            "name": "Two hundred",
            "description": "",
            "created_at": "2024-01-01T00:00:00Z",
        }
        client.local_sandbox.faults.add(
            status=200, body=json.dumps(org), content_type="application/json", method="POST"
        )
        assert client.organizations.create(name="Two hundred").id == org["id"]


def test_r24_an_outage_exhausts_a_retry_budget(figures):
    """100 calls against a server that answers only 503: the budget (100, 5 a retry) bounds the load."""
    clock = FakeClock()
    with inproc_client(clock, orgs=1) as client:
        server = client.local_sandbox
        org_id = server.state.orgs()[0]["id"]
        server.set_knobs(error_share=1.0)
        errors: list[ApiError] = []
        for _ in range(100):
            with pytest.raises(ApiError) as info:
                client.organizations.get(organization=org_id)
            errors.append(info.value)
        figures.add("r24_requests_in_outage", len(server.log))
        assert len(server.log) == 100 + 100 // 5  # 20 retries, then one request per call
        assert client.transport.retry_budget is not None and client.transport.retry_budget.available < 5
        assert not errors[0].budget_spent and errors[-1].budget_spent
        assert "retry budget is spent" in str(errors[-1]) and errors[-1].attempts == 1
        # The outage ends: successes refill the bucket and retries come back.
        server.set_knobs(error_share=0.0)
        for _ in range(10):
            client.organizations.get(organization=org_id)
        server.log.clear()
        server.faults.add(status=503, method="GET", times=1)
        assert client.organizations.get(organization=org_id).id == org_id
        assert len(server.log) == 2  # retried again


def test_r25_one_429_pauses_every_worker(figures):
    """4 workers; one 429 with Retry-After: 1 -> no worker starts a request before waiting it out.

    A clock that stands still makes the pause exact for everyone who checks it (1.0 s, however
    long anything took), and the watch makes the four workers meet the 429 together (see
    ``SharedPauseWatch``): every PATCH any worker sends once the pause began must come right after
    that worker waited the whole Retry-After.
    """
    clock = FrozenClock()
    with Sandbox(api_key="k", orgs=24) as server:
        with http_client(host_of(server), api_key="k", sleep=clock.sleep, clock=clock) as client:
            base = client.organizations.to_frame(progress=False)
            watch = SharedPauseWatch(client, workers=4)
            server.faults.add(status=429, retry_after=1, method="PATCH", times=1)
            result = client.organizations.plan(base.assign(description="paced"), base=base).apply(
                workers=4, progress=False
            )
        assert result.ok
        assert [e.status for e in watch.events if e.kind == "answer"].count(429) == 1
        workers = {e.thread for e in watch.events if e.kind == "send"}
        after = watch.after_the_pause()
        assert len(workers) == 4 and set(after) == workers  # every worker met the pause
        for thread, seen in after.items():
            # (after the 429 the learnt rate also spaces the sends: its "paced" waits are its own)
            waits = [(e.reason, e.seconds) for e in seen if e.kind == "wait" and e.reason != "paced"]
            assert waits and set(waits) == {("rate-limited", 1.0)}, thread
            sent = [i for i, e in enumerate(seen) if e.kind == "send"]
            assert all(i > 0 and seen[i - 1].kind == "wait" for i in sent), (thread, seen)
        figures.add("r25_workers_paused", len(after))
        figures.faults_from_log(server)


@pytest.mark.parametrize("kind", ["reset_peer", "timeout"])
def test_b1_create_through_the_proxy_never_duplicates(kind, figures):
    """Reset or timeout after the server committed, over real sockets: exactly one org."""
    with Sandbox(api_key="k") as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        clock = FakeClock()
        client = http_client(proxy.host, api_key="k", timeout=(1.0, 0.2), sleep=clock.sleep, clock=clock)
        with client:
            for i in range(3):
                proxy.add(kind, phase="after", method="POST", ms=400)
                client.organizations.create(name=f"{kind} {i}")
        names = [o["name"] for o in server.state.orgs()]
        assert sorted(names) == [f"{kind} {i}" for i in range(3)]
        assert writes(server) == 3
        figures.faults(f"proxy:{kind}", proxy.stats[kind])
