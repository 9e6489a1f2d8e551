"""Fixtures for the sandbox tests: a fresh sandbox, reached over HTTP or in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from arize_orgs_nb.sandbox import Sandbox

from .helpers import KEY, RO_KEY, Api, make_api


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(api_key=KEY, read_only_key=RO_KEY) as sandbox:
        yield sandbox


@pytest.fixture(params=["adapter", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api(sb: Sandbox, transport: str) -> Iterator[Api]:
    with requests.Session() as session:
        yield make_api(sb, transport, session)


@pytest.fixture
def local(sb: Sandbox) -> Iterator[Api]:
    """In-process only: for the many input-validation cases."""
    with requests.Session() as session:
        yield make_api(sb, "adapter", session)
