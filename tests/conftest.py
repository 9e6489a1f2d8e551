"""Shared fixtures: sandboxes, clients on them, and fake clocks so retries never sleep."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.http.transport import TransportEvent
from arize_orgs_nb.sandbox import Sandbox


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


class FrozenClock:
    """A clock that never moves, shared by many threads: ``sleep`` records and returns at once.

    Nothing elapses between two readings, so every wait a client computes against it is exact
    (a pause of ``Retry-After: 1`` is 1.0 for whoever checks it, a token bucket's k-th slot is
    ``k / rate`` away): tests assert on the waits the client asked for, never on how long
    anything took. ``sleeps`` holds ``(thread name, seconds)`` in the order they were asked.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append((threading.current_thread().name, seconds))


@dataclass(frozen=True)
class WireEvent:
    """One thing a worker thread did, as :class:`SharedPauseWatch` saw it."""

    thread: str
    kind: str  # "send" (a PATCH leaves), "answer" (its status came back) or "wait"
    status: int = 0
    reason: str = ""
    seconds: float = 0.0


class SharedPauseWatch:
    """Makes ``workers`` threads of one client meet a single 429 together, and records what each did.

    Deterministic, no clock read: the first ``workers`` PATCHes wait for each other before they
    leave, so every worker is on the wire when the one the server answers 429 comes back; the
    other workers get their answers only once that 429 has started the shared pause, so each of
    their next requests is decided after it; and each worker is held in its first wait for the
    pause until every worker has waited (so none runs out of work before the others meet the
    pause; at most 10 s: a pause that is not shared then fails the test instead of hanging it).
    ``events`` lists each thread's PATCH sends and answers and every wait, in the order they
    happened.
    """

    HOLD = 10.0

    def __init__(self, client: ArizeOrgs, *, workers: int) -> None:
        self.workers = workers
        self.events: list[WireEvent] = []
        self._lock = threading.Lock()
        self._together = threading.Barrier(workers, timeout=self.HOLD)
        self._patches = 0
        self._waited: set[str] = set()
        self._paused = threading.Event()
        self._all_waited = threading.Event()
        real_send = client.transport._send

        def send(method: str, *args: Any) -> Any:
            if method != "PATCH":
                return real_send(method, *args)
            with self._lock:
                self._patches += 1
                first_round = self._patches <= workers
            self._add("send")  # its pause check is behind it: recorded before anyone is answered
            if first_round:
                self._together.wait()
            reply = real_send(method, *args)
            self._add("answer", status=reply.status_code)
            if reply.status_code != 429 and first_round:
                self._paused.wait(self.HOLD)
            return reply

        client.transport._send = send  # type: ignore[method-assign]
        client.transport.add_listener(self._on_event)

    def after_the_pause(self) -> dict[str, list[WireEvent]]:
        """Each thread's events from the first wait for the pause on, in order ({}: no pause)."""
        start = next((i for i, e in enumerate(self.events) if e.reason == "rate-limited"), len(self.events))
        seen: dict[str, list[WireEvent]] = {}
        for event in self.events[start:]:
            seen.setdefault(event.thread, []).append(event)
        return seen

    def _add(self, kind: str, **details: Any) -> None:
        with self._lock:
            self.events.append(WireEvent(threading.current_thread().name, kind, **details))

    def _on_event(self, event: TransportEvent) -> None:
        if event.kind != "wait":
            return
        self._add("wait", reason=event.reason, seconds=event.seconds)
        if event.reason != "rate-limited":
            return
        self._paused.set()
        with self._lock:
            first = threading.current_thread().name not in self._waited
            self._waited.add(threading.current_thread().name)
            if len(self._waited) == self.workers:
                self._all_waited.set()
        if first:  # nobody goes past the pause before everyone has met it: work is left for all
            self._all_waited.wait(self.HOLD)


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


@contextlib.contextmanager
def on_one_clock(
    clock: FakeClock | FrozenClock, *, client: dict[str, Any] | None = None, **sandbox_options: Any
) -> Iterator[tuple[ArizeOrgs, Sandbox]]:
    """A client and an in-process sandbox that run on one fake clock, for one thread at a time.

    The sandbox's latency and rate limits and the client's pacing, pauses and timings all read
    and advance ``clock``: a request with 20 ms of latency moves it 20 ms, a wait for a send slot
    moves it by the wait. So a rate-limited apply runs in an instant and its timing is exact.
    ``client`` holds options for :class:`ArizeOrgs`.
    """
    server = Sandbox(api_key="k", clock=clock, sleep=clock.sleep, **sandbox_options)
    host = "sandbox.localhost"
    options = {"journal": ":memory:", "rng": random.Random(0), **(client or {})}
    try:
        with ArizeOrgs(
            api_key="k",
            api_host=host,
            api_scheme="http",
            environ={},
            sleep=clock.sleep,
            clock=clock,
            **options,
        ) as made:
            made.transport.session.mount(f"http://{host}", server.adapter())
            yield made, server
    finally:
        server.stop()


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
