"""Shared fixtures: sandboxes, clients on them, and a fake clock so retries never sleep."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import requests

from arize_orgs_nb import ArizeOrgs


class FakeClock:
    """A monotonic clock whose ``sleep`` advances time instantly and records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _temporary_home(tmp_path_factory, monkeypatch) -> None:
    """Every test runs with a temporary HOME: no journal or setting ever lands in the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ARIZE_ORGS_NB_HOME", str(home / ".arize_orgs_nb"))


def colleague_of(client: ArizeOrgs) -> ArizeOrgs:
    """Another admin on the same sandbox: a second client with its own connections and journal."""
    server = client.local_sandbox
    assert server is not None
    if server.url is None:  # in-process: its own session on the same stand-in
        session = requests.Session()
        session.mount(f"http://{client.settings.host}", server.adapter())
        return ArizeOrgs(
            api_key=client.settings.api_key.reveal(),
            api_host=client.settings.host,
            api_scheme="http",
            session=session,
            environ={},
            journal=":memory:",
        )
    return ArizeOrgs(
        api_key=client.settings.api_key.reveal(),
        api_host=server.url.split("://", 1)[1],
        api_scheme="http",
        environ={},
        journal=":memory:",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(clock: FakeClock, *, in_process: bool = True, **sandbox_options) -> ArizeOrgs:
    sandbox_options.setdefault("orgs", 0)
    sandbox_options.setdefault("users", 0)
    return ArizeOrgs.sandbox(
        in_process=in_process,
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(1),
        **sandbox_options,
    )


@pytest.fixture(params=["in-process", "http"])
def client(request, clock) -> Iterator[ArizeOrgs]:
    """A client on an empty sandbox, once through the in-process adapter, once over HTTP."""
    with make_client(clock, in_process=request.param == "in-process") as c:
        yield c


@pytest.fixture
def fast_client(clock) -> Iterator[ArizeOrgs]:
    """A client on an empty sandbox through the in-process adapter only."""
    with make_client(clock) as c:
        yield c
