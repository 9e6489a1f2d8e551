"""Real HTTP/1.1 (keep-alive) on a loopback address, one daemon thread per connection."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from arize_orgs_nb.sandbox.errors import PROBLEM_CONTENT_TYPE, problem_body
from arize_orgs_nb.sandbox.messages import Dispatched, Request

Dispatch = Callable[[Request, float | None], Dispatched]
MAX_BODY = 10 * 1024 * 1024


def is_loopback(host: str) -> bool:
    """Whether a host is ``localhost`` or a loopback address (an IPv4-mapped one included).

    Args:
        host: ``localhost`` or an IP address.

    Returns:
        ``True`` for a loopback host.
    """
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def check_loopback(host: str) -> None:
    """Refuse hosts that are not loopback addresses.

    Args:
        host: ``localhost`` or an IP address.

    Raises:
        ValueError: When the host is not loopback.
    """
    if not is_loopback(host):
        raise ValueError(
            f"the sandbox only binds loopback addresses (127.0.0.1, ::1, localhost), not {host!r}"
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "arize-orgs-sandbox"
    disable_nagle_algorithm = True  # answers go out at once
    wbufsize = 1 << 18  # headers and body leave in one write: one wake-up of the client
    _arrived: float | None = None

    def version_string(self) -> str:
        """Name the server without the Python version."""
        return self.server_version

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def parse_request(self) -> bool:
        """Note when the request line arrived (latency counts from there), then parse it."""
        self._arrived = self.server.clock()
        return super().parse_request()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the sandbox has its own request log."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer protocol-level errors (bad request line, unknown verb) as problem+json."""
        body = problem_body(code, message or explain or "malformed HTTP request", self.path or "/")
        self.close_connection = True
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", PROBLEM_CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        target = self.path
        if "://" in target.split("?", 1)[0]:  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        target = target.split("#", 1)[0]
        raw_path, _, query = target.partition("?")
        try:
            body = self._read_body()
        except ValueError:
            body = None
        if body is None:
            self.send_error(400, "unreadable or too large request body")
            return
        request = Request(
            method=self.command,
            raw_path=raw_path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            arrived=self._arrived,
            peer=str(self.client_address[0]),
        )
        outcome = self.server.dispatch(request, None)
        response = outcome.response
        if outcome.dropped or response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(response.status, response.reason)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status != 204:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD" and response.body:
                self.wfile.write(response.body)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. after its read timeout)
            self.close_connection = True

    do_GET = _serve  # noqa: N815
    do_POST = _serve  # noqa: N815
    do_PUT = _serve  # noqa: N815
    do_PATCH = _serve  # noqa: N815
    do_DELETE = _serve  # noqa: N815
    do_HEAD = _serve  # noqa: N815
    do_OPTIONS = _serve  # noqa: N815
    do_TRACE = _serve  # noqa: N815


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default (5) drops SYNs under a burst of clients

    def __init__(
        self, address: tuple[str, int], dispatch: Dispatch, family: int, clock: Callable[[], float]
    ) -> None:
        self.address_family = family
        self.dispatch = dispatch
        self.clock = clock
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup ``HTTPServer.server_bind`` does."""
        socketserver.TCPServer.server_bind(self)
        host = self.server_address[0]
        self.server_name = host.decode() if isinstance(host, bytes) else str(host)
        self.server_port = int(self.server_address[1])

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet about clients that disconnect abruptly."""


class SandboxServer:
    """A running HTTP server bound to a loopback address.

    Args:
        host: The loopback host.
        port: The port (0 for a free one).
        dispatch: The sandbox's dispatch function.
        clock: The sandbox's monotonic clock (when a request arrived).
    """

    def __init__(
        self, host: str, port: int, dispatch: Dispatch, clock: Callable[[], float] = time.monotonic
    ) -> None:
        check_loopback(host)
        bind = "127.0.0.1" if host == "localhost" else host
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self._httpd = _HTTPServer((bind, port), dispatch, family, clock)
        bound_host, bound_port = self._httpd.server_name, self._httpd.server_port
        shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
        self.url = f"http://{shown}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"arize-sandbox-http-{bound_port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close open keep-alive connections and release the port."""
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
