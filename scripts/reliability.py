"""Run the long version of the reliability suites and write RELIABILITY.md with the figures.

    .venv/bin/python scripts/reliability.py                 # long run (about 5 minutes)
    .venv/bin/python scripts/reliability.py --quick         # the regular-suite sizes (about 1 minute)

It runs ``pytest tests/reliability`` with ``RELIABILITY_LONG=1`` (more examples, thousands of
load operations, the soak), collects the figures the tests record (``RELIABILITY_FIGURES``, one
JSON line per figure) and the JUnit results, and writes ``RELIABILITY.md`` at the repository
root: every number in it was measured by this run. All traffic stays on 127.0.0.1. The exit code
is pytest's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.matrix import DEFECTS, GAPS, ROWS  # noqa: E402

Figure = dict[str, Any]


def run_suite(
    *, quick: bool, load_ops: int, soak_seconds: float, workdir: Path
) -> tuple[int, Path, Path, float]:
    """Run the suites; return pytest's exit code, the figures file, the JUnit file and the wall time."""
    figures = workdir / "figures.jsonl"
    junit = workdir / "junit.xml"
    env = {
        **os.environ,
        "RELIABILITY_FIGURES": str(figures),
        "RELIABILITY_LOAD_OPS": str(load_ops),
        "RELIABILITY_SOAK_SECONDS": str(soak_seconds),
    }
    if quick:
        env.pop("RELIABILITY_LONG", None)
    else:
        env["RELIABILITY_LONG"] = "1"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/reliability",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "timeout=1800",
        f"--junitxml={junit}",
    ]
    started = time.monotonic()
    code = subprocess.call(command, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter and suite
    return code, figures, junit, time.monotonic() - started


def read_figures(path: Path) -> list[Figure]:
    """The figures the tests recorded, one per JSON line."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_junit(path: Path) -> dict[str, Any]:
    """Counts per outcome, per module, and the tests that failed or are pinned gaps (xfail)."""
    outcome: Counter[str] = Counter()
    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    failed: list[str] = []
    xfailed: list[str] = []
    if not path.exists():
        return {"outcome": outcome, "per_module": per_module, "failed": failed, "xfailed": xfailed}
    tree = ET.parse(path)  # noqa: S314 - a file this script told pytest to write
    for case in tree.iter("testcase"):
        module = case.get("classname", "").split(".")[2] if case.get("classname", "").count(".") >= 2 else "?"
        name = f"{case.get('classname')}::{case.get('name')}"
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                kind = "failed"
                failed.append(name)
            elif child.tag == "skipped":
                is_xfail = "xfail" in (child.get("type", "") + child.get("message", ""))
                kind = "xfailed" if is_xfail else "skipped"
                if is_xfail:
                    xfailed.append(name)
        outcome[kind] += 1
        per_module[module][kind] += 1
    return {"outcome": outcome, "per_module": per_module, "failed": failed, "xfailed": xfailed}


def total(figures: list[Figure], name: str, **labels: object) -> float:
    """The sum of a figure over every test that recorded it (optionally only with these labels)."""
    return sum(
        f["value"]
        for f in figures
        if f["figure"] == name and all(f["labels"].get(k) == v for k, v in labels.items())
    )


def values(figures: list[Figure], name: str) -> list[Figure]:
    """Every record of one figure."""
    return [f for f in figures if f["figure"] == name]


def one(figures: list[Figure], name: str, **labels: object) -> str:
    """The last recorded value of a figure, as text ("-" when it was not recorded)."""
    found = [
        f["value"]
        for f in figures
        if f["figure"] == name and all(f["labels"].get(k) == v for k, v in labels.items())
    ]
    return "-" if not found else number(found[-1])


def number(value: float) -> str:
    """``1,234`` for whole numbers, four significant digits otherwise."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _runs(figures: list[Figure], junit: dict[str, Any], code: int, wall: float) -> str:
    outcome = junit["outcome"]
    verdict = "all passed" if code == 0 else f"**pytest exit code {code}: see the failures below**"
    rows = [
        ("Result", verdict),
        (
            "Tests",
            f"{sum(outcome.values())} collected: {outcome['passed']} passed, {outcome['failed']} failed, "
            f"{outcome['xfailed']} xfailed (pinned gaps), {outcome['skipped']} skipped",
        ),
        ("Wall time", f"{wall:.0f} s"),
    ]
    for fig in sorted(values(figures, "examples"), key=lambda f: f["labels"]["test"]):
        rows.append((f"Hypothesis examples, {fig['labels']['test']}", number(fig["value"])))
    steps, applies = number(total(figures, "f1_steps")), number(total(figures, "f1_applies"))
    rows.append(("State machine steps (F1)", f"{steps} ({applies} of them plan+apply)"))
    rows.append(("State machine with a colleague (B8/M8)", _colleague(figures)))
    text = "## Runs\n\n" + table(("", ""), rows) + "\n"
    modules = [
        (f"`{module}`", *(str(counts[k]) for k in ("passed", "failed", "xfailed", "skipped")))
        for module, counts in sorted(junit["per_module"].items())
    ]
    text += table(("Module", "passed", "failed", "xfailed", "skipped"), modules)
    if junit["failed"]:
        text += "\nFailed:\n\n" + "\n".join(f"- `{name}`" for name in junit["failed"]) + "\n"
    return text


def _colleague(figures: list[Figure]) -> str:
    """One line: what the B8 state machine ran (its invariants hold after every step, or it fails)."""

    def t(name: str) -> str:
        return number(total(figures, f"m8_{name}"))

    by_name = sum(f["value"] for f in figures if f["figure"].startswith("m8_by_name:"))
    return (
        f"{t('steps')} steps: {t('colleague')} colleague changes, {number(by_name)} calls by name, "
        f"{t('applied')} applies and {t('forced')} forced, {t('refused')} refused as stale, "
        f"{t('killed')} killed and {t('resumes')} resumes, {t('retries')} retries, {t('undos')} undos; "
        "wrong-org writes, silent overwrites, unreported temporary names, untrue rows: 0"
    )


def _outcomes(figures: list[Figure]) -> str:
    def t(name: str) -> str:
        return number(total(figures, name))

    rows = [
        ("Rows lost (writes a client believed done that the server lacks)", t("rows_lost")),
        ("Duplicates (a create landing twice, two orgs with one name, phantom writes)", t("duplicates")),
        (
            "Secret leaks (raw, base64, URL-encoded and hex forms of a canary key)",
            f"{t('leaks')} in {t('secret_paths_scanned')} paths / {t('secret_texts_scanned')} texts",
        ),
        (
            "Bad inputs tried / rejected before any request / id-shaped, sent and refused by the server",
            f"{t('bad_inputs_tried')} / {t('bad_inputs_rejected_before_io')} / "
            f"{t('bad_inputs_refused_by_server')}",
        ),
        ("Odd-but-legal names sent exactly as typed (no silent normalisation)", t("v1_sent_as_typed")),
        ("Stale plans refused / writes they sent", f"{t('stale_plans_refused')} / {t('writes_after_stale')}"),
        (
            "Wrong delete confirmations refused (case, space, NFD, look-alike, ZWSP)",
            t("b12_wrong_confirmations_refused"),
        ),
        ("Applies killed (`os._exit`) at write k, resumed without repeating", t("kills_resumed")),
        ("Raw control characters in log lines (S9)", t("s9_raw_control_characters_in_logs")),
        (f"Unescaped payloads in HTML ({one(figures, 's8_renderers')} renderers, S8)", t("s8_unescaped")),
        ("Unexpected exception types from fuzzed answers (F3)", t("f3_unexpected_exceptions")),
        (
            "Workers that waited out one 429's Retry-After before their next request (R25, of 4)",
            one(figures, "r25_workers_paused"),
        ),
        ("Real wait for two 429s with Retry-After: 1 (R1)", one(figures, "r1_real_wait_seconds") + " s"),
        (
            "Requests during a 100-call outage (R24; retry budget 100, 5 a retry: at most 120)",
            one(figures, "r24_requests_in_outage"),
        ),
        ("Pages refetched when resuming a drain stopped at page 37 (P8)", one(figures, "p8_pages_refetched")),
        ("Pages before an endless server is stopped (P4)", one(figures, "p4_pages_before_stop")),
    ]
    return "## Outcome figures\n\n" + table(("Figure", "Value"), rows)


def _faults(figures: list[Figure]) -> str:
    kinds: Counter[str] = Counter()
    for fig in values(figures, "faults_injected"):
        kinds[str(fig["labels"].get("kind"))] += fig["value"]
    rows = [(f"`{kind}`", number(count)) for kind, count in sorted(kinds.items())]
    rows.append(("**total**", number(sum(kinds.values()))))
    return "## Faults injected, per kind\n\n" + table(("Kind", "Count"), rows)


def _load(figures: list[Figure]) -> str:
    rows = []
    for label in ("short", "long"):
        ops = total(figures, "load_ops", run=label)
        if not ops:
            continue
        wall = total(figures, "load_wall_seconds", run=label)
        rows.append(
            (
                label,
                one(figures, "load_clients", run=label),
                number(ops),
                number(total(figures, "load_requests", run=label)),
                number(total(figures, "load_errors_after_retries", run=label)),
                number(total(figures, "load_conflicts_expected", run=label)),
                number(total(figures, "load_uncertain", run=label)),
                f"{wall:.1f} s",
                f"{ops / max(wall, 1e-9):.0f}",
            )
        )
    header = (
        "Run",
        "Clients",
        "Ops",
        "Requests",
        "Errors after retries",
        "Expected 409s",
        "Uncertain",
        "Wall",
        "Ops/s",
    )
    text = "## Load held\n\n" + table(header, rows)
    kinds = [
        f"{fig['labels']['run']}: {number(fig['value'])} {fig['labels']['kind']}"
        for fig in values(figures, "load_error_kind")
    ]
    if kinds:
        text += (
            "\nErrors after retries, by kind (the operation is then uncertain and left out of the "
            f"lost/duplicate comparison): {'; '.join(kinds)}.\n"
        )
    text += (
        "\nEach client runs a bounded, seeded mix of create (own and contested names), rename, describe, "
        "delete, add and remove member, get and list against one sandbox over loopback HTTP, with random "
        "429s, 5xx and writes dropped after commit. Afterwards the server's state and request log are "
        "compared with what every client believes succeeded.\n\n"
    )
    f = figures
    rows = [
        ("L1 drain: rows / pages", f"{one(f, 'l1_rows')} / {one(f, 'l1_pages')}"),
        (
            "L1 drain: wall / client overhead",
            f"{one(f, 'l1_wall_seconds')} s / {one(f, 'l1_client_overhead_seconds')} s",
        ),
        ("L1 drain: page p50 / p95", f"{one(f, 'l1_page_p50_ms')} ms / {one(f, 'l1_page_p95_ms')} ms"),
        ("L1 drain: RSS growth", f"{one(f, 'l1_rss_growth_mb')} MB"),
        (
            "B13 apply, stand-in limited to 20 req/s: ops / 429s / ops/s / p95",
            f"{one(f, 'b13_ops')} / {one(f, 'b13_429s')} / {one(f, 'b13_ops_per_second')} / "
            f"{one(f, 'b13_p95_seconds')} s",
        ),
        (
            "B13 apply paced at 10 writes/s, stand-in limited to 15 req/s: ops / 429s / ops/s",
            f"{one(f, 'b13_paced_ops')} / {one(f, 'b13_paced_429s')} / {one(f, 'b13_paced_ops_per_second')}",
        ),
    ]
    if values(f, "l3_ops"):
        rows.append(
            (
                "L3 soak: ops / requests / seconds / errors / client RSS slope after warm-up",
                f"{one(f, 'l3_ops')} / {one(f, 'l3_requests')} / {one(f, 'l3_seconds')} / "
                f"{one(f, 'l3_errors')} / {one(f, 'l3_rss_slope_mb_per_min')} MB/min",
            )
        )
    return text + table(("Drain and apply", "Value"), rows)


def _matrix(junit: dict[str, Any]) -> str:
    na = {row: v for row, v in ROWS.items() if isinstance(v, str) and v.startswith("n/a")}
    text = (
        f"## Matrix coverage\n\n{len(ROWS)} rows (B0 to B8): **{len(ROWS) - len(na)} covered by tests**, "
        f"{len(na)} not applicable. {len(GAPS)} covered rows have a gap, where the package does less than "
        f"the row asks ({len(junit['xfailed'])} pinned by strict xfail tests).\n\nNot applicable:\n\n"
    )
    text += "\n".join(f"- **{row}**: {reason.removeprefix('n/a: ')}" for row, reason in na.items())
    text += "\n\nGaps (covered rows where docs/RELIABILITY.md asks for more):\n\n"
    text += "\n".join(f"- **{row}**: {gap}" for row, gap in GAPS.items()) + "\n"
    return text


def render(
    figures: list[Figure],
    junit: dict[str, Any],
    *,
    code: int,
    wall: float,
    quick: bool,
    load_ops: int,
    soak: float,
) -> str:
    """The report, as Markdown."""
    mode = "quick: the regular-suite sizes" if quick else "long: RELIABILITY_LONG=1"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    intro = (
        "# Reliability report\n\n"
        "Generated by `scripts/reliability.py` from one run of `tests/reliability` "
        f"({mode}) on {stamp}, Python {platform.python_version()}, {platform.system()}. Every figure "
        "below was measured by that run; times are recorded for information, no test asserts on one "
        "(speed is measured in `benchmarks/`). All traffic went to 127.0.0.1. The suites follow the "
        "project's reliability matrix (`docs/RELIABILITY.md`, B0 to B8): `tests/reliability/matrix.py` "
        "maps each of its rows to tests, and `tests/test_reliability_matrix.py` (not counted here: it "
        "checks files, not the package) checks that mapping.\n"
    )
    defects = "## Defects these suites found (fixed)\n\n" + table(
        ("Defect", "Test that fails without the fix"),
        [(text, f"`{test.split('::')[-1]}`") for text, test in DEFECTS.values()],
    )
    footer = (
        f"\nRun parameters: {load_ops} load operations per client (long run), a {soak:g} s soak. "
        "Regenerate with `.venv/bin/python scripts/reliability.py`.\n"
    )
    parts = [intro, _runs(figures, junit, code, wall), _outcomes(figures), _faults(figures)]
    parts += [_load(figures), _matrix(junit), defects + footer]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the long suites and write the report; return pytest's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="regular-suite sizes (fast)")
    parser.add_argument("--load-ops", type=int, default=250, help="operations per load client (long run)")
    parser.add_argument("--soak-seconds", type=float, default=60.0, help="length of the soak (long run)")
    parser.add_argument("--output", type=Path, default=ROOT / "RELIABILITY.md", help="report file")
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        code, figures_path, junit_path, wall = run_suite(
            quick=ns.quick, load_ops=ns.load_ops, soak_seconds=ns.soak_seconds, workdir=Path(tmp)
        )
        figures = read_figures(figures_path)
        junit = read_junit(junit_path)
    report = render(
        figures, junit, code=code, wall=wall, quick=ns.quick, load_ops=ns.load_ops, soak=ns.soak_seconds
    )
    ns.output.write_text(report, encoding="utf-8")
    print(f"wrote {ns.output} ({len(figures)} figures, pytest exit code {code})")  # noqa: T201
    return code


if __name__ == "__main__":
    raise SystemExit(main())
