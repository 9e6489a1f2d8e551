"""Drain every organization into a DataFrame: ours vs. the official SDK's loop vs. the floor.

What is measured, all in one run, side by side:

(a) Latency-bound. A sandbox seeded with 10,000 organizations sleeps 20 ms per request and is
    served over loopback HTTP from a child process (the API is always another process; in this
    one the server's CPU would share the client's interpreter lock). Variants:

    * ours: ``client.organizations.to_frame(page_size=100, progress=False)``;
    * the official SDK's documented loop (``organizations.list(limit=L, cursor=...)``,
      ``resp.to_df()`` per page, follow ``pagination.next_cursor`` while ``has_more``, then
      ``pd.concat``) at the SDK's default limit (50) and at limit 100;
    * a reference minimal client (``http.client`` on one keep-alive connection, ``json.loads``,
      no models, no frame): what any Python client could at best do against this server;
    * the same loop on one ``requests.Session``, what our transport sends through: the floor of
      any client on ``requests``.

    The physical floor is pages x 20 ms. Pages are the GET requests the sandbox logged. The
    sandbox also reports its own time per request (injected sleep plus handling): "server s".
    One warm-up round, then ``--repeats`` timed rounds (``time.perf_counter``); a round runs
    every variant once, in turn, so a slow spell of the machine falls on all of them alike. The
    median is reported. Every run must yield exactly N unique ids.

(b) CPU-bound. The same drains with no injected latency; best of ``--cpu-repeats`` runs. Adds
    two partial drains of ours (public API) to show where the time goes: the ``list()`` page
    loop (HTTP + JSON + models) and ``iter()`` (plus the pager).

(c) Memory. A 100,000-organization sandbox, no latency, served from a child process so that
    ``tracemalloc`` sees only the client. Peak traced memory during the drain (above what was
    traced before it) and the final frame's ``memory_usage(deep=True)``, for ours and for the
    official loop (limit 100).

Figures are printed as tables and written to ``benchmarks/results/drain.json``.

Run it with the interpreter that has both our package and the official ``arize`` SDK (see
``make install-pandas2``, which creates ``.venv-pandas2``)::

    .venv-pandas2/bin/python benchmarks/bench_drain.py           # about 2-3 minutes
    .venv-pandas2/bin/python benchmarks/bench_drain.py --quick   # smoke test, seconds
    .venv-pandas2/bin/python benchmarks/bench_drain.py --profile # plus cProfile of ours

Only 127.0.0.1 is contacted; every sandbox started is stopped.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import io
import json
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

OURS_PAGE_SIZE = 100
SDK_DEFAULT_LIMIT = 50


# ------------------------------------------------------------------------------ variants


def ours_drain(client: Any) -> pd.DataFrame:
    return client.organizations.to_frame(page_size=OURS_PAGE_SIZE, progress=False)


def ours_list_loop(client: Any) -> list[str]:
    """Our ``list()`` page by page: HTTP, JSON, models and the name index; no rows, no frame."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page = client.organizations.list(limit=OURS_PAGE_SIZE, cursor=cursor)
        ids.extend(org.id for org in page.organizations)
        if not page.pagination.has_more:
            return ids
        cursor = page.pagination.next_cursor


def ours_iter(client: Any) -> list[str]:
    """Our ``iter()``: the ``list()`` loop plus the pager (dedup, progress hooks); no frame."""
    return [org.id for org in client.organizations.iter(limit=OURS_PAGE_SIZE)]


HEADERS = {"Authorization": f"Bearer {common.API_KEY}", "Accept": "application/json"}


def page_loop(get: Callable[[str], tuple[int, bytes]], limit: int) -> list[str]:
    """Every id, page by page: ``get(target)`` returns the status and body of one GET."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        status, content = get("/v2/organizations?" + urlencode(query))
        body = json.loads(content)
        if status != 200:
            raise RuntimeError(f"reference client got {status}: {body}")
        ids.extend(org["id"] for org in body["organizations"])
        if not body["pagination"]["has_more"]:
            return ids
        cursor = body["pagination"]["next_cursor"]


def raw_drain(url: str, limit: int) -> list[str]:
    """Reference minimal client: one keep-alive ``http.client`` connection and ``json.loads``."""
    host, port = common.host_port(url)
    conn = http.client.HTTPConnection(host, port, timeout=30)

    def get(target: str) -> tuple[int, bytes]:
        conn.request("GET", target, headers=HEADERS)
        response = conn.getresponse()
        return response.status, response.read()

    try:
        return page_loop(get, limit)
    finally:
        conn.close()


def requests_drain(session: requests.Session, url: str, limit: int) -> list[str]:
    """Reference ``requests`` client: the same loop on one ``requests.Session`` (what our transport
    sends through): the practical floor for any client on ``requests``."""

    def get(target: str) -> tuple[int, bytes]:
        response = session.get(url + target, headers=HEADERS, timeout=30)
        return response.status_code, response.content

    return page_loop(get, limit)


def ids_of(result: Any) -> list[str]:
    if isinstance(result, tuple):  # (frame, pages) from common.official_drain
        result = result[0]
    if isinstance(result, pd.DataFrame):
        return [str(v) for v in result["id"]]
    return list(result)


# ----------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    """Timed runs of one variant against one sandbox."""

    name: str
    limit: int
    pages: int
    rows: int
    runs: list[float]
    server_seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def best(self) -> float:
        return min(self.runs)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(median_s=self.median, best_s=self.best)
        if self.server_seconds:
            out["server_median_s"] = statistics.median(self.server_seconds)
        return out


def measure(
    sb: common.LocalSandbox | common.ChildSandbox,
    named: list[tuple[str, int, Callable[[], Any]]],
    *,
    repeats: int,
    expected: int,
) -> list[Measured]:
    """Timed runs of every variant, interleaved: each round runs every variant once, in turn.

    Round 0 is a warm-up. Interleaving lets a slow spell of a shared machine fall on every
    variant alike instead of on whichever ran then. Each run is checked for ``expected``
    unique ids, and every run of a variant must read the same number of pages.
    """
    pages_seen: list[set[int]] = [set() for _ in named]
    runs: list[list[float]] = [[] for _ in named]
    server: list[list[float]] = [[] for _ in named]
    for i in range(repeats + 1):
        for k, (name, _, fn) in enumerate(named):
            sb.clear_log()
            gc.collect()  # every run starts from the same heap, not with the previous run's garbage
            started = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - started
            ids = ids_of(result)
            del result
            if len(ids) != expected or len(set(ids)) != expected:
                raise AssertionError(
                    f"{name}: {len(ids)} rows, {len(set(ids))} unique ids, expected {expected}"
                )
            pages_seen[k].add(sb.gets())
            if i:
                runs[k].append(elapsed)
                server[k].append(sb.server_seconds())
    out = []
    for k, (name, limit, _) in enumerate(named):
        if len(pages_seen[k]) != 1:
            raise AssertionError(f"{name}: page counts differ between runs: {sorted(pages_seen[k])}")
        out.append(Measured(name, limit, pages_seen[k].pop(), expected, runs[k], server[k]))
    return out


def variants(sb: Any, ours: Any, official: Any) -> list[tuple[str, int, Callable[[], Any]]]:
    session = requests.Session()  # one for every round, as a client keeps its connection
    session.trust_env = False  # as our client built with environ={}
    return [
        ("ours to_frame", OURS_PAGE_SIZE, lambda: ours_drain(ours)),
        ("official loop", SDK_DEFAULT_LIMIT, lambda: common.official_drain(official, SDK_DEFAULT_LIMIT)),
        ("official loop", 100, lambda: common.official_drain(official, 100)),
        ("reference http.client", 100, lambda: raw_drain(sb.url, 100)),
        ("reference requests.Session", 100, lambda: requests_drain(session, sb.url, 100)),
    ]


# ------------------------------------------------------------------------------- sections


def latency_bound(sb: Any, ours: Any, official: Any, *, orgs: int, latency_ms: float, repeats: int) -> dict:
    sb.set_latency(latency_ms)
    results = measure(sb, variants(sb, ours, official), repeats=repeats, expected=orgs)
    ours_m = results[0]
    floor = ours_m.pages * latency_ms / 1000
    rows: list[list[object]] = [
        [
            "physical floor (pages x latency)",
            OURS_PAGE_SIZE,
            ours_m.pages,
            floor,
            floor,
            1.0,
            None,
            None,
            None,
        ]
    ]
    for m in results:
        own_floor = m.pages * latency_ms / 1000
        server = statistics.median(m.server_seconds)
        rows.append(
            [
                m.name,
                m.limit,
                m.pages,
                own_floor,
                m.median,
                m.median / own_floor,
                m.median / ours_m.median,
                (m.median - own_floor) / m.pages * 1000,
                (m.median - server) / m.pages * 1000,
            ]
        )
    print(
        f"\n(a) {orgs:,} orgs, {latency_ms:g} ms injected latency per request, loopback HTTP "
        f"(sandbox in a child process); median of {repeats} interleaved rounds after 1 warm-up round"
    )
    print(
        common.table(
            [
                "variant",
                "limit",
                "pages",
                "floor s",
                "median s",
                "x floor",
                "x ours",
                "over floor ms/page",
                "client+HTTP ms/page",
            ],
            rows,
        )
    )
    server_ms = statistics.median(ours_m.server_seconds) / ours_m.pages * 1000
    print(
        f"    sandbox time per request (its sleep + handling, from its log): {server_ms:.2f} ms; "
        f"'client+HTTP' = (wall - sandbox time) / pages"
    )
    print("    all runs: " + "; ".join(f"{m.name} {m.limit}: {_runs(m.runs)}" for m in results))
    off50, off100 = results[1], results[2]
    ratios = {
        "ours_over_floor": ours_m.median / floor,
        "official50_over_floor": off50.median / (off50.pages * latency_ms / 1000),
        "official100_over_floor": off100.median / (off100.pages * latency_ms / 1000),
        "official50_over_ours": off50.median / ours_m.median,
        "official100_over_ours": off100.median / ours_m.median,
        "reference_over_floor": results[3].median / floor,
        "ours_over_reference": ours_m.median / results[3].median,
        "requests_reference_over_floor": results[4].median / floor,
        "ours_over_requests_reference": ours_m.median / results[4].median,
        "sandbox_time_over_floor": statistics.median(ours_m.server_seconds) / floor,
        "ours_over_sandbox_time": ours_m.median / statistics.median(ours_m.server_seconds),
    }
    return {
        "orgs": orgs,
        "latency_ms": latency_ms,
        "repeats": repeats,
        "floor_s": floor,
        "variants": [m.as_json() for m in results],
        "ratios": ratios,
    }


def cpu_bound(sb: Any, ours: Any, official: Any, *, orgs: int, repeats: int) -> dict:
    sb.set_latency(0.0)
    named = variants(sb, ours, official)
    named[1:1] = [
        ("  ours list() loop only", OURS_PAGE_SIZE, lambda: ours_list_loop(ours)),
        ("  ours iter() only", OURS_PAGE_SIZE, lambda: ours_iter(ours)),
    ]
    results = measure(sb, named, repeats=repeats, expected=orgs)
    ours_m = results[0]
    rows = [
        [m.name, m.limit, m.pages, m.best, m.median, m.best / m.pages * 1000, m.best / ours_m.best]
        for m in results
    ]
    print(f"\n(b) {orgs:,} orgs, no injected latency; best of {repeats} interleaved rounds after 1 warm-up")
    print(common.table(["variant", "limit", "pages", "best s", "median s", "ms/page", "x ours"], rows))
    by = {(m.name, m.limit): m for m in results}
    ratios = {
        "official50_over_ours": by[("official loop", 50)].best / ours_m.best,
        "official100_over_ours": by[("official loop", 100)].best / ours_m.best,
        "ours_over_reference": ours_m.best / by[("reference http.client", 100)].best,
        "ours_over_requests_reference": ours_m.best / by[("reference requests.Session", 100)].best,
    }
    return {"orgs": orgs, "repeats": repeats, "variants": [m.as_json() for m in results], "ratios": ratios}


@dataclass
class Traced:
    """Memory traced around one drain (bytes above what was traced when it started)."""

    peak: int  # the highest point during the call
    on_return: int  # still traced when the call returned (result, caches, cyclic garbage)
    after_gc: int  # the same after gc.collect(): result and caches
    without_result: int  # after dropping the result too: what the client keeps
    seconds: float


def traced(fn: Callable[[], Any], check: Callable[[Any], dict[str, Any]]) -> tuple[Traced, dict[str, Any]]:
    """Run ``fn`` under tracemalloc; ``check`` inspects its result (untraced figures) before it is dropped."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
        on_return, peak = tracemalloc.get_traced_memory()
        gc.collect()
        after_gc = tracemalloc.get_traced_memory()[0]
        info = check(result)
        del result
        gc.collect()
        without = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return Traced(peak - base, on_return - base, after_gc - base, without - base, seconds), info


def memory(*, orgs: int, official_too: bool) -> dict:
    mib = 1024 * 1024
    with common.sandbox(orgs=orgs, latency_ms=0.0, child=True) as sb:
        ours = common.ours_client(sb.url)
        official = common.official_client(sb.url) if official_too else None
        try:
            # Warm up both (imports, connections) on a small filtered query, untraced.
            ours.organizations.list(limit=1)
            if official is not None:
                official.organizations.list(limit=1)
            common.quiet_sdk()
            todo: list[tuple[str, int, Callable[[], Any]]] = [
                ("ours to_frame", OURS_PAGE_SIZE, lambda: ours_drain(ours)),
            ]
            if official is not None:
                todo.append(("official loop", 100, lambda: common.official_drain(official, 100)[0]))
            results = []
            for name, limit, fn in todo:

                def check(frame: pd.DataFrame, name: str = name) -> dict[str, Any]:
                    unique = frame["id"].nunique()
                    if len(frame) != orgs or unique != orgs:
                        raise AssertionError(
                            f"{name}: {len(frame)} rows, {unique} unique ids, expected {orgs}"
                        )
                    return {
                        "rows": len(frame),
                        "frame_deep_bytes": int(frame.memory_usage(deep=True).sum()),
                        "dtypes": {k: str(v) for k, v in frame.dtypes.items()},
                    }

                sb.clear_log()
                mem, info = traced(fn, check)
                results.append(
                    {
                        "variant": name,
                        "limit": limit,
                        "pages": sb.gets(),
                        "rows": info["rows"],
                        "peak_traced_bytes": mem.peak,
                        "traced_on_return_bytes": mem.on_return,
                        "traced_after_gc_bytes": mem.after_gc,
                        "kept_by_client_bytes": mem.without_result,
                        "frame_deep_bytes": info["frame_deep_bytes"],
                        "peak_over_frame": mem.peak / info["frame_deep_bytes"],
                        "seconds_under_tracemalloc": mem.seconds,
                        "dtypes": info["dtypes"],
                    }
                )
        finally:
            ours.close()
    rows = [
        [
            r["variant"],
            r["limit"],
            r["pages"],
            r["rows"],
            r["peak_traced_bytes"] / mib,
            r["frame_deep_bytes"] / mib,
            r["traced_on_return_bytes"] / mib,
            r["traced_after_gc_bytes"] / mib,
            r["kept_by_client_bytes"] / mib,
            r["peak_over_frame"],
            r["seconds_under_tracemalloc"],
        ]
        for r in results
    ]
    print(
        f"\n(c) memory: {orgs:,} orgs, no latency, sandbox in a child process (seeded in "
        f"{sb.seed_seconds:.1f} s); traced MiB above the start of the drain"
    )
    print(
        common.table(
            [
                "variant",
                "limit",
                "pages",
                "rows",
                "peak MiB",
                "frame MiB",
                "on return",
                "after gc",
                "kept w/o frame",
                "peak/frame",
                "s (traced)",
            ],
            rows,
        )
    )
    print(
        "    peak: highest point during the call; on return: still traced when it returned (frame, "
        "caches, cyclic garbage);\n    after gc: the same after gc.collect(); kept w/o frame: after "
        "the frame is dropped too (what the client object keeps)"
    )
    out: dict[str, Any] = {"orgs": orgs, "seed_seconds": sb.seed_seconds, "variants": results}
    if len(results) == 2:
        out["official_peak_over_ours"] = results[1]["peak_traced_bytes"] / results[0]["peak_traced_bytes"]
        print(f"    official peak / ours peak: {out['official_peak_over_ours']:.2f}")
    else:
        print("    official loop not measured (--no-official-memory)")
    print(f"    dtypes (ours): {results[0]['dtypes']}")
    return out


def profile_ours(ours: Any, sb: Any, top: int) -> str:
    sb.set_latency(0.0)
    ours_drain(ours)
    prof = cProfile.Profile()
    prof.enable()
    ours_drain(ours)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# -------------------------------------------------------------------------------- driver


def _load() -> str:
    """The 1/5/15-minute load averages: other work on the machine shows in every figure."""
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _runs(runs: list[float]) -> str:
    return "/".join(f"{r:.3f}" for r in runs)


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (smoke test)")
    parser.add_argument("--orgs", type=int, help="orgs for (a) and (b) (default 10,000; quick 1,000)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="injected latency of (a)")
    parser.add_argument("--repeats", type=int, help="timed rounds in (a) (default 5; quick 1)")
    parser.add_argument("--cpu-repeats", type=int, help="timed rounds in (b) (default 5; quick 2)")
    parser.add_argument("--memory-orgs", type=int, help="orgs for (c) (default 100,000; quick 5,000)")
    parser.add_argument("--no-official-memory", action="store_true", help="skip the SDK in (c)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ours with no latency")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/drain.json)")
    args = parser.parse_args(argv)
    orgs = args.orgs or (1_000 if args.quick else 10_000)
    repeats = args.repeats or (1 if args.quick else 5)
    cpu_repeats = args.cpu_repeats or (2 if args.quick else 5)
    memory_orgs = args.memory_orgs or (5_000 if args.quick else 100_000)

    common.quiet_sdk()
    started = time.perf_counter()
    env = common.environment()
    print(
        f"bench_drain: python {env['python']}, pandas {env['pandas']}, arize SDK {env['arize']}, "
        f"{env['cpus']} CPUs, {env['platform']}; load average {_load()}"
    )
    profile = None
    with common.sandbox(orgs=orgs, latency_ms=args.latency_ms, child=True) as sb:
        print(f"sandbox: {orgs:,} orgs seeded in {sb.seed_seconds:.2f} s, serving {sb.url}")
        ours = common.ours_client(sb.url)
        official = common.official_client(sb.url)
        try:
            a = latency_bound(sb, ours, official, orgs=orgs, latency_ms=args.latency_ms, repeats=repeats)
            b = cpu_bound(sb, ours, official, orgs=orgs, repeats=cpu_repeats)
            if args.profile:
                profile = profile_ours(ours, sb, top=30)
        finally:
            ours.close()
    c = memory(orgs=memory_orgs, official_too=not args.no_official_memory)

    ra, rb = a["ratios"], b["ratios"]
    targets = {
        "ours_le_1.10_floor": ra["ours_over_floor"] <= 1.10,
        "ours_faster_than_official_latency": min(ra["official50_over_ours"], ra["official100_over_ours"])
        > 1.0,
        "ours_faster_than_official_cpu": min(rb["official50_over_ours"], rb["official100_over_ours"]) > 1.0,
    }
    print("\nsummary")
    print(
        common.table(
            ["figure", "value", "target", "verdict"],
            [
                [
                    f"(a) ours / floor at {args.latency_ms:g} ms",
                    ra["ours_over_floor"],
                    "<= 1.10",
                    _verdict(targets["ours_le_1.10_floor"]),
                ],
                [
                    "(a) official(50) / ours",
                    ra["official50_over_ours"],
                    "> 1",
                    _verdict(ra["official50_over_ours"] > 1),
                ],
                [
                    "(a) official(100) / ours",
                    ra["official100_over_ours"],
                    "> 1",
                    _verdict(ra["official100_over_ours"] > 1),
                ],
                ["(a) official(50) / floor", ra["official50_over_floor"], "", ""],
                ["(a) official(100) / floor", ra["official100_over_floor"], "", ""],
                ["(a) reference client / floor", ra["reference_over_floor"], "", ""],
                ["(a) reference requests.Session / floor", ra["requests_reference_over_floor"], "", ""],
                ["(a) sandbox's own time / floor", ra["sandbox_time_over_floor"], "", ""],
                [
                    "(b) official(50) / ours, no latency",
                    rb["official50_over_ours"],
                    "> 1",
                    _verdict(rb["official50_over_ours"] > 1),
                ],
                [
                    "(b) official(100) / ours, no latency",
                    rb["official100_over_ours"],
                    "> 1",
                    _verdict(rb["official100_over_ours"] > 1),
                ],
                ["(b) ours / reference client, no latency", rb["ours_over_reference"], "", ""],
                [
                    "(b) ours / reference requests.Session, no latency",
                    rb["ours_over_requests_reference"],
                    "",
                    "",
                ],
                [
                    f"(c) ours peak MiB, {memory_orgs:,} orgs",
                    c["variants"][0]["peak_traced_bytes"] / 1024 / 1024,
                    "",
                    "",
                ],
                [
                    "(c) official peak / ours peak",
                    c.get("official_peak_over_ours"),
                    "",
                    "",
                ],
            ],
        )
    )
    total = time.perf_counter() - started
    print(f"total {total:.1f} s; load average at the end {_load()}")
    if profile is not None:
        print("\ncProfile of ours (to_frame, no latency, main thread only)\n" + profile)

    path = args.output or common.RESULTS / "drain.json"
    payload = {
        "benchmark": "drain",
        "quick": args.quick,
        "environment": env,
        "latency_bound": a,
        "cpu_bound": b,
        "memory": c,
        "targets": targets,
        "total_seconds": total,
    }
    print(f"wrote {common.write_json(path, payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
