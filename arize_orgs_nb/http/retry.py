"""The retry decision and the retry delay, as pure functions.

See docs/DESIGN.md, R6 and R10, and docs/RELIABILITY.md, B0.

Layer: above ``config`` (for :class:`~arize_orgs_nb.config.RetryPolicy`); no I/O, no clock, no
``requests``. The transport reduces every attempt to a status or a :class:`Failure` and asks
:func:`decide` what to do; the delay comes from ``Retry-After`` (:func:`parse_retry_after`) or
from full-jitter backoff (:func:`backoff_delay`), with the random source injected.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import math
import random
import re
from dataclasses import dataclass

from arize_orgs_nb.config import RetryPolicy

__all__ = ["Decision", "Failure", "Mode", "backoff_delay", "decide", "parse_retry_after"]

_RETRIED_STATUSES = (500, 502, 503, 504)


class Mode(enum.Enum):
    """How a call may be retried (see docs/DESIGN.md)."""

    IDEMPOTENT = "idempotent"
    """GET, PATCH, add_user (upsert): retried on 429, 5xx, timeouts and dropped connections."""
    DELETE = "delete"
    """As IDEMPOTENT; a 404 after an ambiguous attempt means the earlier attempt deleted it."""
    CREATE = "create"
    """POST create: retried only when the request surely was not applied (429, never sent).
    After an ambiguous failure the caller must reconcile by name, never resend blindly."""


@dataclass(frozen=True)
class Failure:
    """An attempt that got no HTTP answer, reduced to plain data.

    Attributes:
        timeout: the attempt timed out (connecting or waiting for the answer).
        sent: the request may have reached the server. ``False`` only when it surely did not
            (the connection could not be opened): a create is then sent again.
        reason: what happened, for messages (``"connection refused"``, ``"read timeout"``, ...).
        tls: the server's certificate was refused: retrying cannot help.
    """

    timeout: bool
    sent: bool
    reason: str
    tls: bool = False


@dataclass(frozen=True)
class Decision:
    """What to do after one attempt: ``retry`` with ``delay`` seconds, or stop."""

    retry: bool
    delay: float = 0.0
    rate_limited: bool = False


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Parse a ``Retry-After`` header leniently (docs/RELIABILITY.md, B1/R2, B1/R3, C5).

    Args:
        value: the raw header value.
        now: the current Unix time, for HTTP-date values.

    Returns:
        Seconds to wait (fractions rounded up, negatives and past dates as 0), or ``None`` when
        the header is missing or unreadable (the caller then backs off). Never raises.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return float(max(0, math.ceil(float(text))))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime: no zone, but every HTTP-date is UTC (RFC 9110 5.6.7)
        when = when.replace(tzinfo=datetime.UTC)
    return float(max(0, math.ceil(when.timestamp() - now)))


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random, *, throttled: bool = False) -> float:
    """Full-jitter exponential backoff: ``uniform(0, min(cap, base * 2**(attempt-1)))``.

    Args:
        attempt: the attempt that just failed (1-based).
        policy: the retry policy.
        rng: the random source (injected so tests are deterministic).
        throttled: the attempt got a 429 with no ``Retry-After``: the base is
            ``policy.throttled_backoff_base`` (a busy service needs longer than a blip).

    Returns:
        Seconds to sleep before the next attempt.
    """
    base = policy.throttled_backoff_base if throttled else policy.backoff_base
    ceiling = min(policy.backoff_cap, base * 2 ** max(0, attempt - 1))
    return rng.uniform(0, ceiling)


def decide(
    *,
    mode: Mode,
    status: int | None,
    failure: Failure | None,
    retry_after: float | None,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random,
) -> Decision:
    """The retry decision (docs/RELIABILITY.md, B0).

    Args:
        mode: how the call may be retried.
        status: the HTTP status of the attempt, or None when it got no answer.
        failure: the transport failure when there was no answer.
        retry_after: parsed ``Retry-After`` of the answer.
        attempt: the attempt that just finished (1-based).
        policy: the retry policy.
        rng: jitter source.

    Returns:
        Whether to retry, and after how long.
    """
    limit = policy.write_attempts if mode is Mode.CREATE else policy.read_attempts
    if attempt >= limit:
        return Decision(retry=False)
    if status == 429:
        if retry_after is None:
            backoff = backoff_delay(attempt, policy, rng, throttled=True)
            return Decision(retry=True, delay=backoff, rate_limited=True)
        if retry_after > policy.retry_after_cap:
            return Decision(retry=False)
        return Decision(retry=True, delay=retry_after, rate_limited=True)
    if failure is not None:
        if failure.tls:
            return Decision(retry=False)
        if mode is Mode.CREATE and failure.sent:
            return Decision(retry=False)  # ambiguous: the caller reconciles by name
        return Decision(retry=True, delay=backoff_delay(attempt, policy, rng))
    if status in _RETRIED_STATUSES:
        if mode is Mode.CREATE:
            return Decision(retry=False)  # may have committed: reconcile, never resend blindly
        delay = retry_after if retry_after is not None and retry_after <= policy.retry_after_cap else None
        return Decision(retry=True, delay=delay if delay is not None else backoff_delay(attempt, policy, rng))
    return Decision(retry=False)
