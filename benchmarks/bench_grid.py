"""Benchmark: the Browse grid at 10,000 organizations, kernel side.

Setup: an in-process sandbox seeded with ``--orgs`` organizations (10,000) and 50 users, drained
once into a snapshot (the drain itself is ``bench_drain.py``'s business). Every widget's comm is
replaced by one that serializes each message to JSON, as the kernel does before sending it, so
the figures include building and encoding what goes to the browser (only the page shown).

Figures, ``--runs`` times each (median and p95, in ms):

* **panel build**: ``OrgAdminPanel(client, snapshot=...)`` on the loaded snapshot: every tab,
  the grid's first page, the pickers. Target <= 1 s.
* **filter keystroke**: ``filter_input.value = <text>`` (what a keystroke does) until the grid's
  rows, pager and count are re-rendered and serialized; the texts cycle through typing and
  deleting a word, so matches range from thousands of rows to a few. Target <= 150 ms.
* **page change**: ``grid.page = k`` (what the pager does), at 25 and at 250 rows per page.
  Target <= 100 ms.
* **sort change** (reported, no target): ``grid.sort = ...`` by each column in turn; the first
  sort by a column builds its order once, later ones reuse it.
* **edit a cell** (reported, no target): an edit message as the browser sends it, until the page
  comes back with the cell marked.

Results: ``benchmarks/results/grid.json``. Run from the repository root::

    .venv/bin/python benchmarks/bench_grid.py              # ~1 minute (the 10,000-org seed included)
    .venv/bin/python benchmarks/bench_grid.py --runs 20 --orgs 2000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402

from arize_orgs_nb import ArizeOrgs  # noqa: E402
from arize_orgs_nb.widgets import OrgAdminPanel, Snapshot, SyncRunner  # noqa: E402

TARGETS_MS = {"panel build": 1000.0, "filter keystroke": 150.0, "page change (25 rows)": 100.0}
TARGETS_MS["page change (250 rows)"] = 100.0
WORDS = ["agent", "fraud detection", "e", "team", "zz-no-match", "0042"]


class Wire:
    """Stands in for the kernel's side of every comm: encodes each message to JSON and counts the bytes."""

    def __init__(self) -> None:
        self.sent_bytes = 0

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.sent_bytes += len(json.dumps(data, default=str))


def widgets_of(root: Any) -> Iterator[Any]:
    yield root
    for child in getattr(root, "children", ()) or ():
        yield from widgets_of(child)
    for part in ("layout", "style"):
        if getattr(root, part, None) is not None and hasattr(getattr(root, part), "comm"):
            yield getattr(root, part)


def wire(panel: Any) -> Wire:
    """Route every message of the panel's widgets through one :class:`Wire` (outside a kernel: nowhere)."""
    sink = Wire()
    for widget in widgets_of(panel):
        widget.comm.send = sink.send
    return sink


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def keystrokes() -> Iterator[str]:
    """Typing each word letter by letter, then deleting it letter by letter, forever."""
    while True:
        for word in WORDS:
            typed = [word[:i] for i in range(1, len(word) + 1)]
            yield from typed
            yield from reversed(typed[:-1])
            yield ""


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    client = ArizeOrgs.sandbox(orgs=args.orgs, users=50, seed=1, in_process=True, journal=":memory:")
    seeded = time.perf_counter() - started
    try:
        orgs = client.organizations.to_frame(progress=False)
        users = client.users.to_frame(progress=False)
        samples: dict[str, list[float]] = {}

        def build() -> OrgAdminPanel:
            return OrgAdminPanel(
                client, snapshot=Snapshot(client, orgs=orgs, users=users), runner=SyncRunner()
            )

        build().close()  # warm-up: imports, first-use caches
        builds = []
        for _ in range(args.runs):
            panel: OrgAdminPanel | None = None

            def make() -> None:
                nonlocal panel
                panel = build()

            builds.append(timed(make))
            assert panel is not None
            panel.close()
        samples["panel build"] = builds

        panel = build()
        comm = wire(panel)
        table = panel.table
        texts = keystrokes()
        samples["filter keystroke"] = []
        sent_per_keystroke = []
        for _ in range(args.runs):
            text = next(texts)
            before = comm.sent_bytes
            samples["filter keystroke"].append(
                timed(lambda text=text: setattr(table.filter_input, "value", text))
            )
            sent_per_keystroke.append(comm.sent_bytes - before)
        table.filter_input.value = ""

        for size in (25, 250):
            table.grid.page_size = size
            pages = table.grid.pages
            key = f"page change ({size} rows)"
            samples[key] = [
                timed(lambda i=i, pages=pages: setattr(table.grid, "page", (i * 7 + 1) % pages))
                for i in range(args.runs)
            ]
        table.grid.page_size = 25

        columns = ["created", "id", "description", "name"]
        samples["sort change"] = [
            timed(
                lambda i=i: setattr(
                    table.grid, "sort", {"column": columns[i % len(columns)], "descending": bool(i // 4 % 2)}
                )
            )
            for i in range(args.runs)
        ]

        keys = [row["key"] for row in table.grid.rows]
        samples["edit a cell"] = [
            timed(
                lambda i=i: table.grid.receive(
                    {
                        "event": "edit",
                        "key": keys[i % len(keys)],
                        "field": "description",
                        "value": f"bench {i}",
                    }
                )
            )
            for i in range(args.runs)
        ]
        edits = table.edits.count()
        panel.close()
    finally:
        client.close()
    figures = {name: common.summary(values, digits=2) for name, values in samples.items()}
    return {
        "benchmark": "Browse grid, kernel side (messages serialized to JSON as a kernel would)",
        "orgs": args.orgs,
        "runs": args.runs,
        "seed_seconds": round(seeded, 1),
        "figures": figures,
        "targets_ms": TARGETS_MS,
        "met": {
            name: figures[name]["median_ms"] <= target and figures[name]["p95_ms"] <= target
            for name, target in TARGETS_MS.items()
        },
        "bytes_per_keystroke_median": int(statistics.median(sent_per_keystroke)),
        "bytes_per_keystroke_max": max(sent_per_keystroke),
        "edits_made": edits,
        "environment": {
            **common.environment(),
            "loadavg": [round(v, 2) for v in os.getloadavg()],
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--output", type=Path, default=common.RESULTS / "grid.json")
    args = parser.parse_args()
    result = run(args)
    print(
        f"bench_grid: {args.orgs:,} organizations (seeded in {result['seed_seconds']} s), "
        f"{args.runs} runs each, load {result['environment']['loadavg']}"
    )
    rows = []
    for name, row in result["figures"].items():
        target = TARGETS_MS.get(name)
        verdict = "-" if target is None else ("met" if result["met"][name] else "MISSED")
        rows.append([name, row["median_ms"], row["p95_ms"], row["max_ms"], target, verdict])
    print(common.table(["figure", "median ms", "p95 ms", "max ms", "target ms", "verdict"], rows))
    print(
        f"sent to the browser per keystroke: median {result['bytes_per_keystroke_median']:,} bytes, "
        f"max {result['bytes_per_keystroke_max']:,} bytes (a keystroke that leaves the page as it was "
        "sends only the count)"
    )
    common.write_json(args.output, result)
    print(f"written {args.output}")
    return 0 if all(result["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
