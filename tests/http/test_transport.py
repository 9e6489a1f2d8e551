"""The transport on real sockets: one requests session, reused connections, and what was sent.

Whether a failed request may have reached the server decides whether a create is sent again or
reconciled by name, so every kind of failure is pinned here: over loopback sockets where one can
be made, and on the exception shapes requests and urllib3 raise where it cannot (a connect
timeout needs an unroutable network).
"""

from __future__ import annotations

import http.client
import random
import shutil
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from arize_orgs_nb import APIConnectionError, APITimeoutError, ArizeOrgs, RetryPolicy
from arize_orgs_nb.config import resolve_settings
from arize_orgs_nb.http.retry import Failure, Mode
from arize_orgs_nb.http.transport import Transport, TransportEvent, _failure
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock
from tests.reliability._support import free_port, http_client, port_of, self_signed, tls_server
from tests.reliability.fault_proxy import FaultProxy

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def transport_to(
    port: int, *, read: float = 5.0, attempts: int = 3
) -> tuple[Transport, list[TransportEvent]]:
    """A transport to ``http://127.0.0.1:<port>`` that never sleeps, and the events it reports."""
    policy = RetryPolicy(read_attempts=attempts, write_attempts=attempts, retry_budget=None)
    settings = resolve_settings(
        api_key="k",
        api_host=f"127.0.0.1:{port}",
        api_scheme="http",
        read_timeout=read,
        retry=policy,
        environ={},
    )
    clock = FakeClock()
    transport = Transport(settings, sleep=clock.sleep, clock=clock, rng=random.Random(0))
    events: list[TransportEvent] = []
    transport.add_listener(events.append)
    return transport, events


def failures(events: list[TransportEvent]) -> list[str]:
    return [e.reason for e in events if e.kind == "failure"]


class CannedServer:
    """Answers each connection's first request with the next canned answer, then closes it.

    An answer of ``None`` reads the request and never answers (the connection stays open until
    the server stops). ``accepted`` counts connections; ``closed`` is released after each close.
    """

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = answers
        self.accepted = 0
        self.closed = threading.Semaphore(0)
        self._silent: list[socket.socket] = []
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for answer in self.answers:
            conn = self._accept()
            if conn is None:
                return
            self.accepted += 1
            conn.settimeout(5)
            conn.recv(65536)
            if answer is None:
                self._silent.append(conn)
                continue
            with conn:
                conn.sendall(answer)
            self.closed.release()

    def _accept(self) -> socket.socket | None:
        while not self._stop.is_set():
            try:
                return self._listener.accept()[0]
            except TimeoutError:
                continue
        return None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self._silent:
            conn.close()
        self._listener.close()


@pytest.fixture
def canned() -> Iterator[list[CannedServer]]:
    servers: list[CannedServer] = []
    yield servers
    for server in servers:
        server.stop()


def test_twenty_calls_share_one_connection():
    with Sandbox(api_key="k", orgs=3) as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        with http_client(proxy.host, api_key="k") as client:
            for _ in range(20):
                assert len(client.organizations.list(limit=2).organizations) == 2
        assert proxy.stats["connections"] == 1  # the fault proxy counts the TCP connections it accepts
        assert server.log.count(method="GET") == 20


def test_one_pooled_adapter_is_mounted_with_no_retries_of_its_own():
    with ArizeOrgs(api_key="k", api_host="api.example.com", environ={}, journal=":memory:") as client:
        session = client.transport.session
        adapter = session.get_adapter("https://api.example.com/v2/organizations")
        assert adapter is session.get_adapter("http://127.0.0.1/") and isinstance(adapter, HTTPAdapter)
        assert adapter.max_retries.total == 0  # urllib3 never sends a request again by itself
        assert adapter.poolmanager.connection_pool_kw["maxsize"] == client.settings.pool_size >= 8
        assert session.trust_env is False  # an environ was given: the process environment is not read


def test_an_injected_session_keeps_the_adapters_it_mounted():
    session = requests.Session()
    stock_http = session.adapters["http://"]
    own = HTTPAdapter(pool_maxsize=1)

    class Custom(HTTPAdapter):
        pass

    custom = Custom()
    session.mount("https://", custom)
    session.mount("http://api.example.com", own)
    with ArizeOrgs(api_key="k", api_host="api.example.com", session=session, environ={}) as client:
        assert session.get_adapter("https://api.example.com/") is custom  # not requests' stock class
        assert session.get_adapter("http://api.example.com/") is own  # a longer prefix serves first
        replaced = session.adapters["http://"]
        assert replaced is not stock_http and replaced.max_retries.total == 0
        assert client.transport.session is session


def test_a_request_carries_the_sessions_headers_our_auth_and_no_session_cookie_or_auth():
    seen: list[requests.PreparedRequest] = []

    class Recording(HTTPAdapter):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(request)
            return super().send(request, **kwargs)

    session = requests.Session()
    session.headers["X-Team"] = "platform"
    session.auth = ("someone", "else")  # never sent: the key is set per request
    session.cookies.set("tracking", "1")
    with Sandbox(api_key="k", orgs=1) as server:
        session.mount("http://", Recording())
        settings = resolve_settings(
            api_key="k", api_host=f"127.0.0.1:{port_of(server)}", api_scheme="http", environ={}
        )
        transport = Transport(settings, session=session)
        transport.request("GET", "/v2/organizations", params={"limit": 1, "name": "a b"})
        transport.close()
    (request,) = seen
    assert request.url == f"{settings.base_url}/v2/organizations?limit=1&name=a%20b"
    assert request.headers["X-Team"] == "platform" and request.headers["User-Agent"] == "arize-orgs-nb"
    assert request.headers["Authorization"] == "Bearer k"
    assert "Cookie" not in request.headers


@pytest.mark.parametrize("given", [False, True])
def test_the_in_process_sandbox_is_mounted_on_the_clients_session(given):
    session = requests.Session() if given else None
    with ArizeOrgs.sandbox(in_process=True, orgs=2, session=session) as client:
        own = client.transport.session
        assert own is session if given else isinstance(own, requests.Session)
        assert type(own.get_adapter(client.base_url + "/v2/organizations")).__name__ == "SandboxAdapter"
        assert len(client.organizations.list().organizations) == 2
        assert len(client.local_sandbox.log) == 1  # answered in-process, nothing else sent


def test_a_body_is_sent_with_its_length():
    with Sandbox(api_key="k") as server, http_client(f"127.0.0.1:{port_of(server)}", api_key="k") as client:
        client.organizations.create(name="Via requests", description="d")
        (record,) = server.log.records()
        assert [o["name"] for o in server.state.orgs()] == ["Via requests"]
    assert record.headers["content-type"] == "application/json"
    assert int(record.headers["content-length"]) == len(b'{"name": "Via requests", "description": "d"}')
    assert "transfer-encoding" not in record.headers


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed(canned):
    server = CannedServer([OK, OK])  # keep-alive promised, then closed by the server
    canned.append(server)
    transport, events = transport_to(server.port, attempts=1)
    assert transport.request("GET", "/a") == {}
    assert server.closed.acquire(timeout=5)  # the server has closed that connection now
    assert transport.request("GET", "/b") == {}  # on a new connection, without a failed attempt
    assert failures(events) == [] and server.accepted == 2
    transport.close()


def test_a_refused_connection_is_surely_not_sent():
    transport, events = transport_to(free_port())
    with pytest.raises(APIConnectionError) as info:
        transport.request("POST", "/v2/organizations", body={"name": "x"}, mode=Mode.CREATE)
    assert info.value.attempts == 3  # a create is sent again only when nothing was sent
    assert info.value.ambiguous is False
    assert failures(events) == ["connection refused"] * 3


def test_a_read_timeout_may_have_been_applied_and_its_connection_is_not_reused(canned):
    server = CannedServer([None] * 4)  # reads each request and never answers
    canned.append(server)
    transport, events = transport_to(server.port, read=0.2)
    with pytest.raises(APITimeoutError) as info:
        transport.request("POST", "/v2/organizations", body={"name": "x"}, mode=Mode.CREATE)
    assert info.value.attempts == 1 and info.value.ambiguous  # reconciled by name, never resent
    with pytest.raises(APITimeoutError) as info:
        transport.request("GET", "/v2/organizations")
    assert info.value.attempts == 3  # a read is retried
    assert failures(events) == ["read timeout"] * 4
    assert server.accepted == 4  # each timed-out connection was closed, never handed out again
    transport.close()


def test_a_body_cut_short_is_an_error_never_a_short_answer(canned):
    cut = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial'
    server = CannedServer([cut, cut])
    canned.append(server)
    transport, events = transport_to(server.port, attempts=1)
    with pytest.raises(APIConnectionError, match="connection dropped") as info:
        transport.request("GET", "/v2/organizations")
    assert info.value.ambiguous
    with pytest.raises(APIConnectionError) as info:
        transport.request("POST", "/v2/organizations", body={"name": "x"}, mode=Mode.CREATE)
    assert info.value.ambiguous and info.value.attempts == 1
    assert all(reason.startswith("connection dropped") for reason in failures(events))
    transport.close()


# -- the exceptions requests raises, reduced to "sent?" ---------------------------------------------


U = urllib3.exceptions
R = requests.exceptions


def _wrapped(outer: type[requests.RequestException], inner: BaseException) -> requests.RequestException:
    """``outer`` around a ``MaxRetryError`` around ``inner``, as requests' adapter raises them."""
    return outer(U.MaxRetryError(None, "/v2/organizations", inner))  # type: ignore[arg-type]


def _refused() -> urllib3.exceptions.NewConnectionError:
    error = U.NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return error


def _dropped(reason: str) -> Failure:
    return Failure(timeout=False, sent=True, reason=f"connection dropped ({reason})")


CASES = {
    "refused": (_wrapped(R.ConnectionError, _refused()), Failure(False, False, "connection refused")),
    "dns": (
        _wrapped(R.ConnectionError, U.NameResolutionError("h", None, OSError())),  # type: ignore[arg-type]
        Failure(False, False, "cannot connect"),
    ),
    "connect-timeout": (
        _wrapped(R.ConnectTimeout, U.ConnectTimeoutError(None, "timed out")),
        Failure(True, False, "connect timeout"),
    ),
    "proxy-unreachable": (
        _wrapped(R.ProxyError, U.ProxyError("Unable to connect to proxy", _refused())),
        Failure(False, False, "cannot connect to the proxy"),
    ),
    "tls-verify": (
        _wrapped(R.SSLError, U.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))),
        Failure(False, False, "TLS verification failed", tls=True),
    ),
    "tls-other": (  # any other TLS error may come after the request was written
        _wrapped(R.SSLError, U.SSLError(ssl.SSLEOFError(8, "EOF"))),
        _dropped("SSLEOFError"),
    ),
    "read-timeout": (
        R.ReadTimeout(U.ReadTimeoutError(None, "/", "read timed out")),  # type: ignore[arg-type]
        Failure(True, True, "read timeout"),
    ),
    "body-read-timeout": (  # requests raises a read timeout inside the body as a ConnectionError
        R.ConnectionError(U.ReadTimeoutError(None, "/", "read timed out")),  # type: ignore[arg-type]
        Failure(True, True, "read timeout"),
    ),
    "remote-disconnected": (
        R.ConnectionError(U.ProtocolError("Connection aborted.", http.client.RemoteDisconnected("closed"))),
        _dropped("RemoteDisconnected"),
    ),
    "reset": (
        R.ConnectionError(U.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))),
        _dropped("ConnectionResetError"),
    ),
    "cut-body": (
        R.ChunkedEncodingError(U.ProtocolError("Connection broken", http.client.IncompleteRead(b"{", 99))),
        _dropped("IncompleteRead"),
    ),
    "bare-oserror": (OSError("Could not find a suitable TLS CA certificate bundle"), _dropped("OSError")),
}


@pytest.mark.parametrize("case", CASES)
def test_only_a_failure_to_connect_is_not_sent(case):
    exc, expected = CASES[case]
    assert _failure(exc) == expected


# -- the environment: proxies, NO_PROXY and CA bundles are requests' own ---------------------------

PROXIES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")
CLEARED = [
    *PROXIES,
    *(name.upper() for name in PROXIES),
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "ARIZE_SSL_CA_CERT",
    "ARIZE_PROXY_URL",
    "ARIZE_REQUEST_VERIFY",
    "ARIZE_API_KEY",
    "ARIZE_API_HOST",
    "ARIZE_API_SCHEME",
    "ARIZE_API_PORT",
    "ARIZE_REGION",
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy, CA bundle or ARIZE_* setting in the process environment but what a test sets."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _listing(host: str, environ: dict[str, str] | None) -> str:
    """``"ok"``, or the failure of one list call to ``http://<host>`` (never retried)."""
    client = ArizeOrgs(
        api_key="k",
        api_host=host,
        api_scheme="http",
        allow_insecure_http=True,
        environ=environ,
        journal=":memory:",
        retry=RetryPolicy(read_attempts=1),
    )
    with client:
        try:
            client.organizations.list()
        except APIConnectionError as exc:
            return str(exc).rsplit(": ", 1)[-1]
    return "ok"


DEAD = "{dead}"  # a proxy nobody listens for


@pytest.mark.parametrize(
    ("process", "environ", "loopback", "expected"),
    [
        ({"HTTP_PROXY": DEAD}, None, False, "cannot connect to the proxy"),
        ({"http_proxy": DEAD}, None, False, "cannot connect to the proxy"),
        ({"ALL_PROXY": DEAD}, None, False, "cannot connect to the proxy"),
        ({"HTTP_PROXY": DEAD, "NO_PROXY": "0.0.0.0"}, None, False, "ok"),
        ({"HTTP_PROXY": DEAD, "NO_PROXY": "example.com,0.0.0.0"}, None, False, "ok"),
        ({"HTTP_PROXY": DEAD}, {"HTTP_PROXY": DEAD}, False, "ok"),  # a mapping: the process is not read
        ({}, {"ARIZE_PROXY_URL": DEAD}, False, "cannot connect to the proxy"),
        ({"ARIZE_PROXY_URL": DEAD, "NO_PROXY": "0.0.0.0"}, None, False, "cannot connect to the proxy"),
        ({"HTTP_PROXY": DEAD}, None, True, "ok"),  # a server on this machine: never through a proxy
        ({"ARIZE_PROXY_URL": DEAD}, None, True, "ok"),
    ],
    ids=[
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "NO_PROXY",
        "NO_PROXY-list",
        "mapping-ignores-the-process",
        "ARIZE_PROXY_URL-in-a-mapping",
        "ARIZE_PROXY_URL-over-NO_PROXY",
        "loopback-HTTP_PROXY",
        "loopback-ARIZE_PROXY_URL",
    ],
)
def test_proxies_come_from_the_environment_as_requests_reads_it(
    clean_env, process, environ, loopback, expected
):
    dead = f"http://127.0.0.1:{free_port()}"
    for name, value in process.items():
        clean_env.setenv(name, value.format(dead=dead))
    environ = None if environ is None else {name: value.format(dead=dead) for name, value in environ.items()}
    with Sandbox(api_key="k", orgs=1) as server:
        port = port_of(server)
        # 0.0.0.0 reaches this machine's servers but is not a loopback name: proxies apply to it.
        host = f"127.0.0.1:{port}" if loopback else f"0.0.0.0:{port}"
        assert _listing(host, environ) == expected


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, str]]:
    """An HTTPS server on 127.0.0.1 answering ``{}`` with a certificate no public CA signed.

    Yields its port, its certificate (the CA bundle that verifies it) and another certificate.
    """
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(folder, "server")
    other, _ = self_signed(folder, "other")
    with tls_server(cert, key, OK.replace(b"OK\r\n", b"OK\r\nConnection: close\r\n")) as (port, _):
        yield port, cert, other


@pytest.mark.parametrize(
    ("process", "environ", "verified"),
    [
        ({"REQUESTS_CA_BUNDLE": "{cert}"}, None, True),
        ({"CURL_CA_BUNDLE": "{cert}"}, None, True),
        ({"REQUESTS_CA_BUNDLE": "{other}", "ARIZE_SSL_CA_CERT": "{cert}"}, None, True),  # ours wins
        ({}, {"ARIZE_SSL_CA_CERT": "{cert}"}, True),
        ({"REQUESTS_CA_BUNDLE": "{cert}"}, {"REQUESTS_CA_BUNDLE": "{cert}"}, False),  # a mapping: not read
        ({"REQUESTS_CA_BUNDLE": "{other}"}, None, False),
        ({}, None, False),  # the certifi bundle does not know it
    ],
    ids=[
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "ARIZE_SSL_CA_CERT-wins",
        "mapping-ARIZE",
        "mapping",
        "other",
        "none",
    ],
)
def test_ca_bundles_come_from_the_environment_and_ours_wins(clean_env, tls, process, environ, verified):
    port, cert, other = tls

    def filled(values: dict[str, str]) -> dict[str, str]:
        return {name: value.format(cert=cert, other=other) for name, value in values.items()}

    for name, value in filled(process).items():
        clean_env.setenv(name, value)
    clock = FakeClock()
    client = ArizeOrgs(
        api_key="k",
        api_host=f"127.0.0.1:{port}",
        environ=None if environ is None else filled(environ),
        journal=":memory:",
        sleep=clock.sleep,
        clock=clock,
    )
    with client:
        if verified:
            assert client.transport.request("GET", "/v2/organizations") == {}
        else:
            with pytest.raises(APIConnectionError, match="TLS verification failed") as info:
                client.transport.request("GET", "/v2/organizations")
            assert info.value.attempts == 1 and not info.value.ambiguous
