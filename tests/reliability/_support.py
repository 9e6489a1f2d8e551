"""Shared helpers of the reliability suites: the figures recorder, clients, scripted servers.

Figures: tests call ``figures.add(name, value, **labels)``. When ``RELIABILITY_FIGURES`` names a
file, every figure is appended to it as one JSON line (``scripts/reliability.py`` aggregates them
into ``RELIABILITY.md``); otherwise they are dropped. Counts are asserted as they are recorded;
measured times are recorded only, never asserted on (speed belongs to ``benchmarks/``).

Long mode: ``RELIABILITY_LONG=1`` runs more examples, more load and the soak (see ``scale``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.http.pacing import TokenBucket
from arize_orgs_nb.sandbox import Sandbox
from tests.conftest import FakeClock

FIGURES_ENV = "RELIABILITY_FIGURES"
LONG_ENV = "RELIABILITY_LONG"
WRITES = ("POST", "PATCH", "DELETE")
ORGS = "/v2/organizations"

_write_lock = threading.Lock()


def long_mode() -> bool:
    """True when the long version was asked for (``RELIABILITY_LONG=1``)."""
    return os.environ.get(LONG_ENV, "") == "1"


def scale(short: int, long: int) -> int:
    """``short`` in the regular suite, ``long`` in the long version."""
    return long if long_mode() else short


class Figures:
    """Appends measured figures of one test to the file named by ``RELIABILITY_FIGURES``."""

    def __init__(self, test: str, path: str | None = None) -> None:
        self.test = test
        self.path = path if path is not None else os.environ.get(FIGURES_ENV) or None
        self.recorded: list[dict[str, Any]] = []

    def add(self, figure: str, value: float, **labels: object) -> None:
        """Record one figure (a count or a measurement) with optional labels."""
        entry = {"test": self.test, "figure": figure, "value": value, "labels": labels}
        self.recorded.append(entry)
        if self.path:
            line = json.dumps(entry, sort_keys=True, default=str)
            with _write_lock, open(self.path, "a", encoding="utf-8") as out:
                out.write(line + "\n")

    def faults_from_log(self, server: Sandbox) -> Counter[str]:
        """Record the faults the sandbox injected (per kind, from its request log)."""
        kinds: Counter[str] = Counter(r.fault for r in server.log.records() if r.fault)
        for kind, count in sorted(kinds.items()):
            self.add("faults_injected", count, kind=f"sandbox:{kind}")
        return kinds

    def faults(self, kind: str, count: int = 1) -> None:
        """Record faults injected some other way (the proxy, a stub, a scripted server)."""
        if count:
            self.add("faults_injected", count, kind=kind)


def op_route(op: str, org_id: str, user_id: str) -> tuple[str, str]:
    """(method, path) on the wire of one of the seven organization calls, by its SDK name."""
    org = f"{ORGS}/{org_id}"
    return {
        "list": ("GET", ORGS),
        "get": ("GET", org),
        "create": ("POST", ORGS),
        "update": ("PATCH", org),
        "delete": ("DELETE", org),
        "add_user": ("POST", f"{org}/users"),
        "remove_user": ("DELETE", f"{org}/users/{user_id}"),
    }[op]


def writes(server: Sandbox) -> int:
    """Write requests the sandbox received."""
    return sum(server.log.count(method=m) for m in WRITES)


def host_of(server: Sandbox) -> str:
    """Serve ``server`` over HTTP (once) and return ``127.0.0.1:<port>``."""
    return server.serve().split("://", 1)[1]


def port_of(server: Sandbox) -> int:
    """The HTTP port of ``server`` (served on demand)."""
    return int(host_of(server).rsplit(":", 1)[1])


def inproc_client(clock: FakeClock | None = None, **options: Any) -> ArizeOrgs:
    """A client on a fresh sandbox through the in-process adapter, never sleeping."""
    clock = clock or FakeClock()
    options.setdefault("orgs", 0)
    options.setdefault("users", 0)
    options.setdefault("sleep", clock.sleep)
    options.setdefault("clock", clock)
    options.setdefault("rng", random.Random(options.get("seed", 0)))
    return ArizeOrgs.sandbox(in_process=True, **options)


def http_client(host: str, *, api_key: str = "sandbox-key", **options: Any) -> ArizeOrgs:
    """A client over real HTTP to a loopback host (a sandbox or the fault proxy)."""
    options.setdefault("journal", ":memory:")
    options.setdefault("environ", {})
    return ArizeOrgs(api_key=api_key, api_host=host, api_scheme="http", **options)


def self_signed(folder: Path, name: str = "server") -> tuple[str, str]:
    """A certificate for 127.0.0.1 that no public CA signed, and its key (needs ``openssl``)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return str(cert), str(key)


@contextlib.contextmanager
def tls_server(cert: str, key: str, answer: bytes | None = None) -> Iterator[tuple[int, list[int]]]:
    """An HTTPS server on 127.0.0.1 with ``cert``: each connection gets ``answer`` to its first request.

    With no ``answer`` the connection is closed right after the handshake. Yields the port and a
    list with one entry per connection accepted (handshakes tried).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    handshakes: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            handshakes.append(1)
            with contextlib.suppress(OSError), conn:
                conn.settimeout(2)
                with context.wrap_socket(conn, server_side=True) as tls:
                    if answer is not None:
                        tls.recv(65536)
                        tls.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], handshakes
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def free_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- a scripted API: pages and bodies decided by the test ------------------------------------


class ScriptedAdapter(BaseAdapter):
    """A ``requests`` adapter that answers from a function of the call number (bounded).

    ``answer(n, request)`` returns ``(status, body, headers)``; ``body`` is JSON-encoded unless it
    is ``bytes``. More than ``limit`` calls raise, so a runaway loop fails the test instead of
    hanging it.
    """

    def __init__(
        self,
        answer: Callable[[int, requests.PreparedRequest], tuple[int, Any, dict[str, str]]],
        *,
        limit: int = 1000,
    ) -> None:
        super().__init__()
        self.answer = answer
        self.limit = limit
        self.calls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.calls.append(request.url or "")
        if len(self.calls) > self.limit:
            raise RuntimeError(f"runaway: more than {self.limit} calls")
        status, body, headers = self.answer(len(self.calls), request)
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update({"Content-Type": "application/json", **headers})
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        """Nothing to release."""


def scripted_client(
    answer: Callable[[int, requests.PreparedRequest], tuple[int, Any, dict[str, str]]],
    *,
    limit: int = 1000,
    clock: FakeClock | None = None,
) -> tuple[ArizeOrgs, ScriptedAdapter]:
    """A client whose every call is answered by ``answer`` (no sockets)."""
    clock = clock or FakeClock()
    adapter = ScriptedAdapter(answer, limit=limit)
    session = requests.Session()
    session.mount("http://scripted.localhost", adapter)
    client = ArizeOrgs(
        api_key="k",
        api_host="scripted.localhost",
        api_scheme="http",
        session=session,
        environ={},
        journal=":memory:",
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(0),
    )
    return client, adapter


def org_json(n: int, name: str | None = None) -> dict[str, str]:
    """A wire organization with a valid-looking id."""
    import base64

    raw = f"Organization:{n}:abcd".encode()
    return {
        "id": base64.b64encode(raw).decode(),
        "name": name if name is not None else f"Org {n:05d}",
        "description": "",
        "created_at": "2024-01-01T00:00:00Z",
    }


class RawServer:
    """A loopback TCP server that answers every request with raw bytes chosen by the test.

    For fuzzing the client with malformed HTTP (status lines, headers, framing). Bounded: each
    connection is served once with a 2 s socket timeout; :meth:`stop` joins the thread.
    """

    def __init__(self) -> None:
        self.reply = b""
        self.requests = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="raw-server", daemon=True)
        self._thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(2)
                conn.recv(65536)
                self.requests += 1
                conn.sendall(self.reply)
                conn.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PacedClock:
    """A clock for a paced client that must really wait: it moves only when the client sleeps.

    ``sleep(s)`` sleeps ``s`` for real (so a service limit on the other side sees real pacing),
    then moves the clock to the slot the sleeping thread's last reservation named. Time spent
    elsewhere (requests, threads waiting their turn) does not count, so the token bucket reading
    this clock hands out an exact schedule whatever the machine's speed: ``slots`` lists, in the
    order they were reserved, the clock reading each reservation was made at plus the wait it
    returned. Install with ``PacedClock(monkeypatch)`` before the client is built.
    """

    def __init__(self, monkeypatch: Any) -> None:
        self.now = 1000.0
        self.slots: list[float] = []
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._wake = threading.local()
        reserve = TokenBucket.reserve

        def recorded(bucket: TokenBucket) -> float:
            with self._lock:  # the clock cannot move between the reading and the record
                wait = reserve(bucket)
                self.slots.append(self.now + wait)
            self._wake.at = self.slots[-1]
            return wait

        monkeypatch.setattr(TokenBucket, "reserve", recorded)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        start = self.now
        wake, self._wake.at = getattr(self._wake, "at", None), None
        time.sleep(seconds)
        with self._lock:
            self.sleeps.append(seconds)
            self.now = max(self.now, wake if wake is not None else start + seconds)


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    """``with timed() as elapsed: ...; elapsed()`` in real seconds."""
    start = time.monotonic()
    yield lambda: time.monotonic() - start


def rss_bytes() -> int:
    """This process's resident memory now (Linux ``/proc``), else its peak (``resource``)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def percentile(values: Iterable[float], share: float) -> float:
    """The ``share`` percentile (0..1) by nearest rank; 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))
    return ordered[rank]
