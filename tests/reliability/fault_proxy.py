"""A small threaded TCP fault proxy on 127.0.0.1, in the spirit of Toxiproxy.

See docs/RELIABILITY.md, A14 and #fault-injection.

It sits between a client and the sandbox and, per HTTP request, applies one "toxic":

* ``latency``     hold the answer back for ``ms`` (the request is processed on time);
* ``timeout``     never answer; with ``phase="after"`` the request reaches the server (it commits),
  with ``phase="before"`` it does not. The connection is closed after ``ms`` (or when the client
  gives up);
* ``reset_peer``  answer with a TCP reset; ``phase="before"``: nothing was forwarded,
  ``phase="after"``: the server processed the request, the reset replaces its answer;
* ``limit_data``  forward only the first ``nbytes`` of the answer, then close (a body cut short);
* ``slicer``      forward the answer in ``nbytes`` slices, ``ms`` apart (complete, just slow);
* ``slow_close``  forward the answer, then keep the connection for ``ms`` before closing it.

``down(seconds)`` stops listening for a while: new connections are *refused* (``ECONNREFUSED``),
open ones are reset. Everything is bounded: at most ``max_connections`` accepted, a hard
``max_seconds`` lifetime after which the proxy stops by itself, socket timeouts everywhere and
daemon threads joined on :meth:`FaultProxy.stop`. It only ever binds and connects to loopback.

Request boundaries: the client speaks HTTP/1.1 without pipelining, so client bytes arriving after
answer bytes went back start a new request. The request line is parsed to match toxics by method
and path prefix.
"""

from __future__ import annotations

import contextlib
import ipaddress
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from types import TracebackType

__all__ = ["KINDS", "FaultProxy", "Toxic"]

KINDS = ("latency", "timeout", "reset_peer", "limit_data", "slicer", "slow_close")
_CHUNK = 65536
_IO_TIMEOUT = 5.0


@dataclass
class Toxic:
    """One fault for the next ``times`` matching requests.

    Attributes:
        kind: one of :data:`KINDS`.
        ms: delay in milliseconds (latency, timeout hold, slicer gap, slow_close hold).
        nbytes: bytes forwarded (limit_data) or slice size (slicer).
        phase: ``"before"`` or ``"after"`` the server sees the request (timeout, reset_peer).
        method: only requests with this verb (None: any).
        path: only requests whose path starts with this (None: any).
        times: how many requests it applies to.
    """

    kind: str
    ms: float = 0.0
    nbytes: int = 0
    phase: str = "after"
    method: str | None = None
    path: str | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown toxic {self.kind!r}")
        if self.phase not in ("before", "after"):
            raise ValueError("phase must be 'before' or 'after'")
        if self.times < 1 or self.ms < 0 or self.nbytes < 0:
            raise ValueError("times must be >= 1; ms and nbytes must not be negative")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or path.startswith(self.path)


def _check_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the fault proxy only talks to loopback, not {host!r}")


def _request_line(data: bytes) -> tuple[str, str]:
    line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = line.split(" ")
    if len(parts) < 2:
        return "", ""
    return parts[0].upper(), parts[1].split("?", 1)[0]


def _close_listener(sock: socket.socket) -> None:
    """Stop listening now: shutdown wakes a thread blocked in accept (close alone would wait for it)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """A loopback TCP proxy with per-request toxics. Use as a context manager.

    Args:
        upstream: ``(host, port)`` of the server (loopback only).
        max_connections: connections accepted in total; later ones are refused.
        max_seconds: the proxy stops by itself after this long.
    """

    def __init__(
        self, upstream: tuple[str, int], *, max_connections: int = 2000, max_seconds: float = 120.0
    ) -> None:
        _check_loopback(upstream[0])
        self.upstream = upstream
        self.max_connections = max_connections
        self.max_seconds = max_seconds
        self.stats: Counter[str] = Counter()
        self._toxics: list[Toxic] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._down_until = 0.0
        self._threads: list[threading.Thread] = []
        self._clients: set[socket.socket] = set()
        self._started = 0.0
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Bind a free port on 127.0.0.1 and start accepting."""
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._started = time.monotonic()
        self._spawn(self._accept_loop, "fault-proxy-accept")
        return self

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, as ``ArizeOrgs(api_host=...)`` takes it."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop accepting, reset open connections and join every thread (bounded)."""
        self.stop_from_inside()
        deadline = time.monotonic() + 5.0
        for thread in list(self._threads):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control ---------------------------------------------------------------------------

    def add(self, kind: str, **options: object) -> Toxic:
        """Arm a toxic for the next matching request(s); see :class:`Toxic`."""
        toxic = Toxic(kind, **options)  # type: ignore[arg-type]
        with self._lock:
            self._toxics.append(toxic)
        return toxic

    def clear(self) -> None:
        """Disarm every toxic."""
        with self._lock:
            self._toxics.clear()

    def pending(self) -> int:
        """Toxics still armed."""
        with self._lock:
            return len(self._toxics)

    def down(self, seconds: float) -> None:
        """Refuse new connections and reset open ones for ``seconds`` (then listen again)."""
        with self._lock:
            self._down_until = time.monotonic() + seconds
            listener, self._listener = self._listener, None
            clients = list(self._clients)
        if listener is not None:
            _close_listener(listener)
        for sock in clients:
            _reset(sock)
        self.stats["down"] += 1

    def _take(self, method: str, path: str) -> Toxic | None:
        with self._lock:
            for index, toxic in enumerate(self._toxics):
                if toxic.matches(method, path):
                    toxic.times -= 1
                    if toxic.times <= 0:
                        del self._toxics[index]
                    self.stats[toxic.kind] += 1
                    return toxic
        return None

    # -- plumbing --------------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        sock.settimeout(0.05)
        return sock

    def _spawn(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=self._guard, args=(target, *args), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guard(self, target: object, *args: object) -> None:
        try:
            target(*args)  # type: ignore[operator]
        except Exception:  # a proxy thread must never die noisily (pytest turns that into an error)
            self.stats["internal_error"] += 1

    def _expired(self) -> bool:
        return time.monotonic() - self._started > self.max_seconds

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            if self._expired():
                self.stats["expired"] += 1
                self.stop_from_inside()
                return
            with self._lock:
                listener = self._listener
                down_until = self._down_until
            if listener is None:
                if time.monotonic() >= down_until and not self._stop.is_set():
                    try:
                        fresh = self._listen(self.port)
                    except OSError:
                        time.sleep(0.02)
                        continue
                    with self._lock:
                        if self._stop.is_set():  # stopped while it was down: do not listen again
                            fresh.close()
                            return
                        self._listener = fresh
                else:
                    time.sleep(0.01)
                continue
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                time.sleep(0.01)
                continue
            if self.stats["connections"] >= self.max_connections:
                self.stats["refused_over_limit"] += 1
                _reset(client)
                continue
            self.stats["connections"] += 1
            self._threads = [t for t in self._threads if t.is_alive()]
            self._spawn(self._handle, "fault-proxy-conn", client)

    def stop_from_inside(self) -> None:
        """Stop accepting and reset open connections (no join: callable from a proxy thread)."""
        with self._lock:
            self._stop.set()
            listener, self._listener = self._listener, None
            clients = list(self._clients)
        if listener is not None:
            _close_listener(listener)
        for sock in clients:
            _reset(sock)

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(_IO_TIMEOUT)
        with self._lock:
            self._clients.add(client)
        try:
            upstream = socket.create_connection(self.upstream, timeout=_IO_TIMEOUT)
        except OSError:
            self.stats["upstream_unreachable"] += 1
            _reset(client)
            return
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._pump(client, upstream)
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            with contextlib.suppress(OSError):
                upstream.close()
            with contextlib.suppress(OSError):
                client.close()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, "client")
        selector.register(upstream, selectors.EVENT_READ, "upstream")
        toxic: Toxic | None = None
        responding = True  # True: the next client bytes start a new request
        sent_back = 0  # answer bytes forwarded for the current request
        try:
            while not self._stop.is_set() and not self._expired():
                events = selector.select(timeout=0.05)
                for key, _ in events:
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = sock.recv(_CHUNK)
                    if key.data == "client":
                        if not data:
                            return
                        if responding:
                            responding, sent_back = False, 0
                            toxic = self._take(*_request_line(data))
                            self.stats["requests"] += 1
                            if toxic is not None and toxic.phase == "before":
                                if toxic.kind == "reset_peer":
                                    _reset(client)
                                    return
                                if toxic.kind == "timeout":
                                    self._hold(client, toxic.ms)
                                    return
                        upstream.sendall(data)
                        continue
                    # upstream -> client
                    if not data:
                        if toxic is not None and toxic.kind == "slow_close":
                            self._stop.wait(toxic.ms / 1000.0)
                        return
                    responding = True
                    if toxic is None:
                        client.sendall(data)
                        continue
                    if toxic.kind == "reset_peer":
                        _reset(client)
                        return
                    if toxic.kind == "timeout":
                        self._hold(client, toxic.ms)
                        return
                    if toxic.kind == "latency" and sent_back == 0:
                        self._stop.wait(toxic.ms / 1000.0)
                    if toxic.kind == "limit_data":
                        room = toxic.nbytes - sent_back
                        if room > 0:
                            client.sendall(data[:room])
                            sent_back += min(room, len(data))
                        if sent_back >= toxic.nbytes:
                            with contextlib.suppress(OSError):
                                client.shutdown(socket.SHUT_RDWR)
                            return
                        continue
                    if toxic.kind == "slicer":
                        size = max(1, toxic.nbytes or 1)
                        for start in range(0, len(data), size):
                            client.sendall(data[start : start + size])
                            self._stop.wait(toxic.ms / 1000.0)
                        sent_back += len(data)
                        continue
                    client.sendall(data)
                    sent_back += len(data)
        finally:
            selector.close()

    def _hold(self, client: socket.socket, ms: float) -> None:
        """Say nothing for ``ms`` (bounded), or until the client gives up, then close."""
        deadline = time.monotonic() + min(ms / 1000.0 if ms else self.max_seconds, self.max_seconds)
        client.settimeout(0.05)
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                if client.recv(_CHUNK) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return
