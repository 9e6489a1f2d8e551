"""Fixtures of the reliability suites: the figures recorder, and the ``reliability`` marker."""

from __future__ import annotations

import pytest

from tests.reliability._support import Figures, long_mode


def pytest_configure(config: pytest.Config) -> None:
    # Registered here so --strict-markers accepts them; pyproject.toml should list them too.
    config.addinivalue_line("markers", "reliability: the fault, load, bad-input and secret suites")
    config.addinivalue_line(
        "markers", "reliability_long: long version only (RELIABILITY_LONG=1 or scripts/reliability.py)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_long = pytest.mark.skip(reason="long version: set RELIABILITY_LONG=1 (scripts/reliability.py)")
    for item in items:
        if "tests/reliability/" not in item.nodeid.replace("\\", "/"):
            continue
        item.add_marker(pytest.mark.reliability)
        if item.get_closest_marker("reliability_long") and not long_mode():
            item.add_marker(skip_long)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Where a test records the figures the report shows."""
    return Figures(request.node.nodeid)
