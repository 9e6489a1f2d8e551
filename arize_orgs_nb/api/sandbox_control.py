"""``client.sandbox_control``: faults, knobs and a reset of the sandbox a client talks to.

Layer: beside ``organizations`` and ``users``, on the transport. The sandbox shares no code with
the client: this module speaks the sandbox's control endpoint (``/_sandbox``, docs/API.md, "The
sandbox control endpoint"; not part of the Arize API) over HTTP, through the client's own
transport, so a notebook runs the same code on a sandbox in its own process
(``ArizeOrgs.sandbox()``) and on one in another process (``make run``). The endpoint answers only
on loopback, to the sandbox's admin key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from arize_orgs_nb.errors import ApiError, ProtocolError
from arize_orgs_nb.http.retry import Mode
from arize_orgs_nb.http.transport import Transport

__all__ = ["SandboxControl", "find_sandbox"]

_ROOT = "/_sandbox"


def _as_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"the sandbox sent a malformed {what}: expected a JSON object")
    return value


class SandboxControl:
    """The control endpoint of the sandbox a client talks to (reached as ``client.sandbox_control``).

    Every method is one HTTP call through the client's transport (its key, its retries); a
    refusal raises the client's usual :class:`~arize_orgs_nb.errors.ApiError` subclass, e.g.
    :class:`~arize_orgs_nb.errors.BadRequestError` naming every bad field of every fault.

    Args:
        transport: the client's transport.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"SandboxControl({self._transport.settings.base_url!r})"

    def status(self) -> dict[str, Any]:
        """What the sandbox is: ``knobs``, pending ``faults``, its ``seed`` (orgs, users, seed) and ``db``."""
        return _as_dict(self._transport.request("GET", _ROOT), "sandbox status")

    def add_fault(
        self,
        *,
        status: int | None = None,
        retry_after: int | str | None = None,
        drop: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        body: str | None = None,
        content_type: str | None = None,
        delay_ms: float | None = None,
        delay_phase: str = "after",
    ) -> dict[str, Any]:
        """Schedule a fault for the next matching request(s) to the sandbox.

        Args:
            status: answer this status (200-599) without processing the request.
            retry_after: ``Retry-After`` value (a string is sent verbatim, malformed if wanted).
            drop: ``"before"`` (drop the connection, nothing processed) or ``"after"`` (process
                and commit, then drop the connection: the client cannot know it landed).
            method: only requests with this verb.
            path: only this exact decoded path, or a prefix ending in ``*``.
            times: how many matching requests it affects.
            body: a raw body to answer with ``status`` (e.g. an HTML error page).
            content_type: the content type of ``body``.
            delay_ms: extra delay, in milliseconds.
            delay_phase: ``"after"`` (process, wait, answer) or ``"before"`` (wait, then process).

        Returns:
            The fault as the sandbox scheduled it.

        Raises:
            BadRequestError: inconsistent arguments (nothing is scheduled).
        """
        fault: dict[str, Any] = {
            "status": status,
            "retry_after": retry_after,
            "drop": drop,
            "method": method,
            "path": path,
            "body": body,
            "content_type": content_type,
            "delay_ms": delay_ms,
        }
        fault = {k: v for k, v in fault.items() if v is not None}
        fault.update(times=times, delay_phase=delay_phase)
        return self.add_faults([fault])[0]

    def add_faults(self, faults: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Schedule several faults (the arguments of :meth:`add_fault`, one mapping each): all or none.

        Args:
            faults: the faults, in the order they are to be used.

        Returns:
            The faults as scheduled.

        Raises:
            BadRequestError: some fault is wrong; every problem is named and nothing is scheduled.
        """
        # CREATE: an answer lost on the way back is never sent again (the faults would be doubled).
        answer = self._transport.request(
            "POST", f"{_ROOT}/faults", body={"faults": [dict(f) for f in faults]}, mode=Mode.CREATE
        )
        scheduled = _as_dict(answer, "fault list").get("scheduled")
        if not isinstance(scheduled, list):
            raise ProtocolError("the sandbox sent a malformed fault list: no 'scheduled' array")
        return scheduled

    def faults(self) -> list[dict[str, Any]]:
        """The scheduled faults not used up yet, in the order they apply."""
        pending = _as_dict(self._transport.request("GET", f"{_ROOT}/faults"), "fault list").get("faults")
        return pending if isinstance(pending, list) else []

    def clear_faults(self) -> None:
        """Remove every scheduled fault."""
        self._transport.request("DELETE", f"{_ROOT}/faults")

    def knobs(self) -> dict[str, Any]:
        """Latency and random-fault settings: ``latency_ms``, ``rate_limit_share``, ``error_share``, ..."""
        return _as_dict(self._transport.request("GET", f"{_ROOT}/knobs"), "knobs")

    def set_knobs(self, **changes: float) -> dict[str, Any]:
        """Change latency and random-fault settings for every client of the sandbox.

        Args:
            **changes: any of ``latency_ms``, ``rate_limit_share``, ``error_share``,
                ``drop_share``, ``retry_after``, ``rate_limit_rps``.

        Returns:
            The new settings.

        Raises:
            BadRequestError: an unknown knob or a value out of range (nothing is changed).
        """
        return _as_dict(self._transport.request("PATCH", f"{_ROOT}/knobs", body=changes), "knobs")

    def reset(self) -> dict[str, Any]:
        """Put the sandbox's seeded demo data back. **Dangerous**: every change since the seed is lost.

        Every organization, user and membership is replaced by the seeded ones (under new ids, so
        ids kept from before name nothing), scheduled faults are cleared and the knobs go back
        to their starting values, for every client of that sandbox.

        Returns:
            ``{"orgs": N, "users": M, "seed": S}``: what was seeded.
        """
        return _as_dict(self._transport.request("POST", f"{_ROOT}/reset"), "reset answer")


def find_sandbox(transport: Transport, *, known: bool = False) -> SandboxControl | None:
    """The control of the sandbox behind ``transport``, or ``None`` when it is not a sandbox.

    Only a server on this machine is asked (one ``GET /_sandbox``): a request to the control
    endpoint never leaves for a remote host, the Arize API included.

    Args:
        transport: the client's transport.
        known: the client started the sandbox itself (nothing to ask).

    Returns:
        The control, or ``None``.

    Raises:
        TransportError: a local server did not answer at all.
    """
    if known:
        return SandboxControl(transport)
    if not transport.settings.is_loopback:
        return None
    try:
        answer = transport.request("GET", _ROOT)
    except (ApiError, ProtocolError):  # 404 from a proxy, 401 to another key, a non-JSON page ...
        return None
    return SandboxControl(transport) if isinstance(answer, dict) and answer.get("sandbox") is True else None
