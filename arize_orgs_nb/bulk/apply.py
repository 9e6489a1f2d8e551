"""Apply a plan: stale check, confirmation, safe order, bounded concurrency, one outcome per row.

Layer: above ``organizations``, ``plan`` and ``journal``. The order is: creates, renames (swaps
and cycles through temporary names), descriptions, member roles, member removals, and deletes
last. Workers share the client's transport, so one 429 pauses all of them. Every call is
journaled (intent before, outcome after); API errors are collected per row, never raised
half-way; a 401 stops the rest of the apply at once.

The account changes under you. Before it writes, every apply reads the account and compares it
with what its plan expects (:class:`~arize_orgs_nb.bulk.changes.Expectation`): a fresh plan, a retry
of what failed, an undo and a resume alike. A difference refuses the plan and names it, with
nothing sent, unless ``force=True``. Even forced, an apply always ends: a rename whose new name is
held by an organization the plan does not rename fails at once, with the holder's name, and so
do the renames that wait for it. A swap or cycle that cannot finish reports the temporary name it
left; ``result.failed().apply()`` finishes it.
"""

from __future__ import annotations

import functools
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from arize_orgs_nb.api.organizations import Organizations
from arize_orgs_nb.bulk.changes import Change, Expectation, Op, change_lines
from arize_orgs_nb.bulk.estimate import Estimate, RoundTrips, estimate
from arize_orgs_nb.bulk.ledger import JournalEntry, Ledger
from arize_orgs_nb.bulk.plan import TEXT_ROWS, TEXT_VALUE, Plan
from arize_orgs_nb.bulk.saved import PlanOrigin
from arize_orgs_nb.errors import (
    ApiError,
    AuthenticationError,
    ConfirmationRequiredError,
    NotFoundError,
    OrgsNbError,
    StalePlanError,
)
from arize_orgs_nb.frames import BOOLEAN, FLOAT, INTEGER, STRING, Column, FrameSchema
from arize_orgs_nb.http.transport import Transport, TransportEvent
from arize_orgs_nb.progress import Bar, progress_bar
from arize_orgs_nb.rules import unconfirmed
from arize_orgs_nb.tables import Markup, cut, esc, html_table, id_html, short_id, text_cell, text_table
from arize_orgs_nb.visible import fields_note, quoted, show, show_controls
from arize_orgs_nb.wording import counted

__all__ = [
    "RESULT_SCHEMA",
    "TEMP_PREFIX",
    "Applier",
    "ApplyProgress",
    "ApplyResult",
    "ChangeOutcome",
    "carry_forward",
    "outcome_text",
]

logger = logging.getLogger("arize_orgs_nb.bulk.apply")

TEMP_PREFIX = "~aonb-tmp-"
ERROR_TEXT = 80
"""Longest error in the plain-text form of a result (the frame holds the whole text)."""
_PAGE = 100  # organizations per request of the stale check's drain
_LATER_PHASES = (Op.DESCRIBE, Op.SET_ROLE, Op.REMOVE_MEMBER, Op.DELETE)
_ORG_OPS = (Op.CREATE, Op.RENAME, Op.DESCRIBE, Op.DELETE)
RESULT_SCHEMA = FrameSchema(
    "apply results",
    (
        Column("op", STRING),
        Column("organization", STRING, nullable=True),
        Column("organization_id", STRING, nullable=True, doc="missing for a create that did not land"),
        Column("user", STRING, nullable=True, doc="the member's email; missing for organization changes"),
        Column("after", STRING),
        Column("invisible", STRING, nullable=True),
        Column("status", STRING, doc="applied, failed, skipped or refused"),
        Column("reconciled", BOOLEAN, doc="confirmed on the server rather than by its own answer"),
        Column("http_status", INTEGER, doc="the last HTTP status, 0 when no answer came"),
        Column("error", STRING, nullable=True),
        Column("temporary_name", STRING, nullable=True),
        Column("attempts", INTEGER),
        Column("seconds", FLOAT),
        Column("row", STRING, nullable=True, doc="the label of the frame row the change came from"),
    ),
)
"""The columns of :meth:`ApplyResult.to_frame`."""

# How a change ended, for what the server should show after it (see carry_forward).
_HOW = {
    "applied": "applied",
    "failed": "uncertain",
    "started": "uncertain",
    "skipped": "not sent",
    "pending": "not sent",
    "refused": "not sent",
}


@dataclass(frozen=True)
class ChangeOutcome:
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
            after a crash or retrying, a change found already done (and not sent again).
        temporary_name: for a rename of a swap or cycle that did not finish, the temporary name
            the organization was left under (``result.failed().apply()`` finishes it).
        exception: the exception the change failed with (``None`` when it was not sent, or when
            the outcome was read back from the journal, which keeps its text in ``error``).
    """

    change: Change
    status: str
    http_status: int = 0
    error: str | None = None
    attempts: int = 0
    seconds: float = 0.0
    result_id: str | None = None
    reconciled: bool = False
    temporary_name: str | None = None
    exception: OrgsNbError | None = field(default=None, compare=False, repr=False)


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
        outcomes: one :class:`ChangeOutcome` per change, in plan order.
        apply_id: the journal id of this apply.
    """

    def __init__(self, plan: Plan[ApplyResult], outcomes: Sequence[ChangeOutcome], apply_id: str) -> None:
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

    def failed(self) -> Plan[ApplyResult]:
        """A plan of only the changes that failed or were not attempted (retry with ``.apply()``).

        Its stale check expects what this apply left on the server: an organization whose rename
        succeeded while its description failed is expected under its new name; one left under a
        swap's temporary name is expected under it (the retry finishes the swap). A failed change
        may have landed all the same (an unanswered call): the retry checks it on the server and
        does not send it again when it is done. Anything else changed since is refused as stale.
        """
        retry = self.plan.select(o.change.key for o in self.outcomes if o.status in ("failed", "skipped"))
        steps = [(o.change, _HOW[o.status], o.temporary_name) for o in self.outcomes]
        retry.targets = carry_forward(retry.targets, steps, keep=retry.targets.keys())
        retry.maybe_done = frozenset(o.change.key for o in self.outcomes if o.status == "failed")
        return retry

    def to_frame(self) -> pd.DataFrame:
        """One row per change: op, organization, user, after, invisible, status, HTTP status, error, ...

        ``organization`` and ``user`` are raw; ``after`` is the change as text, its values in the
        :mod:`~arize_orgs_nb.visible` notation (``name=“Team␠”``); ``invisible`` says how a field
        differs from its value before when they look alike, else it is missing. The dtypes are
        :data:`RESULT_SCHEMA`'s, whatever the rows and the pandas version.
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
                "temporary_name": o.temporary_name,
                "attempts": o.attempts,
                "seconds": round(o.seconds, 3),
                "row": o.change.row,
            }
            for o in self.outcomes
        ]
        return RESULT_SCHEMA.from_rows(rows)

    def __str__(self) -> str:
        """The outcome as a plain-text table, one row per change (the ``text/plain`` of a notebook)."""
        lines = [f"ApplyResult {self.summary()} (apply {self.apply_id})"]
        if self.outcomes:
            users = any(o.change.user_id or o.change.user_email for o in self.outcomes)
            headers = ["status", "op", "organization", "id", *(["user"] if users else []), "change", "result"]
            rows = [_text_row(o, users) for o in self.outcomes[:TEXT_ROWS]]
            lines += ["", text_table([*headers, "error"], rows)]
            if len(self.outcomes) > TEXT_ROWS:
                lines.append(
                    f"... and {len(self.outcomes) - TEXT_ROWS} more (result.to_frame() lists them all)"
                )
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # noqa: ANN401 - IPython's printer
        printer.text(repr(self) if cycle else str(self))

    def _repr_html_(self) -> str:
        users = any(o.change.user_id or o.change.user_email for o in self.outcomes)
        headers = ["status", "op", "organization", *(["user"] if users else []), "change", "result", "error"]
        table = html_table(
            headers, (_html_row(o, users) for o in self.outcomes), css_class="aonb-result-table"
        )
        heading = esc(f"{self.summary()} (apply {short_id(self.apply_id)})")
        return f"<div class='aonb-result'><p><b>{heading}</b></p>{table}</div>"


_STATUS_COLORS = {"applied": "#1b7f3a", "failed": "#b3261e", "skipped": "#9a6700", "refused": "#b3261e"}


def outcome_text(outcome: ChangeOutcome) -> str:
    """How a change ended besides its status: ``HTTP 200 · 1 attempt · reconciled`` (plain text)."""
    bits = [f"HTTP {outcome.http_status}"] if outcome.http_status else []
    if outcome.attempts:
        bits.append(counted(outcome.attempts, "attempt"))
    if outcome.reconciled:
        bits.append("reconciled")
    if outcome.temporary_name:
        bits.append(f"left as {quoted(outcome.temporary_name)}")
    return " · ".join(bits)


def _organization(outcome: ChangeOutcome) -> tuple[str, str | None]:
    return outcome.change.org_name, outcome.change.org_id or outcome.result_id


def _text_row(outcome: ChangeOutcome, users: bool) -> list[str]:
    name, org_id = _organization(outcome)
    change = outcome.change
    user = [text_cell(change.user_email or change.user_id)] if users else []
    return [
        outcome.status,
        change.op.value,
        text_cell(name),
        short_id(org_id),
        *user,
        "; ".join(change_lines(change, limit=TEXT_VALUE)),
        outcome_text(outcome),
        cut(_message(outcome.error), ERROR_TEXT),
    ]


def _html_row(outcome: ChangeOutcome, users: bool) -> list[object]:
    name, org_id = _organization(outcome)
    change = outcome.change
    color = _STATUS_COLORS.get(outcome.status, "inherit")
    organization = esc(show(name)) + (f"<br>{id_html(org_id)}" if org_id else "")
    warning = fields_note(change.before, change.after)
    lines = [esc(line) for line in change_lines(change)]
    lines += [f"<span style='color:#8a6d00'>⚠ {esc(warning)}</span>"] if warning else []
    user = [show(change.user_email or change.user_id or "")] if users else []
    return [
        Markup(f"<span style='color:{color}'>{esc(outcome.status)}</span>"),
        change.op.value,
        Markup(organization),
        *user,
        Markup("<br>".join(lines)),
        outcome_text(outcome),
        _message(outcome.error),
    ]


def _message(error: str | None) -> str:
    """An error as one line, hidden characters marked (its line breaks too: it is one cell)."""
    return " ".join(show_controls(error or "").split())


def carry_forward(
    targets: Mapping[str, Expectation],
    steps: Iterable[tuple[Change, str, str | None]],
    *,
    keep: Iterable[str] | None = None,
) -> dict[str, Expectation]:
    """What the server should show once some of a plan's changes ran.

    Args:
        targets: what the plan expected before it ran.
        steps: ``(change, how it ended, temporary name)``: ``"applied"`` moves the expectation to
            the change's new value; ``"uncertain"`` (failed, or sent with no answer recorded)
            accepts the old value, the new one and the temporary name; ``"not sent"`` expects
            the old value. A field the plan did not check is checked against the change's own
            old value (``change.before``), so every write rests on what it replaces.
        keep: the organizations to keep expectations for (default: all).

    Returns:
        The expectations, by organization id.
    """
    out = dict(targets)
    for change, how, temp in steps:
        if change.org_id is None or change.op not in _ORG_OPS:
            continue
        field = "description" if change.op is Op.DESCRIBE else "name"
        new = None if change.op is Op.DELETE else change.after.get(field)
        expected = out.get(change.org_id, Expectation(change.org_name))
        if how != "applied":  # a delete rests on the name and the description it would erase
            for checked in ("name", "description") if change.op is Op.DELETE else (field,):
                expected = expected.requiring(checked, change.before.get(checked))
        if how == "applied" or (how == "uncertain" and change.op is Op.DELETE):
            expected = expected.moved(field, new)
        elif how == "uncertain":
            expected = expected.widened(field, new, temp)
        out[change.org_id] = expected
    if keep is None:
        return out
    wanted = set(keep)
    return {k: v for k, v in out.items() if k in wanted}


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


class _Account:
    """The account as the apply last read it, kept current by its own writes.

    ``None`` for ``now`` means it was not read (a memberships plan that names organizations by
    id only): then nothing can be looked up here and changes are checked one by one.
    """

    def __init__(self, now: dict[str, tuple[str, str]] | None) -> None:
        self.read = now is not None
        self.orgs: dict[str, tuple[str, str]] = dict(now or {})
        self._holder = {name.casefold(): org_id for org_id, (name, _) in self.orgs.items()}

    def holder(self, name: str) -> str | None:
        """The id of the organization that holds ``name`` (names are unique, case-insensitively)."""
        return self._holder.get(name.casefold())

    def name_of(self, org_id: str) -> str:
        return self.orgs.get(org_id, ("", ""))[0]

    def set(self, org_id: str, *, name: str | None = None, description: str | None = None) -> None:
        old_name, old_description = self.orgs.get(org_id, ("", ""))
        if name is not None:
            if self._holder.get(old_name.casefold()) == org_id:
                del self._holder[old_name.casefold()]
            self._holder[name.casefold()] = org_id
        self.orgs[org_id] = (name or old_name, old_description if description is None else description)

    def drop(self, org_id: str) -> None:
        name, _ = self.orgs.pop(org_id, ("", ""))
        if self._holder.get(name.casefold()) == org_id:
            del self._holder[name.casefold()]


@dataclass
class _Run:
    """State of one apply in progress."""

    apply_id: str
    account: _Account
    maybe_done: frozenset[str] = frozenset()
    outcomes: dict[str, ChangeOutcome] = field(default_factory=dict)
    temps: dict[str, str] = field(default_factory=dict)
    aborted: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)
    on_done: Callable[[], None] = lambda: None


class Applier:
    """Runs plans for one client. Built by the client; call ``plan.apply()`` rather than this.

    Args:
        transport: the client's transport (shared by every worker).
        organizations: the organization calls it sends with (and drains for the stale check).
        ledger: where intents and outcomes are written.
        clock: monotonic clock, for per-row timings.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        organizations: Organizations[Any],
        ledger: Ledger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = transport
        self._orgs = organizations
        self._journal = ledger
        self._clock = clock
        self._round_trips = RoundTrips()
        transport.add_listener(self._round_trips)

    def __repr__(self) -> str:
        return f"<Applier journal={self._journal.path}>"

    @property
    def transport(self) -> Transport:
        """The transport every write goes through (listen to it for waits and answers)."""
        return self._transport

    @property
    def ledger(self) -> Ledger:
        """The journal's store this applier writes to."""
        return self._journal

    @property
    def origin(self) -> PlanOrigin:
        """The API and key fingerprint this applier sends with (what a saved plan records)."""
        settings = self._transport.settings
        return PlanOrigin(settings.base_url, settings.api_key.fingerprint)

    def __call__(
        self,
        plan: Plan[ApplyResult],
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
        account = self._check_fresh(plan, force=force)
        apply_id = self._journal.begin(plan.kind, plan.summary(), plan.changes, plan.targets)
        run = _Run(apply_id, account, plan.maybe_done, cancel=cancel or threading.Event())
        return self._run(plan, run, workers=workers, progress=progress)

    def resume(
        self,
        apply_id: str,
        *,
        workers: int = 8,
        progress: Any = None,  # noqa: ANN401
        force: bool = False,
    ) -> ApplyResult:
        """Finish an apply that was interrupted (a killed kernel): nothing done is done again.

        The rest of the plan is checked against the server first, like any plan: it expects what
        the interrupted apply left (its applied changes done; a change that was sent with no
        answer recorded either way, or under its temporary name). Anything else changed since is
        refused as stale, unless ``force``. A change sent but unanswered is checked on the server
        and not sent again when it landed; a member removal answered "not a member" is done.

        Args:
            apply_id: the journal id of the interrupted apply.
            workers: concurrent requests.
            progress: as for :meth:`Plan.apply`.
            force: apply the rest even if the account changed since.

        Returns:
            The outcome of every change of the apply: the ones it had finished, as recorded, and
            the rest.

        Raises:
            StalePlanError: the account changed under the unfinished part (nothing sent).
        """
        entries = self._journal.entries(apply_id)
        kind, planned = self._journal.plan_of(apply_id)
        steps = [(e.change, _HOW[e.status], e.temp_name) for e in entries]
        todo = [e for e in entries if e.status in ("pending", "started")]
        targets = carry_forward(planned, steps, keep={str(e.change.org_id) for e in todo})
        plan = Plan(
            kind,
            [e.change for e in todo],
            targets=targets,
            runner=self,
            maybe_done=[e.change.key for e in todo if e.status == "started"],
        )
        account = self._check_fresh(plan, force=force)
        run = _Run(apply_id, account, plan.maybe_done)
        for entry in todo:
            if entry.temp_name and account.name_of(str(entry.change.org_id)) == entry.temp_name:
                run.temps[entry.change.key] = entry.temp_name
        done = {e.change.key: _recorded(e) for e in entries if e.status not in ("pending", "started")}
        result = self._run(plan, run, workers=workers, progress=progress)
        whole = Plan(kind, [e.change for e in entries], targets=planned, runner=self)
        outcomes = [done.get(e.change.key) or run.outcomes[e.change.key] for e in entries]
        return ApplyResult(whole, outcomes, result.apply_id)

    def estimate(self, plan: Plan[ApplyResult], *, workers: int = 8) -> Estimate:
        """What applying ``plan`` should cost (see :meth:`Plan.estimate`); nothing is sent."""
        reads = math.ceil((plan.account_size or 1) / _PAGE) if _reads_account(plan) else 0
        return estimate(
            writes=len(plan.changes),
            reads=reads,
            workers=workers,
            write_rate=self._transport.known_rate(write=True),
            read_rate=self._transport.known_rate(write=False),
            round_trips=self._round_trips,
        )

    # -- checks before any write -----------------------------------------------------------

    def _check_fresh(self, plan: Plan[ApplyResult], *, force: bool) -> _Account:
        """Compare the plan's expectations with the account now; return the account as read.

        Raises:
            StalePlanError: an expectation no longer holds (and not ``force``).
        """
        if not _reads_account(plan):
            return _Account(None)
        current = self._orgs.to_frame(page_size=_PAGE, progress=False)
        account = _Account(
            {
                str(i): (str(n), str(d))
                for i, n, d in zip(current["id"], current["name"], current["description"], strict=True)
            }
        )
        drifted: list[str] = []
        conflicts: dict[str, str] = {}
        for org_id, expected in plan.targets.items():
            why = expected.drift(account.orgs.get(org_id))
            if why is not None:
                drifted.append(f"{expected.label!r} ({org_id}) {why}")
                conflicts.update((c.key, why) for c in plan.changes if c.org_id == org_id)
        leaving = {c.org_id for c in plan.changes if c.op is Op.RENAME}
        for change in plan.changes:
            new_name = change.after.get("name") if change.op in (Op.CREATE, Op.RENAME) else None
            holder = None if new_name is None else account.holder(new_name)
            if holder is None or holder == change.org_id or holder in leaving:
                continue
            if change.key in plan.maybe_done and _is_created(change, account, holder):
                continue  # our own create, answered too late: adopted, not stale
            why = f"{new_name!r} is now taken by organization {account.name_of(holder)!r} ({holder})"
            drifted.append(why)
            conflicts.setdefault(change.key, why)
        if drifted and not force:
            raise StalePlanError(drifted, conflicts=conflicts)
        return account

    # -- running ---------------------------------------------------------------------------

    def _run(self, plan: Plan[ApplyResult], run: _Run, *, workers: int, progress: Any) -> ApplyResult:  # noqa: ANN401
        attempts = _Attempts()
        remove = self._transport.add_listener(attempts)
        bar, report = _progress(progress, len(plan.changes), run)
        run.on_done = report
        renamed = {c.org_id for c in plan.changes if c.op is Op.RENAME}
        creates = [c for c in plan.changes if c.op is Op.CREATE]
        # A create that takes a name a rename of this plan frees must wait for the renames.
        late = [c for c in creates if run.account.holder(str(c.after["name"])) in renamed]
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aonb-apply") as pool:
                step = functools.partial(self._run_layer, pool, run=run, attempts=attempts)
                step([(c, None) for c in creates if c not in late])
                self._run_renames(step, [c for c in plan.changes if c.op is Op.RENAME], run)
                step([(c, None) for c in late])
                for phase in _LATER_PHASES:
                    step([(c, None) for c in plan.changes if c.op is phase])
        finally:
            remove()
            if bar is not None:
                bar.close()
        self._journal.finish(run.apply_id)
        return ApplyResult(plan, [run.outcomes[c.key] for c in plan.changes], run.apply_id)

    def _run_renames(
        self,
        step: Callable[[list[tuple[Change, str | None]]], None],
        renames: list[Change],
        run: _Run,
    ) -> None:
        """Run renames so that no step takes a name that is still held, and always end.

        Each round runs every rename whose new name is free; a rename whose new name is held by
        an organization that will not move (outside the plan, or whose own rename failed) fails
        without being sent; when only cycles are left, one organization of a cycle moves to a
        temporary name first. Every round finishes a rename or moves a new one to a temporary
        name, so there are at most twice as many rounds as renames.
        """
        pending = {c.key: c for c in renames}
        for _ in range(2 * len(renames) + 1):
            if not pending:
                return
            account = run.account
            ready = [c for c in pending.values() if account.holder(_new_name(c)) in (None, c.org_id)]
            if ready:
                step([(c, None) for c in ready])
                for change in ready:
                    del pending[change.key]
                continue
            moving = {c.org_id for c in pending.values()}
            blocked = [c for c in pending.values() if account.holder(_new_name(c)) not in moving]
            for change in blocked:
                self._fail_unsent(change, run, _held_reason(change, account, renames))
                del pending[change.key]
            if blocked:
                continue
            stuck = _on_a_cycle(list(pending.values()), account)
            if stuck.key in run.temps:
                break  # cannot happen: a cycle is broken once; stop rather than loop
            step([(stuck, f"{TEMP_PREFIX}{secrets.token_hex(4)}")])
            if stuck.key in run.outcomes:
                del pending[stuck.key]  # its first step failed
        for change in pending.values():
            self._fail_unsent(change, run, "not sent: the renames could not be ordered")

    def _run_layer(
        self,
        pool: ThreadPoolExecutor,
        steps: list[tuple[Change, str | None]],
        *,
        run: _Run,
        attempts: _Attempts,
    ) -> None:
        futures = [pool.submit(self._one, change, temp, run, attempts) for change, temp in steps]
        for future in futures:
            future.result()

    def _one(self, change: Change, temp: str | None, run: _Run, attempts: _Attempts) -> None:
        """Run one change (or the temporary-name step of a rename cycle) and record it."""
        with run.lock:
            if run.aborted is None and run.cancel.is_set():
                run.aborted = "cancelled before it was sent"
            if run.aborted is not None:
                self._record(run, ChangeOutcome(change, "skipped", error=f"not attempted: {run.aborted}"))
                return
        blocked = _name_taken(change, run.account) if temp is None else None
        if blocked is not None:
            self._fail_unsent(change, run, blocked)
            return
        attempts.reset()
        started = self._clock()
        self._journal.started(run.apply_id, change.key, temp_name=temp)
        result_id: str | None = None
        reconciled = False
        try:
            done = self._already_done(change, run) if change.key in run.maybe_done else None
            if done is not None:
                result_id, reconciled = done, True
            else:
                result_id, reconciled = self._send(change, temp, change.key in run.maybe_done)
        except OrgsNbError as exc:
            status = exc.status if isinstance(exc, ApiError) else 0
            if isinstance(exc, AuthenticationError):
                with run.lock:
                    run.aborted = "the API key was refused (401); the rest of the plan was stopped"
            outcome = ChangeOutcome(
                change, "failed", status, str(exc), attempts.count, self._clock() - started, exception=exc
            )
        else:
            outcome = ChangeOutcome(
                change,
                "applied",
                attempts.status,
                None,
                attempts.count,
                self._clock() - started,
                result_id,
                reconciled,
            )
            with run.lock:
                _follow(run.account, change, temp, result_id)
                if temp is not None:
                    run.temps[change.key] = temp
                    return  # the temporary step; the change completes in a later round
        self._record(run, outcome)

    def _fail_unsent(self, change: Change, run: _Run, reason: str) -> None:
        self._record(run, ChangeOutcome(change, "failed", error=reason))

    def _record(self, run: _Run, outcome: ChangeOutcome) -> None:
        temp = run.temps.get(outcome.change.key)
        if temp is not None and outcome.status != "applied":
            outcome = replace(
                outcome,
                temporary_name=temp,
                error=f"left under the temporary name {temp!r}: its swap or cycle of renames did not "
                f"finish ({outcome.error}); result.failed().apply() finishes it",
            )
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

    def _send(self, change: Change, temp: str | None, maybe_done: bool) -> tuple[str | None, bool]:
        """Send one change by id: (the new org's id for a create, whether it was reconciled)."""
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
            try:
                orgs.remove_user(organization=org_id, user_id=str(change.user_id))
            except NotFoundError:
                if not maybe_done:
                    raise
                orgs.get(organization=org_id)  # the org is there: "not a member" means it landed
                return None, True
        elif change.op is Op.DELETE:
            orgs.delete(organization=org_id)
        return None, False

    def _already_done(self, change: Change, run: _Run) -> str | None:
        """For a change that may have landed: its result id (``""`` if none) when it did, else None."""
        if change.op not in _ORG_OPS:
            return None  # memberships cannot be read back: the upsert or removal is sent again
        if not run.account.read:
            raise RuntimeError("a plan with organization changes always reads the account first")
        account = run.account
        if change.op is Op.CREATE:
            holder = account.holder(str(change.after["name"]))
            return holder if holder is not None and _is_created(change, account, holder) else None
        now = account.orgs.get(str(change.org_id))
        if change.op is Op.DELETE:
            return "" if now is None else None
        field = 0 if change.op is Op.RENAME else 1
        value = change.after["name" if change.op is Op.RENAME else "description"]
        return "" if now is not None and now[field] == value else None


def _recorded(entry: JournalEntry) -> ChangeOutcome:
    """The outcome of a change an interrupted apply had finished, as its journal recorded it."""
    return ChangeOutcome(
        entry.change,
        entry.status,
        entry.http_status or 0,
        entry.error,
        entry.attempts,
        entry.seconds or 0.0,
        entry.result_id,
        temporary_name=entry.temp_name if entry.status != "applied" else None,
    )


def _reads_account(plan: Plan[ApplyResult]) -> bool:
    """Whether applying ``plan`` reads the account first (the stale check, or a by-name lookup)."""
    return bool(plan.targets) or any(c.op in _ORG_OPS for c in plan.changes)


def _new_name(change: Change) -> str:
    return str(change.after["name"])


def _is_created(change: Change, account: _Account, holder: str) -> bool:
    """Is the organization ``holder`` the one this create makes (same name and description)?"""
    name, description = account.orgs[holder]
    return name == change.after["name"] and description == (change.after.get("description") or "")


def _follow(account: _Account, change: Change, temp: str | None, result_id: str | None) -> None:
    """Keep the apply's view of the account current after one of its own writes."""
    if change.op is Op.CREATE and result_id:
        account.set(result_id, name=_new_name(change), description=change.after.get("description") or "")
    elif change.op is Op.RENAME:
        account.set(str(change.org_id), name=temp or _new_name(change))
    elif change.op is Op.DESCRIBE:
        account.set(str(change.org_id), description=change.after.get("description"))
    elif change.op is Op.DELETE:
        account.drop(str(change.org_id))


def _name_taken(change: Change, account: _Account) -> str | None:
    """Why a create or rename would collide with a name held now (so it is not sent), or None."""
    if change.op not in (Op.CREATE, Op.RENAME) or not account.read:
        return None
    holder = account.holder(_new_name(change))
    if holder is None or holder == change.org_id or _is_created(change, account, holder):
        return None
    return (
        f"not sent: the name {_new_name(change)!r} is held by {account.name_of(holder)!r} ({holder}) "
        "on the server now"
    )


def _held_reason(change: Change, account: _Account, renames: list[Change]) -> str:
    holder = str(account.holder(_new_name(change)))
    ours = any(c.org_id == holder for c in renames)
    why = "whose own rename in this plan did not happen" if ours else "which this plan does not rename"
    return (
        f"not sent: the name {_new_name(change)!r} is held by {account.name_of(holder)!r} ({holder}), {why}"
    )


def _on_a_cycle(pending: list[Change], account: _Account) -> Change:
    """A rename on a cycle of renames that wait for each other (every one waits for another)."""
    by_org = {c.org_id: c for c in pending}
    change, seen = pending[0], set()
    while change.key not in seen:
        seen.add(change.key)
        change = by_org[account.holder(_new_name(change))]
    return change


def _check_confirmation(plan: Plan[Any], confirm: bool | Iterable[str] | None) -> None:
    """Each destructive change needs ``confirm=True`` or its exact name (or id), code point for code point."""
    missing = unconfirmed(plan.destructive, confirm)
    if missing:
        raise ConfirmationRequiredError(missing)


def _progress(progress: Any, total: int, run: _Run) -> tuple[Bar | None, Callable[[], None]]:  # noqa: ANN401
    """A bar (see :func:`~arize_orgs_nb.progress.progress_bar`), a callback, or nothing."""
    if progress is False or total == 0:
        return None, lambda: None
    if callable(progress):

        def report() -> None:
            failed = sum(o.status != "applied" for o in run.outcomes.values())
            progress(ApplyProgress(len(run.outcomes), total, failed))

        return None, report
    bar = progress_bar(progress, desc="applying", unit=" changes", total=total)

    def tick() -> None:
        if bar is not None:
            bar.update(1)

    return bar, tick
