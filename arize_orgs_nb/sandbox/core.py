"""The :class:`Sandbox`: state, handler, faults, log and transports put together."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote

from requests.adapters import BaseAdapter

from arize_orgs_nb.sandbox import seed as seed_data
from arize_orgs_nb.sandbox.app import App
from arize_orgs_nb.sandbox.control import Control, is_control_path
from arize_orgs_nb.sandbox.cursors import CursorCodec
from arize_orgs_nb.sandbox.errors import PROBLEM_CONTENT_TYPE, problem_body
from arize_orgs_nb.sandbox.faults import FaultPlan, FaultSchedule, Knobs, RandomFaults
from arize_orgs_nb.sandbox.limits import RateLimits
from arize_orgs_nb.sandbox.log import LogRecord, RequestLog
from arize_orgs_nb.sandbox.messages import Dispatched, Request, Response
from arize_orgs_nb.sandbox.state import StateView
from arize_orgs_nb.sandbox.store import Store


class SandboxStoppedError(RuntimeError):
    """Raised when a stopped sandbox receives a request."""


class Sandbox:
    """An embedded stand-in of the Arize Organizations and Users REST API.

    Args:
        api_key: The bearer key accepted as an account admin.
        read_only_key: An optional second key: reads work, every write is 403.
        orgs: Number of seeded organizations.
        users: Number of seeded users.
        seed: Seed of the generated data.
        db: ``None`` for an in-memory database, or a file path (data survive restarts;
            seeding only happens when the file is new or empty).
        latency_ms: Response time of every request, handling included (an answer never leaves sooner).
        rate_limit_share: Share of requests answered 429 (before any state change).
        error_share: Share of requests answered 500/502/503 (before any state change).
        drop_share: Share of write requests that commit, then lose the connection.
        retry_after: Seconds in ``Retry-After`` of the random 429s.
        rng_seed: Seed of the random fault draws (``None``: derived from ``seed``).
        case_insensitive_names: Whether org names differing only in case conflict.
        unknown_field_status: 400 or 422 for unknown or read-only body fields.
        rate_limit_rps: Requests per second allowed, all keys and kinds together, before
            answering 429. 0 (default) disables it.
        write_rate: POST, PATCH, PUT and DELETE per second allowed for each API key before
            answering 429. 0 (default) disables it.
        read_rate: GET requests per second allowed for each API key. 0 (default) disables it.
            Each limit is a token bucket of one second's worth (at least one request), full at
            the start; over it, a 429 whose ``Retry-After`` is the whole seconds until a token is
            back. See :mod:`arize_orgs_nb.sandbox.limits`.
        clock: The monotonic clock of latency, limits and the log's durations (injected in
            tests, with ``sleep``).
        sleep: How the sandbox waits for latency and delays.
    """

    def __init__(
        self,
        api_key: str = "sandbox-key",
        read_only_key: str | None = None,
        orgs: int = 0,
        users: int = 0,
        seed: int = 0,
        db: str | None = None,
        latency_ms: float = 0.0,
        rate_limit_share: float = 0.0,
        error_share: float = 0.0,
        drop_share: float = 0.0,
        retry_after: int = 1,
        rng_seed: int | None = None,
        case_insensitive_names: bool = True,
        unknown_field_status: int = 400,
        rate_limit_rps: float = 0.0,
        write_rate: float = 0.0,
        read_rate: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        if read_only_key == api_key:
            raise ValueError("read_only_key must differ from api_key")
        if orgs < 0 or users < 0:
            raise ValueError("orgs and users must not be negative")
        knobs = Knobs(
            latency_ms,
            rate_limit_share,
            error_share,
            drop_share,
            retry_after,
            rate_limit_rps,
            write_rate,
            read_rate,
        )
        self._random = RandomFaults(knobs, seed if rng_seed is None else rng_seed)
        self._limits = RateLimits(clock)
        self._clock = clock
        self._sleep_for = sleep
        self._initial_knobs = self._random.knobs
        self._seed = (orgs, users, seed)
        self._db = db
        self._store = Store(db, case_insensitive_names=case_insensitive_names)
        try:
            if (orgs or users) and self._store.is_empty():
                data = seed_data.generate(orgs, users, seed)
                self._store.bulk_insert(data.orgs, data.users, data.memberships)
            self._app = App(
                self._store,
                CursorCodec(),
                api_key=api_key,
                read_only_key=read_only_key,
                unknown_field_status=unknown_field_status,
            )
        except BaseException:
            self._store.close()
            raise
        self.api_key = api_key
        self.read_only_key = read_only_key
        self.log = RequestLog()
        self.faults = FaultSchedule()
        self.state = StateView(self._store)
        self._control = Control(self._app, self.faults, self._random, self.reset, self._describe)
        self._server: Any = None
        self._stopped = False

    # --------------------------------------------------------------- lifecycle

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url or "in-process"
        return f"<Sandbox {where} {'stopped' if self._stopped else 'running'}>"

    @property
    def url(self) -> str | None:
        """The base URL once :meth:`serve` was called, else ``None``."""
        return None if self._server is None else str(self._server.url)

    @property
    def knobs(self) -> Knobs:
        """The current latency and random-fault settings."""
        return self._random.knobs

    def set_knobs(self, **changes: float) -> Knobs:
        """Change latency and random-fault settings.

        Args:
            **changes: Any of ``latency_ms``, ``rate_limit_share``, ``error_share``,
                ``drop_share``, ``retry_after``, ``rate_limit_rps``, ``write_rate``, ``read_rate``.

        Returns:
            The new settings.
        """
        return self._random.set(**changes)

    def reset(self) -> dict[str, Any]:
        """Put the seeded demo data back: dangerous, every change since the seed is lost.

        Every organization, user and membership is replaced by what ``orgs``, ``users`` and
        ``seed`` generate (under new ids: no id is reused, so an id kept from before names
        nothing); scheduled faults are cleared and the knobs are set back to their starting
        values. The request log is kept. Also reachable as ``POST /_sandbox/reset``.

        Returns:
            ``{"orgs": N, "users": M, "seed": S}``: what was seeded.

        Raises:
            SandboxStoppedError: When the sandbox was stopped.
        """
        if self._stopped:
            raise SandboxStoppedError("the sandbox was stopped")
        orgs, users, seed = self._seed
        data = seed_data.generate(orgs, users, seed)
        self._store.replace_all(data.orgs, data.users, data.memberships)
        self.faults.clear()
        self._random.set(**asdict(self._initial_knobs))
        return {"orgs": orgs, "users": users, "seed": seed}

    def _describe(self) -> dict[str, Any]:
        orgs, users, seed = self._seed
        return {"seed": {"orgs": orgs, "users": users, "seed": seed}, "db": self._db}

    def adapter(self) -> BaseAdapter:
        """Return a ``requests`` transport adapter that talks to this sandbox in-process.

        Mount it on a session for any base URL, e.g.
        ``session.mount("http://sandbox.invalid", sb.adapter())``.

        Returns:
            The adapter.
        """
        from arize_orgs_nb.sandbox.adapter import SandboxAdapter

        return SandboxAdapter(self.dispatch)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve real HTTP on a loopback address, in a daemon thread.

        Args:
            host: A loopback host (``127.0.0.1``, ``localhost``, ``::1``).
            port: The port (0 picks a free one).

        Returns:
            The base URL, e.g. ``http://127.0.0.1:54321``.

        Raises:
            ValueError: When ``host`` is not a loopback address.
            RuntimeError: When the sandbox was stopped.
        """
        from arize_orgs_nb.sandbox.server import SandboxServer, check_loopback

        check_loopback(host)
        if self._stopped:
            raise RuntimeError("the sandbox was stopped")
        if self._server is None:
            self._server = SandboxServer(host, port, self.dispatch, self._clock)
        return str(self._server.url)

    def stop(self) -> None:
        """Stop the HTTP server (if any) and close the database. Idempotent."""
        self._stopped = True
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self._store.close()

    # ---------------------------------------------------------------- dispatch

    def dispatch(self, req: Request, read_timeout: float | None = None) -> Dispatched:
        """Process one request: faults, latency, handling and logging.

        Args:
            req: The request.
            read_timeout: The client's read timeout, when the transport can emulate it
                (the in-process adapter); ``None`` otherwise.

        Returns:
            What the transport must do.

        Raises:
            SandboxStoppedError: When the sandbox was stopped.
        """
        if self._stopped:
            raise SandboxStoppedError("the sandbox was stopped")
        started = self._clock() if req.arrived is None else req.arrived
        path = unquote(req.raw_path, errors="replace")
        if is_control_path(path):  # no fault, no limit, no latency, no log: see sandbox.control
            return Dispatched(response=self._control.handle(req, path))
        knobs = self._random.knobs
        plan = (
            self.faults.take(req.method, path)
            or self._limits.check(req.method, req.headers.get("authorization", ""), knobs)
            or self._random.draw(req.method)
        )
        # Latency is the service's response time: an answer leaves no sooner than `latency` after
        # the request arrived, handling included (so a benchmark's floor is pages x latency).
        latency = knobs.latency_ms / 1000.0
        before = plan.delay_before
        after = plan.delay_after

        def finish(status: int, timed_out: bool) -> None:
            self._record(req, path, plan, status, self._clock() - started, timed_out)

        if plan.drop == "before":
            self._sleep(latency + before)
            finish(0, False)
            return Dispatched(dropped=True)
        if read_timeout is not None and latency + before + after > read_timeout:
            return self._time_out(req, plan, latency + before, read_timeout, finish)
        self._sleep(before)
        response = self._respond(req, plan)
        self._sleep(max(0.0, latency - (self._clock() - started - before)) + after)
        if plan.drop == "after":
            finish(0, False)
            return Dispatched(dropped=True)
        finish(response.status, False)
        return Dispatched(response=response)

    def _time_out(
        self,
        req: Request,
        plan: FaultPlan,
        before: float,
        read_timeout: float,
        finish: Callable[[int, bool], None],
    ) -> Dispatched:
        """Emulate a client read timeout: the client gives up, the server carries on."""
        if before > read_timeout:

            def late() -> None:
                self._sleep(before)
                if not self._stopped:
                    finish(self._respond(req, plan).status, True)

            threading.Thread(target=late, daemon=True, name="sandbox-late-commit").start()
            self._sleep(read_timeout)
        else:
            self._sleep(before)
            response = self._respond(req, plan)
            self._sleep(read_timeout - before)
            finish(0 if plan.drop == "after" else response.status, True)
        return Dispatched(timed_out=True)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep_for(seconds)

    def _respond(self, req: Request, plan: FaultPlan) -> Response:
        if plan.status is None:
            return self._app.handle(req)
        headers: dict[str, str] = {}
        if plan.retry_after is not None:
            headers["Retry-After"] = plan.retry_after
        if plan.body is not None or plan.status < 400:
            if plan.status != 204:
                headers["Content-Type"] = plan.content_type or "text/plain"
            return Response(plan.status, headers, plan.body or b"")
        headers["Content-Type"] = PROBLEM_CONTENT_TYPE
        if plan.status == 429:
            wait = f"; retry after {plan.retry_after} seconds" if plan.retry_after else ""
            detail = f"rate limit exceeded{wait}"
        else:
            detail = f"injected fault: the server answered {plan.status}; nothing was changed"
        return Response(plan.status, headers, problem_body(plan.status, detail, req.raw_path))

    def _record(
        self,
        req: Request,
        path: str,
        plan: FaultPlan,
        status: int,
        seconds: float,
        timed_out: bool,
    ) -> None:
        try:
            body: Any = json.loads(req.body.decode("utf-8")) if req.body else None
        except (UnicodeDecodeError, ValueError):
            body = None
        self.log.append(
            LogRecord(
                method=req.method,
                path=path,
                raw_path=req.raw_path,
                query=parse_qs(req.query, keep_blank_values=True),
                status=status,
                fault=plan.fault,
                json=body,
                seconds=seconds,
                headers=dict(req.headers),
                timed_out=timed_out,
            )
        )
