"""The fault proxy itself: loopback only, bounded in connections and time, toxics consumed and counted."""

from __future__ import annotations

import socket
import time

import pytest

from arize_orgs_nb import OrgsNbError
from arize_orgs_nb.sandbox import Sandbox
from tests.reliability._support import http_client, port_of
from tests.reliability.fault_proxy import FaultProxy, Toxic


def _refused(port: int) -> bool:
    """Whether nothing serves ``port`` any more.

    A probe that lands in the listen backlog just as the proxy closes its listener is reset,
    not refused: both mean the proxy no longer accepts (CI saw the reset once).
    """
    with socket.socket() as probe:
        probe.settimeout(1)
        try:
            probe.connect(("127.0.0.1", port))
        except (ConnectionRefusedError, ConnectionResetError):
            return True
        return False


def test_it_talks_to_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(("10.0.0.1", 80))
    with pytest.raises(ValueError, match="unknown toxic"):
        Toxic("bandwidth")


def test_it_stops_by_itself_after_max_seconds():
    with Sandbox(api_key="k") as server, FaultProxy(("127.0.0.1", port_of(server)), max_seconds=0.3) as proxy:
        assert not _refused(proxy.port)
        deadline = time.monotonic() + 5
        while not _refused(proxy.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _refused(proxy.port)
        assert proxy.stats["expired"] == 1


def test_connections_beyond_the_limit_are_reset():
    with Sandbox(api_key="k") as server, FaultProxy(("127.0.0.1", port_of(server)), max_connections=1) as p:
        with http_client(p.host, api_key="k") as client:
            client.organizations.list()  # the one connection, kept alive
        with http_client(p.host, api_key="k", sleep=lambda s: None) as other, pytest.raises(OrgsNbError):
            other.organizations.list()
        assert p.stats["refused_over_limit"] >= 1


def test_toxics_are_consumed_matched_and_counted():
    with Sandbox(api_key="k", orgs=2) as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        proxy.add("latency", ms=50, method="POST", times=2)
        with http_client(proxy.host, api_key="k") as client:
            client.organizations.list()  # a GET: the POST toxic does not match
            assert proxy.stats["latency"] == 0  # not held back
            assert proxy.pending() == 1
            client.organizations.create(name="Slow 1")
            assert proxy.stats["latency"] == 1
            client.organizations.create(name="Slow 2")
            assert proxy.pending() == 0
        assert proxy.stats["latency"] == 2
    assert proxy.stats["internal_error"] == 0


def test_down_refuses_then_listens_again():
    with Sandbox(api_key="k") as server, FaultProxy(("127.0.0.1", port_of(server))) as proxy:
        proxy.down(0.3)
        assert _refused(proxy.port)
        deadline = time.monotonic() + 5
        while _refused(proxy.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _refused(proxy.port)
    assert _refused(proxy.port)  # stopped: nothing listens any more
