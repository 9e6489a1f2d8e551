"""The rate learnt from 429s (``AdaptiveRate``, pure, on a fake clock) and how the transport uses it.

No test sleeps: the clock moves only when a test (or a fake sleep) moves it.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from arize_orgs_nb import AdaptivePacing, ConfigError
from arize_orgs_nb.http.pacing import AdaptiveRate
from tests.conftest import FakeClock, FrozenClock, on_one_clock
from tests.reliability._support import http_client

BETA, SCALE = 0.7, 0.4


def learnt(clock: FakeClock, **options: Any) -> AdaptiveRate:
    return AdaptiveRate(clock=clock, **options)


def answer(rate: AdaptiveRate, clock: FakeClock, n: int, *, every: float = 0.0) -> None:
    """``n`` requests sent and answered without a 429, ``every`` seconds apart."""
    for _ in range(n):
        rate.answered(clock.now, throttled=False)
        clock.now += every


def test_nothing_is_paced_before_the_first_429():
    clock = FakeClock()
    rate = learnt(clock)
    assert [rate.reserve() for _ in range(1000)] == [0.0] * 1000
    answer(rate, clock, 1000)
    assert (rate.rate, rate.limit) == (None, None)
    assert repr(rate) == "<AdaptiveRate unlimited>"


def test_the_first_429_cuts_to_beta_times_what_was_accepted_over_at_least_the_window():
    clock = FakeClock()
    rate = learnt(clock)
    rate.reserve()
    answer(rate, clock, 20, every=0.005)  # a burst of 20 in 0.1 s: counted over 1 s, not 0.1 s
    rate.answered(clock.now, throttled=True)
    assert rate.limit == pytest.approx(20.0)
    assert rate.rate == pytest.approx(BETA * 20.0)


def test_429s_to_requests_sent_before_the_cut_count_once():
    clock = FakeClock()
    rate = learnt(clock)
    answer(rate, clock, 20, every=0.005)
    in_flight = clock.now - 0.01
    rate.answered(clock.now, throttled=True)
    clock.now += 0.5
    for _ in range(7):  # the other workers' requests of the same burst come back 429 too
        rate.answered(in_flight, throttled=True)
    assert rate.limit == pytest.approx(20.0)
    assert rate.rate == pytest.approx(SCALE * (0.5 - (20 * (1 - BETA) / SCALE) ** (1 / 3)) ** 3 + 20)


def test_after_a_cut_the_rate_follows_cubic_back_to_the_limit_and_beyond():
    clock = FakeClock()
    rate = learnt(clock)
    answer(rate, clock, 20)
    rate.answered(clock.now, throttled=True)
    cut = clock.now
    k = (20 * (1 - BETA) / SCALE) ** (1 / 3)  # 2.47 s: back at the limit
    for t in (0.0, 1.0, k, k + 1.0, k + 3.0):
        clock.now = cut + t
        assert rate.rate == pytest.approx(SCALE * (t - k) ** 3 + 20)
    clock.now = cut + k
    assert rate.rate == pytest.approx(20.0)
    assert rate.limit == pytest.approx(20.0)  # the limit moves only on a 429


def test_slots_are_one_over_the_rate_apart_and_the_first_after_a_cut_is_free():
    clock = FakeClock()
    rate = learnt(clock, min_rate=2.0)
    rate.answered(clock.now, throttled=True)  # nothing accepted: the floor of 2/s
    assert rate.limit == 2.0 and rate.rate == 2.0
    assert [rate.reserve() for _ in range(4)] == pytest.approx([0.0, 0.5, 1.0, 1.5])
    clock.now += 0.25  # the queue moves on with time
    assert rate.reserve() == pytest.approx(1.75)


def test_later_cuts_measure_the_accepted_rate_from_cut_to_cut():
    clock = FakeClock()
    rate = learnt(clock)
    answer(rate, clock, 20)
    rate.answered(clock.now, throttled=True)
    clock.now += 1.0  # the Retry-After pause: part of the measurement
    answer(rate, clock, 45, every=0.1)  # 45 accepted in 5.5 s since the cut: 8.2/s
    rate.answered(clock.now, throttled=True)
    assert rate.limit == pytest.approx(45 / 5.5)


def test_a_429_too_soon_after_a_cut_to_measure_cuts_from_the_rate_sent_at():
    clock = FakeClock()
    rate = learnt(clock)
    answer(rate, clock, 20)
    rate.answered(clock.now, throttled=True)
    clock.now += 0.2
    current = rate.rate
    rate.answered(clock.now, throttled=True)
    assert current is not None and rate.limit == pytest.approx(current)
    assert rate.rate == pytest.approx(BETA * current)


def test_the_pacing_settings_are_checked():
    with pytest.raises(ConfigError, match="beta"):
        AdaptivePacing(beta=1.0)
    with pytest.raises(ConfigError, match="positive"):
        AdaptivePacing(min_rate=0)


# -- in the transport ------------------------------------------------------------------------------


def wait_reasons(client: Any) -> list[str]:
    reasons: list[str] = []
    client.transport.add_listener(lambda e: reasons.append(e.reason) if e.kind == "wait" else None)
    return reasons


def test_single_calls_are_not_paced_while_no_429_came():
    clock = FakeClock()
    with on_one_clock(clock, orgs=5, latency_ms=20) as (client, server):
        waits = wait_reasons(client)
        org = client.organizations.list().organizations[0]
        for i in range(30):
            client.organizations.update(organization=org.id, description=f"d{i}")
            client.organizations.get(organization=org.id)
        assert waits == [] and clock.sleeps == [0.02] * 61  # the sandbox's latency, nothing else
        assert len(server.log) == 61
        assert client.transport.known_rate(write=True) is None


def test_after_a_429_calls_of_that_kind_are_paced_and_the_other_kind_is_not():
    clock = FakeClock()
    with on_one_clock(clock, orgs=5, latency_ms=20) as (client, server):
        org = client.organizations.list().organizations[0]
        server.faults.add(status=429, retry_after=1, method="PATCH", times=1)
        waits = wait_reasons(client)
        for i in range(5):
            client.organizations.update(organization=org.id, description=f"d{i}")
        assert waits[0] == "rate-limited" and set(waits[1:]) == {"paced"}
        assert client.transport.known_rate(write=True) == (0.5, "learnt")  # nothing accepted: the floor
        waits.clear()
        for _ in range(5):
            client.organizations.get(organization=org.id)
        assert waits == [] and client.transport.known_rate(write=False) is None


def test_pacing_none_turns_the_learnt_rate_off():
    clock = FakeClock()
    with on_one_clock(clock, orgs=5, client={"pacing": None}) as (client, server):
        assert client.settings.pacing is None
        org = client.organizations.list().organizations[0]
        server.faults.add(status=429, retry_after=1, method="PATCH", times=1)
        waits = wait_reasons(client)
        for i in range(5):
            client.organizations.update(organization=org.id, description=f"d{i}")
        assert waits == ["rate-limited"]
        assert client.transport.known_rate(write=True) is None


def test_a_request_waiting_for_its_slot_waits_out_a_pause_that_began_meanwhile():
    """A waits for its send slot; meanwhile B's request gets a 429: A must wait out the pause too.

    The clock moves only when the test moves it, so a pause is exact for whoever checks it. B runs
    inside A's slot wait (a listener on A's "paced" wait starts B and waits for it): B gets the
    429 and starts the shared pause. Had A checked the pause only before its slot wait, it would
    send right after it, inside the pause.
    """
    clock = FrozenClock()
    with on_one_clock(clock, orgs=2) as (client, server):
        first, second = client.organizations.list().organizations
        server.faults.add(status=429, retry_after=1, method="PATCH", times=1)
        client.organizations.update(organization=first.id, description="meets a 429")  # paces writes
        clock.now += 2.0  # that pause is over
        client.organizations.update(organization=first.id, description="takes the free slot")
        seen: list[tuple[str, str]] = []
        b_ran = threading.Event()

        def b() -> None:
            server.faults.add(status=429, retry_after=1, method="GET", times=1)
            client.organizations.get(organization=second.id)

        def on_event(event: Any) -> None:
            me = threading.current_thread().name
            if event.kind == "wait":
                seen.append((me, event.reason))
                if event.reason == "paced" and not b_ran.is_set():
                    b_ran.set()
                    other = threading.Thread(target=b, name="B")
                    other.start()
                    other.join()
            elif event.kind == "response":
                seen.append((me, f"answer {event.status}"))

        client.transport.add_listener(on_event)
        client.organizations.update(organization=first.id, description="A")
    b_saw = [what for who, what in seen if who == "B"]
    assert b_saw[0] == "answer 429" and b_saw[-1] == "answer 200"
    assert [what for who, what in seen if who != "B"] == ["paced", "rate-limited", "answer 200"]


def test_clients_pace_adaptively_by_default():
    with http_client("127.0.0.1:9", pacing=None) as off, http_client("127.0.0.1:9") as on:
        assert off.settings.pacing is None
        assert on.settings.pacing == AdaptivePacing()
