"""An embedded stand-in of the Arize Organizations and Users REST API.

It implements the wire contract of ``docs/API.md`` (its endpoints, and the choices under
"Undocumented points") independently of the rest of ``arize_orgs_nb``: it imports only the
standard library and ``requests``. Use it in-process through :meth:`Sandbox.adapter` or over real HTTP on
loopback through :meth:`Sandbox.serve`::

    from arize_orgs_nb.sandbox import Sandbox

    with Sandbox(orgs=10, users=5) as sb:
        url = sb.serve()

Over HTTP it also answers ``/_sandbox`` (:mod:`arize_orgs_nb.sandbox.control`): scheduled faults,
knobs and a reset, for loopback peers with the admin key; sandbox-only, not part of the Arize API.
"""

from __future__ import annotations

from arize_orgs_nb.sandbox.core import Sandbox, SandboxStoppedError
from arize_orgs_nb.sandbox.faults import FaultSchedule, Knobs, ScheduledFault
from arize_orgs_nb.sandbox.log import LogRecord, RequestLog
from arize_orgs_nb.sandbox.state import StateView

__all__ = [
    "FaultSchedule",
    "Knobs",
    "LogRecord",
    "RequestLog",
    "Sandbox",
    "SandboxStoppedError",
    "ScheduledFault",
    "StateView",
]
