"""HTTP transport: auth, JSON, error mapping and the retry policy over one connection pool.

Layer: above ``models`` and ``connections``. This is the only module that touches ``requests`` and
urllib3 (an injected ``requests.Session``, or a proxy); our own calls go through
:mod:`arize_orgs_nb.http.connections`. It holds:

* the retry *decision* (:func:`decide`) and the retry *delay* (:func:`backoff_delay`,
  :func:`parse_retry_after`) as separate pure functions (DESIGN §7, RELIABILITY B0);
* one shared pause: after a 429, no request of this transport is sent until ``Retry-After`` has
  passed, whichever thread sent it (RELIABILITY C17);
* the mapping from status and problem+json to exception classes (via ``errors.error_for_status``).

Sleep, clock and jitter are injected, so tests never sleep.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import http.client
import json
import logging
import math
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import certifi
import requests
import requests.auth
import urllib3
import urllib3.exceptions
from pydantic import BaseModel, ValidationError

from arize_orgs_nb.config import RetryPolicy, Secret, Settings, split_base_url
from arize_orgs_nb.errors import (
    BUDGET_SPENT,
    APIConnectionError,
    ApiError,
    APITimeoutError,
    ProtocolError,
    TransportError,
    error_for_status,
)
from arize_orgs_nb.http.budget import RetryBudget
from arize_orgs_nb.http.connections import ConnectFailedError, ConnectionPool, RawReply, tls_context
from arize_orgs_nb.http.pacing import TokenBucket
from arize_orgs_nb.models import Problem

__all__ = [
    "BearerAuth",
    "Decision",
    "Mode",
    "Transport",
    "TransportEvent",
    "backoff_delay",
    "decide",
    "parse_model",
    "parse_retry_after",
    "path_segment",
]

logger = logging.getLogger("arize_orgs_nb.http.transport")

_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]*\+)?json\s*(;|$)", re.IGNORECASE)
_SNIPPET = 200


class Mode(enum.Enum):
    """How a call may be retried (DESIGN §7)."""

    IDEMPOTENT = "idempotent"
    """GET, PATCH, add_user (upsert): retried on 429, 5xx, timeouts and dropped connections."""
    DELETE = "delete"
    """As IDEMPOTENT; a 404 after an ambiguous attempt means the earlier attempt deleted it."""
    CREATE = "create"
    """POST create: retried only when the request surely was not applied (429, never sent).
    After an ambiguous failure the caller must reconcile by name, never resend blindly."""


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <key>``, set per request.

    An ``AuthBase`` (not a header dict) keeps ``~/.netrc`` from replacing the header (C6), and
    keeps the key out of the session's repr.
    """

    def __init__(self, key: Secret) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header to ``request``."""
        request.headers["Authorization"] = self.header_value()
        return request

    def header_value(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self._key.reveal()}"

    def __repr__(self) -> str:
        return "BearerAuth(********)"


@dataclass(frozen=True)
class TransportEvent:
    """Something that happened on the wire, for listeners (progress bars, call budgets, tests).

    Attributes:
        kind: ``"response"`` (an HTTP answer), ``"failure"`` (no answer) or ``"wait"`` (sleeping
            before a retry, or for the shared rate-limit pause).
        method: HTTP method.
        path: request path.
        status: HTTP status for responses, else 0.
        attempt: 1-based attempt number.
        seconds: request duration, or the wait length for ``"wait"``.
        reason: why we wait (``"rate-limited"``, ``"backoff"``, ``"paced"``: the client-side rate
            limit), or the failure text.
    """

    kind: str
    method: str
    path: str
    status: int = 0
    attempt: int = 1
    seconds: float = 0.0
    reason: str = ""


Listener = Callable[[TransportEvent], None]


_Model = TypeVar("_Model", bound=BaseModel)


def parse_model(model: type[_Model], data: object, what: str) -> _Model:
    """Validate a decoded 2xx body into a wire model.

    Raises:
        ProtocolError: the body does not match the contract (the first problem is named).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(f"the server sent a malformed {what}: {exc.errors()[0]['msg']}") from None


_BASE_HEADERS = {"Accept": "application/json", "User-Agent": "arize-orgs-nb"}


def _pool_manager(settings: Settings) -> urllib3.PoolManager:
    """Connections for our own requests: sized for concurrent bulk applies, TLS verified."""
    tls: dict[str, Any] = {}
    if settings.verify is False:
        tls["cert_reqs"] = "CERT_NONE"
    else:
        tls["cert_reqs"] = "CERT_REQUIRED"
        tls["ca_certs"] = settings.verify if isinstance(settings.verify, str) else certifi.where()
    if settings.proxy is not None:
        return urllib3.ProxyManager(settings.proxy.reveal(), num_pools=4, maxsize=settings.pool_size, **tls)
    return urllib3.PoolManager(num_pools=4, maxsize=settings.pool_size, **tls)


def path_segment(value: str) -> str:
    """Percent-encode one path segment with no safe characters (spec §1.4: ``=`` -> ``%3D``)."""
    return quote(value, safe="")


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Parse a ``Retry-After`` header leniently (RELIABILITY R2, R3, C5).

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
        seconds = float(text)
        return float(max(0, math.ceil(seconds)))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # asctime: no zone, but every HTTP-date is UTC (RFC 9110 5.6.7)
        when = when.replace(tzinfo=datetime.timezone.utc)
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


@dataclass(frozen=True)
class _Failure:
    """A request that got no HTTP answer, reduced to plain data (no requests objects)."""

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


def decide(
    *,
    mode: Mode,
    status: int | None,
    failure: _Failure | None,
    retry_after: float | None,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random,
) -> Decision:
    """The retry decision (RELIABILITY B0), as a pure function.

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
    if status is not None and status in (500, 502, 503, 504):
        if mode is Mode.CREATE:
            return Decision(retry=False)  # may have committed: reconcile, never resend blindly
        delay = retry_after if retry_after is not None and retry_after <= policy.retry_after_cap else None
        return Decision(retry=True, delay=delay if delay is not None else backoff_delay(attempt, policy, rng))
    return Decision(retry=False)


def _classify(exc: BaseException) -> _Failure:
    """Reduce a connection, urllib3 or requests exception to plain data: timeout? sent?"""
    if isinstance(exc, ConnectFailedError):  # our own pool: nothing was sent
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _Failure(timeout=False, sent=False, reason="TLS verification failed", tls=True)
        if isinstance(cause, ConnectionRefusedError):
            return _Failure(timeout=False, sent=False, reason="connection refused")
        if isinstance(cause, TimeoutError):
            return _Failure(timeout=True, sent=False, reason="connect timeout")
        return _Failure(timeout=False, sent=False, reason=f"cannot connect ({type(cause).__name__})")
    if isinstance(exc, TimeoutError):  # our own pool, after connecting
        return _Failure(timeout=True, sent=True, reason="read timeout")
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 10:
        chain.append(seen)
        nxt: BaseException | None = getattr(seen, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = nxt or seen.__cause__ or seen.__context__
    names = [type(e).__name__ for e in chain]

    def any_of(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if any_of(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return _Failure(timeout=False, sent=False, reason="TLS verification failed", tls=True)
    # NewConnectionError is a ConnectTimeoutError subclass in urllib3 2: test it first.
    if any_of(urllib3.exceptions.NewConnectionError, ConnectionRefusedError):
        return _Failure(timeout=False, sent=False, reason="connection refused")
    if any_of(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return _Failure(timeout=True, sent=False, reason="connect timeout")
    if any_of(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError):
        return _Failure(timeout=True, sent=True, reason="read timeout")
    detail = next((n for n in reversed(names) if n not in ("MaxRetryError",)), names[-1])
    return _Failure(timeout=False, sent=True, reason=f"connection dropped ({detail})")


_CUT_SHORT = _Failure(timeout=False, sent=True, reason="connection dropped (answer cut short)")


def _cut_short(response: RawReply) -> bool:
    """A 2xx other than 204 with no body and no framing: the connection closed inside the headers.

    ``http.client`` ends the header block silently at EOF, so an answer cut after its status line
    looks like a complete, empty success. Every such answer of this API carries a body (or a
    ``Content-Length``), so treat it as the dropped connection it is: retried, or reconciled for
    a create.
    """
    if not 200 <= response.status < 300 or response.status == 204 or response.content:
        return False
    headers = response.headers
    return headers.get("Content-Length") is None and "chunked" not in headers.get("Transfer-Encoding", "")


def _is_json(content_type: str) -> bool:
    return bool(_JSON_TYPE.match(content_type))


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:_SNIPPET] + ("…" if len(flat) > _SNIPPET else "")


class Transport:
    """Sends requests to the API with auth, timeouts, JSON, error mapping and retries.

    Args:
        settings: where and how to connect.
        session: a ``requests.Session`` to use (for example with the sandbox's in-process adapter
            mounted); a new one is made otherwise.
        sleep: the sleep function (injected in tests).
        clock: a monotonic clock (injected in tests).
        wall_clock: Unix time, for HTTP-date ``Retry-After`` values.
        rng: jitter source.

    Attributes:
        retry_budget: the retry budget shared by every call of this client (``None`` when the
            policy sets none).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()
        self._auth = BearerAuth(settings.api_key)
        self._timeout = urllib3.Timeout(connect=settings.connect_timeout, read=settings.read_timeout)
        self._pool: urllib3.PoolManager | None = None
        self._conns: ConnectionPool | None = None
        self._session = session
        if session is not None:
            # An injected session (an in-process adapter, a proxy setup, a test double) is used
            # as it is, through the full requests stack.
            session.auth = self._auth
            session.headers.update(_BASE_HEADERS)
        else:
            # Our own calls go over pooled http.client connections (urllib3 only behind a proxy):
            # the settings already resolved proxy and CA bundle from the environment the client
            # was given, and skipping requests' per-call preparation (environment, cookies, netrc)
            # and urllib3's pool manager saves about 1.4 ms of CPU per call, which is what drains
            # and bulk applies are made of.
            scheme, host, port = split_base_url(settings.base_url)
            if settings.proxy is None:
                self._conns = ConnectionPool(
                    scheme,
                    host,
                    port,
                    connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout,
                    tls=tls_context(settings.verify, certifi.where()) if scheme == "https" else None,
                    maxsize=settings.pool_size,
                )
            else:
                self._pool = _pool_manager(settings)
        budget = settings.retry.retry_budget
        self.retry_budget = RetryBudget(budget) if budget is not None else None
        limits = settings.rate_limit
        self._pacers = {
            write: TokenBucket(rate, limits.burst, clock) if rate is not None else None
            for write, rate in ((True, limits.writes_per_second), (False, limits.reads_per_second))
        }
        self._listeners: list[Listener] = []
        self._pause_lock = threading.Lock()
        self._pause_until = 0.0

    def __repr__(self) -> str:
        return f"Transport(base_url={self.settings.base_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a Transport holds an API key and a live session; it cannot be pickled")

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Register a callback for every :class:`TransportEvent`; returns a function to remove it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        """Close the session's connections."""
        if self._session is not None:
            self._session.close()
        if self._pool is not None:
            self._pool.clear()
        if self._conns is not None:
            self._conns.clear()

    def _emit(self, event: TransportEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _wait(self, seconds: float, *, method: str, path: str, attempt: int, reason: str) -> None:
        if seconds <= 0:
            return
        self._emit(TransportEvent("wait", method, path, attempt=attempt, seconds=seconds, reason=reason))
        self._sleep(seconds)

    def _honour_pause(self, method: str, path: str, attempt: int) -> float:
        with self._pause_lock:
            remaining = self._pause_until - self._clock()
        if remaining > 0:
            self._wait(remaining, method=method, path=path, attempt=attempt, reason="rate-limited")
            return remaining
        return 0.0

    def _pace(self, method: str, path: str, attempt: int) -> None:
        """Wait for this request's turn under the client-side rate limit, if one is set."""
        pacer = self._pacers[method != "GET"]
        if pacer is not None:
            self._wait(pacer.reserve(), method=method, path=path, attempt=attempt, reason="paced")

    def _pause_all(self, seconds: float) -> None:
        with self._pause_lock:
            self._pause_until = max(self._pause_until, self._clock() + seconds)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int | Sequence[str] | None] | None = None,
        body: Mapping[str, Any] | None = None,
        mode: Mode = Mode.IDEMPOTENT,
        on_sent: Callable[[], None] | None = None,
    ) -> Any:  # noqa: ANN401 - parsed JSON
        """Send one API call, retrying per the policy, and return the parsed JSON body.

        Args:
            method: HTTP method.
            path: path below the base URL, already percent-encoded (see :func:`path_segment`).
            params: query parameters; ``None`` values are left out.
            body: JSON body.
            mode: how the call may be retried.
            on_sent: called on this thread (it must not raise) once each attempt's request is
                written and its answer is awaited -- or, over a proxy or an injected session,
                which do not say when, just before the request is handed to them. Lets a
                caller start other work without delaying the request.

        Returns:
            The decoded JSON (a dict), or ``None`` for 204 and for a DELETE whose earlier,
            ambiguous attempt turned out to have succeeded.

        Raises:
            ApiError: an error status (the subclass for its status), after retries.
            TransportError: no answer, after retries; ``ambiguous`` tells whether it may have
                been applied.
            ProtocolError: an answer the contract does not allow.
        """
        policy = self.settings.retry
        query = {k: v for k, v in (params or {}).items() if v is not None}
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        attempt = 0
        waited = 0.0
        ambiguous = False
        while True:
            attempt += 1
            waited += self._honour_pause(method, path, attempt)
            self._pace(method, path, attempt)
            started = self._clock()
            failure: _Failure | None = None
            response: RawReply | None = None
            try:
                response = self._send(method, path, query, data, headers, on_sent)
            except (
                requests.RequestException,
                urllib3.exceptions.HTTPError,
                http.client.HTTPException,
                OSError,
            ) as exc:
                failure = _classify(exc)
            if response is not None and _cut_short(response):
                response, failure = None, _CUT_SHORT
            # From here on no exception of requests is in flight: whatever we raise below has no
            # __context__ holding request headers (RELIABILITY C7).
            elapsed = self._clock() - started
            if failure is not None:
                self._emit(
                    TransportEvent(
                        "failure",
                        method,
                        path,
                        attempt=attempt,
                        seconds=elapsed,
                        reason=failure.reason,
                    )
                )
                logger.debug("%s %s failed: %s (attempt %d)", method, path, failure.reason, attempt)
                decision = decide(
                    mode=mode,
                    status=None,
                    failure=failure,
                    retry_after=None,
                    attempt=attempt,
                    policy=policy,
                    rng=self._rng,
                )
                ambiguous = ambiguous or failure.sent
                retry, budget_spent = self._may_retry(decision, waited, method, path)
                if retry:
                    self._wait(decision.delay, method=method, path=path, attempt=attempt, reason="backoff")
                    waited += decision.delay
                    continue
                raise self._transport_error(
                    method, path, failure, attempt=attempt, ambiguous=ambiguous, budget_spent=budget_spent
                )

            assert response is not None  # noqa: S101 - narrowed for the type checker
            status = response.status
            self._emit(
                TransportEvent("response", method, path, status=status, attempt=attempt, seconds=elapsed)
            )
            logger.debug("%s %s -> %d (%.0f ms, attempt %d)", method, path, status, elapsed * 1000, attempt)
            if status < 300:
                if self.retry_budget is not None:
                    self.retry_budget.refund()
                return self._decode_success(response, method, path)
            if status < 400:
                raise ProtocolError(f"{method} {path} -> {status}: unexpected redirect (not followed)")
            if mode is Mode.DELETE and status == 404 and ambiguous:
                logger.info("%s %s -> 404 after an unanswered attempt: already deleted", method, path)
                return None
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._wall_clock())
            decision = decide(
                mode=mode,
                status=status,
                failure=None,
                retry_after=retry_after,
                attempt=attempt,
                policy=policy,
                rng=self._rng,
            )
            if status >= 500 and mode is not Mode.CREATE:
                ambiguous = True
            retry, budget_spent = self._may_retry(decision, waited, method, path)
            if retry:
                if decision.rate_limited:
                    self._pause_all(decision.delay)
                    logger.warning(
                        "rate limited on %s %s: waiting %.1f s before attempt %d of %d",
                        method,
                        path,
                        decision.delay,
                        attempt + 1,
                        policy.write_attempts if mode is Mode.CREATE else policy.read_attempts,
                    )
                    waited += self._honour_pause(method, path, attempt)
                else:
                    self._wait(decision.delay, method=method, path=path, attempt=attempt, reason="backoff")
                    waited += decision.delay
                continue
            raise self._api_error(
                response,
                method,
                path,
                attempt=attempt,
                retry_after=retry_after,
                ambiguous=ambiguous or (mode is Mode.CREATE and status >= 500),
                budget_spent=budget_spent,
            )

    def _may_retry(self, decision: Decision, waited: float, method: str, path: str) -> tuple[bool, bool]:
        """Whether to retry after ``decision``, and whether the retry budget is what refused it."""
        policy = self.settings.retry
        if not decision.retry or waited + decision.delay > policy.total_wait_cap:
            return False, False
        if self.retry_budget is None:
            return True, False
        cost = policy.throttled_retry_cost if decision.rate_limited else policy.retry_cost
        if self.retry_budget.try_spend(cost):
            return True, False
        logger.warning(
            "%s %s: not retried, the retry budget is spent (calls keep failing); it refills as calls succeed",
            method,
            path,
        )
        return False, True

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        data: bytes | None,
        headers: Mapping[str, str],
        on_sent: Callable[[], None] | None,
    ) -> RawReply:
        """One HTTP exchange: our own connections, urllib3 (via a proxy), or the injected session."""
        if self._session is not None:
            if on_sent is not None:  # requests does not say when the request is written
                on_sent()
            response = self._session.request(
                method,
                self.settings.base_url + path,
                params=query,
                data=data,
                headers=dict(headers),
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
                verify=self.settings.verify,
            )
            return RawReply(response.status_code, response.headers, response.content, response.reason)
        target = f"{path}?{urlencode(query, doseq=True, quote_via=quote)}" if query else path
        request_headers = {**_BASE_HEADERS, **headers, "Authorization": self._auth.header_value()}
        if self._conns is not None:
            return self._conns.request(method, target, body=data, headers=request_headers, on_sent=on_sent)
        if on_sent is not None:  # urllib3 does not say when the request is written
            on_sent()
        assert self._pool is not None  # noqa: S101 - no session and no own pool: behind a proxy
        reply = self._pool.urlopen(
            method,
            self.settings.base_url + target,
            body=data,
            headers=request_headers,
            retries=False,
            redirect=False,
            timeout=self._timeout,
            preload_content=True,
        )
        return RawReply(reply.status, reply.headers, reply.data, reply.reason)

    def _decode_success(self, response: RawReply, method: str, path: str) -> Any:  # noqa: ANN401
        if response.status == 204 or not response.content:
            return None
        content_type = response.headers.get("Content-Type", "")
        try:
            if content_type and not _is_json(content_type):
                raise ValueError(content_type)
            return json.loads(response.content)
        except (ValueError, RecursionError):
            text = response.content.decode("utf-8", errors="replace")
            raise ProtocolError(
                f"{method} {path} -> {response.status}: expected a JSON body, got "
                f"{content_type or 'no content type'}: {_snippet(text)!r}"
            ) from None

    def _api_error(
        self,
        response: RawReply,
        method: str,
        path: str,
        *,
        attempt: int,
        retry_after: float | None,
        ambiguous: bool,
        budget_spent: bool,
    ) -> ApiError:
        problem = Problem()
        text = response.content.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text) if text else None
            if isinstance(parsed, dict):
                problem = Problem.model_validate(parsed)
        except (ValueError, RecursionError):
            parsed = None
        detail = problem.detail
        if parsed is None and text.strip():
            detail = f"non-JSON error body: {_snippet(text)!r}"
        request_id = problem.request_id or response.headers.get("X-Request-Id")
        cls = error_for_status(response.status)
        title = problem.title or response.reason or None
        return cls(
            status=response.status,
            method=method,
            path=path,
            title=title,
            detail=detail,
            type=problem.type,
            instance=problem.instance,
            request_id=request_id,
            attempts=attempt,
            ambiguous=ambiguous,
            retry_after=retry_after,
            budget_spent=budget_spent,
        )

    def _transport_error(
        self,
        method: str,
        path: str,
        failure: _Failure,
        *,
        attempt: int,
        ambiguous: bool,
        budget_spent: bool,
    ) -> TransportError:
        host = self.settings.host
        if failure.tls:
            message = (
                f"{method} {path}: TLS verification failed for {host}. If you use a private CA, "
                "point ARIZE_SSL_CA_CERT (or REQUESTS_CA_BUNDLE) at its bundle."
            )
            return APIConnectionError(message, method=method, path=path, ambiguous=False, attempts=attempt)
        text = f"{method} {path}: cannot reach {host}: {failure.reason}"
        if attempt > 1:
            text += f" (after {attempt} attempts)"
        if ambiguous:
            text += "; the request may have been applied"
        if budget_spent:
            text += f"; {BUDGET_SPENT}"
        cls = APITimeoutError if failure.timeout else APIConnectionError
        return cls(text, method=method, path=path, ambiguous=ambiguous, attempts=attempt)
