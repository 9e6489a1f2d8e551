"""Benchmark: bulk applies under the service's write limit, and what adaptive pacing costs without one.

Figures from ONE run, the sandbox in a child process (the API is another process), ``--latency-ms``
per request (20 by default), each part on a fresh sandbox:

* (a) limited: the sandbox allows ``--write-rate`` writes per second per key (20 by default, a
  token bucket of one second's worth; over it, 429 with an honest ``Retry-After``). ``N`` (300)
  description updates by name with our bulk apply (``plan(edited, base=...)``, ``apply(workers=8)``,
  adaptive pacing on, as by default), timed from ``plan`` to the last outcome: the duration against
  1.15 x N / rate, the share of requests the sandbox's log shows answered 429 (target <= 5%), and
  the failed rows (target 0). Then a second apply of N new descriptions: the plan's estimate made
  before it, with the limit the pacing learnt in the first, against its measured duration
  (target: within 20%). The estimate before the first apply is shown too: no limit is known yet.
* (b) the official SDK (``arize==8.61.0``) loop by name against the same limit,
  ``sdk.organizations.update(organization=<name>, description=...)`` once per organization: its
  urllib3 policy never retries a PATCH, so an update answered 429 fails; how many fail.
* (c) no limit: ours with adaptive pacing (the default) against ``ArizeOrgs(pacing=None)``, N
  updates each, a new client per run, in ``--rounds`` interleaved rounds after a warm-up round
  (medians of wall and process CPU time): the cost of the pacing when the service never says 429
  (target <= 5%).

Run with the conformance virtualenv (it has the official SDK)::

    .venv-conformance/bin/python benchmarks/bench_limits.py      # about a minute and a half

Results go to ``benchmarks/results/limits.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

from arize_orgs_nb import ArizeOrgs, __version__

TARGET_DURATION = 1.15
TARGET_429_SHARE = 0.05
TARGET_ESTIMATE = 0.20
TARGET_PACING_COST = 0.05


def client_for(url: str, journal: Path, **options: Any) -> ArizeOrgs:
    """Our client at ``url`` with a journal file (as by default), reading nothing from the environment."""
    host = url.split("://", 1)[1]
    return ArizeOrgs(
        api_key=common.API_KEY, api_host=host, api_scheme="http", environ={}, journal=journal, **options
    )


def timed_apply(client: ArizeOrgs, label: str, workers: int) -> dict[str, Any]:
    """Export, give every organization a new description, then time plan + apply."""
    base = client.organizations.to_frame(progress=False)
    edited = base.assign(description=[f"{label} {i}" for i in range(len(base))])
    started = time.perf_counter()
    plan = client.organizations.plan(edited, base=base)
    estimate = plan.estimate(workers=workers)
    result = plan.apply(workers=workers, progress=False)
    elapsed = time.perf_counter() - started
    counts = result.counts()
    return {
        "seconds": elapsed,
        "changes": len(plan),
        "failed": counts.get("failed", 0) + counts.get("skipped", 0),
        "estimate": {"calls": estimate.calls, "seconds": estimate.seconds, "basis": estimate.basis},
        "expected": dict(zip(base["id"], edited["description"], strict=True)),
    }


def shares(statuses: list[tuple[str, int]]) -> dict[str, Any]:
    by_status = Counter(status for _, status in statuses)
    writes = [status for method, status in statuses if method != "GET"]
    return {
        "requests": len(statuses),
        "answered_429": by_status[429],
        "share_429": by_status[429] / len(statuses) if statuses else 0.0,
        "writes": len(writes),
        "writes_answered_429": writes.count(429),
        "statuses": dict(sorted(by_status.items())),
    }


def run_limited(n: int, latency_ms: float, rate: float, workers: int) -> dict[str, Any]:
    """(a): two applies of N updates under the write limit; the second is estimated first."""
    with (
        common.sandbox(orgs=n, latency_ms=latency_ms, child=True, write_rate=rate) as sb,
        tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp,
        client_for(sb.url, Path(tmp) / "journal.sqlite3") as client,
    ):
        runs = []
        for label in ("first", "second"):
            client.organizations.to_frame(progress=False)  # warm the connections; not timed
            sb.clear_log()
            run = timed_apply(client, f"limited {label}", workers)
            run |= shares(sb.statuses())
            on_server = {o["id"]: o["description"] for o in sb.orgs()}
            run["server_matches"] = on_server == run.pop("expected")
            known = client.transport.known_rate(write=True)
            run["learnt_writes_per_second"] = known[0] if known else None
            runs.append(run)
            print(
                f"  (a) {label} apply: {run['seconds']:.2f} s, {run['answered_429']} of {run['requests']} "
                f"requests answered 429, {run['failed']} failed; estimate before it "
                f"{run['estimate']['seconds']:.2f} s ({run['estimate']['basis']}); learnt "
                f"{run['learnt_writes_per_second'] or 0:.2f} writes/s",
                flush=True,
            )
        return {"first": runs[0], "second": runs[1]}


def run_sdk(n: int, latency_ms: float, rate: float) -> dict[str, Any]:
    """(b): the official SDK's update loop by name against the same limit."""
    for name in [k for k in os.environ if k.startswith("ARIZE_")]:
        del os.environ[name]
    with common.sandbox(orgs=n, latency_ms=latency_ms, child=True, write_rate=rate) as sb:
        sdk = common.official_client(sb.url)
        names = [o["name"] for o in sb.orgs()]
        sdk.organizations.list(limit=1)  # lazy imports, the connection; not a write
        sb.clear_log()
        errors: Counter[str] = Counter()
        started = time.perf_counter()
        for i, name in enumerate(names):
            try:
                sdk.organizations.update(organization=name, description=f"sdk {i}")
            except Exception as exc:  # whatever the SDK raises is a failed update
                errors[type(exc).__name__] += 1
        elapsed = time.perf_counter() - started
        updated = sum(o["description"].startswith("sdk ") for o in sb.orgs())
        return {
            "sdk_version": common.sdk_version(),
            "seconds": elapsed,
            "updates": n,
            "failed": sum(errors.values()),
            "errors": dict(errors),
            "updated_on_server": updated,
            **shares(sb.statuses()),
        }


def run_unlimited(n: int, latency_ms: float, workers: int, rounds: int) -> dict[str, Any]:
    """(c): adaptive pacing on and off, interleaved, with no limit on the server.

    Each run has a client of its own, made just before it (of two clients made together, the
    second is the slower one, whatever its settings), and its process CPU time is kept too: on a
    busy machine the wall time of one run varies far more than the pacing could cost.
    """
    variants: dict[str, dict[str, Any]] = {"adaptive": {}, "off": {"pacing": None}}
    seconds: dict[str, list[float]] = {label: [] for label in variants}
    cpu: dict[str, list[float]] = {label: [] for label in variants}
    with (
        common.sandbox(orgs=n, latency_ms=latency_ms, child=True) as sb,
        tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp,
    ):
        for round_ in range(rounds + 1):
            order = list(variants) if round_ % 2 else list(reversed(variants))
            for label in order:
                with client_for(sb.url, Path(tmp) / f"{label}-{round_}.sqlite3", **variants[label]) as client:
                    sb.clear_log()
                    started = time.process_time()
                    run = timed_apply(client, f"{label} {round_}", workers)
                    used = time.process_time() - started
                assert run["failed"] == 0, run
                assert all(status != 429 for _, status in sb.statuses())
                if round_:  # round 0 warms up
                    seconds[label].append(run["seconds"])
                    cpu[label].append(used)
    median = {label: statistics.median(values) for label, values in seconds.items()}
    median_cpu = {label: statistics.median(values) for label, values in cpu.items()}
    return {
        "rounds": rounds,
        "seconds": seconds,
        "process_cpu_s": cpu,
        "median_s": median,
        "median_process_cpu_s": median_cpu,
        "cost": median["adaptive"] / median["off"] - 1.0,
        "cpu_cost": median_cpu["adaptive"] / median_cpu["off"] - 1.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="organizations to update")
    parser.add_argument("--write-rate", type=float, default=20.0, help="the sandbox's writes/s per key")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds of (c)")
    parser.add_argument("--out", type=Path, default=common.RESULTS / "limits.json")
    ns = parser.parse_args(argv)
    n, rate = ns.n, ns.write_rate
    ideal = n / rate
    load_before = os.getloadavg()[0]
    print(
        f"{n} description updates by name, {ns.latency_ms:g} ms per request, {ns.workers} workers, "
        f"sandbox limit {rate:g} writes/s per key; {os.cpu_count()} CPUs, 1-min load {load_before:.2f}",
        flush=True,
    )
    limited = run_limited(n, ns.latency_ms, rate, ns.workers)
    sdk = run_sdk(n, ns.latency_ms, rate)
    print(f"  (b) official SDK: {sdk['failed']} of {n} updates failed, {sdk['seconds']:.2f} s", flush=True)
    unlimited = run_unlimited(n, ns.latency_ms, ns.workers, ns.rounds)
    print(
        f"  (c) no limit: adaptive {unlimited['median_s']['adaptive']:.3f} s, "
        f"off {unlimited['median_s']['off']:.3f} s (medians of {ns.rounds})",
        flush=True,
    )

    first, second = limited["first"], limited["second"]
    ratio = first["seconds"] / ideal
    estimate_error = second["estimate"]["seconds"] / second["seconds"] - 1.0
    checks = {
        "duration": ratio <= TARGET_DURATION,
        "share_429": first["share_429"] <= TARGET_429_SHARE,
        "failed_rows": first["failed"] == 0 and first["server_matches"],
        "estimate": abs(estimate_error) <= TARGET_ESTIMATE,
        "pacing_cost": unlimited["cost"] <= TARGET_PACING_COST,
    }

    def verdict(name: str) -> str:
        return "OK" if checks[name] else "MISSED"

    rows = [
        (
            "(a) ours under the limit: plan + apply",
            f"{first['seconds']:.2f} s",
            f"ideal N / rate {ideal:.2f} s",
        ),
        ("    ratio to N / rate", f"{ratio:.3f}", f"target <= {TARGET_DURATION} {verdict('duration')}"),
        (
            "    requests answered 429",
            f"{first['share_429']:.1%}",
            f"{first['answered_429']} of {first['requests']} (writes: {first['writes_answered_429']} of "
            f"{first['writes']}); target <= {TARGET_429_SHARE:.0%} {verdict('share_429')}",
        ),
        (
            "    failed rows",
            str(first["failed"]),
            f"target 0 {verdict('failed_rows')}; the server holds every new description: "
            f"{first['server_matches']}",
        ),
        (
            "    estimate before it (no limit known yet)",
            f"{first['estimate']['seconds']:.2f} s",
            first["estimate"]["basis"],
        ),
        (
            "(a) second apply, estimated with the learnt limit",
            f"{second['estimate']['seconds']:.2f} s",
            f"measured {second['seconds']:.2f} s: {estimate_error:+.1%}, target within "
            f"{TARGET_ESTIMATE:.0%} {verdict('estimate')}; {second['estimate']['basis']}",
        ),
        (
            "    second apply: 429s, failed rows",
            f"{second['share_429']:.1%}",
            f"{second['answered_429']} of {second['requests']}; {second['failed']} failed",
        ),
        (
            "(b) official SDK loop by name, same limit",
            f"{sdk['failed']} failed",
            f"of {n} updates ({sdk['errors']}); {sdk['seconds']:.2f} s; {sdk['updated_on_server']} updated",
        ),
        (
            "(c) no limit: adaptive pacing vs off, wall",
            f"{unlimited['cost']:+.1%}",
            f"medians {unlimited['median_s']['adaptive']:.3f} s vs {unlimited['median_s']['off']:.3f} s "
            f"({ns.rounds} rounds); target <= {TARGET_PACING_COST:.0%} {verdict('pacing_cost')}",
        ),
        (
            "    process CPU",
            f"{unlimited['cpu_cost']:+.1%}",
            f"medians {unlimited['median_process_cpu_s']['adaptive']:.3f} s vs "
            f"{unlimited['median_process_cpu_s']['off']:.3f} s",
        ),
    ]
    print()
    print(common.table(("measure", "value", "note"), rows))

    report = {
        "benchmark": "limits: bulk applies under the service's write limit; adaptive pacing's cost",
        "arize_orgs_nb": __version__,
        **common.environment(),
        "n": n,
        "write_rate": rate,
        "latency_ms": ns.latency_ms,
        "workers": ns.workers,
        "load_average_1m_before": load_before,
        "load_average_1m_after": os.getloadavg()[0],
        "limited": limited,
        "ratio_to_ideal": ratio,
        "estimate_error": estimate_error,
        "official_sdk": sdk,
        "unlimited": unlimited,
        "targets": {
            "duration_ratio": TARGET_DURATION,
            "share_429": TARGET_429_SHARE,
            "failed_rows": 0,
            "estimate_error": TARGET_ESTIMATE,
            "pacing_cost": TARGET_PACING_COST,
        },
        "checks": checks,
    }
    print(f"\nwritten: {common.write_json(ns.out, report)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
