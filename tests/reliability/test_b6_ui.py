"""B6 of docs/RELIABILITY.md (notebook UI): covered by the widget suites, which this module only checks.

The widget tests live in ``tests/widgets`` (owned with the widgets). Nothing is imported from
there: the files are parsed, and each B6 row's tests must exist.
"""

from __future__ import annotations

import pytest

from tests.reliability.matrix import ROWS
from tests.reliability.test_matrix import test_exists

UI_ROWS = {row: value for row, value in ROWS.items() if row.startswith("B6/")}


def test_every_ui_row_is_covered_elsewhere():
    assert sorted(UI_ROWS) == ["B6/U1", "B6/U2", "B6/U3", "B6/U4"]
    for value in UI_ROWS.values():
        refs = [value] if isinstance(value, str) else value
        assert all(r.startswith("tests/widgets/") for r in refs)


@pytest.mark.parametrize("row", sorted(UI_ROWS))
def test_the_widget_tests_of_each_ui_row_exist(row, figures):
    refs = [UI_ROWS[row]] if isinstance(UI_ROWS[row], str) else list(UI_ROWS[row])
    missing = [r for r in refs if not test_exists(r)]
    figures.add("b6_rows_covered_elsewhere", 1, row=row)
    assert missing == [], f"{row}: the widget tests it relies on are gone: {missing}"
