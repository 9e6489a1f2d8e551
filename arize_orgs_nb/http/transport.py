"""HTTP transport: one ``requests.Session`` with auth, JSON, error mapping and the retry policy.

Layer: above ``config``, ``models`` and ``http.retry``; the only module that touches ``requests``.
It holds:

* the client's session: a pooled ``HTTPAdapter`` with ``max_retries=0`` (every retry is the
  policy's), the API key set per request, redirects never followed;
* the reduction of a failed exchange to a :class:`~arize_orgs_nb.http.retry.Failure`
  (:func:`_failure`): above all, whether the request surely was not sent, which a create's
  reconciliation relies on (see docs/DESIGN.md);
* one shared pause: after a 429, no request of this transport is sent until ``Retry-After`` has
  passed, whichever thread sent it (docs/DESIGN.md, R13; docs/RELIABILITY.md, C17);
* the mapping from status and problem+json to exception classes (via ``errors.error_for_status``).

The decision to retry and its delay are the pure functions of :mod:`arize_orgs_nb.http.retry`.
Sleep, clock and jitter are injected, so tests never sleep.
"""

from __future__ import annotations

import json
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, cast
from urllib.parse import quote, urlencode

import requests
import requests.auth
import urllib3.exceptions
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from arize_orgs_nb.config import Secret, Settings
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
from arize_orgs_nb.http.pacing import AdaptiveRate, TokenBucket
from arize_orgs_nb.http.retry import Decision, Failure, Mode, decide, parse_retry_after
from arize_orgs_nb.models import Problem

__all__ = [
    "BearerAuth",
    "Transport",
    "TransportEvent",
    "parse_model",
    "path_segment",
]

logger = logging.getLogger("arize_orgs_nb.http.transport")

_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]*\+)?json\s*(;|$)", re.IGNORECASE)
_SNIPPET = 200
_BASE_HEADERS = {"Accept": "application/json", "User-Agent": "arize-orgs-nb"}
_JSON_BODY = {"Content-Type": "application/json"}
_POOLS = 4  # origins whose connections are kept: the API's, and room for a proxy


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <key>``, set per request.

    An ``AuthBase`` given with each request (not a header dict) keeps ``~/.netrc`` from replacing
    the header (docs/RELIABILITY.md, C6), and keeps the key out of the session's headers and repr.
    """

    def __init__(self, key: Secret) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header to ``request``."""
        request.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return request

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


def path_segment(value: str) -> str:
    """Percent-encode one path segment with no safe characters (docs/API.md: ``=`` -> ``%3D``)."""
    return quote(value, safe="")


def _query(params: Mapping[str, str | int | Sequence[str] | None] | None) -> str:
    """``?a=1&b=x%20y`` from the parameters that are not ``None`` (a sequence repeats its key)."""
    query = {k: v for k, v in (params or {}).items() if v is not None}
    return "?" + urlencode(query, doseq=True, quote_via=quote) if query else ""


def _prepared_base(base_url: str) -> str:
    """``base_url`` as requests would send it (an international host in IDNA), without a final ``/``."""
    request = requests.PreparedRequest()
    request.prepare_url(base_url, None)
    return (request.url or base_url).rstrip("/")


def _mount(session: requests.Session, pool_size: int) -> None:
    """Mount one pooled adapter for ``https://`` and ``http://``, unless the session has its own.

    ``max_retries=0``: urllib3 never sends anything again by itself. Only requests' stock
    ``HTTPAdapter`` is replaced; an adapter of any other class (the sandbox's, a test double) is
    left where it is, and so is every adapter mounted for a longer prefix (it serves its URLs
    first).
    """
    adapter = HTTPAdapter(pool_connections=_POOLS, pool_maxsize=pool_size, max_retries=0)
    for prefix in ("https://", "http://"):
        if type(session.adapters.get(prefix)) in (HTTPAdapter, type(None)):
            session.mount(prefix, adapter)


def _proxies(settings: Settings) -> dict[str, str | None]:
    """The proxies every request starts from; empty leaves them to requests (the environment).

    ``ARIZE_PROXY_URL`` when set; no proxy at all for a server on this machine, whatever the
    environment says (requests adds no environment proxy for a scheme given ``None``). Copied
    for each request: requests adds the environment's proxies to the dict it is given.
    """
    if settings.proxy is not None:
        return dict.fromkeys(("https", "http"), settings.proxy.reveal())
    return dict.fromkeys(("https", "http", "all")) if settings.is_loopback else {}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: requests and urllib3 keep the cause in ``reason`` or ``args``."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return
        yield seen
        inner = getattr(seen, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in seen.args if isinstance(a, BaseException)), None)
        seen = inner or seen.__cause__ or seen.__context__


def _failure(exc: BaseException) -> Failure:
    """Reduce a failed exchange to plain data: did it time out, and was it surely not sent?

    Only a failure to *connect* is "not sent": urllib3 raises ``NewConnectionError`` (refused,
    unresolvable host), ``ConnectTimeoutError`` and ``ProxyError`` (the proxy unreachable) before
    a byte of the request is written, and a certificate is refused in the TLS handshake. Anything
    else -- a read timeout, a reset, a body cut short, any other TLS error -- may come after the
    server got the request.
    """
    causes = list(_causes(exc))

    def has(kind: type[BaseException]) -> bool:
        return any(isinstance(cause, kind) for cause in causes)

    if has(ssl.SSLCertVerificationError):
        return Failure(timeout=False, sent=False, reason="TLS verification failed", tls=True)
    if has(urllib3.exceptions.ProxyError):
        return Failure(timeout=False, sent=False, reason="cannot connect to the proxy")
    if has(urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError subclass: tested first
        reason = "connection refused" if has(ConnectionRefusedError) else "cannot connect"
        return Failure(timeout=False, sent=False, reason=reason)
    if has(urllib3.exceptions.ConnectTimeoutError) or has(requests.exceptions.ConnectTimeout):
        return Failure(timeout=True, sent=False, reason="connect timeout")
    if has(requests.exceptions.Timeout) or has(urllib3.exceptions.ReadTimeoutError):
        return Failure(timeout=True, sent=True, reason="read timeout")
    return Failure(timeout=False, sent=True, reason=f"connection dropped ({type(causes[-1]).__name__})")


_CUT_SHORT = Failure(timeout=False, sent=True, reason="connection dropped (answer cut short)")


def _cut_short(response: requests.Response) -> bool:
    """A 2xx other than 204 with no body and no framing: the connection closed inside the headers.

    ``http.client`` ends the header block silently at EOF, so an answer cut after its status line
    looks like a complete, empty success. Every such answer of this API carries a body (or a
    ``Content-Length``), so treat it as the dropped connection it is: retried, or reconciled for
    a create.
    """
    status = response.status_code
    if not 200 <= status < 300 or status == 204 or response.content:
        return False
    headers = response.headers
    return headers.get("Content-Length") is None and "chunked" not in headers.get("Transfer-Encoding", "")


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:_SNIPPET] + ("…" if len(flat) > _SNIPPET else "")


@dataclass
class _Call:
    """One call across its attempts: how far it got, how long it waited, whether it may have landed."""

    method: str
    path: str
    mode: Mode
    attempt: int = 0
    waited: float = 0.0
    ambiguous: bool = False


Answer = requests.Response | Failure
"""What one attempt got: an HTTP answer, or none."""


class Transport:
    """Sends requests to the API with auth, timeouts, JSON, error mapping and retries.

    Args:
        settings: where and how to connect.
        session: a ``requests.Session`` to send through (for example with an adapter of your
            own mounted); a new one is made otherwise. Either way a pooled ``HTTPAdapter`` is
            mounted for ``https://`` and ``http://`` unless the session has its own there.
        sleep: the sleep function (injected in tests).
        clock: a monotonic clock (injected in tests).
        wall_clock: Unix time, for HTTP-date ``Retry-After`` values.
        rng: jitter source.

    Attributes:
        session: the ``requests.Session`` every request goes through.
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
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self._base_url = _prepared_base(settings.base_url)
        self._proxies = _proxies(settings)
        self.session = session if session is not None else requests.Session()
        if session is None:  # proxies and CA bundles from the process environment, if it is the client's
            self.session.trust_env = settings.trust_env
        self.session.headers.update(_BASE_HEADERS)
        _mount(self.session, settings.pool_size)
        budget = settings.retry.retry_budget
        self.retry_budget = RetryBudget(budget) if budget is not None else None
        limits = settings.rate_limit
        self._pacers = {
            write: TokenBucket(rate, limits.burst, clock) if rate is not None else None
            for write, rate in ((True, limits.writes_per_second), (False, limits.reads_per_second))
        }
        pacing = settings.pacing
        self._adaptive = {
            write: AdaptiveRate(**asdict(pacing), clock=clock) if pacing is not None else None
            for write in (True, False)
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
        self.session.close()

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
        """Wait for this request's turn under the fixed rate limit and the rate learnt from 429s."""
        write = method != "GET"
        for pacer in (self._pacers[write], self._adaptive[write]):
            if pacer is not None:
                self._wait(pacer.reserve(), method=method, path=path, attempt=attempt, reason="paced")

    def _learn(self, method: str, sent: float, answer: Answer) -> None:
        """Tell the learnt rate of this kind of request how the service answered one sent at ``sent``."""
        adaptive = self._adaptive[method != "GET"]
        if adaptive is not None and not isinstance(answer, Failure):
            adaptive.answered(sent, throttled=answer.status_code == 429)

    def known_rate(self, *, write: bool) -> tuple[float, str] | None:
        """The rate this client sends a kind of request at, when it knows one, and where it comes from.

        Args:
            write: POST, PATCH and DELETE (else GET).

        Returns:
            ``(requests per second, "configured")`` for a ``RateLimit``, ``(..., "learnt")`` for the
            rate the service allowed before its last 429 (the lower of the two when both are
            known), or ``None`` when this client knows no limit for that kind.
        """
        known: list[tuple[float, str]] = []
        pacer, adaptive = self._pacers[write], self._adaptive[write]
        if pacer is not None:
            known.append((pacer.rate, "configured"))
        learnt = adaptive.limit if adaptive is not None else None
        if learnt is not None:
            known.append((learnt, "learnt"))
        return min(known) if known else None

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
    ) -> Any:  # noqa: ANN401 - parsed JSON
        """Send one API call, retrying per the policy, and return the parsed JSON body.

        Args:
            method: HTTP method.
            path: path below the base URL, already percent-encoded (see :func:`path_segment`).
            params: query parameters; ``None`` values are left out.
            body: JSON body.
            mode: how the call may be retried.

        Returns:
            The decoded JSON (a dict), or ``None`` for 204 and for a DELETE whose earlier,
            ambiguous attempt turned out to have succeeded.

        Raises:
            ApiError: an error status (the subclass for its status), after retries.
            TransportError: no answer, after retries; ``ambiguous`` tells whether it may have
                been applied.
            ProtocolError: an answer the contract does not allow.
        """
        url = self._base_url + path + _query(params)
        data = json.dumps(body).encode() if body is not None else None
        call = _Call(method, path, mode)
        failure: Failure | None
        status: int | None
        retry_after: float | None
        while True:
            call.attempt += 1
            self._pace(method, path, call.attempt)  # then the pause: a 429 may come while it waits
            call.waited += self._honour_pause(method, path, call.attempt)
            sent = self._clock()
            answer = self._attempt(call, url, data)
            self._learn(method, sent, answer)
            if isinstance(answer, Failure):
                failure, status, retry_after = answer, None, None
                call.ambiguous = call.ambiguous or answer.sent
            else:
                if answer.status_code < 400:
                    return self._success(answer, method, path)
                if mode is Mode.DELETE and answer.status_code == 404 and call.ambiguous:
                    logger.info("%s %s -> 404 after an unanswered attempt: already deleted", method, path)
                    return None
                failure, status = None, answer.status_code
                retry_after = parse_retry_after(answer.headers.get("Retry-After"), now=self._wall_clock())
                call.ambiguous = call.ambiguous or status >= 500
            decision = decide(
                mode=mode,
                status=status,
                failure=failure,
                retry_after=retry_after,
                attempt=call.attempt,
                policy=self.settings.retry,
                rng=self._rng,
            )
            retry, budget_spent = self._may_retry(decision, call)
            if not retry:
                if isinstance(answer, Failure):
                    raise self._transport_error(call, answer, budget_spent=budget_spent)
                raise self._api_error(call, answer, retry_after=retry_after, budget_spent=budget_spent)
            call.waited += self._before_retry(decision, call)

    def _attempt(self, call: _Call, url: str, data: bytes | None) -> Answer:
        """One exchange, reported to the listeners (and the debug log); a failure comes back as data."""
        method, path, attempt = call.method, call.path, call.attempt
        started = self._clock()
        answer: Answer
        try:
            response = self._send(method, url, data)
        except (requests.RequestException, OSError) as exc:  # OSError: a CA bundle path that is missing
            answer = _failure(exc)
        else:
            answer = _CUT_SHORT if _cut_short(response) else response
        # From here on no exception of requests is in flight: whatever the caller raises has no
        # __context__ holding request headers (docs/DESIGN.md, R28; docs/RELIABILITY.md, C7).
        seconds = self._clock() - started
        if isinstance(answer, Failure):
            event = TransportEvent(
                "failure", method, path, attempt=attempt, seconds=seconds, reason=answer.reason
            )
            logger.debug("%s %s failed: %s (attempt %d)", method, path, answer.reason, attempt)
        else:
            status = answer.status_code
            event = TransportEvent("response", method, path, status=status, attempt=attempt, seconds=seconds)
            logger.debug("%s %s -> %d (%.0f ms, attempt %d)", method, path, status, seconds * 1000, attempt)
        self._emit(event)
        return answer

    def _send(self, method: str, url: str, data: bytes | None) -> requests.Response:
        """One HTTP exchange through the session's adapter (the one place a request leaves the client).

        What ``Session.request`` would do, less what this API never uses: the request is built
        directly (the URL is already encoded, from a base URL that requests prepared once), the
        session's headers and our auth are applied, proxies and CA bundle come from requests' own
        environment handling (``merge_environment_settings``), and the adapter mounted for the URL
        sends it; the body is read in full. Cookies, session hooks, session params and redirects
        are not used: the API sets no cookie, and redirects are refused anyway.
        """
        session = self.session
        request = requests.PreparedRequest()
        request.method = method
        request.url = url
        request.headers = CaseInsensitiveDict(cast("Mapping[str, str]", session.headers))
        request.body = data
        request.hooks = {"response": []}
        if data is not None:
            request.headers.update(_JSON_BODY)
            request.headers["Content-Length"] = str(len(data))
        self._auth(request)
        proxies = dict(self._proxies)  # None values: no proxy for that scheme (requests' stubs omit it)
        env = session.merge_environment_settings(url, proxies, False, self.settings.verify, None)  # type: ignore[arg-type]
        response = session.get_adapter(url).send(
            request,
            stream=False,
            timeout=self._timeout,
            verify=True if env["verify"] is None else env["verify"],
            cert=env["cert"],
            proxies=env["proxies"],
        )
        response.content  # noqa: B018 - read it all: the connection goes back to the pool
        return response

    def _may_retry(self, decision: Decision, call: _Call) -> tuple[bool, bool]:
        """Whether to retry after ``decision``, and whether the retry budget is what refused it."""
        policy = self.settings.retry
        if not decision.retry or call.waited + decision.delay > policy.total_wait_cap:
            return False, False
        if self.retry_budget is None:
            return True, False
        cost = policy.throttled_retry_cost if decision.rate_limited else policy.retry_cost
        if self.retry_budget.try_spend(cost):
            return True, False
        logger.warning(
            "%s %s: not retried, the retry budget is spent (calls keep failing); it refills as calls succeed",
            call.method,
            call.path,
        )
        return False, True

    def _before_retry(self, decision: Decision, call: _Call) -> float:
        """Sleep before the next attempt (a backoff, or the pause shared after a 429); the seconds."""
        method, path, attempt = call.method, call.path, call.attempt
        if not decision.rate_limited:
            self._wait(decision.delay, method=method, path=path, attempt=attempt, reason="backoff")
            return decision.delay
        self._pause_all(decision.delay)
        policy = self.settings.retry
        logger.warning(
            "rate limited on %s %s: waiting %.1f s before attempt %d of %d",
            method,
            path,
            decision.delay,
            attempt + 1,
            policy.write_attempts if call.mode is Mode.CREATE else policy.read_attempts,
        )
        return self._honour_pause(method, path, attempt)

    def _success(self, response: requests.Response, method: str, path: str) -> Any:  # noqa: ANN401
        """The decoded body of a 2xx; a 3xx is refused (redirects are never followed)."""
        status = response.status_code
        if status >= 300:
            raise ProtocolError(f"{method} {path} -> {status}: unexpected redirect (not followed)")
        if self.retry_budget is not None:
            self.retry_budget.refund()
        if status == 204 or not response.content:
            return None
        content_type = response.headers.get("Content-Type", "")
        try:
            if content_type and not _JSON_TYPE.match(content_type):
                raise ValueError(content_type)
            return json.loads(response.content)
        except (ValueError, RecursionError):
            text = response.content.decode("utf-8", errors="replace")
            raise ProtocolError(
                f"{method} {path} -> {status}: expected a JSON body, got "
                f"{content_type or 'no content type'}: {_snippet(text)!r}"
            ) from None

    def _api_error(
        self, call: _Call, response: requests.Response, *, retry_after: float | None, budget_spent: bool
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
        cls = error_for_status(response.status_code)
        return cls(
            status=response.status_code,
            method=call.method,
            path=call.path,
            title=problem.title or response.reason or None,
            detail=detail,
            type=problem.type,
            instance=problem.instance,
            request_id=request_id,
            attempts=call.attempt,
            ambiguous=call.ambiguous,
            retry_after=retry_after,
            budget_spent=budget_spent,
        )

    def _transport_error(self, call: _Call, failure: Failure, *, budget_spent: bool) -> TransportError:
        method, path, host, attempts = call.method, call.path, self.settings.host, call.attempt
        if failure.tls:
            message = (
                f"{method} {path}: TLS verification failed for {host}. If you use a private CA, "
                "point ARIZE_SSL_CA_CERT (or REQUESTS_CA_BUNDLE) at its bundle."
            )
            return APIConnectionError(message, method=method, path=path, ambiguous=False, attempts=attempts)
        text = f"{method} {path}: cannot reach {host}: {failure.reason}"
        if attempts > 1:
            text += f" (after {attempts} attempts)"
        if call.ambiguous:
            text += "; the request may have been applied"
        if budget_spent:
            text += f"; {BUDGET_SPENT}"
        cls = APITimeoutError if failure.timeout else APIConnectionError
        return cls(text, method=method, path=path, ambiguous=call.ambiguous, attempts=attempts)
