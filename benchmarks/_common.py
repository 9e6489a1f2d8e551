"""Shared helpers of the benchmarks: sandboxes, clients, timing, tables and JSON results.

Not a benchmark itself. Scripts in this folder import it as ``_common`` (the folder is on
``sys.path`` when a script is run as ``python benchmarks/<script>.py``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import platform
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.sandbox import Sandbox

API_KEY = "bench-key"
RESULTS = Path(__file__).resolve().parent / "results"


# ----------------------------------------------------------------------------- sandboxes


class LocalSandbox:
    """A sandbox served over loopback HTTP from a thread of this process."""

    def __init__(self, *, orgs: int, latency_ms: float, seed: int = 1, **knobs: float) -> None:
        started = time.perf_counter()
        self._sb = Sandbox(api_key=API_KEY, orgs=orgs, users=0, seed=seed, latency_ms=latency_ms, **knobs)
        self.seed_seconds = time.perf_counter() - started
        try:
            self.url = self._sb.serve(host="127.0.0.1", port=0)
        except BaseException:
            self._sb.stop()
            raise

    def set_latency(self, latency_ms: float) -> None:
        self._sb.set_knobs(latency_ms=latency_ms)

    def clear_log(self) -> None:
        self._sb.log.clear()

    def gets(self) -> int:
        """GET requests since the log was last cleared."""
        return self._sb.log.count(method="GET")

    def server_seconds(self) -> float:
        """Time spent inside the sandbox (injected latency included) since the log was cleared."""
        return sum(r.seconds for r in self._sb.log.records())

    def records(self) -> list[tuple[str, str, float]]:
        """(method, path, seconds) of every request since the log was cleared."""
        return [(r.method, r.path, r.seconds) for r in self._sb.log.records()]

    def statuses(self) -> list[tuple[str, int]]:
        """(method, status answered) of every request since the log was cleared."""
        return [(r.method, r.status) for r in self._sb.log.records()]

    def set_knobs(self, **knobs: float) -> None:
        self._sb.set_knobs(**knobs)

    def orgs(self) -> list[dict[str, Any]]:
        """The organizations the sandbox holds now."""
        return list(self._sb.state.orgs())

    def stop(self) -> None:
        self._sb.stop()


def _child(conn: Any, orgs: int, latency_ms: float, seed: int, knobs: dict[str, float]) -> None:
    """Body of the child process of :class:`ChildSandbox`: serve until told to stop."""
    started = time.perf_counter()
    sb = Sandbox(api_key=API_KEY, orgs=orgs, users=0, seed=seed, latency_ms=latency_ms, **knobs)
    try:
        conn.send((sb.serve(host="127.0.0.1", port=0), time.perf_counter() - started))
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            if command == "latency":
                sb.set_knobs(latency_ms=arg)
                conn.send(None)
            elif command == "clear":
                sb.log.clear()
                conn.send(None)
            elif command == "gets":
                conn.send(sb.log.count(method="GET"))
            elif command == "seconds":
                conn.send(sum(r.seconds for r in sb.log.records()))
            elif command == "records":
                conn.send([(r.method, r.path, r.seconds) for r in sb.log.records()])
            elif command == "statuses":
                conn.send([(r.method, r.status) for r in sb.log.records()])
            elif command == "knobs":
                sb.set_knobs(**arg)
                conn.send(None)
            elif command == "orgs":
                conn.send(list(sb.state.orgs()))
    finally:
        sb.stop()
        conn.close()


class ChildSandbox:
    """A sandbox served over loopback HTTP from a child process.

    Same interface as :class:`LocalSandbox`; the server's CPU time and memory stay out of this
    process (and out of ``tracemalloc``).
    """

    def __init__(self, *, orgs: int, latency_ms: float, seed: int = 1, **knobs: float) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(
            target=_child, args=(child_conn, orgs, latency_ms, seed, knobs), daemon=True, name="bench-sandbox"
        )
        self._proc.start()
        child_conn.close()
        try:
            if not self._conn.poll(120):
                raise RuntimeError("the sandbox child process did not start within 120 s")
            self.url, self.seed_seconds = self._conn.recv()
        except BaseException:
            self.stop()
            raise

    def _ask(self, command: str, arg: object = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def set_latency(self, latency_ms: float) -> None:
        self._ask("latency", latency_ms)

    def clear_log(self) -> None:
        self._ask("clear")

    def gets(self) -> int:
        return int(self._ask("gets"))

    def server_seconds(self) -> float:
        return float(self._ask("seconds"))

    def records(self) -> list[tuple[str, str, float]]:
        return list(self._ask("records"))

    def statuses(self) -> list[tuple[str, int]]:
        return list(self._ask("statuses"))

    def set_knobs(self, **knobs: float) -> None:
        self._ask("knobs", knobs)

    def orgs(self) -> list[dict[str, Any]]:
        return list(self._ask("orgs"))

    def stop(self) -> None:
        if self._proc.is_alive():
            with suppress(OSError):
                self._conn.send(("stop", None))
            self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.terminate()  # only the child this object started
            self._proc.join(timeout=5)
        self._conn.close()


@contextmanager
def sandbox(
    *, orgs: int, latency_ms: float, child: bool = False, **knobs: float
) -> Iterator[LocalSandbox | ChildSandbox]:
    """A served sandbox (in this process, or in a child process), always stopped on exit.

    ``knobs`` go to the sandbox as they are (``write_rate=20``, ``rate_limit_share=0.1``, ...).
    """
    sb: LocalSandbox | ChildSandbox = (
        ChildSandbox(orgs=orgs, latency_ms=latency_ms, **knobs)
        if child
        else LocalSandbox(orgs=orgs, latency_ms=latency_ms, **knobs)
    )
    try:
        yield sb
    finally:
        sb.stop()


# ------------------------------------------------------------------------------- clients


def host_port(url: str) -> tuple[str, int]:
    """``("127.0.0.1", 54321)`` from ``"http://127.0.0.1:54321"``."""
    host, _, port = url.split("://", 1)[1].rpartition(":")
    return host, int(port)


def ours_client(url: str) -> ArizeOrgs:
    """Our client, pointed at ``url``, reading nothing from the environment."""
    return ArizeOrgs(api_key=API_KEY, api_host=url.split("://", 1)[1], api_scheme="http", environ={})


def official_client(url: str) -> Any:
    """The official SDK's ``ArizeClient`` pointed at ``url`` (never through a proxy)."""
    from arize import ArizeClient

    host, port = host_port(url)
    client = ArizeClient(api_key=API_KEY, api_host=host, api_scheme="http", api_port=port, proxy_url="")
    quiet_sdk()
    return client


def quiet_sdk() -> None:
    """Silence the SDK's once-per-method BETA warnings (the SDK may reset its level on init)."""
    logging.getLogger("arize").setLevel(logging.ERROR)


def official_drain(client: Any, limit: int) -> tuple[pd.DataFrame, int]:
    """The SDK's documented loop: ``list`` page by page, ``to_df`` each, concat. Returns (frame, pages)."""
    frames: list[pd.DataFrame] = []
    cursor: str | None = None
    pages = 0
    while True:
        resp = client.organizations.list(limit=limit, cursor=cursor)
        pages += 1
        frames.append(resp.to_df())
        if not resp.pagination.has_more:
            break
        cursor = resp.pagination.next_cursor
    return pd.concat(frames, ignore_index=True), pages


def sdk_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("arize")
    except PackageNotFoundError:
        return None


# ------------------------------------------------------------------------- presentation


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; numbers right-aligned, everything else left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    """``n``, median, p95, min and max of millisecond samples, rounded to ``digits``."""
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), digits),
        "p95_ms": round(percentile(values, 0.95), digits),
        "min_ms": round(min(values), digits),
        "max_ms": round(max(values), digits),
    }


def environment() -> dict[str, Any]:
    """Interpreter and library versions, for the JSON results."""
    import os

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pandas": pd.__version__,
        "arize": sdk_version(),
    }


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
