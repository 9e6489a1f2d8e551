import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arize_orgs_nb.config import RetryPolicy
from arize_orgs_nb.transport import Mode, _Failure, backoff_delay, decide, parse_retry_after

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


def _decide(mode, status=None, failure=None, retry_after=None, attempt=1):
    return decide(
        mode=mode,
        status=status,
        failure=failure,
        retry_after=retry_after,
        attempt=attempt,
        policy=POLICY,
        rng=random.Random(0),
    )


SENT = _Failure(timeout=True, sent=True, reason="read timeout")
NOT_SENT = _Failure(timeout=False, sent=False, reason="connection refused")
TLS = _Failure(timeout=False, sent=False, reason="tls", tls=True)


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
