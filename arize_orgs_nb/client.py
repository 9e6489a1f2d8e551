"""``ArizeOrgs``: the client users build, and the entry point to everything else.

Layer: top of the core. It wires settings, one transport, one name resolver and the resources
together; nothing here is global, and every other part (frames, plans, widgets, the CLI) takes a
client as an argument.
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests

from arize_orgs_nb.api.organizations import Organizations
from arize_orgs_nb.api.sandbox_control import SandboxControl, find_sandbox
from arize_orgs_nb.api.users import Users
from arize_orgs_nb.bulk.apply import Applier, ApplyResult
from arize_orgs_nb.bulk.journal import Journal
from arize_orgs_nb.bulk.ledger import Ledger, default_journal_path
from arize_orgs_nb.bulk.members import Memberships
from arize_orgs_nb.bulk.plan import Plan, org_planner
from arize_orgs_nb.bulk.saved import read_plan
from arize_orgs_nb.config import (
    DEFAULT_PACING,
    AdaptivePacing,
    RateLimit,
    RetryPolicy,
    Settings,
    resolve_settings,
)
from arize_orgs_nb.http.transport import Transport

if TYPE_CHECKING:
    from arize_orgs_nb.sandbox import Sandbox

__all__ = ["ArizeOrgs"]

_IN_PROCESS_HOST = "sandbox.localhost"


class ArizeOrgs:
    """A client for the Arize Organizations API (and the Users list it needs).

    Settings are read when the client is built, in the official SDK's order: argument, then
    ``ARIZE_API_KEY`` / ``ARIZE_API_HOST`` / ``ARIZE_API_SCHEME`` / ``ARIZE_API_PORT`` /
    ``ARIZE_REGION``, then the default (``https://api.arize.com``).

    Example:
        >>> client = ArizeOrgs.sandbox(orgs=5)          # offline, no key needed
        >>> [org.name for org in client.organizations.iter()][:2]   # doctest: +SKIP
        >>> client.close()

    Args:
        api_key: the API key (a secret: never shown, logged or pickled).
        api_host: REST host, e.g. ``api.arize.com`` or ``127.0.0.1:8765``.
        api_scheme: ``https`` or ``http`` (``http`` only for loopback hosts).
        api_port: port; 0 or None for the scheme's default.
        region: ``ca-central-1a``, ``eu-west-1a``, ``us-central-1a`` or ``us-east-1b``.
        timeout: read timeout in seconds, or ``(connect, read)``.
        retry: the retry policy.
        verify: TLS verification: a bool or a CA bundle path.
        allow_insecure_http: allow ``http`` to a non-loopback host (sends the key in clear text).
        session: a ``requests.Session`` to send through (with adapters, proxies or hooks of your
            own); a pooled adapter is mounted on it unless it has its own for ``https://``.
        sleep: sleep function for retries (tests inject one that does not sleep).
        clock: monotonic clock for retries.
        rng: jitter source for retries.
        environ: environment to read instead of ``os.environ``.
        journal: the journal file (``":memory:"`` for none on disk). Default:
            ``$ARIZE_ORGS_NB_HOME/journal/<host>-<key fingerprint>.sqlite3``, with
            ``ARIZE_ORGS_NB_HOME`` defaulting to ``~/.arize_orgs_nb``.
        rate_limit: a fixed client-side rate shared by all threads, e.g.
            ``RateLimit(writes_per_second=2)``; none by default (the service's 429s and their
            ``Retry-After`` are honoured either way).
        pacing: the rate learnt from the service's 429s, shared by all threads (on by default:
            nothing waits until a 429; then requests of that kind are paced just under what the
            service accepted). ``None`` turns it off. See :class:`AdaptivePacing`.

    Raises:
        MissingAPIKeyError: no key given or set (use :meth:`sandbox` to work offline).
        InsecureTransportError: ``http`` to a host that is not on this machine.
    """

    organizations: Organizations[Plan[ApplyResult]]
    """The seven organization calls (``list``, ``get``, ``create``, ``update``, ``delete``,
    ``add_user``, ``remove_user``) and ``iter``."""
    users: Users
    """Users: ``list``, ``iter``, ``get``, ``find_by_email``, ``to_frame``."""
    memberships: Memberships
    """Member-role bulk edits: ``plan(frame)``, and ``known()`` roles from the journal."""
    journal: Journal
    """The local journal of every bulk write: ``to_frame()``, ``undo(result)``, ``resume()``."""
    local_sandbox: Sandbox | None
    """The embedded stand-in server this client talks to, when made by :meth:`sandbox`."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_host: str | None = None,
        api_scheme: str | None = None,
        api_port: int | None = None,
        region: str | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        verify: bool | str | None = None,
        allow_insecure_http: bool = False,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        environ: Mapping[str, str] | None = None,
        journal: str | Path | None = None,
        rate_limit: RateLimit | None = None,
        pacing: AdaptivePacing | None = DEFAULT_PACING,
    ) -> None:
        connect, read = timeout if isinstance(timeout, tuple) else (min(5.0, timeout), timeout)
        self.settings: Settings = resolve_settings(
            api_key=api_key,
            api_host=api_host,
            api_scheme=api_scheme,
            api_port=api_port,
            region=region,
            connect_timeout=connect,
            read_timeout=read,
            retry=retry,
            verify=verify,
            allow_insecure_http=allow_insecure_http,
            environ=environ,
            rate_limit=rate_limit,
            pacing=pacing,
        )
        self.transport = Transport(self.settings, session=session, sleep=sleep, clock=clock, rng=rng)
        if journal is None:  # no local holds os.environ (it holds the key): see config.resolve_settings
            home = (os.environ if environ is None else environ).get("ARIZE_ORGS_NB_HOME", "~/.arize_orgs_nb")
            journal = default_journal_path(home, self.settings.host, self.settings.api_key.fingerprint)
        ledger = Ledger(journal)
        # The applier sends through an Organizations of its own (the calls are stateless), so the
        # one users hold can take the planner without a construction cycle.
        applier = Applier(
            transport=self.transport,
            organizations=Organizations(self.transport, sleep=sleep),
            ledger=ledger,
            clock=clock,
        )
        self.organizations = Organizations(self.transport, sleep=sleep, planner=org_planner(applier))
        self.users = Users(self.transport)
        self.memberships = Memberships(self.organizations, self.users, ledger, applier)
        self.journal = Journal(ledger, applier)
        self._applier = applier
        self.local_sandbox = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._sandbox_control: SandboxControl | None = None
        self._sandbox_probed = False

    @classmethod
    def sandbox(
        cls,
        *,
        orgs: int = 40,
        users: int = 15,
        seed: int = 0,
        latency_ms: float = 0.0,
        rate_limit_share: float = 0.0,
        error_share: float = 0.0,
        write_rate: float = 0.0,
        read_rate: float = 0.0,
        db: str | None = None,
        api_key: str = "sandbox-key",
        in_process: bool = False,
        **client_options: Any,  # noqa: ANN401 - forwarded to ArizeOrgs()
    ) -> ArizeOrgs:
        """Start the embedded stand-in of the Arize API and return a client connected to it.

        The stand-in serves real HTTP on a free port of 127.0.0.1 (or, with ``in_process``,
        plugs into the client's session with no socket). It stops when the client is closed,
        garbage-collected, or at interpreter exit. No key and no network are needed.

        Args:
            orgs: organizations to seed.
            users: users to seed (mixed account roles, annotators included).
            seed: makes the seed data (and fault draws) reproducible.
            latency_ms: delay added to every request.
            rate_limit_share: share of requests answered 429 with ``Retry-After``.
            error_share: share of requests answered 5xx.
            write_rate: the stand-in's limit on POST, PATCH and DELETE per second for each key
                (a token bucket, burst of one second's worth); over it, 429 with the whole seconds
                until a token is back in ``Retry-After``. 0: no limit.
            read_rate: the same for GET.
            db: SQLite file to keep the data in (default: memory).
            api_key: the key the stand-in accepts.
            in_process: skip sockets and call the stand-in directly (fast tests).
            **client_options: passed to :class:`ArizeOrgs` (``retry``, ``sleep``, ...).

        Returns:
            A client; ``client.local_sandbox`` is the server (request log, fault knobs).
        """
        from arize_orgs_nb.sandbox import Sandbox

        client_options.setdefault("journal", ":memory:")  # sandbox data is throwaway; so is its journal

        server = Sandbox(
            api_key=api_key,
            orgs=orgs,
            users=users,
            seed=seed,
            db=db,
            latency_ms=latency_ms,
            rate_limit_share=rate_limit_share,
            error_share=error_share,
            write_rate=write_rate,
            read_rate=read_rate,
        )
        try:
            url = f"http://{_IN_PROCESS_HOST}" if in_process else server.serve()
            host = url.split("://", 1)[1]
            client = cls(api_key=api_key, api_host=host, api_scheme="http", environ={}, **client_options)
            if in_process:  # on the client's own session (or the one given): no socket at all
                client.transport.session.mount(url, server.adapter())
        except BaseException:
            server.stop()
            raise
        client.local_sandbox = server
        client._finalizer = weakref.finalize(client, server.stop)
        return client

    def load_plan(self, path: str | Path, *, allow_other_key: bool = False) -> Plan[ApplyResult]:
        """A plan saved with ``plan.save(path)``, to apply exactly as it was reviewed.

        Reading sends nothing. The file is refused if its content no longer matches its checksum
        (it was edited), if it was made against another API (base URL), or with another key
        (compared by fingerprint; ``allow_other_key=True`` accepts a plan reviewed with one key
        and applied with another). Applying the plan then checks the account against the
        expectations it was saved with, like any plan: a target changed since is refused as
        stale. Deletes and member removals still need ``confirm=``: a saved plan never holds a
        confirmation. See docs/PLAN_FORMAT.md.

        Args:
            path: the saved plan (JSON).
            allow_other_key: accept a plan made with another key of the same API.

        Returns:
            The plan; ``apply()`` sends it.

        Raises:
            SavedPlanError: unreadable, not a saved plan, or malformed (every problem listed).
            PlanAlteredError: edited since it was saved (the checksum does not match).
            PlanOriginError: made against another API, or with another key.
        """
        saved = read_plan(path, origin=self._applier.origin, allow_other_key=allow_other_key)
        return Plan(
            saved.kind,
            saved.changes,
            targets=saved.targets,
            runner=self._applier,
            left_out=saved.left_out,
            maybe_done=saved.maybe_done,
            account_size=saved.account_size,
        )

    @property
    def sandbox_control(self) -> SandboxControl | None:
        """Scheduled faults, knobs and a reset of the sandbox this client talks to; ``None`` otherwise.

        The same handle whether the sandbox runs in this process (:meth:`sandbox`) or in another
        one on this machine (``make run``): it talks to the sandbox's control endpoint over HTTP
        through this client. For a client not made by :meth:`sandbox`, the first access asks a
        server on this machine once whether it is a sandbox (``GET /_sandbox``); a remote host,
        the Arize API included, is never asked and gives ``None``.

        Raises:
            TransportError: the local server did not answer at all (on the first access).
        """
        if not self._sandbox_probed:
            self._sandbox_control = find_sandbox(self.transport, known=self.local_sandbox is not None)
            self._sandbox_probed = True
        return self._sandbox_control

    @property
    def base_url(self) -> str:
        """The API root, e.g. ``https://api.arize.com``."""
        return self.settings.base_url

    @property
    def target(self) -> str:
        """A one-line description of what this client talks to."""
        if self.local_sandbox is not None:
            return f"the embedded sandbox at {self.base_url} (no real data)"
        if self.settings.is_loopback:
            return f"a local server at {self.base_url} (a sandbox or a proxy on this machine)"
        return f"the Arize API at {self.base_url}"

    def close(self) -> None:
        """Close connections, and stop the embedded sandbox if this client started one."""
        self.transport.close()
        self.journal.store.close()
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> ArizeOrgs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        # Also called on a half-built client (a settings error inside __init__) by tracebacks
        # that show locals, such as IPython's %xmode Verbose: it must not raise.
        settings: Settings | None = getattr(self, "settings", None)
        if settings is None:
            return "ArizeOrgs(<not configured>)"
        kind = ", sandbox=True" if getattr(self, "local_sandbox", None) is not None else ""
        return f"ArizeOrgs(base_url={settings.base_url!r}, api_key=********{kind})"

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("an ArizeOrgs client holds an API key and live connections; it cannot be pickled")
