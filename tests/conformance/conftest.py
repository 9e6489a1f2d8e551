"""Fixtures for the conformance suite: the official ``arize`` SDK against the sandbox.

These tests run only in ``.venv-pandas2`` (``make pytest-pandas2``, ``make conformance``),
which has the pinned ``arize`` SDK (it needs pandas < 3, so it cannot sit beside pandas 3 in
``.venv``). In any environment without it the test modules are not collected at all, unless
``AONB_REQUIRE_SDK=1`` (set by those make targets): then a missing SDK stops the run, so a
broken SDK environment can never pass silently.

One sandbox is served over real HTTP for the whole session. Every test gets a fresh
``ArizeClient`` pointed at it and an empty request log, and names the data it creates
with a unique token, so tests do not depend on each other or on their order.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _conformance_helpers import API_KEY, READ_ONLY_KEY, make_client

HAVE_ARIZE = importlib.util.find_spec("arize") is not None

if not HAVE_ARIZE:
    if os.environ.get("AONB_REQUIRE_SDK") == "1":
        raise pytest.UsageError("AONB_REQUIRE_SDK=1 but the official arize SDK is not installed here")
    # Not the SDK's virtualenv (e.g. the pandas 3 run): nothing to collect here.
    collect_ignore_glob = ["test_*.py"]

ARIZE_VERSION = "8.61.0"
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``conformance`` (declared in pyproject.toml)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.conformance)


@pytest.fixture(scope="session")
def served() -> Iterator[tuple[Any, str]]:
    """One sandbox, served over HTTP on an ephemeral port, for the whole session."""
    from arize_orgs_nb.sandbox import Sandbox

    sandbox = Sandbox(api_key=API_KEY, read_only_key=READ_ONLY_KEY, orgs=0, users=0, seed=0)
    url = sandbox.serve(host="127.0.0.1", port=0)
    try:
        yield sandbox, url
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def sandbox(served: tuple[Any, str]) -> Any:
    return served[0]


@pytest.fixture(scope="session")
def sandbox_url(served: tuple[Any, str]) -> str:
    return served[1]


@pytest.fixture
def sb(sandbox: Any) -> Any:
    """The session sandbox with an empty request log."""
    sandbox.log.clear()
    return sandbox


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every setting the SDK would read from the environment."""
    for var in list(os.environ):
        if var.startswith("ARIZE_") or var.upper() in {
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
        }:
            monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def client(sb: Any, sandbox_url: str, clean_env: pytest.MonkeyPatch) -> Any:
    """A fresh official client with the admin key."""
    from arize.version import __version__

    assert __version__ == ARIZE_VERSION, f"expected arize=={ARIZE_VERSION}, got {__version__}"
    return make_client(sandbox_url, API_KEY)


@pytest.fixture
def ro_client(sb: Any, sandbox_url: str, clean_env: pytest.MonkeyPatch) -> Any:
    """A fresh official client with the sandbox's read-only key."""
    return make_client(sandbox_url, READ_ONLY_KEY)


@pytest.fixture
def token() -> str:
    """A short unique token for naming the data one test creates."""
    return uuid.uuid4().hex[:10]
