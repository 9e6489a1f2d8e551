"""Client CPU per API call: what one call costs this process, with the server in another one.

A sandbox with no injected latency is served over loopback HTTP from a child process, so
``time.process_time()`` (every thread of this process) counts only the client: building the
request, HTTP framing, JSON, models, retries' bookkeeping. Each kind of call runs ``--calls``
times after a warm-up; the figure is the process CPU divided by the calls, in microseconds:

* ``get``: ``organizations.get(organization=<id>)`` (one small JSON object);
* ``list 100``: ``organizations.list(limit=100)`` (one page of 100 organizations);
* ``update``: ``organizations.update(organization=<id>, description=...)`` (a PATCH);
* ``reference http.client GET``: one keep-alive ``http.client`` connection and ``json.loads``
  of the same ``get``, no models: what any Python client pays at least.

Best of ``--repeats`` rounds (the least disturbed by other work on the machine). Figures are
printed and written to ``benchmarks/results/call_cpu.json``::

    .venv-pandas2/bin/python benchmarks/bench_call_cpu.py           # seconds
    .venv-pandas2/bin/python benchmarks/bench_call_cpu.py --calls 200 --repeats 2

Only 127.0.0.1 is contacted; the sandbox started is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common


def cpu_per_call(fn: Callable[[int], object], calls: int, repeats: int) -> float:
    """Best, over ``repeats`` rounds, of the process CPU of ``calls`` calls, per call (seconds)."""
    fn(-1)  # warm-up: imports, the connection, caches
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for i in range(calls):
            fn(i)
        best = min(best, (time.process_time() - started) / calls)
    return best


def reference_get(url: str, org_id: str) -> tuple[Callable[[int], object], Callable[[], None]]:
    """A minimal GET on one keep-alive ``http.client`` connection, and a function closing it."""
    host, port = common.host_port(url)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": f"Bearer {common.API_KEY}", "Accept": "application/json"}

    def get(_: int) -> object:
        conn.request("GET", f"/v2/organizations/{org_id}", headers=headers)
        response = conn.getresponse()
        return json.loads(response.read())

    return get, conn.close


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per round (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the best is kept (default 5)")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/call_cpu.json)")
    args = parser.parse_args(argv)
    env = common.environment()
    print(f"bench_call_cpu: python {env['python']}, {env['cpus']} CPUs, {env['platform']}")
    figures: dict[str, float] = {}
    with common.sandbox(orgs=200, latency_ms=0.0, child=True) as sb:
        client = common.ours_client(sb.url)
        reference, close_reference = reference_get(sb.url, sb.orgs()[0]["id"])
        try:
            org_id = client.organizations.list(limit=1).organizations[0].id
            kinds: dict[str, Callable[[int], Any]] = {
                "get": lambda _: client.organizations.get(organization=org_id),
                "list 100": lambda _: client.organizations.list(limit=100),
                "update": lambda i: client.organizations.update(organization=org_id, description=f"d{i}"),
                "reference http.client GET": reference,
            }
            for name, fn in kinds.items():
                figures[name] = cpu_per_call(fn, args.calls, args.repeats)
        finally:
            close_reference()
            client.close()
    rows = [[name, seconds * 1e6] for name, seconds in figures.items()]
    print(f"\nclient CPU per call, best of {args.repeats} rounds of {args.calls} calls (no latency)")
    print(common.table(["call", "CPU us/call"], rows))
    path = args.output or common.RESULTS / "call_cpu.json"
    payload = {
        "benchmark": "call_cpu",
        "environment": env,
        "calls": args.calls,
        "repeats": args.repeats,
        "cpu_us_per_call": {name: seconds * 1e6 for name, seconds in figures.items()},
    }
    print(f"wrote {common.write_json(path, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
