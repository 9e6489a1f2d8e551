"""The matrix is complete: every row of the B0-B8 tables of docs/RELIABILITY.md is covered or explained.

A consistency check of ``tests/reliability/matrix.py`` against docs/RELIABILITY.md and the test
files it names: these tests read files, they do not exercise the package, so they live outside
``tests/reliability`` (whose results ``scripts/reliability.py`` counts in ``RELIABILITY.md``).
"""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

import pytest

from tests.reliability.matrix import B0_FAILURES, B0_SETTINGS, DEFECTS, GAPS, ROWS

ROOT = Path(__file__).resolve().parents[1]
SPEC = Path(os.environ.get("RELIABILITY_SPEC") or ROOT / "docs" / "RELIABILITY.md")

# The row ids of docs/RELIABILITY.md, frozen here (the check below compares them with the file).
FROZEN = (
    list(B0_FAILURES.values())
    + list(B0_SETTINGS.values())
    + [f"B1/R{i}" for i in range(1, 26)]
    + [f"B2/B{i}" for i in range(1, 20)]
    + [f"B3/P{i}" for i in range(1, 14)]
    + ["B4/S1", "B4/S2", "B4/S3", "B4/S4", "B4/S4b", "B4/S4c"]
    + [f"B4/S{i}" for i in range(5, 13)]
    + [f"B5/V{i}" for i in range(1, 6)]
    + [f"B6/U{i}" for i in range(1, 5)]
    + [f"B7/F{i}" for i in range(1, 7)]
    + ["B7/L1", "B7/L2", "B7/L3"]
    + [f"B8/M{i}" for i in range(1, 9)]
)


def spec_rows(text: str) -> list[str]:
    """Row ids of the B0-B8 tables of docs/RELIABILITY.md."""
    rows: list[str] = []
    group = None
    for line in text.splitlines():
        heading = re.match(r"^### (B\d)\.", line)
        if heading:
            group = heading.group(1)
            continue
        if line.startswith("## "):
            group = None
        if group is None or not line.startswith("|") or line.startswith("|---"):
            continue
        first = line.strip("|").split("|")[0].strip()
        if first in ("#", "Failure", "Setting"):
            continue
        if group == "B0":
            rows.append(B0_FAILURES.get(first) or B0_SETTINGS.get(first) or f"B0/?{first}")
        else:
            rows.append(f"{group}/{first}")
    return rows


def test_the_frozen_row_list_matches_the_spec():
    if SPEC is None or not SPEC.exists():
        pytest.skip("docs/RELIABILITY.md is missing; the frozen list is checked below")
    assert spec_rows(SPEC.read_text(encoding="utf-8")) == FROZEN


def test_every_spec_row_is_in_the_matrix_and_nothing_else():
    assert sorted(ROWS) == sorted(FROZEN)
    assert set(GAPS) <= set(ROWS)


@cache
def _defined(path: str) -> dict[str, set[str]]:
    """Module-level names of a test file, each with its methods (for classes)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            names[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.Assign):  # e.g. TestX = Machine.TestCase (a unittest class)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = {"runTest"}
    return names


def referenced_tests() -> list[str]:
    refs = [test for _, test in DEFECTS.values()]
    for value in ROWS.values():
        if isinstance(value, str) and value.startswith("n/a: "):
            continue
        refs += [value] if isinstance(value, str) else list(value)
    return sorted(set(refs))


def test_exists(node_id: str) -> bool:
    path, *names = node_id.split("::")
    if not (ROOT / path).is_file():
        return False
    defined = _defined(path)
    if len(names) == 1:
        return names[0] in defined
    return names[0] in defined and names[1] in defined[names[0]]


test_exists.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("node_id", referenced_tests())
def test_every_referenced_test_exists(node_id):
    assert test_exists(node_id), f"{node_id} is referenced by the matrix but does not exist"


def test_every_row_is_a_test_or_explained():
    for row, value in ROWS.items():
        if isinstance(value, str) and value.startswith("n/a"):
            assert value.startswith("n/a: ") and len(value) > 40, f"{row}: give the reason"
        else:
            refs = [value] if isinstance(value, str) else list(value)
            assert refs and all("::" in r and r.startswith("tests/") for r in refs), row


# -- B6 (notebook UI): covered by the widget suites in tests/widgets; their tests must exist ------

UI_ROWS = {row: value for row, value in ROWS.items() if row.startswith("B6/")}


def test_every_ui_row_is_covered_by_the_widget_suites():
    assert sorted(UI_ROWS) == ["B6/U1", "B6/U2", "B6/U3", "B6/U4"]
    for value in UI_ROWS.values():
        refs = [value] if isinstance(value, str) else value
        assert all(r.startswith("tests/widgets/") for r in refs)


@pytest.mark.parametrize("row", sorted(UI_ROWS))
def test_the_widget_tests_of_each_ui_row_exist(row):
    refs = [UI_ROWS[row]] if isinstance(UI_ROWS[row], str) else list(UI_ROWS[row])
    missing = [r for r in refs if not test_exists(r)]
    assert missing == [], f"{row}: the widget tests it relies on are gone: {missing}"
