"""The control endpoint, ``/_sandbox``: scheduled faults, knobs and a reset over HTTP.

Sandbox-only, not part of the Arize API (docs/API.md, "The sandbox control endpoint"). It lets a
process that talks to the sandbox only over HTTP (a notebook kernel under ``make run``) do what
``Sandbox.faults``, ``Sandbox.set_knobs`` and ``Sandbox.reset`` do in-process. Guarded twice: a
peer that is not a loopback address gets 403 before its key is looked at, and the admin key is
required (401 without a valid key, 403 for the read-only key). Control requests never meet a
fault or the latency knob, and are not written to the request log.

Routes:
    ``GET /_sandbox``                  what the sandbox is: knobs, pending faults, seed
    ``GET|POST|DELETE /_sandbox/faults``   list, schedule (all or none), clear
    ``GET|PATCH /_sandbox/knobs``      read, change
    ``POST /_sandbox/reset``           the seeded data again, no faults, the starting knobs
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from arize_orgs_nb.sandbox.app import App, answer_problem
from arize_orgs_nb.sandbox.errors import ProblemError
from arize_orgs_nb.sandbox.faults import FaultSchedule, Knobs, RandomFaults, ScheduledFault
from arize_orgs_nb.sandbox.messages import Request, Response, json_response
from arize_orgs_nb.sandbox.server import is_loopback
from arize_orgs_nb.sandbox.validate import json_type_name, parse_object

PREFIX = "/_sandbox"
MAX_FAULTS = 1000

# field -> the JSON types it accepts (bool is refused where a number is expected)
_FAULT_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (int,),
    "retry_after": (int, str),
    "drop": (str,),
    "method": (str,),
    "path": (str,),
    "times": (int,),
    "body": (str,),
    "content_type": (str,),
    "delay_ms": (int, float),
    "delay_phase": (str,),
}


def is_control_path(path: str) -> bool:
    """Whether a decoded request path belongs to the control endpoint.

    Args:
        path: The decoded path.

    Returns:
        ``True`` for ``/_sandbox`` and everything below it.
    """
    return path == PREFIX or path.startswith(PREFIX + "/")


def fault_wire(fault: ScheduledFault) -> dict[str, Any]:
    """A scheduled fault as JSON.

    Args:
        fault: The fault.

    Returns:
        Its fields (a bytes body decoded as UTF-8, invalid bytes replaced).
    """
    wire = asdict(fault)
    if isinstance(fault.body, bytes):
        wire["body"] = fault.body.decode("utf-8", errors="replace")
    return wire


def _check_fault(index: int, item: object) -> tuple[dict[str, Any] | None, list[str]]:
    """The keyword arguments of ``FaultSchedule.add`` in one JSON fault, or what is wrong with it."""
    where = f"fault {index}"
    if not isinstance(item, dict):
        return None, [f"{where}: must be an object, not {json_type_name(item)}"]
    problems = [f"{where}: unknown field {name!r}" for name in item if name not in _FAULT_FIELDS]
    for name, value in item.items():
        allowed = _FAULT_FIELDS.get(name)
        if allowed is None or (value is None and name not in ("times", "delay_phase")):
            continue
        if isinstance(value, bool) or not isinstance(value, allowed):
            kinds = " or ".join("a number" if t in (int, float) else "a string" for t in allowed)
            problems.append(f"{where}: {name} must be {kinds}, not {json_type_name(value)}")
    return (None if problems else dict(item)), problems


class Control:
    """The handler of ``/_sandbox`` requests.

    Args:
        app: The API handler (its keys authenticate control requests).
        faults: The sandbox's fault schedule.
        random_faults: The sandbox's knobs.
        reset: Restores the seeded data, the starting knobs and an empty schedule; returns a summary.
        describe: The seed and store details shown by ``GET /_sandbox``.
    """

    def __init__(
        self,
        app: App,
        faults: FaultSchedule,
        random_faults: RandomFaults,
        reset: Callable[[], dict[str, Any]],
        describe: Callable[[], dict[str, Any]],
    ) -> None:
        self._app = app
        self._faults = faults
        self._random = random_faults
        self._reset = reset
        self._describe = describe
        self._routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            PREFIX: {"GET": self.status},
            f"{PREFIX}/faults": {"GET": self.list_faults, "POST": self.add_faults, "DELETE": self.clear},
            f"{PREFIX}/knobs": {"GET": self.knobs, "PATCH": self.set_knobs},
            f"{PREFIX}/reset": {"POST": self.reset},
        }

    def handle(self, req: Request, path: str) -> Response:
        """Answer one control request (never raises).

        Args:
            req: The request.
            path: Its decoded path.

        Returns:
            The response: 403 for a peer that is not loopback or a read-only key, 401 without a
            valid key, 404/405 for an unknown route or method.
        """
        try:
            return self._dispatch(req, path)
        except ProblemError as exc:
            return answer_problem(exc, req.raw_path)

    def _dispatch(self, req: Request, path: str) -> Response:
        if req.peer is not None and not is_loopback(req.peer):
            raise ProblemError(
                403, "the sandbox control endpoint only answers loopback peers (127.0.0.1, ::1)"
            )
        if not self._app.authenticate(req):
            raise ProblemError(403, "the sandbox control endpoint needs the admin key, not the read-only key")
        methods = self._routes.get(path.rstrip("/") or "/")
        if methods is None:
            raise ProblemError(404, f"no such sandbox control endpoint: {path[:120]!r}")
        handler = methods.get(req.method)
        if handler is None:
            raise ProblemError(405, f"method {req.method} is not allowed here; allowed: {', '.join(methods)}")
        return handler(req)

    def _knobs_wire(self) -> dict[str, Any]:
        return asdict(self._random.knobs)

    def _faults_wire(self) -> list[dict[str, Any]]:
        return [fault_wire(f) for f in self._faults.pending()]

    def status(self, req: Request) -> Response:
        """``GET /_sandbox``: identifies a sandbox, with its knobs, pending faults and seed."""
        body = {"sandbox": True, "knobs": self._knobs_wire(), "faults": self._faults_wire()}
        return json_response(200, {**body, **self._describe()})

    def list_faults(self, req: Request) -> Response:
        """``GET /_sandbox/faults``: the faults not yet used up, in the order they apply."""
        return json_response(200, {"faults": self._faults_wire()})

    def add_faults(self, req: Request) -> Response:
        """``POST /_sandbox/faults``: one fault object, or ``{"faults": [...]}``; all or none.

        Every bad fault is reported at once (400) and nothing is scheduled.
        """
        obj = parse_object(req.body)
        items: object = obj["faults"] if set(obj) == {"faults"} else [obj]
        if not isinstance(items, list) or not items:
            raise ProblemError(400, "faults must be a non-empty array of fault objects")
        if len(items) > MAX_FAULTS:
            raise ProblemError(400, f"at most {MAX_FAULTS} faults per request")
        checked = FaultSchedule()  # add() validates; nothing reaches the live schedule unless all pass
        problems: list[str] = []
        for index, item in enumerate(items):
            kwargs, wrong = _check_fault(index, item)
            problems += wrong
            if kwargs is not None:
                try:
                    checked.add(**kwargs)
                except (TypeError, ValueError) as exc:
                    problems.append(f"fault {index}: {exc}")
        if problems:
            raise ProblemError(400, "; ".join(problems))
        scheduled = checked.pending()
        self._faults.extend(scheduled)
        return json_response(
            201, {"scheduled": [fault_wire(f) for f in scheduled], "pending": len(self._faults)}
        )

    def clear(self, req: Request) -> Response:
        """``DELETE /_sandbox/faults``: remove every scheduled fault."""
        self._faults.clear()
        return Response(204)

    def knobs(self, req: Request) -> Response:
        """``GET /_sandbox/knobs``: latency and random-fault settings."""
        return json_response(200, self._knobs_wire())

    def set_knobs(self, req: Request) -> Response:
        """``PATCH /_sandbox/knobs``: change some settings (numbers); 400 names what is wrong."""
        obj = parse_object(req.body)
        if not obj:
            raise ProblemError(400, f"name at least one knob: {', '.join(Knobs.__dataclass_fields__)}")
        current = self._random.knobs
        wrong: list[str] = []
        for name, value in obj.items():
            if name not in Knobs.__dataclass_fields__:
                wrong.append(f"unknown knob {name!r}")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                wrong.append(f"{name} must be a number, not {json_type_name(value)}")
            else:
                try:
                    replace(current, **{name: value}).checked()  # type: ignore[arg-type]
                except ValueError as exc:
                    wrong.append(str(exc))
        if wrong:
            raise ProblemError(400, "; ".join(wrong))
        try:
            self._random.set(**obj)
        except ValueError as exc:
            raise ProblemError(400, str(exc)) from None
        return json_response(200, self._knobs_wire())

    def reset(self, req: Request) -> Response:
        """``POST /_sandbox/reset``: dangerous, every change since the seed is lost (``Sandbox.reset``)."""
        if req.body.strip() not in (b"", b"{}"):
            parse_object(req.body)  # a malformed body is still refused
            raise ProblemError(400, "reset takes no fields")
        return json_response(200, self._reset())
