"""Apply a plan: stale check, confirmation, safe order, bounded concurrency, one outcome per row.

Layer: above ``organizations``, ``plan`` and ``journal``. The order is: creates, renames (swaps
and cycles through temporary names), descriptions, member roles, member removals, and deletes
last. Workers share the client's transport, so one 429 pauses all of them (DESIGN §7). Every call
is journaled (intent before, outcome after); API errors are collected per row, never raised
half-way; a 401 stops the rest of the apply at once.
"""

from __future__ import annotations

import html
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from arize_orgs_nb.changes import Change, ConfirmationRequiredError, Op, StalePlanError
from arize_orgs_nb.errors import (
    ApiError,
    AuthenticationError,
    NameNotFoundError,
    NotFoundError,
    OrgsNbError,
)
from arize_orgs_nb.journal import Journal
from arize_orgs_nb.organizations import Organizations
from arize_orgs_nb.plan import OrgState, Plan
from arize_orgs_nb.transport import Transport, TransportEvent
from arize_orgs_nb.visible import fields_note, quoted, show

__all__ = ["TEMP_PREFIX", "Applier", "ApplyProgress", "ApplyResult", "Outcome"]

logger = logging.getLogger("arize_orgs_nb.apply")

TEMP_PREFIX = "~aonb-tmp-"
_PHASES = (Op.CREATE, Op.RENAME, Op.DESCRIBE, Op.SET_ROLE, Op.REMOVE_MEMBER, Op.DELETE)


@dataclass(frozen=True)
class Outcome:
    """How one change ended.

    Attributes:
        change: the change.
        status: ``applied``, ``failed``, ``skipped`` (not attempted) or ``refused``.
        http_status: the last HTTP status (0 when there was no answer).
        error: the error message, if any.
        attempts: HTTP attempts made (retries included).
        seconds: time spent.
        result_id: the new organization's id, for creates.
        reconciled: the change was confirmed on the server rather than by its own answer: a
            create whose answer was lost, found under its name and adopted; or, when resuming
            after a crash, a change found already done (and not sent again).
    """

    change: Change
    status: str
    http_status: int = 0
    error: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    result_id: str | None = None
    reconciled: bool = False


@dataclass(frozen=True)
class ApplyProgress:
    """What an apply progress callback receives: changes done out of total."""

    done: int
    total: int
    failed: int


class ApplyResult:
    """The outcome of every change of an applied plan.

    Attributes:
        plan: the plan that was applied.
        outcomes: one :class:`Outcome` per change, in plan order.
        apply_id: the journal id of this apply.
    """

    def __init__(self, plan: Plan, outcomes: Sequence[Outcome], apply_id: str) -> None:
        self.plan = plan
        self.outcomes = list(outcomes)
        self.apply_id = apply_id

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def ok(self) -> bool:
        """True when every change was applied."""
        return all(o.status == "applied" for o in self.outcomes)

    def counts(self) -> dict[str, int]:
        """Outcomes per status."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def summary(self) -> str:
        """One line: how many applied, failed, skipped."""
        parts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        return f"{self.plan.kind}: {parts or 'nothing to do'}"

    def __repr__(self) -> str:
        return f"<ApplyResult {self.summary()}>"

    def failed(self) -> Plan:
        """A plan of only the changes that failed or were not attempted (retry with ``.apply()``).

        Its stale check expects what this apply left on the server: an organization whose rename
        succeeded while its description failed is expected under its new name.
        """
        keys = {o.change.key for o in self.outcomes if o.status in ("failed", "skipped")}
        retry = self.plan.select(keys)
        for outcome in self.outcomes:
            change = outcome.change
            state = retry.targets.get(change.org_id or "")
            if outcome.status == "applied" and state is not None:
                retry.targets[str(change.org_id)] = OrgState(
                    name=change.after.get("name") or state.name,
                    description=change.after.get("description", state.description) or "",
                )
        return retry

    def to_frame(self) -> pd.DataFrame:
        """One row per change: op, organization, user, after, invisible, status, HTTP status, error, ...

        ``organization`` and ``user`` are raw; ``after`` is the change as text, its values in the
        :mod:`~arize_orgs_nb.visible` notation (``name=“Team␠”``); ``invisible`` says how a field
        differs from its value before when they look alike, else it is missing.
        """
        rows = [
            {
                "op": o.change.op.value,
                "organization": o.change.org_name,
                "organization_id": o.change.org_id or o.result_id,
                "user": o.change.user_email,
                "after": ", ".join(f"{k}={quoted(v)}" for k, v in sorted(o.change.after.items())),
                "invisible": fields_note(o.change.before, o.change.after),
                "status": o.status,
                "reconciled": o.reconciled,
                "http_status": o.http_status,
                "error": o.error,
                "attempts": o.attempts,
                "seconds": round(o.seconds, 3),
                "row": o.change.row,
            }
            for o in self.outcomes
        ]
        columns = [
            "op",
            "organization",
            "organization_id",
            "user",
            "after",
            "invisible",
            "status",
            "reconciled",
            "http_status",
            "error",
            "attempts",
            "seconds",
            "row",
        ]
        return pd.DataFrame(rows, columns=columns)

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        for column in ("organization", "user"):  # rendered visibly first, escaped by pandas
            frame[column] = [show(v) if isinstance(v, str) else v for v in frame[column]]
        table = frame.to_html(index=False, escape=True, na_rep="")
        return f"<p><b>{html.escape(self.summary(), quote=True)}</b></p>{table}"


class _Attempts:
    """Counts HTTP attempts per worker thread, from transport events."""

    def __init__(self) -> None:
        self._local = threading.local()

    def reset(self) -> None:
        self._local.count = 0
        self._local.status = 0

    def __call__(self, event: TransportEvent) -> None:
        if event.kind in ("response", "failure"):
            self._local.count = getattr(self._local, "count", 0) + 1
            self._local.status = event.status

    @property
    def count(self) -> int:
        return int(getattr(self._local, "count", 0))

    @property
    def status(self) -> int:
        return int(getattr(self._local, "status", 0))


@dataclass
class _Run:
    """State of one apply in progress."""

    apply_id: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    aborted: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    on_done: Callable[[], None] = lambda: None


class Applier:
    """Runs plans for one client. Built by the client; call ``plan.apply()`` rather than this.

    Args:
        transport: the client's transport (shared by every worker).
        organizations: the client's organization calls.
        journal: where intents and outcomes are written.
        current_orgs: drains the account's organizations (for the stale check).
        clock: monotonic clock, for per-row timings.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        organizations: Organizations,
        journal: Journal,
        current_orgs: Callable[[], pd.DataFrame],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._orgs = organizations
        self._journal = journal
        self._current_orgs = current_orgs
        self._clock = clock

    def __call__(
        self,
        plan: Plan,
        *,
        confirm: bool | Iterable[str] | None = None,
        workers: int = 8,
        force: bool = False,
        progress: Any = None,  # noqa: ANN401
        cancel: threading.Event | None = None,
    ) -> ApplyResult:
        """Apply ``plan`` (see :meth:`Plan.apply`)."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        _check_confirmation(plan, confirm)
        holders = self._check_fresh(plan, force=force)
        apply_id = self._journal.begin(plan.kind, plan.summary(), plan.changes)
        return self._run(
            plan,
            apply_id,
            holders=holders,
            workers=workers,
            progress=progress,
            reconcile=set(),
            cancel=cancel,
        )

    def resume(self, apply_id: str, *, workers: int = 8, progress: Any = None) -> ApplyResult:  # noqa: ANN401
        """Finish an apply that was interrupted (a killed kernel): nothing done is done again.

        Changes the journal records as sent but unanswered are checked on the server first.

        Args:
            apply_id: the journal id of the interrupted apply.
            workers: concurrent requests.
            progress: as for :meth:`Plan.apply`.

        Returns:
            The outcome of the remaining changes.
        """
        entries = self._journal.entries(apply_id)
        todo = [e for e in entries if e.status in ("pending", "started")]
        plan = Plan("resume", [e.change for e in todo], applier=self)
        reconcile = {e.change.key for e in todo if e.status == "started"}
        holders = _name_holders(self._current_orgs()) if any(c.op is Op.RENAME for c in plan) else {}
        return self._run(
            plan, apply_id, holders=holders, workers=workers, progress=progress, reconcile=reconcile
        )

    # -- checks before any write -----------------------------------------------------------

    def _check_fresh(self, plan: Plan, *, force: bool) -> dict[str, str]:
        """Compare the plan's assumptions with the server now; return name holders for renames."""
        org_ops = {Op.CREATE, Op.RENAME, Op.DESCRIBE, Op.DELETE}
        if not any(c.op in org_ops for c in plan.changes):
            return {}
        current = self._current_orgs()
        now = {str(r.id): OrgState(str(r.name), str(r.description)) for r in current.itertuples(index=False)}
        drifted: list[str] = []
        for org_id, assumed in plan.targets.items():
            state = now.get(org_id)
            if state is None:
                drifted.append(f"{assumed.name!r} ({org_id}) was deleted")
            elif state != assumed:
                what = (
                    "renamed to " + repr(state.name) if state.name != assumed.name else "description changed"
                )
                drifted.append(f"{assumed.name!r} ({org_id}) was {what}")
        holders = _name_holders(current)
        leaving = {c.org_id for c in plan.changes if c.op is Op.RENAME}
        for change in plan.changes:
            new_name = change.after.get("name") if change.op in (Op.CREATE, Op.RENAME) else None
            if new_name is None:
                continue
            holder = holders.get(new_name.casefold())
            if holder is not None and holder != change.org_id and holder not in leaving:
                drifted.append(f"{new_name!r} is now taken by organization {holder}")
        if drifted and not force:
            raise StalePlanError(drifted)
        return holders

    # -- running ---------------------------------------------------------------------------

    def _run(
        self,
        plan: Plan,
        apply_id: str,
        *,
        holders: dict[str, str],
        workers: int,
        progress: Any,  # noqa: ANN401
        reconcile: set[str],
        cancel: threading.Event | None = None,
    ) -> ApplyResult:
        run = _Run(apply_id, cancel=cancel or threading.Event())
        attempts = _Attempts()
        remove = self._transport.add_listener(attempts)
        bar, report = _progress(progress, len(plan.changes), run)
        run.on_done = report
        # A create that takes a name a rename of this plan frees must wait for the renames.
        renamed = {c.org_id for c in plan.changes if c.op is Op.RENAME}
        late = [
            c
            for c in plan.changes
            if c.op is Op.CREATE and holders.get(str(c.after["name"]).casefold()) in renamed
        ]
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aonb-apply") as pool:
                for phase in _PHASES:
                    changes = [c for c in plan.changes if c.op is phase and c not in late]
                    if phase is Op.RENAME:
                        for layer in _rename_layers(changes, holders):
                            self._run_layer(pool, layer, run, attempts, reconcile)
                        changes = late
                    if changes:
                        self._run_layer(pool, [(c, None) for c in changes], run, attempts, reconcile)
        finally:
            remove()
            if bar is not None:
                bar.close()
        self._journal.finish(apply_id)
        outcomes = [run.outcomes[c.key] for c in plan.changes]
        return ApplyResult(plan, outcomes, apply_id)

    def _run_layer(
        self,
        pool: ThreadPoolExecutor,
        steps: list[tuple[Change, str | None]],
        run: _Run,
        attempts: _Attempts,
        reconcile: set[str],
    ) -> None:
        futures = [pool.submit(self._one, change, temp, run, attempts, reconcile) for change, temp in steps]
        for future in futures:
            future.result()

    def _one(
        self, change: Change, temp: str | None, run: _Run, attempts: _Attempts, reconcile: set[str]
    ) -> None:
        """Run one change (or the temporary-name step of a rename cycle) and record it."""
        with run.lock:
            previous = run.outcomes.get(change.key)
            if previous is not None and previous.status != "applied":
                return  # its first step failed
            if run.aborted is None and run.cancel.is_set():
                run.aborted = "cancelled before it was sent"
            if run.aborted is not None:
                self._record(run, Outcome(change, "skipped", error=f"not attempted: {run.aborted}"))
                return
        attempts.reset()
        started = self._clock()
        self._journal.started(run.apply_id, change.key)
        result_id: str | None = None
        reconciled = False
        try:
            if change.key in reconcile and self._already_done(change):
                result_id, reconciled = self._created_id(change), True
            else:
                result_id, reconciled = self._send(change, temp)
        except OrgsNbError as exc:
            status = exc.status if isinstance(exc, ApiError) else 0
            if isinstance(exc, AuthenticationError):
                with run.lock:
                    run.aborted = "the API key was refused (401); the rest of the plan was stopped"
            outcome = Outcome(change, "failed", status, str(exc), attempts.count, self._clock() - started)
        else:
            outcome = Outcome(
                change,
                "applied",
                attempts.status,
                None,
                attempts.count,
                self._clock() - started,
                result_id,
                reconciled,
            )
        if temp is not None and outcome.status == "applied":
            return  # the temporary step; the change completes in a later layer
        self._record(run, outcome)

    def _record(self, run: _Run, outcome: Outcome) -> None:
        self._journal.outcome(
            run.apply_id,
            outcome.change.key,
            status=outcome.status,
            http_status=outcome.http_status or None,
            error=outcome.error,
            attempts=outcome.attempts,
            seconds=outcome.seconds,
            result_id=outcome.result_id,
        )
        with run.lock:
            run.outcomes[outcome.change.key] = outcome
        run.on_done()

    def _send(self, change: Change, temp: str | None) -> tuple[str | None, bool]:
        """Send one change: (the new org's id for a create, whether the create was adopted)."""
        orgs = self._orgs
        org_id = change.org_id or ""
        if change.op is Op.CREATE:
            created, adopted = orgs.create_or_adopt(
                name=str(change.after["name"]), description=change.after.get("description")
            )
            return created.id, adopted
        if change.op is Op.RENAME:
            orgs.update(organization=org_id, name=temp or str(change.after["name"]))
        elif change.op is Op.DESCRIBE:
            orgs.update(organization=org_id, description=str(change.after["description"]))
        elif change.op is Op.SET_ROLE:
            orgs.add_user(organization=org_id, user_id=str(change.user_id), role=str(change.after["role"]))
        elif change.op is Op.REMOVE_MEMBER:
            orgs.remove_user(organization=org_id, user_id=str(change.user_id))
        elif change.op is Op.DELETE:
            orgs.delete(organization=org_id)
        return None, False

    def _already_done(self, change: Change) -> bool:
        """For a change sent before a crash with no recorded answer: did it land?"""
        try:
            if change.op is Op.CREATE:
                self._orgs._index.lookup(str(change.after["name"]))
                return True
            if change.op in (Op.RENAME, Op.DESCRIBE):
                org = self._orgs.get(organization=str(change.org_id))
                return all(getattr(org, k) == v for k, v in change.after.items())
            if change.op is Op.DELETE:
                self._orgs.get(organization=str(change.org_id))
                return False
        except (NotFoundError, NameNotFoundError):
            return change.op is Op.DELETE
        return False  # memberships cannot be read back: the upsert or removal is sent again

    def _created_id(self, change: Change) -> str | None:
        if change.op is Op.CREATE:
            return self._orgs._index.cached(str(change.after["name"]))
        return None


def _check_confirmation(plan: Plan, confirm: bool | Iterable[str] | None) -> None:
    """Destructive changes need ``confirm=True`` or their exact names (or ids), code point for code point."""
    destructive = plan.destructive
    if not destructive or confirm is True:
        return
    confirmed = set() if confirm in (None, False) else set(confirm)  # type: ignore[arg-type]
    missing = [c for c in destructive if c.org_name not in confirmed and c.org_id not in confirmed]
    if missing:
        raise ConfirmationRequiredError(missing)


def _name_holders(orgs: pd.DataFrame) -> dict[str, str]:
    return {str(n).casefold(): str(i) for i, n in zip(orgs["id"], orgs["name"], strict=True)}


def _rename_layers(changes: list[Change], holders: dict[str, str]) -> list[list[tuple[Change, str | None]]]:
    """Order renames so no step ever takes a name that is still held.

    Chains run tail first; a cycle goes through a temporary name (``~aonb-tmp-<8 hex>``) that the
    last step of the cycle replaces.
    """
    held = dict(holders)
    current = {c.org_id: c.before.get("name") or "" for c in changes}
    pending = list(changes)
    layers: list[list[tuple[Change, str | None]]] = []
    while pending:
        ready = [c for c in pending if held.get(str(c.after["name"]).casefold(), c.org_id) == c.org_id]
        if not ready:
            stuck = pending[0]
            temp = f"{TEMP_PREFIX}{secrets.token_hex(4)}"
            layers.append([(stuck, temp)])
            held.pop(str(current[stuck.org_id]).casefold(), None)
            held[temp.casefold()] = str(stuck.org_id)
            current[stuck.org_id] = temp
            continue
        for change in ready:
            held.pop(str(current[change.org_id]).casefold(), None)
            held[str(change.after["name"]).casefold()] = str(change.org_id)
        layers.append([(c, None) for c in ready])
        pending = [c for c in pending if c not in ready]
    return layers


def _progress(progress: Any, total: int, run: _Run) -> tuple[Any, Callable[[], None]]:  # noqa: ANN401
    """A tqdm bar (notebooks and terminals), a callback, or nothing."""
    if progress is False or total == 0:
        return None, lambda: None
    if callable(progress):

        def report() -> None:
            failed = sum(o.status != "applied" for o in run.outcomes.values())
            progress(ApplyProgress(len(run.outcomes), total, failed))

        return None, report
    if progress is None and "ipykernel" not in sys.modules and not sys.stderr.isatty():
        return None, lambda: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="applying", unit=" changes")

    def tick() -> None:
        bar.update(1)

    return bar, tick
