"""HTTP server details, concurrency, seeding, persistence, the state API and the CLI."""

from __future__ import annotations

import http.client
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from arize_orgs_nb.sandbox import Sandbox
from arize_orgs_nb.sandbox import store as sandbox_store

from .helpers import ADAPTER_BASE, KEY, assert_problem

H = {"Authorization": f"Bearer {KEY}"}
ROOT = Path(__file__).resolve().parents[2]


def test_serve_refuses_non_loopback_hosts():
    with Sandbox() as sb:
        for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
            with pytest.raises(ValueError, match="loopback"):
                sb.serve(host=host)
        assert sb.url is None


def test_serve_returns_url_once_and_stop_is_idempotent():
    sb = Sandbox()
    url = sb.serve()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert sb.serve() == url
    assert sb.url == url
    sb.stop()
    sb.stop()
    assert sb.url is None
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/v2/organizations", headers=H, timeout=2)
    with requests.Session() as s:
        s.mount(ADAPTER_BASE, sb.adapter())
        with pytest.raises(requests.exceptions.ConnectionError):
            s.get(ADAPTER_BASE + "/v2/organizations", headers=H)
    with pytest.raises(RuntimeError):
        sb.serve()


def test_http_keep_alive_and_headers(sb):
    url = sb.serve()
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        ports = set()
        for _ in range(3):
            conn.request("GET", "/v2/organizations", headers=H)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200
            assert resp.version == 11
            assert resp.getheader("Content-Length") == str(len(body))
            assert resp.getheader("Content-Type") == "application/json"
            assert resp.getheader("Content-Encoding") is None
            ports.add(conn.sock.getsockname()[1])
        assert len(ports) == 1  # one connection reused
        conn.request("DELETE", "/v2/organizations/" + "T3JnYW5pemF0aW9uOjk6YWJjZA==", headers=H)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 404
        org = sb.state.create_org("gone soon")
        conn.request("DELETE", f"/v2/organizations/{org['id']}", headers=H)
        resp = conn.getresponse()
        assert resp.status == 204
        assert resp.read() == b""
        assert resp.getheader("Content-Length") is None
        conn.request("GET", "/v2/organizations", headers=H)  # still usable after a 204
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def test_gzip_is_never_used(sb):
    url = sb.serve()
    r = requests.get(url + "/v2/organizations", headers={**H, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers


def test_protocol_errors_are_problem_json(sb):
    url = sb.serve()
    r = requests.request("FROB", url + "/v2/organizations", headers=H)
    assert r.status_code == 501
    assert r.headers["Content-Type"] == "application/problem+json"
    assert set(r.json()) == {"type", "title", "status", "detail", "instance"}


def test_concurrent_creates_of_one_name_give_one_201(sb):
    url = sb.serve()
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        with requests.Session() as s:
            barrier.wait()
            r = s.post(url + "/v2/organizations", json={"name": "Race"}, headers=H, timeout=10)
            with lock:
                statuses.append(r.status_code)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert [o["name"] for o in sb.state.orgs()] == ["Race"]


def test_concurrent_case_variants_give_one_201(sb):
    url = sb.serve()
    names = ["Race", "race", "RACE", "rAcE"]
    statuses: list[int] = []

    def create(name: str) -> None:
        statuses.append(requests.post(url + "/v2/organizations", json={"name": name}, headers=H).status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409, 409, 409]


def test_uniqueness_lives_in_the_schema(tmp_path):
    import sqlite3

    db = tmp_path / "s.db"
    with Sandbox(db=str(db)) as sb:
        sb.state.create_org("Unique")
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT seq, name_key FROM orgs").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO orgs (seq, id, name, name_key, name_fold, description, created_at) "
                "VALUES (?, 'x', 'UNIQUE', ?, 'unique', '', '2024-01-01T00:00:00.000000Z')",
                (row[0] + 1, row[1]),
            )
    finally:
        conn.close()


def test_seed_is_deterministic_and_realistic():
    with Sandbox(orgs=300, users=200, seed=42) as a, Sandbox(orgs=300, users=200, seed=42) as b:
        assert a.state.snapshot() == b.state.snapshot()
        orgs = a.state.orgs()
        users = a.state.users()
    with Sandbox(orgs=300, users=200, seed=43) as c:
        assert c.state.orgs() != orgs
    names = [o["name"] for o in orgs]
    assert len({n.casefold() for n in names}) == 300
    assert all(1 <= len(n) <= 255 for n in names)
    assert any(not n.isascii() for n in names)
    assert any(o["description"] == "" for o in orgs)
    assert any(o["description"] for o in orgs)
    times = [o["created_at"] for o in orgs]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert times[0] < "2023-02-01" and times[-1] > "2025-11-01"
    roles = [u["role"]["name"] for u in users]
    assert 0.03 < roles.count("ADMIN") / 200 < 0.2
    assert 0.55 < roles.count("MEMBER") / 200 < 0.85
    assert 0.1 < roles.count("ANNOTATOR") / 200 < 0.3
    statuses = {u["status"] for u in users}
    assert statuses == {"ACTIVE", "INVITED", "EXPIRED"}
    assert len({u["email"].casefold() for u in users}) == 200
    assert all(re.fullmatch(r"[a-z]+\.[a-z']*[a-z]+\d+@example\.com", u["email"]) for u in users)
    with Sandbox(orgs=30, users=20, seed=42) as d:
        mems = d.state.memberships()
        by_id = {u["id"]: u for u in d.state.users(include_inactive=True)}
    assert mems
    for m in mems:
        annotator = by_id[m["user_id"]]["role"]["name"] == "ANNOTATOR"
        assert annotator == (m["role"]["name"] == "ANNOTATOR")


@pytest.mark.parametrize("count", [3, 4, 5])
def test_small_seeds_have_every_role(count):
    for seed in range(5):
        with Sandbox(users=count, seed=seed) as sb:
            assert {u["role"]["name"] for u in sb.state.users(include_inactive=True)} == {
                "ADMIN",
                "MEMBER",
                "ANNOTATOR",
            }


def test_a_large_seed_is_one_transaction_and_a_deep_page_costs_what_the_first_does(monkeypatch):
    """20,000 orgs: seeded in one transaction, and a page deep in the list costs what the first does.

    Cost is counted, not timed: SQLite's virtual-machine steps per request (a progress handler
    on the sandbox's connection). A page found by skipping rows (OFFSET) costs ~50 times more at
    the end of the list than at its start; one cut from a scan of the table costs more steps than
    there are orgs. How fast seeding and paging are on a given machine is measured in
    benchmarks/ (bench_drain.py).
    """
    connections: list[sqlite3.Connection] = []
    statements: list[str] = []
    real_connect = sandbox_store.connect

    def traced(path: str | None) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.set_trace_callback(statements.append)
        connections.append(conn)
        return conn

    monkeypatch.setattr(sandbox_store, "connect", traced)
    with Sandbox(orgs=20_000, users=100) as sb, requests.Session() as s:
        (conn,) = connections
        conn.set_trace_callback(None)
        transactions = [q.split()[0] for q in statements if q.split()[0] in ("BEGIN", "COMMIT")]
        assert transactions == ["BEGIN", "COMMIT"]
        assert (len(sb.state.orgs()), len(sb.state.users(include_inactive=True))) == (20_000, 100)
        steps = [0]

        def step() -> int:
            steps[0] += 1
            return 0  # carry on

        s.mount(ADAPTER_BASE, sb.adapter())
        conn.set_progress_handler(step, 1)
        ids: list[str] = []
        costs: list[int] = []
        cursor = None
        for _ in range(201):  # 200 pages; one more shows a runaway
            steps[0] = 0
            body = s.get(
                ADAPTER_BASE + "/v2/organizations", params={"limit": 100, "cursor": cursor}, headers=H
            ).json()
            costs.append(steps[0])
            ids += [o["id"] for o in body["organizations"]]
            if not body["pagination"]["has_more"]:
                break
            assert len(body["organizations"]) == 100
            cursor = body["pagination"]["next_cursor"]
        conn.set_progress_handler(None, 1)
        assert ids == [o["id"] for o in sb.state.orgs()]  # every org once, in order
        assert len(costs) == 200 and costs[0] > 0
        assert max(costs) <= 2 * costs[0], (costs[0], max(costs))  # no page skips rows to get there
        assert max(costs) < len(ids), max(costs)  # and none walks the table (a step a row at least)


def test_db_file_persists_across_instances(tmp_path):
    db = str(tmp_path / "sandbox.db")
    with Sandbox(db=db, orgs=5, users=3, seed=1) as first:
        seeded = first.state.snapshot()
        made = first.state.create_org("Kept")
    with Sandbox(db=db, orgs=50, users=50, seed=2) as second:  # not re-seeded
        snap = second.state.snapshot()
        assert snap["orgs"] == seeded["orgs"] + [made]
        assert snap["users"] == seeded["users"]
        with requests.Session() as s:
            s.mount(ADAPTER_BASE, second.adapter())
            r = s.post(ADAPTER_BASE + "/v2/organizations", json={"name": "Later"}, headers=H)
            assert r.status_code == 201
            assert r.json()["created_at"] > made["created_at"]
            assert r.json()["id"] not in {o["id"] for o in snap["orgs"]}
            assert_problem(s.post(ADAPTER_BASE + "/v2/organizations", json={"name": "KEPT"}, headers=H), 409)


def test_state_api(sb):
    org = sb.state.create_org("Direct", "desc")
    assert org["description"] == "desc"
    with pytest.raises(ValueError, match="already taken"):
        sb.state.create_org("direct")
    with pytest.raises(ValueError, match="blank"):
        sb.state.create_org("   ")
    user = sb.state.create_user("A B", "ab@example.com", role="ADMIN", status="EXPIRED", is_developer=True)
    assert user["status"] == "EXPIRED"
    assert user["is_developer"] is True
    with pytest.raises(ValueError):
        sb.state.create_user("C", "AB@example.com")
    with pytest.raises(ValueError):
        sb.state.create_user("C", "c@example.com", role="READ_ONLY")
    snap = sb.state.snapshot()
    assert set(snap) == {"orgs", "users", "memberships"}
    assert snap["orgs"] == [org]
    assert snap["users"] == [user]
    assert len(sb.log) == 0


def test_constructor_checks():
    with pytest.raises(ValueError):
        Sandbox(api_key="")
    with pytest.raises(ValueError):
        Sandbox(api_key="k", read_only_key="k")
    with pytest.raises(ValueError):
        Sandbox(error_share=2)


def test_cli_subprocess_serves_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "arize_orgs_nb.sandbox",
            "--port",
            "0",
            "--orgs",
            "3",
            "--api-key",
            "cli-key",
            "--db",
            str(tmp_path / "cli.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(ROOT),
        env=env,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:(\d+))", line)
        assert match, line
        url, port = match.group(1), match.group(2)
        env_line = ""
        while "ARIZE_API_HOST" not in env_line:
            env_line = proc.stdout.readline()
            assert env_line
        assert f"ARIZE_API_HOST=127.0.0.1 ARIZE_API_PORT={port} ARIZE_API_SCHEME=http" in env_line
        assert "ARIZE_API_KEY=cli-key" in env_line
        r = requests.get(url + "/v2/organizations", headers={"Authorization": "Bearer cli-key"}, timeout=5)
        assert r.status_code == 200
        assert len(r.json()["organizations"]) == 3
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_add_arguments_defaults():
    import argparse

    from arize_orgs_nb.sandbox.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    ns = parser.parse_args([])
    assert (ns.host, ns.port, ns.api_key, ns.read_only_key) == ("127.0.0.1", 8765, "sandbox-key", None)
    assert (ns.orgs, ns.users, ns.seed, ns.db) == (0, 0, 0, None)
    assert (ns.latency_ms, ns.rate_limit_share, ns.error_share, ns.drop_share) == (0.0, 0.0, 0.0, 0.0)
    assert (ns.write_rate, ns.read_rate) == (0.0, 0.0)
    ns = parser.parse_args(["--write-rate", "2.5", "--read-rate", "10"])
    assert (ns.write_rate, ns.read_rate) == (2.5, 10.0)


def test_cli_rejects_non_loopback_host(capsys):
    import argparse

    from arize_orgs_nb.sandbox.cli import add_arguments, run

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert run(parser.parse_args(["--host", "0.0.0.0", "--port", "0"])) == 2
    assert "loopback" in capsys.readouterr().err
