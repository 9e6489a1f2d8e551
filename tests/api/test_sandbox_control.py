"""client.sandbox_control: the same handle on an in-process and a served sandbox; None elsewhere."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from requests.adapters import BaseAdapter

from arize_orgs_nb import ArizeOrgs, BadRequestError
from arize_orgs_nb.errors import ServerError
from arize_orgs_nb.sandbox import Sandbox


def test_a_scheduled_fault_fails_the_call_then_the_retry_goes_through(client):
    org = client.organizations.create(name="Target")
    control = client.sandbox_control
    assert control is not None
    control.add_fault(status=503, method="PATCH", path=f"/v2/organizations/{org.id}", times=2)
    assert [f["times"] for f in control.faults()] == [2]
    updated = client.organizations.update(organization=org.id, description="after two 503s")
    assert updated.description == "after two 503s"
    statuses = [r.status for r in client.local_sandbox.log if r.method == "PATCH"]
    assert statuses == [503, 503, 200]
    assert control.faults() == []


def test_faults_on_every_attempt_make_the_call_fail(client):
    org = client.organizations.create(name="Doomed")
    attempts = client.settings.retry.read_attempts
    client.sandbox_control.add_fault(
        status=503, method="PATCH", path=f"/v2/organizations/{org.id}", times=attempts
    )
    with pytest.raises(ServerError) as caught:
        client.organizations.update(organization=org.id, description="never")
    assert caught.value.attempts == attempts
    assert client.organizations.get(organization=org.id).description == ""


def test_bad_faults_are_all_named_and_none_is_scheduled(client):
    with pytest.raises(BadRequestError) as caught:
        client.sandbox_control.add_faults(
            [{"status": 503}, {"status": 503, "drop": "after"}, {"times": 0, "status": 500}]
        )
    assert "fault 1: status and drop are mutually exclusive" in str(caught.value)
    assert "fault 2: times must be at least 1" in str(caught.value)
    assert client.sandbox_control.faults() == []


def test_knobs_and_reset(clock):
    with ArizeOrgs.sandbox(
        orgs=5, users=3, seed=2, in_process=True, sleep=clock.sleep, clock=clock
    ) as client:
        control = client.sandbox_control
        assert control.set_knobs(rate_limit_share=0.5)["rate_limit_share"] == 0.5
        assert client.local_sandbox.knobs.rate_limit_share == 0.5
        with pytest.raises(BadRequestError, match="unknown knob 'warp'"):
            control.set_knobs(warp=9)
        before = client.organizations.to_frame(progress=False)
        client.organizations.create(name="Made Meanwhile")
        control.add_fault(status=500)
        assert control.reset() == {"orgs": 5, "users": 3, "seed": 2}
        after = client.organizations.to_frame(progress=False)
        assert after["name"].tolist() == before["name"].tolist()
        assert control.status()["faults"] == []
        assert control.knobs()["rate_limit_share"] == 0.0


def test_a_client_from_settings_finds_a_sandbox_in_another_server(tmp_path):
    with Sandbox(api_key="k-1", orgs=3) as server:
        host = server.serve().split("://", 1)[1]
        client = ArizeOrgs(api_key="k-1", api_host=host, api_scheme="http", environ={}, journal=":memory:")
        with client:
            assert client.local_sandbox is None
            control = client.sandbox_control
            assert control is not None
            control.add_fault(status=503, method="GET", path="/v2/organizations", times=1)
            assert len(server.faults) == 1  # the server's own schedule: it is the same sandbox
        other_key = ArizeOrgs(api_key="k-2", api_host=host, api_scheme="http", environ={}, journal=":memory:")
        with other_key:
            assert other_key.sandbox_control is None  # 401: not a sandbox this key may control


class _NotASandbox(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.paths.append(self.path)

    def log_message(self, *args):
        pass


def test_a_local_server_that_is_not_a_sandbox_gives_none_after_one_request():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _NotASandbox)
    httpd.paths = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{httpd.server_address[1]}"
        with ArizeOrgs(
            api_key="k", api_host=host, api_scheme="http", environ={}, journal=":memory:"
        ) as client:
            assert client.sandbox_control is None
            assert client.sandbox_control is None  # asked once
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert httpd.paths == ["/_sandbox"]


class _Recorder(BaseAdapter):
    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(request.url)
        raise requests.ConnectionError("no network in this test")

    def close(self):
        pass


def test_a_remote_host_is_never_asked():
    recorder = _Recorder()
    session = requests.Session()
    session.mount("https://", recorder)
    with ArizeOrgs(api_key="k", session=session, environ={}, journal=":memory:") as client:
        assert client.base_url == "https://api.arize.com"
        assert client.sandbox_control is None
    assert recorder.sent == []
