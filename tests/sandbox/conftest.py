"""Fixtures for the sandbox tests: a fresh sandbox, reached over HTTP or in-process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from arize_orgs_nb.sandbox import Sandbox

from .helpers import KEY, RO_KEY, Api, make_api


class SandboxWaits:
    """Every wait the ``sb`` sandbox takes (latency, delays, emulated timeouts), in the order asked.

    Each wait still happens, by ``then``: a real sleep unless the test puts something else there.
    """

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.then: Callable[[float], None] = time.sleep

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.then(seconds)


@pytest.fixture
def waits() -> SandboxWaits:
    return SandboxWaits()


@pytest.fixture
def sb(waits: SandboxWaits) -> Iterator[Sandbox]:
    with Sandbox(api_key=KEY, read_only_key=RO_KEY, sleep=waits) as sandbox:
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
