import pickle
import random
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.config import RetryPolicy
from arize_orgs_nb.errors import ConfigError, PermissionDeniedError, ServerError
from arize_orgs_nb.http.budget import RetryBudget
from arize_orgs_nb.http.retry import Failure, Mode, backoff_delay, decide, parse_retry_after

NOW = 1_700_000_000.0
POLICY = RetryPolicy()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("0", 0.0),
        ("1.5", 2.0),
        ("0.503", 1.0),
        ("-1", 0.0),
        ("abc", None),
        ("", None),
        ("1m0s", None),
        ("nan", None),
        ("inf", None),
        ("9" * 5000, None),
        ("²", None),
        (None, None),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),  # NOW + 10 s as an HTTP-date
        ("Tuesday, 14-Nov-23 22:13:30 GMT", 10.0),  # RFC 850
        ("Tue Nov 14 22:13:30 2023", 10.0),  # asctime: no zone, but HTTP-dates are UTC (RFC 9110)
        ("Mon, 13 Nov 2023 00:00:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after_is_parsed_leniently(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


@given(st.text(max_size=80))
def test_retry_after_parser_never_raises(value):
    result = parse_retry_after(value, now=NOW)
    assert result is None or result >= 0


def test_backoff_is_full_jitter_under_a_growing_cap():
    rng = random.Random(0)
    for attempt in range(1, 10):
        delay = backoff_delay(attempt, POLICY, rng)
        assert 0 <= delay <= min(POLICY.backoff_cap, POLICY.backoff_base * 2 ** (attempt - 1))


def test_a_429_without_retry_after_backs_off_from_the_throttled_base():
    rng = random.Random(0)
    throttled = [_decide(Mode.IDEMPOTENT, status=429, rng=rng).delay for _ in range(2000)]
    assert all(0 <= d <= POLICY.throttled_backoff_base for d in throttled)
    assert max(throttled) > POLICY.backoff_base  # the 1 s base, not the 0.5 s one
    transient = [backoff_delay(1, POLICY, rng) for _ in range(2000)]
    assert max(transient) <= POLICY.backoff_base


def _decide(mode, status=None, failure=None, retry_after=None, attempt=1, rng=None):
    return decide(
        mode=mode,
        status=status,
        failure=failure,
        retry_after=retry_after,
        attempt=attempt,
        policy=POLICY,
        rng=rng or random.Random(0),
    )


SENT = Failure(timeout=True, sent=True, reason="read timeout")
NOT_SENT = Failure(timeout=False, sent=False, reason="connection refused")
TLS = Failure(timeout=False, sent=False, reason="tls", tls=True)


@pytest.mark.parametrize("mode", list(Mode))
def test_429_with_retry_after_is_waited_out_for_every_call(mode):
    decision = _decide(mode, status=429, retry_after=2.0)
    assert decision.retry
    assert decision.delay == 2.0
    assert decision.rate_limited


@pytest.mark.parametrize("mode", list(Mode))
def test_429_beyond_the_cap_raises_at_once(mode):
    assert not _decide(mode, status=429, retry_after=3600.0).retry


@pytest.mark.parametrize("mode", list(Mode))
def test_never_sent_failures_are_retried_for_every_call(mode):
    assert _decide(mode, failure=NOT_SENT).retry


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_is_never_blindly_retried_after_an_ambiguous_failure(status):
    assert not _decide(Mode.CREATE, status=status).retry
    assert not _decide(Mode.CREATE, failure=SENT).retry
    assert _decide(Mode.IDEMPOTENT, status=status).retry
    assert _decide(Mode.DELETE, failure=SENT).retry


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(status):
    for mode in Mode:
        assert not _decide(mode, status=status).retry


def test_tls_failures_are_never_retried():
    assert not _decide(Mode.IDEMPOTENT, failure=TLS).retry


def test_attempts_are_bounded():
    assert not _decide(Mode.IDEMPOTENT, status=503, attempt=POLICY.read_attempts).retry
    assert not _decide(Mode.CREATE, status=429, retry_after=1.0, attempt=POLICY.write_attempts).retry


def test_the_retry_budget_takes_and_refunds_tokens_up_to_its_capacity():
    budget = RetryBudget(10)
    assert budget.try_spend(5) and budget.try_spend(5)
    assert not budget.try_spend(1) and budget.available == 0  # a refused retry takes nothing
    budget.refund()
    assert budget.available == 1 and budget.try_spend(1)
    for _ in range(50):
        budget.refund()
    assert budget.available == 10  # never above the capacity
    with pytest.raises(ValueError):
        RetryBudget(-1)


def test_the_retry_budget_is_shared_safely_between_threads():
    budget = RetryBudget(1000)
    granted: list[bool] = []

    def spend() -> None:
        granted.extend(budget.try_spend(3) for _ in range(200))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 1000 // 3 and budget.available == 1000 % 3


@pytest.mark.parametrize("options", [{"retry_budget": -1}, {"retry_cost": -1}, {"throttled_retry_cost": -5}])
def test_a_negative_budget_or_cost_is_a_config_error(options):
    with pytest.raises(ConfigError, match="budget"):
        RetryPolicy(**options)


def test_a_429_retry_costs_less_than_a_5xx_retry():
    clock_now = [0.0]
    with ArizeOrgs.sandbox(
        in_process=True,
        orgs=1,
        retry=RetryPolicy(retry_budget=10, retry_cost=5, throttled_retry_cost=1),
        sleep=lambda s: clock_now.__setitem__(0, clock_now[0] + s),
        clock=lambda: clock_now[0],
    ) as client:
        server = client.local_sandbox
        budget = client.transport.retry_budget
        assert budget is not None
        org_id = server.state.orgs()[0]["id"]
        server.faults.add(status=429, retry_after=1, method="GET", times=3)
        client.organizations.get(organization=org_id)
        assert budget.available == 10 - 3 + 1  # three 429 retries at 1 each, one success back
        server.faults.add(status=503, method="GET", times=1)
        client.organizations.get(organization=org_id)
        assert budget.available == 8 - 5 + 1
        server.faults.add(status=503, method="GET", times=2)
        with pytest.raises(ServerError) as info:
            client.organizations.get(organization=org_id)
        assert info.value.budget_spent and info.value.attempts == 1  # 4 tokens: not enough for a retry


def test_no_budget_means_every_call_gets_all_its_attempts():
    with ArizeOrgs.sandbox(
        in_process=True, orgs=1, retry=RetryPolicy(retry_budget=None), sleep=lambda s: None
    ) as client:
        server = client.local_sandbox
        assert client.transport.retry_budget is None
        server.set_knobs(error_share=1.0)
        org_id = server.state.orgs()[0]["id"]
        for _ in range(30):
            with pytest.raises(ServerError):
                client.organizations.get(organization=org_id)
        assert len(server.log) == 30 * 4


@pytest.mark.parametrize(
    ("method", "path", "needs"),
    [
        ("POST", "/v2/organizations", "account admin key"),
        ("PATCH", "/v2/organizations/T3Jn", "admin of that organization"),
        ("DELETE", "/v2/organizations/T3Jn", "admin of that organization"),
        ("POST", "/v2/organizations/T3Jn/users", "admin of that organization"),
        ("DELETE", "/v2/organizations/T3Jn/users/VXNl", "admin of that organization"),
        ("GET", "/v2/users", "USER_READ"),
        ("GET", "/v2/organizations", "account or organization admin"),
    ],
)
def test_a_403_names_the_least_privilege_the_call_needs(method, path, needs):
    error = PermissionDeniedError(status=403, method=method, path=path, detail="forbidden")
    assert needs in error.hint and needs in str(error)
    assert str(error).startswith(f"{method} {path} -> 403 Forbidden: forbidden")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
