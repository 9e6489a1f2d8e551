"""The keep-alive connection pool under the transport: reuse, idle closes, timeouts, what was sent."""

from __future__ import annotations

import gc
import http.client
import socket
import threading
import time
import warnings

import pytest

from arize_orgs_nb.http.connections import ConnectFailedError, ConnectionPool
from arize_orgs_nb.sandbox import Sandbox

AUTH = {"Authorization": "Bearer k"}


@pytest.fixture
def served():
    sandbox = Sandbox(api_key="k", orgs=3, users=0)
    url = sandbox.serve()
    try:
        yield sandbox, int(url.rsplit(":", 1)[1])
    finally:
        sandbox.stop()


def pool_for(port: int, **kw: float) -> ConnectionPool:
    return ConnectionPool(
        "http", "127.0.0.1", port, connect_timeout=kw.get("connect", 2.0), read_timeout=kw.get("read", 5.0)
    )


def test_one_connection_serves_many_requests(served):
    _, port = served
    pool = pool_for(port)
    peers = set()
    for _ in range(20):
        reply = pool.request("GET", "/v2/organizations?limit=2", body=None, headers=AUTH)
        assert reply.status == 200 and b'"organizations"' in reply.content
        assert reply.headers.get("content-type", "").startswith("application/json")  # any case
        peers.add(pool._idle[-1][0].sock.getsockname())
    assert len(peers) == 1
    pool.clear()
    assert pool._idle == []


def test_a_body_is_sent_with_its_length(served):
    sandbox, port = served
    pool = pool_for(port)
    body = b'{"name": "Via Pool", "description": "d"}'
    reply = pool.request(
        "POST", "/v2/organizations", body=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert reply.status == 201
    assert "Via Pool" in {o["name"] for o in sandbox.state.orgs()}
    pool.clear()


def one_shot_server(answers: list[bytes]) -> tuple[int, threading.Thread]:
    """Answers the first request of each connection with the next canned answer, then closes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve() -> None:
        with listener:
            for answer in answers:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed():
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    port, thread = one_shot_server([ok, ok])  # keep-alive promised, then closed by the server
    pool = pool_for(port)
    assert pool.request("GET", "/a", body=None, headers={}).content == b"{}"
    thread.join(5)  # the server has closed that connection by now
    pool._clock = lambda: time.monotonic() + 2  # idle long enough to be checked before reuse
    assert pool.request("GET", "/b", body=None, headers={}).content == b"{}"
    pool.clear()


def test_a_connection_closed_within_the_fresh_second_is_a_dropped_connection():
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    port, thread = one_shot_server([ok])
    pool = pool_for(port)
    pool.request("GET", "/a", body=None, headers={})
    thread.join(5)
    with pytest.raises((OSError, http.client.HTTPException)):  # reused unchecked: fails, is not reused
        pool.request("GET", "/b", body=None, headers={})
    assert pool._idle == []


def test_a_refused_connection_says_nothing_was_sent():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ConnectFailedError) as info:
        pool_for(port).request("GET", "/", body=None, headers={})
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_a_read_timeout_is_a_timeout_and_the_connection_is_not_reused():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    pool = pool_for(listener.getsockname()[1], read=0.3)
    try:
        with pytest.raises(TimeoutError):
            pool.request("PATCH", "/v2/organizations/x", body=b"{}", headers={})
        assert pool._idle == []
    finally:
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_cut_short_body_is_an_error_not_a_short_answer():
    cut = b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial'
    port, thread = one_shot_server([cut])
    with pytest.raises(Exception) as info:  # http.client.IncompleteRead
        pool_for(port).request("GET", "/", body=None, headers={})
    assert "IncompleteRead" in type(info.value).__name__
    thread.join(5)


def test_a_pool_dropped_without_clear_closes_its_sockets(served):
    _, port = served
    pool = pool_for(port)
    pool.request("GET", "/v2/organizations?limit=1", body=None, headers=AUTH)
    sock = pool._idle[-1][0].sock
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        del pool
        gc.collect()
    assert sock.fileno() == -1  # closed by the pool's finalizer
