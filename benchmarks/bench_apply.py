"""Benchmark: N description updates addressed by organization name, over loopback HTTP.

Three figures from ONE run, each variant on a fresh sandbox (``latency_ms`` per request):

* ours: ``client.organizations.plan(edited, base=base).apply(workers=8, progress=False)``, timed
  from ``plan`` to the last outcome (the stale-check drain included; the export drain that made
  ``base`` is reported separately), with a temporary journal file;
* the floor: ``N * latency / workers``, what 8 perfectly packed workers would need for the writes;
* the official SDK (``arize==8.61.0``) loop by name:
  ``sdk.organizations.update(organization=<name>, description=...)`` once per organization. Each
  call resolves the name with a list request first. If the projection from the first ``--sample``
  calls exceeds ``--sdk-budget`` seconds, the loop stops there and the total is extrapolated
  linearly (the output says so).

The sandbox runs in a child process (the API is always another process; in this one its CPU
would compete with the workers for the interpreter lock). HTTP calls are counted from its
request log. Results go to ``benchmarks/results/``
(``apply.json``; ``apply_quick.json`` for ``--quick``).

When a target is missed (or with ``--diagnose always``) extra runs of ours, NOT part of the
figures, say where the time goes: the same run with an in-memory journal, with the sandbox in
this process (its CPU inside this interpreter), with no latency, and two profiles of every
thread (wall clock, and CPU via ``time.thread_time``).

Run with the pandas 2 virtualenv (it has the official SDK; ``make install-pandas2``)::

    .venv-pandas2/bin/python benchmarks/bench_apply.py            # N = 1000
    .venv-pandas2/bin/python benchmarks/bench_apply.py --quick    # N = 200, a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

from arize_orgs_nb import ArizeOrgs, __version__

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

API_KEY = "bench-key"
RESULTS = Path(__file__).resolve().parent / "results"


@contextlib.contextmanager
def server(n: int, latency_ms: float, *, external: bool = True) -> Iterator[tuple[int, Any]]:
    """A fresh seeded sandbox over loopback HTTP, in a child process (as a real service is in
    another process) or, for diagnosis, in this one (its CPU then shares this interpreter's lock).
    Yields the port and a handle with ``clear_log()``, ``records()`` and ``orgs()``.
    """
    with common.sandbox(orgs=n, latency_ms=latency_ms, child=external) as sandbox:
        yield int(sandbox.url.rsplit(":", 1)[1]), sandbox


def calls_by_kind(records: list[tuple[str, str, float]]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for method, path, _ in records:
        kinds["list" if method == "GET" and path == "/v2/organizations" else method] += 1
    kinds["total"] = len(records)
    return dict(kinds)


class ThreadProfiles:
    """cProfile in this thread and in every thread started while active (the apply workers).

    Args:
        timer: ``None`` for wall clock (waits included), ``time.thread_time`` for CPU per thread.
    """

    def __init__(self, timer: Callable[[], float] | None = None) -> None:
        self.timer = timer
        self.profiles: list[cProfile.Profile] = []

    def _new(self) -> cProfile.Profile:
        profile = cProfile.Profile(self.timer) if self.timer else cProfile.Profile()
        self.profiles.append(profile)
        return profile

    def __enter__(self) -> ThreadProfiles:
        threading.setprofile(lambda *_: self._new().enable())
        self._new().enable()
        return self

    def __exit__(self, *_: object) -> None:
        self.profiles[0].disable()
        threading.setprofile(None)

    def stats(self) -> pstats.Stats:
        stats = pstats.Stats(self.profiles[0], stream=io.StringIO())
        for profile in self.profiles[1:]:
            stats.add(profile)
        return stats


def run_ours(
    n: int,
    latency_ms: float,
    workers: int,
    *,
    journal: str = "file",
    external: bool = True,
    profile: str | None = None,
) -> dict:
    """Export, edit every description, then time plan + apply. ``profile``: None, "wall" or "cpu"."""
    profiles = None if profile is None else ThreadProfiles(time.thread_time if profile == "cpu" else None)
    with (
        server(n, latency_ms, external=external) as (port, sandbox),
        tempfile.TemporaryDirectory(prefix="bench-journal-") as tmp,
        ArizeOrgs(
            api_key=API_KEY,
            api_host=f"127.0.0.1:{port}",
            api_scheme="http",
            environ={},
            journal=Path(tmp) / "journal.sqlite3" if journal == "file" else ":memory:",
        ) as client,
    ):
        sandbox.clear_log()
        started = time.perf_counter()
        base = client.organizations.to_frame(progress=False)
        exported = time.perf_counter()
        export_calls = len(sandbox.records())
        edited = base.copy()
        edited["description"] = [f"bench description {i}" for i in range(len(base))]
        cpu = time.process_time()
        with profiles or contextlib.nullcontext():
            planning = time.perf_counter()
            plan = client.organizations.plan(edited, base=base)
            planned = time.perf_counter()
            result = plan.apply(workers=workers, progress=False)
            applied = time.perf_counter()
        cpu = time.process_time() - cpu
        outcomes = result.to_frame()
        assert len(plan) == n, f"expected {n} changes, planned {len(plan)}"
        assert result.ok, result.summary()
        expected = dict(zip(base["id"], edited["description"], strict=True))
        on_server = {o["id"]: o["description"] for o in sandbox.orgs()}
        assert on_server == expected, "the server does not hold the new descriptions"
        run: dict = {
            "journal": journal,
            "server": "external process" if external else "in process",
            "latency_ms": latency_ms,
            "plan_apply_s": applied - planning,
            "process_cpu_s": cpu,
            "plan_s": planned - planning,
            "apply_s": applied - planned,
            "export_drain_s": exported - started,
            "end_to_end_s": applied - started,
            "changes": len(plan),
            "attempts": int(outcomes["attempts"].sum()),
        }
        records = sandbox.records()
        calls = calls_by_kind(records)
        run |= {
            "export_calls": export_calls,
            "calls": calls,
            "apply_calls": calls["total"] - export_calls,
            "server_patch_mean_ms": 1000 * statistics.fmean(s for m, _, s in records if m == "PATCH"),
        }
        if profiles is not None:
            run["profile"] = where_time_goes(profiles.stats())
            run["top_self_time"] = top_self_time(profiles.stats())
        return run


def run_sdk(n: int, latency_ms: float, sample: int, budget_s: float) -> dict:
    from arize import ArizeClient
    from arize.version import __version__ as sdk_version

    for name in [k for k in os.environ if k.startswith("ARIZE_")]:
        del os.environ[name]
    with server(n, latency_ms) as (port, sandbox):
        sdk = ArizeClient(
            api_key=API_KEY, api_host="127.0.0.1", api_scheme="http", api_port=port, proxy_url=""
        )
        names = [o["name"] for o in sandbox.orgs()]
        sdk.organizations.update(organization=names[0], description="warm-up")  # lazy imports, connection
        sandbox.clear_log()
        done = 0
        extrapolated = False
        started = time.perf_counter()
        for i, name in enumerate(names):
            sdk.organizations.update(organization=name, description=f"sdk description {i}")
            done += 1
            if done == sample and done < n:
                projected = (time.perf_counter() - started) * n / done
                if projected > budget_s:
                    extrapolated = True
                    break
        elapsed = time.perf_counter() - started
        calls = calls_by_kind(sandbox.records())
        updated = sum(o["description"].startswith("sdk description") for o in sandbox.orgs())
        assert updated == done, f"{updated} descriptions changed for {done} calls"
        return {
            "sdk_version": sdk_version,
            "done": done,
            "measured_s": elapsed,
            "total_s": elapsed * n / done,
            "extrapolated": extrapolated,
            "calls": calls,
            "calls_per_update": calls["total"] / done,
        }


# (file suffix, function, label): cumulative thread-seconds over every thread (8 workers + main)
WATCHED = [
    ("concurrent/futures/thread.py", "_worker", "all 8 worker threads, start to end"),
    ("arize_orgs_nb/bulk/apply.py", "_one", "bulk/apply.py Applier._one (one change, all of it)"),
    ("arize_orgs_nb/bulk/ledger.py", "started", "bulk/ledger.py Journal.started (lock wait + commit)"),
    ("arize_orgs_nb/bulk/ledger.py", "outcome", "bulk/ledger.py Journal.outcome (lock wait + commit)"),
    ("arize_orgs_nb/http/transport.py", "request", "http/transport.py Transport.request (HTTP round trip)"),
    ("requests/sessions.py", "merge_environment_settings", "requests merge_environment_settings"),
    ("arize_orgs_nb/bulk/apply.py", "_check_fresh", "bulk/apply.py Applier._check_fresh (stale-check drain)"),
    ("arize_orgs_nb/bulk/plan.py", "plan_org_changes", "bulk/plan.py plan_org_changes (the diff)"),
]
SQLITE_EXECUTE = "<method 'execute' of 'sqlite3.Connection' objects>"


def where_time_goes(stats: pstats.Stats) -> list[dict]:
    """Cumulative thread-seconds of the watched functions, from the merged profiles."""
    table = stats.stats
    rows = []
    for suffix, function, label in WATCHED:
        found = [v for (f, _, name), v in table.items() if name == function and f.endswith(suffix)]
        rows.append(
            {
                "function": label,
                "calls": sum(v[1] for v in found),
                "seconds": round(sum(v[3] for v in found), 3),
            }
        )
    found = [v for (_, _, name), v in table.items() if name == SQLITE_EXECUTE]
    rows.append(
        {
            "function": "sqlite3 Connection.execute (inside the journal lock)",
            "calls": sum(v[1] for v in found),
            "seconds": round(sum(v[3] for v in found), 3),
        }
    )
    return rows


def top_self_time(stats: pstats.Stats, limit: int = 15) -> list[dict]:
    """The functions with the most self time, as ``file:line(function)`` with short paths."""
    table = stats.stats
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in ranked:
        short = re.sub(r".*/(site-packages|lib/python3\.\d+|work/main)/", "", filename)
        rows.append(
            {
                "function": f"{short}:{line}({name})" if filename != "~" else name,
                "calls": ncalls,
                "self_s": round(tottime, 3),
                "cumulative_s": round(cumtime, 3),
            }
        )
    return rows


def run_bare_requests(n: int, latency_ms: float, workers: int, *, external: bool = True) -> dict:
    """The HTTP floor of this machine: the same N PATCHes by id from a bare ``requests.Session``.

    No plan, no journal, no retries, no parsing: what any ``requests``-based client pays.
    """
    import requests
    from requests.adapters import HTTPAdapter

    with server(n, latency_ms, external=external) as (port, sandbox), requests.Session() as session:
        session.mount("http://", HTTPAdapter(pool_connections=workers, pool_maxsize=workers))
        session.headers["Authorization"] = f"Bearer {API_KEY}"
        base = f"http://127.0.0.1:{port}/v2/organizations"
        ids: list[str] = []
        cursor = None
        while True:
            page = session.get(base, params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
            ids += [o["id"] for o in page["organizations"]]
            cursor = page["pagination"].get("next_cursor")
            if not cursor:
                break
        sandbox.clear_log()

        def patch(i: int) -> int:
            url = f"{base}/{quote(ids[i], safe='')}"
            return session.patch(url, json={"description": f"bare {i}"}).status_code

        cpu = time.process_time()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            statuses = list(pool.map(patch, range(len(ids))))
        elapsed = time.perf_counter() - started
        assert statuses == [200] * n, Counter(statuses)
        return {"plan_apply_s": elapsed, "process_cpu_s": time.process_time() - cpu}


def diagnose(n: int, latency_ms: float, workers: int) -> dict:
    """Where the time of ours goes: variants of the same run, a wall-clock and a CPU profile."""
    variants = [
        ("journal ':memory:'", {"journal": "memory"}),
        ("sandbox in this process (its CPU shares our GIL), journal file", {"external": False}),
        ("latency 0 (CPU-bound floor of this setup)", {"latency_ms": 0.0}),
    ]
    runs = []
    for label, external in (
        ("bare requests.Session, 8 threads, sandbox in this process", False),
        ("bare requests.Session, 8 threads", True),
    ):
        bare = run_bare_requests(n, latency_ms, workers, external=external)
        runs.append({"variant": label, **bare})
        cpu = bare["process_cpu_s"]
        print(f"  {label}: {bare['plan_apply_s']:.3f} s (process CPU {cpu:.2f} s)", flush=True)
    for label, options in variants:
        latency = options.pop("latency_ms", latency_ms)
        run = run_ours(n, latency, workers, **options)
        runs.append(
            {"variant": label, "plan_apply_s": run["plan_apply_s"], "process_cpu_s": run["process_cpu_s"]}
        )
        print(
            f"  {label}: {run['plan_apply_s']:.3f} s (process CPU {run['process_cpu_s']:.2f} s)", flush=True
        )
    wall = run_ours(n, latency_ms, workers, external=False, profile="wall")
    cpu = run_ours(n, latency_ms, workers, external=True, profile="cpu")
    return {
        "variants": runs,
        "wall_profile_run_s": wall["plan_apply_s"],
        "wall_profile": wall["profile"],
        "cpu_profile_run_s": cpu["plan_apply_s"],
        "cpu_profile": cpu["profile"],
        "cpu_top_self_time": cpu["top_self_time"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N=200, one repetition, a short SDK sample")
    parser.add_argument("--n", type=int, default=None, help="organizations to update (default 1000)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of ours (default 3)")
    parser.add_argument(
        "--sample", type=int, default=None, help="SDK calls timed before deciding to extrapolate"
    )
    parser.add_argument("--sdk-budget", type=float, default=180.0, help="longest SDK loop run in full (s)")
    parser.add_argument(
        "--diagnose",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile ours (extra runs, not in the headline figures): auto = when a target is missed",
    )
    parser.add_argument("--out", type=Path, default=None)
    ns = parser.parse_args(argv)
    n = ns.n or (200 if ns.quick else 1000)
    repeat = ns.repeat or (1 if ns.quick else 3)
    sample = ns.sample or (20 if ns.quick else 100)
    out = ns.out or RESULTS / ("apply_quick.json" if ns.quick else "apply.json")

    floor = n * ns.latency_ms / 1000 / ns.workers
    pages = math.ceil(n / 100)
    budget = n + pages + pages  # writes + the export drain + the stale-check drain

    load_before = os.getloadavg()
    print(
        f"{n} description updates by name, {ns.latency_ms:g} ms per request, {ns.workers} workers, "
        f"{os.cpu_count()} CPUs, 1-min load average {load_before[0]:.2f}",
        flush=True,
    )
    runs = []
    for i in range(repeat):
        run = run_ours(n, ns.latency_ms, ns.workers)
        runs.append(run)
        print(
            f"  ours #{i + 1}: plan+apply {run['plan_apply_s']:.3f} s (plan {run['plan_s']:.3f}, "
            f"apply {run['apply_s']:.3f}; process CPU {run['process_cpu_s']:.2f} s); "
            f"export drain {run['export_drain_s']:.3f} s; {run['calls']['total']} calls",
            flush=True,
        )
    median = statistics.median(r["plan_apply_s"] for r in runs)
    ours = sorted(runs, key=lambda r: r["plan_apply_s"])[len(runs) // 2]  # the median run
    sdk = run_sdk(n, ns.latency_ms, sample, ns.sdk_budget)
    print(
        f"  official SDK: {sdk['done']} updates in {sdk['measured_s']:.2f} s"
        + (f", extrapolated to {n}: {sdk['total_s']:.1f} s" if sdk["extrapolated"] else ""),
        flush=True,
    )

    ratio_floor = median / floor
    ratio_sdk = sdk["total_s"] / median
    missed = ratio_floor > 1.3 or ratio_sdk < 10
    rows = [
        (
            "ours: plan + apply (median)",
            f"{median:.3f} s",
            f"{len(runs)} run(s): " + ", ".join(f"{r['plan_apply_s']:.3f}" for r in runs),
        ),
        ("  of which plan (the diff, no I/O)", f"{ours['plan_s']:.3f} s", "median run"),
        ("  of which apply (stale drain + writes)", f"{ours['apply_s']:.3f} s", "median run"),
        ("ours: export drain (before plan)", f"{ours['export_drain_s']:.3f} s", "not in plan + apply"),
        ("floor: N x latency / workers", f"{floor:.3f} s", f"{n} x {ns.latency_ms:g} ms / {ns.workers}"),
        (
            "  the sandbox's own time / workers",
            f"{n * ours['server_patch_mean_ms'] / 1000 / ns.workers:.3f} s",
            f"{ours['server_patch_mean_ms']:.1f} ms per PATCH inside the sandbox (latency included)",
        ),
        (
            "ratio ours / floor",
            f"{ratio_floor:.2f}",
            "target <= 1.3 " + ("OK" if ratio_floor <= 1.3 else "MISSED"),
        ),
        (
            "official SDK loop by name",
            f"{sdk['total_s']:.1f} s",
            (f"EXTRAPOLATED from the first {sdk['done']}" if sdk["extrapolated"] else f"all {n} measured")
            + f"; {sdk['calls_per_update']:.2f} calls per update",
        ),
        (
            "ratio official / ours",
            f"{ratio_sdk:.1f}x",
            "target >= 10x " + ("OK" if ratio_sdk >= 10 else "MISSED"),
        ),
        (
            "HTTP calls, ours (export + plan + apply)",
            str(ours["calls"]["total"]),
            f"budget <= {budget} ({n} + {pages} + {pages}) "
            + ("OK" if ours["calls"]["total"] <= budget else "OVER")
            + f"; {ours['calls']}",
        ),
        ("  of which in plan + apply", str(ours["apply_calls"]), f"retries: {ours['attempts'] - n}"),
    ]
    print_table(rows)

    diagnosis = None
    if ns.diagnose == "always" or (ns.diagnose == "auto" and missed):
        print("\ndiagnosis (extra runs of ours, not in the figures above):", flush=True)
        diagnosis = diagnose(n, ns.latency_ms, ns.workers)
        print()
        print_table(
            [
                (r["function"], f"{r['seconds']:.2f} s", f"{r['calls']} calls")
                for r in diagnosis["wall_profile"]
            ],
            headers=("wall clock, summed over threads (in-process sandbox)", "time", "calls"),
        )
        print(f"  (profiled run: {diagnosis['wall_profile_run_s']:.3f} s; profiling slows it down)")
        print()
        print_table(
            [
                (r["function"], f"{r['seconds']:.2f} s", f"{r['calls']} calls")
                for r in diagnosis["cpu_profile"]
            ],
            headers=("CPU (thread_time), summed over threads (sandbox in another process)", "time", "calls"),
        )
        print()
        print_table(
            [
                (
                    r["function"],
                    f"{r['self_s']:.3f} s",
                    f"{r['calls']} calls, cumulative {r['cumulative_s']:.3f} s",
                )
                for r in diagnosis["cpu_top_self_time"]
            ],
            headers=("top self CPU time of this process (sandbox in another process)", "self", "note"),
        )
        print(f"  (CPU-profiled run: {diagnosis['cpu_profile_run_s']:.3f} s)")

    report = {
        "benchmark": "apply: description updates addressed by organization name",
        "n": n,
        "latency_ms": ns.latency_ms,
        "workers": ns.workers,
        "quick": ns.quick,
        "arize_orgs_nb": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1m_before": load_before[0],
        "load_average_1m_after": os.getloadavg()[0],
        "ours": {"runs": runs, "median_plan_apply_s": median},
        "floor_s": floor,
        "ratio_ours_over_floor": ratio_floor,
        "target_ratio_ours_over_floor": 1.3,
        "official_sdk": sdk,
        "ratio_official_over_ours": ratio_sdk,
        "target_ratio_official_over_ours": 10,
        "http_calls_ours": ours["calls"]["total"],
        "http_call_budget": budget,
        "diagnosis": diagnosis,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {out}")
    return 0


def print_table(
    rows: list[tuple[str, str, str]], headers: tuple[str, str, str] = ("measure", "value", "note")
) -> None:
    width = max(len(r[0]) for r in [headers, *rows])
    vwidth = max(len(r[1]) for r in [headers, *rows])
    print(f"{headers[0]:<{width}}  {headers[1]:>{vwidth}}  {headers[2]}")
    print(f"{'-' * width}  {'-' * vwidth}  {'-' * 40}")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>{vwidth}}  {note}")


if __name__ == "__main__":
    raise SystemExit(main())
