"""Shared fixtures: sandboxes, clients on them, and a fake clock so retries never sleep."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

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
