"""Keep-alive HTTP/1.1 connections to the API origin, on the standard library's ``http.client``.

Layer: below ``transport`` (which owns retries, errors and JSON); no project imports. The
transport sends its own calls here when no proxy is configured: a call is then one
``http.client`` exchange on a pooled connection, about 0.4 ms of CPU less than the same call
through urllib3's pool manager, which is what drains (pages x round-trip) and bulk applies
(8 threads sharing one interpreter lock) are made of. Proxies, and any injected
``requests.Session``, still go through urllib3 / requests.

What a failure means is kept exact, because the transport decides on it whether a write may be
sent again: anything that fails while *connecting* (refused, connect timeout, TLS handshake) is
raised as :class:`ConnectFailedError` -- the request was surely not sent; anything later may have
reached the server.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import NamedTuple, cast

__all__ = ["ConnectFailedError", "ConnectionPool", "RawReply", "tls_context"]

_FRESH = 1.0  # seconds: an idle connection younger than this is reused without a liveness check


class ConnectFailedError(OSError):
    """No connection could be opened: the request was not sent. ``__cause__`` says why."""


class RawReply(NamedTuple):
    """A whole HTTP answer: status, headers (case-insensitive ``get``), body, reason.

    What the transport reads of any answer, whichever stack (ours, urllib3, requests) fetched it.
    """

    status: int
    headers: Mapping[str, str]
    content: bytes
    reason: str | None


def tls_context(verify: bool | str, ca_default: str) -> ssl.SSLContext:
    """The TLS context of our connections: TLS 1.2 or newer, verified unless told otherwise.

    Args:
        verify: ``True`` (verify against ``ca_default``), ``False`` (no verification: only for
            a test server you control), or the path of a CA bundle.
        ca_default: the CA bundle used when ``verify`` is ``True``.

    Returns:
        The context.
    """
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else ca_default)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _close_all(connections: list[tuple[http.client.HTTPConnection, float]]) -> None:
    while connections:
        connections.pop()[0].close()


def _dropped(sock: socket.socket | None) -> bool:
    """True when an idle keep-alive socket was closed by the server (readable means EOF or junk)."""
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class ConnectionPool:
    """Keep-alive connections to one ``scheme://host:port``, safe to share between threads.

    Args:
        scheme: ``"http"`` or ``"https"``.
        host: host name or IP literal (IPv6 with or without brackets).
        port: TCP port.
        connect_timeout: seconds to open a connection (and finish the TLS handshake).
        read_timeout: seconds to wait for each read of an answer.
        tls: the TLS context for ``https``.
        maxsize: idle connections kept; more may be open at once, the extra ones are closed.
    """

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        *,
        connect_timeout: float,
        read_timeout: float,
        tls: ssl.SSLContext | None = None,
        maxsize: int = 16,
    ) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported scheme {scheme!r}")
        self._scheme = scheme
        self._host = host.strip("[]")
        self._port = port
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._tls = tls if tls is not None or scheme == "http" else ssl.create_default_context()
        self._maxsize = maxsize
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []  # with when last used
        self._clock = time.monotonic
        self._lock = threading.Lock()
        # A client dropped without close() still closes its sockets when collected.
        weakref.finalize(self, _close_all, self._idle)

    def __repr__(self) -> str:
        return f"<ConnectionPool {self._scheme}://{self._host}:{self._port}, {len(self._idle)} idle>"

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | None,
        headers: Mapping[str, str],
        on_sent: Callable[[], None] | None = None,
    ) -> RawReply:
        """Send one request and read the whole answer.

        Args:
            method: HTTP method.
            target: path and query, already encoded.
            body: request body, if any (``Content-Length`` is set from it).
            headers: request headers (``Host`` is added).
            on_sent: called (on this thread, and must not raise) once the request is written,
                before the answer is awaited: the moment to start other work.

        Returns:
            The answer.

        Raises:
            ConnectFailedError: no connection could be opened (nothing was sent).
            OSError: the connection failed later (``TimeoutError`` for a read timeout); the
                request may have been received.
            http.client.HTTPException: the answer was malformed or cut short.
        """
        conn = self._checkout()
        try:
            conn.request(method, target, body=body, headers=dict(headers))
            if on_sent is not None:
                on_sent()
            response = conn.getresponse()
            content = response.read()
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._checkin(conn)
        # HTTPMessage: a case-insensitive mapping of the header lines (get, [], in, items).
        headers = cast("Mapping[str, str]", response.headers)
        return RawReply(response.status, headers, content, response.reason)

    def clear(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle = list(self._idle)
            self._idle.clear()
        _close_all(idle)

    def _checkout(self) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                conn, used = self._idle.pop() if self._idle else (None, 0.0)
            if conn is None:
                return self._connect()
            # Checking costs a syscall that also hands the interpreter lock to other threads;
            # a connection used within the last second cannot have hit any server's idle
            # timeout (load balancers use tens of seconds). A close racing the request is a
            # dropped connection either way: retried, or reconciled for a create.
            if self._clock() - used < _FRESH or not _dropped(conn.sock):
                return conn
            conn.close()

    def _checkin(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._maxsize:
                self._idle.append((conn, self._clock()))
                return
        conn.close()

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._connect_timeout, context=self._tls
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._connect_timeout)
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            raise ConnectFailedError(f"cannot connect to {self._host}:{self._port}: {exc}") from exc
        assert conn.sock is not None  # noqa: S101 - connect() succeeded
        # http.client writes headers and body separately: without this, Nagle's algorithm holds
        # the body back until the headers are acknowledged (a delayed ACK: up to 40 ms).
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock.settimeout(self._read_timeout)
        return conn
