"""Fault injection (scheduled and random), latency, read timeouts and the request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock

from .conftest import SandboxWaits
from .helpers import ADAPTER_BASE, KEY, Api, assert_problem, make_api

H = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def clocked(clock: FakeClock) -> Iterator[tuple[Sandbox, Api]]:
    """In-process only: a sandbox that reads and sleeps on a fake clock (its waits are instant and
    recorded, and a log record's ``seconds`` is the time the sandbox spent by that clock)."""
    with (
        Sandbox(api_key=KEY, clock=clock, sleep=clock.sleep) as sandbox,
        requests.Session() as session,
    ):
        yield sandbox, make_api(sandbox, "adapter", session)


def test_scheduled_429_with_retry_after_commits_nothing(api, sb):
    sb.faults.add(status=429, retry_after=2, method="POST", path="/v2/organizations")
    before = sb.state.snapshot()
    r = api.post("/v2/organizations", json={"name": "x"})
    assert_problem(r, 429)
    assert r.headers["Retry-After"] == "2"
    assert sb.state.snapshot() == before
    assert api.post("/v2/organizations", json={"name": "x"}).status_code == 201
    assert [rec.fault for rec in sb.log] == ["429", None]
    assert [rec.status for rec in sb.log] == [429, 201]


def test_429_without_retry_after_and_malformed_header(local, sb):
    sb.faults.add(status=429)
    sb.faults.add(status=429, retry_after="1m0s")
    sb.faults.add(status=503, retry_after=3)
    r = local.get("/v2/organizations")
    assert r.status_code == 429
    assert "Retry-After" not in r.headers
    r = local.get("/v2/organizations")
    assert r.headers["Retry-After"] == "1m0s"
    r = local.get("/v2/organizations")
    assert_problem(r, 503)
    assert r.headers["Retry-After"] == "3"
    assert local.get("/v2/organizations").status_code == 200


def test_502_html_body(api, sb):
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    sb.faults.add(status=502, body=html, content_type="text/html")
    r = api.get("/v2/organizations")
    assert r.status_code == 502
    assert r.headers["Content-Type"] == "text/html"
    assert r.text == html
    assert sb.log.records()[-1].fault == "5xx"


def test_drop_before_commits_nothing(api, sb):
    sb.faults.add(drop="before", method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/v2/organizations", json={"name": "Lost"})
    assert sb.state.orgs() == []
    rec = sb.log.records()[-1]
    assert (rec.status, rec.fault, rec.json) == (0, "drop-before", {"name": "Lost"})
    # the client can carry on (a new connection over HTTP)
    assert api.post("/v2/organizations", json={"name": "Lost"}).status_code == 201


def test_drop_after_commits(api, sb):
    sb.faults.add(drop="after", method="POST", path="/v2/organizations")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/v2/organizations", json={"name": "Committed"})
    assert [o["name"] for o in sb.state.orgs()] == ["Committed"]
    rec = sb.log.records()[-1]
    assert (rec.status, rec.fault) == (0, "drop-after")
    # a retry of the same create now conflicts: the R7 situation
    assert_problem(api.post("/v2/organizations", json={"name": "Committed"}), 409)


def test_drop_after_on_delete_then_retry_is_404(api, sb):
    org = api.create_org("Doomed")
    sb.faults.add(drop="after", method="DELETE")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.delete(f"/v2/organizations/{org['id']}")
    assert sb.state.orgs() == []
    assert_problem(api.delete(f"/v2/organizations/{org['id']}"), 404)


def test_fault_matching_order_and_times(local, sb):
    sb.faults.add(status=500, method="GET", path="/v2/users")
    sb.faults.add(status=503, path="/v2/organizations/*", times=2)
    sb.faults.add(status=429, method="get")
    assert len(sb.faults) == 3
    assert local.post("/v2/organizations", json={"name": "a"}).status_code == 201  # no match
    org_id = sb.state.orgs()[0]["id"]
    assert local.get("/v2/users").status_code == 500
    assert local.get("/v2/users").status_code == 429  # the next GET-any fault
    assert local.get(f"/v2/organizations/{org_id}").status_code == 503
    assert local.delete(f"/v2/organizations/{org_id}").status_code == 503
    assert len(sb.faults) == 0
    assert local.delete(f"/v2/organizations/{org_id}").status_code == 204
    sb.faults.add(status=500, times=5)
    sb.faults.clear()
    assert local.get("/v2/users").status_code == 200


def test_fault_arguments_are_checked(sb):
    with pytest.raises(ValueError, match="status, drop or delay_ms"):
        sb.faults.add()
    with pytest.raises(ValueError, match="mutually exclusive"):
        sb.faults.add(status=500, drop="after")
    with pytest.raises(ValueError, match="drop"):
        sb.faults.add(drop="during")
    with pytest.raises(ValueError, match="times"):
        sb.faults.add(status=500, times=0)
    with pytest.raises(ValueError, match="between 200 and 599"):
        sb.faults.add(status=100)


def test_success_status_with_a_foreign_body(api, sb):
    sb.faults.add(status=200, body="<html>login</html>", content_type="text/html")
    r = api.get("/v2/organizations")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    assert r.text == "<html>login</html>"
    assert sb.log.records()[-1].fault == "200"


def test_delay_after_commit_exceeds_read_timeout(api, sb, waits: SandboxWaits):
    """R12/R14: the server commits, the answer comes after the client's read timeout."""
    sb.faults.add(delay_ms=400, method="POST")
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/v2/organizations", json={"name": "Slow"}, timeout=(2, 0.15))
    assert [o["name"] for o in sb.state.orgs()] == ["Slow"]
    if api.transport == "adapter":  # it emulates the timeout: it holds the call 0.15 s, not 0.4 s
        assert [w for w in waits.asked if w] == [pytest.approx(0.15)]
        rec = sb.log.records()[-1]
        assert (rec.status, rec.timed_out) == (201, True)


def test_delay_before_commit_lands_after_the_timeout(local, sb):
    """R9: the client times out first, the commit lands later."""
    sb.faults.add(delay_ms=200, delay_phase="before", method="POST")
    with pytest.raises(requests.exceptions.ReadTimeout):
        local.post("/v2/organizations", json={"name": "Late"}, timeout=0.05)
    assert sb.state.orgs() == []
    deadline = time.monotonic() + 3
    while not sb.state.orgs() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [o["name"] for o in sb.state.orgs()] == ["Late"]
    rec = sb.log.records()[-1]
    assert rec.timed_out
    assert rec.status == 201


def test_delay_within_timeout_just_waits(clocked, clock):
    sb, local = clocked
    sb.faults.add(delay_ms=60)
    assert local.get("/v2/organizations", timeout=5).status_code == 200
    assert [w for w in clock.sleeps if w] == [pytest.approx(0.06)]  # held 60 ms, then answered
    rec = sb.log.records()[-1]
    assert (rec.fault, rec.status, rec.timed_out) == ("delay", 200, False)
    assert rec.seconds == pytest.approx(0.06)  # the log counts the delay in the time spent


def run_sequence(rng_seed: int, **knobs) -> tuple[list[int], int]:
    with Sandbox(rng_seed=rng_seed, **knobs) as sb, requests.Session() as s:
        s.mount(ADAPTER_BASE, sb.adapter())
        statuses = []
        for i in range(60):
            try:
                if i % 3:
                    statuses.append(s.get(f"{ADAPTER_BASE}/v2/organizations", headers=H).status_code)
                else:
                    r = s.post(f"{ADAPTER_BASE}/v2/organizations", json={"name": f"n{i}"}, headers=H)
                    statuses.append(r.status_code)
            except requests.exceptions.ConnectionError:
                statuses.append(0)
        return statuses, len(sb.state.orgs())


def test_random_faults_are_deterministic_for_a_seed():
    knobs = {"rate_limit_share": 0.2, "error_share": 0.2, "drop_share": 0.3}
    first = run_sequence(7, **knobs)
    assert first == run_sequence(7, **knobs)
    assert first != run_sequence(8, **knobs)
    statuses, committed = first
    assert {429, 200, 201, 0} <= set(statuses)
    assert set(statuses) <= {0, 200, 201, 429, 500, 502, 503}
    # committed = successful creates + dropped-after creates (drops only hit writes)
    assert committed == statuses[::3].count(201) + statuses[::3].count(0)


def test_random_429_and_5xx_commit_nothing():
    with Sandbox(rate_limit_share=0.5, error_share=0.5, retry_after=3) as sb, requests.Session() as s:
        s.mount(ADAPTER_BASE, sb.adapter())
        for i in range(30):
            r = s.post(f"{ADAPTER_BASE}/v2/organizations", json={"name": f"n{i}"}, headers=H)
            assert r.status_code in (429, 500, 502, 503)
            assert r.headers["Content-Type"] == "application/problem+json"
            if r.status_code == 429:
                assert r.headers["Retry-After"] == "3"
        assert sb.state.orgs() == []
        assert {rec.fault for rec in sb.log} == {"429", "5xx"}


def test_scheduled_faults_take_precedence_over_random(sb, local):
    sb.set_knobs(error_share=1.0)
    sb.faults.add(status=429, retry_after=1)
    assert local.get("/v2/organizations").status_code == 429
    assert local.get("/v2/organizations").status_code in (500, 502, 503)
    sb.set_knobs(error_share=0.0)
    assert local.get("/v2/organizations").status_code == 200


def test_set_knobs_validates(sb):
    with pytest.raises(ValueError, match="between 0 and 1"):
        sb.set_knobs(error_share=1.5)
    with pytest.raises(ValueError, match="unknown"):
        sb.set_knobs(jitter=1)
    with pytest.raises(ValueError, match="negative"):
        sb.set_knobs(latency_ms=-1)
    knobs = sb.set_knobs(latency_ms=5, retry_after=2)
    assert (knobs.latency_ms, knobs.retry_after) == (5, 2)
    assert sb.knobs == knobs


def test_latency_overlaps_across_concurrent_http_requests(sb, waits: SandboxWaits):
    """Six requests over HTTP are all inside their latency wait at once (the server is not serial).

    Each latency wait meets the others at a barrier instead of sleeping: it only opens when all
    six are waiting together, so a server handling one request at a time breaks it (10 s) and
    the requests fail.
    """
    together = threading.Barrier(6, timeout=10)

    def meet(seconds: float) -> None:
        if seconds > 0:  # the latency wait (a zero-length one is the "no delay" of the fault plan)
            together.wait()

    waits.then = meet
    url = sb.serve()
    sb.set_knobs(latency_ms=10_000)  # never slept: it is what each request waits at the barrier for
    results: list[int] = []

    def call() -> None:
        results.append(requests.get(f"{url}/v2/organizations", headers=H, timeout=30).status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 6
    assert not together.broken
    latency = [w for w in waits.asked if w]
    assert len(latency) == 6 and all(0 < w <= 10.0 for w in latency)  # every answer held for it
    assert [rec.status for rec in sb.log] == [200] * 6


def test_request_log_records(clocked):
    sb, local = clocked  # no time passes for the sandbox: each record says 0.0 s
    local.post("/v2/organizations", json={"name": "Logged"})
    local.get("/v2/organizations?name=Log&limit=5&status=A&status=B")
    local.get("/v2/nowhere")
    assert len(sb.log) == 3
    post, get, missing = sb.log.records()
    assert (post.method, post.path, post.status, post.json, post.fault) == (
        "POST",
        "/v2/organizations",
        201,
        {"name": "Logged"},
        None,
    )
    assert get.query == {"name": ["Log"], "limit": ["5"], "status": ["A", "B"]}
    assert get.json is None
    assert (post.seconds, get.seconds) == (0.0, 0.0)
    assert get.headers["authorization"] == f"Bearer {KEY}"
    assert missing.status == 404
    assert sb.log.count(method="get") == 2
    assert sb.log.count(path_prefix="/v2/organizations") == 2
    assert sb.log.count(status=201) == 1
    assert sb.log.count(method="GET", status=200) == 1
    assert [r.method for r in sb.log] == ["POST", "GET", "GET"]
    sb.log.clear()
    assert len(sb.log) == 0
    sb.state.create_org("no log entry")
    assert len(sb.log) == 0


def test_rate_limit_rps_token_bucket(clocked, clock):
    sb, local = clocked  # the bucket's time: it moves only when the test says so
    sb.set_knobs(rate_limit_rps=5)
    statuses = [local.get("/v2/organizations").status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3  # the burst, then nothing until a token is back
    limited = next(r for r in sb.log if r.status == 429)
    assert limited.fault == "429"
    clock.now += 0.1  # half a token (5/s: one every 0.2 s)
    r = local.get("/v2/organizations")
    assert (r.status_code, r.headers.get("Retry-After")) == (429, "1")
    clock.now += 0.15  # 0.25 s since the bucket ran dry: a token is back, and only one
    assert local.get("/v2/organizations").status_code == 200
    assert local.get("/v2/organizations").status_code == 429
    sb.set_knobs(rate_limit_rps=0)
    assert all(local.get("/v2/organizations").status_code == 200 for _ in range(10))


def test_401_has_www_authenticate(local):
    r = local.get("/v2/organizations", key=None)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
