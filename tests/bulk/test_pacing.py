"""Bulk applies under the service's write limit: the learnt rate, and the estimate before an apply.

The sandbox limits writes per key (a token bucket, an honest ``Retry-After``); the client and the
sandbox run on one fake clock (``on_one_clock``): the sandbox's 20 ms of latency per request and
every wait of the client move it, nothing sleeps, and durations are exact. One worker, so one
thread uses the clock at a time; unpaced it would send 50 writes/s against a limit of 10.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pandas as pd
import pytest

from arize_orgs_nb import RateLimit
from arize_orgs_nb.bulk.plan import Plan, plan_org_changes
from tests.conftest import FakeClock, on_one_clock

N, LIMIT, LATENCY_MS = 200, 10.0, 20.0


def describe_all(client: Any, text: str) -> Plan[Any]:
    base = client.organizations.to_frame(progress=False)
    return client.organizations.plan(
        base.assign(description=[f"{text} {i}" for i in range(len(base))]), base=base
    )


def apply_timed(plan: Plan[Any], clock: FakeClock) -> tuple[Any, float]:
    start = clock.now
    result = plan.apply(workers=1, progress=False)
    return result, clock.now - start


def patch_statuses(server: Any) -> list[int]:
    return [r.status for r in server.log if r.method == "PATCH"]


def test_the_learnt_rate_converges_under_the_sandboxs_write_limit():
    clock = FakeClock()
    with on_one_clock(clock, orgs=N, write_rate=LIMIT, latency_ms=LATENCY_MS) as (client, server):
        plan = describe_all(client, "paced")
        server.log.clear()
        result, took = apply_timed(plan, clock)
        learnt = client.transport.known_rate(write=True)
    statuses = patch_statuses(server)
    assert result.ok and statuses.count(200) == N
    throttled = [i for i, status in enumerate(statuses) if status == 429]
    # The first 429 comes once the service's burst is spent; after it the pace holds just under
    # the limit, probing past it about every 5 s (50 writes): a handful of 429s in all.
    assert 0 < len(throttled) <= 0.03 * len(statuses)
    assert all(later - earlier >= 40 for earlier, later in itertools.pairwise(throttled))
    assert learnt is not None and learnt[1] == "learnt"
    assert LIMIT * 0.9 <= learnt[0] <= LIMIT
    assert N / LIMIT * 0.95 <= took <= N / LIMIT * 1.05  # the service's rate, nearly all of it used


def test_without_pacing_the_same_apply_meets_a_429_every_burst():
    """``pacing=None``: the worker runs into the limit again after every pause (each refills it)."""
    clock = FakeClock()
    options = {"orgs": N, "write_rate": LIMIT, "latency_ms": LATENCY_MS}
    with on_one_clock(clock, client={"pacing": None}, **options) as (client, server):
        plan = describe_all(client, "unpaced")
        server.log.clear()
        waits: list[str] = []
        client.transport.add_listener(lambda e: waits.append(e.reason) if e.kind == "wait" else None)
        result = plan.apply(workers=1, progress=False)
        assert client.transport.known_rate(write=True) is None
    statuses = patch_statuses(server)
    assert result.ok and statuses.count(200) == N
    assert statuses.count(429) >= N / (LIMIT + 5)  # one per burst of about a second's worth
    assert "paced" not in waits and set(waits) == {"rate-limited"}


def test_the_estimate_with_the_learnt_rate_is_within_20_percent_of_the_apply():
    clock = FakeClock()
    with on_one_clock(clock, orgs=N, write_rate=LIMIT, latency_ms=LATENCY_MS) as (client, _):
        first = describe_all(client, "first")
        naive = first.estimate(workers=1)
        apply_timed(first, clock)
        second = describe_all(client, "second")
        estimate = second.estimate(workers=1)
        result, took = apply_timed(second, clock)
    assert result.ok
    pages = math.ceil(N / 100)
    assert (naive.calls, estimate.calls) == (N + pages, N + pages)  # the writes and the stale check
    assert "no limit known yet" in naive.basis  # before any 429 the limit cannot be known
    assert naive.seconds < took / 2
    assert "the rate the service allowed" in estimate.basis
    assert estimate.seconds == pytest.approx(took, rel=0.2)


def test_a_configured_rate_limit_is_the_estimates_rate():
    clock = FakeClock()
    pacing = RateLimit(writes_per_second=4, burst=1)
    with on_one_clock(clock, orgs=40, client={"rate_limit": pacing}) as (client, _):
        plan = describe_all(client, "configured")
        estimate = plan.estimate(workers=8)
        _, took = apply_timed(plan, clock)
    assert estimate.calls == 41 and "4 writes/s, the configured RateLimit" in estimate.basis
    assert estimate.seconds == pytest.approx(40 / 4)
    assert took == pytest.approx((40 - 1) / 4)  # burst 1, then one write every 0.25 s


def test_with_no_limit_known_the_estimate_is_round_trip_x_calls_over_workers():
    clock = FakeClock()
    with on_one_clock(clock, orgs=30, latency_ms=LATENCY_MS) as (client, _):
        plan = describe_all(client, "quick")
        estimate = plan.estimate(workers=4)
    assert estimate.basis.startswith("round trip 20 ms × 30 writes / 4 workers; no limit known yet")
    assert estimate.seconds == pytest.approx(30 * 0.02 / 4 + 1 * 0.02)  # the writes, then one page


def test_the_estimate_is_shown_in_the_plans_text_and_html():
    clock = FakeClock()
    with on_one_clock(clock, orgs=3, latency_ms=LATENCY_MS) as (client, _):
        plan = describe_all(client, "shown")
        text = str(plan.estimate())
        assert text == (
            "4 HTTP calls, under 0.1 s (round trip 20 ms × 3 writes / 8 workers; no limit known yet; "
            "after 1 list request of the stale check)"
        )
        assert repr(plan).endswith(f"; {text}>")
        assert f"<p>Estimate: {text}</p>" in plan._repr_html_()
        assert repr(plan.select([])) == "<Plan organizations: no changes>"


def test_a_read_only_plan_counts_calls_but_cannot_time_them():
    base = pd.DataFrame(
        {"id": ["a", "b"], "name": ["A", "B"], "description": ["", ""], "created_at": [pd.NaT, pd.NaT]}
    )
    changes, targets = plan_org_changes(base, base.assign(description="new"))
    estimate = Plan("organizations", changes, targets=targets).estimate()
    assert (estimate.calls, estimate.basis) == (2, "a read-only plan: no client to time it by")
    assert math.isnan(estimate.seconds)
    assert str(estimate) == "2 HTTP calls; duration unknown (a read-only plan: no client to time it by)"
