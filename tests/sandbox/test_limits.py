"""The stand-in's rate limits: a token bucket per API key and kind, and an honest ``Retry-After``.

Every sandbox here runs on a fake clock: its buckets refill only when the test moves the clock.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock

from .helpers import KEY, RO_KEY, Api, make_api

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[tuple[Sandbox, Api]]:
    with (
        Sandbox(api_key=KEY, read_only_key=RO_KEY, orgs=3, clock=clock, sleep=clock.sleep) as sandbox,
        requests.Session() as session,
    ):
        yield sandbox, make_api(sandbox, "adapter", session)


def create(api: Api, name: str, key: str = KEY) -> requests.Response:
    return api.post("/v2/organizations", json={"name": name}, key=key)


def test_writes_are_limited_per_key_and_reads_are_not(limited):
    sb, api = limited
    sb.set_knobs(write_rate=2)
    assert [create(api, f"o{i}").status_code for i in range(3)] == [201, 201, 429]  # a second's worth
    assert [api.get("/v2/organizations").status_code for _ in range(5)] == [200] * 5
    # The read-only key has buckets of its own: it passes the limit (and is then refused, 403).
    assert [create(api, f"r{i}", key=RO_KEY).status_code for i in range(3)] == [403, 403, 429]
    limited_ones = [r for r in sb.log if r.status == 429]
    assert len(limited_ones) == 2 and {r.fault for r in limited_ones} == {"429"}
    assert len(sb.state.orgs()) == 3 + 2  # a refused write changes nothing


def test_reads_are_limited_per_key_and_writes_are_not(limited):
    sb, api = limited
    sb.set_knobs(read_rate=1)
    r = [api.get("/v2/organizations") for _ in range(2)]
    assert [x.status_code for x in r] == [200, 429] and r[1].headers["Retry-After"] == "1"
    assert api.get("/v2/organizations", key=RO_KEY).status_code == 200
    assert create(api, "writes pass").status_code == 201


def test_retry_after_is_the_time_until_a_token_rounded_up(limited, clock):
    sb, api = limited
    sb.set_knobs(write_rate=0.25)  # one write every 4 s, a bucket of one
    assert create(api, "first").status_code == 201
    r = create(api, "second")
    assert (r.status_code, r.headers["Retry-After"]) == (429, "4")
    assert "retry after 4 seconds" in r.json()["detail"]
    clock.now += 1.5
    assert create(api, "second").headers["Retry-After"] == "3"  # 2.5 s left
    clock.now += 2.5  # exactly the wait: the refused attempts took no token
    assert create(api, "second").status_code == 201


def test_a_fraction_of_a_second_is_one_second_and_then_a_token_is_there(limited, clock):
    sb, api = limited
    sb.set_knobs(write_rate=20)
    assert {create(api, f"o{i}").status_code for i in range(20)} == {201}
    r = create(api, "over")
    assert (r.status_code, r.headers["Retry-After"]) == (429, "1")  # 50 ms, in whole seconds
    clock.now += 0.05
    assert create(api, "over").status_code == 201
    assert create(api, "over again").status_code == 429


def test_the_global_limit_and_the_per_key_limits_hold_together(limited, clock):
    sb, api = limited
    sb.set_knobs(rate_limit_rps=3, write_rate=1)
    assert create(api, "a").status_code == 201
    assert create(api, "b").status_code == 429  # the key's write bucket
    assert [api.get("/v2/organizations").status_code for _ in range(3)] == [200, 200, 429]  # all: 3/s
    clock.now += 1.0
    assert create(api, "b").status_code == 201


def test_changing_a_rate_starts_its_buckets_full_and_zero_lifts_it(limited):
    sb, api = limited
    sb.set_knobs(write_rate=1)
    assert [create(api, f"a{i}").status_code for i in range(2)] == [201, 429]
    sb.set_knobs(write_rate=2)
    assert [create(api, f"b{i}").status_code for i in range(3)] == [201, 201, 429]
    sb.set_knobs(write_rate=0)
    assert {create(api, f"c{i}").status_code for i in range(10)} == {201}
    with pytest.raises(ValueError, match="write_rate must not be negative"):
        sb.set_knobs(write_rate=-1)
    with pytest.raises(ValueError, match="read_rate must not be negative"):
        Sandbox(read_rate=-0.5)


def test_the_client_factory_passes_the_limits_on():
    with ArizeOrgs.sandbox(orgs=1, in_process=True, write_rate=3, read_rate=4.5) as client:
        assert client.local_sandbox is not None
        knobs = client.local_sandbox.knobs
        assert (knobs.write_rate, knobs.read_rate) == (3, 4.5)


def test_the_cli_limits_writes_and_reads():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "arize_orgs_nb.sandbox", "--port", "0", "--orgs", "1"]
    command += ["--api-key", "cli-key", "--write-rate", "0.1", "--read-rate", "0.1"]  # one per 10 s
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url, auth = match.group(1), {"Authorization": "Bearer cli-key"}
        with requests.Session() as s:
            reads = [s.get(f"{url}/v2/organizations", headers=auth, timeout=5) for _ in range(2)]
            writes = [
                s.post(f"{url}/v2/organizations", json={"name": f"n{i}"}, headers=auth, timeout=5)
                for i in range(2)
            ]
        assert [r.status_code for r in reads] == [200, 429]
        assert [r.status_code for r in writes] == [201, 429]
        assert all(1 <= int(r.headers["Retry-After"]) <= 10 for r in (reads[1], writes[1]))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
