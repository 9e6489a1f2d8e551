"""The control endpoint /_sandbox: guarded (loopback peers, the admin key), all-or-none, never faulted."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
import requests

from arize_orgs_nb.sandbox import Sandbox

from .helpers import KEY, RO_KEY, Api, assert_problem

ORGS = "/v2/organizations"


def test_the_status_identifies_a_sandbox(api: Api):
    body = api.get("/_sandbox").json()
    assert body["sandbox"] is True
    assert body["faults"] == []
    assert body["knobs"]["latency_ms"] == 0.0
    assert body["seed"] == {"orgs": 0, "users": 0, "seed": 0}


@pytest.mark.parametrize(
    ("key", "status", "detail"),
    [
        (None, 401, "missing Authorization"),
        ("wrong-key", 401, "not valid"),
        (RO_KEY, 403, "admin key"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_sandbox"),
        ("POST", "/_sandbox/faults"),
        ("PATCH", "/_sandbox/knobs"),
        ("POST", "/_sandbox/reset"),
    ],
)
def test_every_route_needs_the_admin_key(sb: Sandbox, api: Api, key, status, detail, method, path):
    api.create_org("Kept")
    body = {"status": 503} if path.endswith("faults") else {"latency_ms": 500} if "knobs" in path else None
    answer = api.request(method, path, key=key, json=body)
    assert_problem(answer, status, detail)
    assert status != 401 or answer.headers["WWW-Authenticate"] == 'Bearer realm="arize"'
    assert sb.faults.pending() == []
    assert sb.knobs.latency_ms == 0.0
    assert [o["name"] for o in sb.state.orgs()] == ["Kept"]  # no reset either


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (a UDP connect sends nothing), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_a_peer_that_is_not_loopback_is_refused_before_its_key_is_read(sb: Sandbox):
    source = _non_loopback_address()
    if source is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    port = int(sb.serve().rsplit(":", 1)[1])
    # The sandbox listens on 127.0.0.1; a socket bound to another address of this machine reaches
    # it with that address as its peer, as a forwarded or proxied connection would.
    for path, expected in (("/_sandbox/faults", 403), (ORGS, 200)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
        try:
            connection.request(
                "POST" if expected == 403 else "GET",
                path,
                body=json.dumps({"status": 503}) if expected == 403 else None,
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            )
            answer = connection.getresponse()
            body = json.loads(answer.read())
        finally:
            connection.close()
        assert answer.status == expected, body
    assert "loopback" in body.get("detail", "") or expected == 200
    assert sb.faults.pending() == []


def test_a_request_with_a_non_loopback_peer_is_refused_in_dispatch(sb: Sandbox):
    from arize_orgs_nb.sandbox.messages import Request

    for peer, status in (
        ("192.0.2.7", 403),
        ("::ffff:10.1.2.3", 403),
        ("::ffff:127.0.0.1", 200),
        ("::1", 200),
    ):
        request = Request("GET", "/_sandbox", headers={"authorization": f"Bearer {KEY}"}, peer=peer)
        assert sb.dispatch(request).response.status == status, peer


def test_faults_are_scheduled_all_or_none_with_every_problem_named(sb: Sandbox, api: Api):
    bad = [
        {"status": 503, "path": ORGS},
        {"status": True},
        {"drop": "sideways", "colour": "red"},
        {"status": 503, "drop": "after"},
        "not an object",
    ]
    body = assert_problem(api.post("/_sandbox/faults", json={"faults": bad}), 400)
    for expected in (
        "fault 1: status must be a number, not a boolean",
        "fault 2: unknown field 'colour'",
        "fault 3: status and drop are mutually exclusive",
        "fault 4: must be an object",
    ):
        assert expected in body["detail"]
    assert sb.faults.pending() == []  # the good first one was not scheduled either

    answer = api.post("/_sandbox/faults", json={"status": 503, "method": "get", "path": ORGS, "times": 2})
    assert answer.status_code == 201
    assert answer.json()["scheduled"][0]["method"] == "GET"
    assert [api.get(ORGS).status_code for _ in range(3)] == [503, 503, 200]


def test_control_requests_meet_no_fault_and_stay_out_of_the_log(sb: Sandbox, api: Api):
    api.post("/_sandbox/faults", json={"status": 500})  # any method, any path: the next request
    sb.set_knobs(error_share=1.0)
    assert api.get("/_sandbox/faults").json()["faults"][0]["status"] == 500
    assert api.get("/_sandbox").status_code == 200
    assert sb.log.count() == 0
    sb.set_knobs(error_share=0.0)
    assert api.get(ORGS).status_code == 500  # the fault was still waiting for an API request
    assert sb.log.count() == 1


def test_clear_faults(sb: Sandbox, api: Api):
    api.post("/_sandbox/faults", json={"faults": [{"status": 503}, {"drop": "after", "method": "POST"}]})
    assert len(sb.faults) == 2
    assert api.delete("/_sandbox/faults").status_code == 204
    assert sb.faults.pending() == []


def test_knobs_are_read_and_changed_and_bad_values_all_named(sb: Sandbox, api: Api):
    answer = api.patch("/_sandbox/knobs", json={"latency_ms": 5, "rate_limit_share": 0.25})
    assert answer.json()["latency_ms"] == 5
    assert sb.knobs.rate_limit_share == 0.25
    body = assert_problem(
        api.patch("/_sandbox/knobs", json={"latency_ms": -1, "error_share": "lots", "speed": 3}), 400
    )
    for expected in (
        "latency_ms must not be negative",
        "error_share must be a number",
        "unknown knob 'speed'",
    ):
        assert expected in body["detail"]
    assert sb.knobs.latency_ms == 5  # unchanged
    assert api.get("/_sandbox/knobs").json() == answer.json()


def test_unknown_routes_and_methods(api: Api):
    assert_problem(api.get("/_sandbox/nothing"), 404)
    answer = api.request("PUT", "/_sandbox/faults")
    assert_problem(answer, 405)
    assert answer.headers["Allow"] == "GET, POST, DELETE"


def test_reset_puts_the_seed_back_with_new_ids_and_clears_faults_and_knobs(tmp_path):
    db = str(tmp_path / "demo.db")
    with Sandbox(orgs=6, users=4, seed=3, db=db, latency_ms=1) as sb, requests.Session() as session:
        api = Api(session, sb.serve(), "http")
        seeded = sb.state.orgs()
        memberships = len(sb.state.memberships())
        assert memberships > 0
        first = seeded[0]
        api.patch(f"{ORGS}/{first['id']}", json={"name": "Renamed"})
        api.create_org("Extra")
        api.delete(f"{ORGS}/{seeded[1]['id']}")
        api.post("/_sandbox/faults", json={"status": 503, "path": "/v2/users"})
        api.patch("/_sandbox/knobs", json={"latency_ms": 50})
        assert len(sb.state.memberships()) < memberships  # the delete took its members along

        answer = api.post("/_sandbox/reset")
        assert answer.json() == {"orgs": 6, "users": 4, "seed": 3}
        after = sb.state.orgs()
        assert [(o["name"], o["description"], o["created_at"]) for o in after] == [
            (o["name"], o["description"], o["created_at"]) for o in seeded
        ]
        assert not {o["id"] for o in after} & {o["id"] for o in seeded}  # ids are never reused
        assert len(sb.state.memberships()) == memberships
        assert sb.faults.pending() == []
        assert sb.knobs.latency_ms == 1
        assert api.get("/v2/users").status_code == 200
    with Sandbox(orgs=6, users=4, seed=3, db=db) as again:  # the reset is in the file
        assert [o["name"] for o in again.state.orgs()] == [o["name"] for o in seeded]


def test_reset_refuses_a_body(api: Api):
    assert_problem(api.post("/_sandbox/reset", json={"orgs": 5}), 400, "no fields")
