"""``PlanReview``: read a plan's diff, choose the changes to send, confirm the destructive ones, apply.

    plan = client.organizations.plan(edited, base=frame)
    plan.review()        # the same as PlanReview(plan)

One row per change (``+`` create, ``~`` change, ``-`` delete or member removal) with a checkbox
to include or exclude it, under a header that stays in view while the rows scroll. Deletes and
removals need confirmation first: the organization's name typed exactly, or the "I confirm every
destructive change" box. Apply sends only the included changes (``plan.select(keys).apply(...)``)
in a background thread, with a progress bar and a Cancel button (changes not sent yet end as
``skipped``). While the apply waits (a 429's pause, a backoff, client-side pacing) the review
says why and when it resumes, live. Each row then shows how it ended; "not applied" shows only
the rows that failed, were skipped or were refused. Retry failed sends those again
(``result.failed().apply(...)``) and the totals stay the whole plan's ("60 of 60 applied, 3 on
retry"). A plan refused before anything was sent (the account changed under it) names the rows
concerned and offers "Apply anyway", which overwrites what changed; never silently. Undo shows the
plan that reverts what was applied (``client.journal.undo(...)``), to review and apply the same
way. A double click applies once. Every server string is escaped.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.bulk.apply import Applier, ApplyProgress, ApplyResult, ChangeOutcome, outcome_text
from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE, Change, Op, change_lines
from arize_orgs_nb.bulk.journal import Journal
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.errors import OrgsNbError, PlanValidationError, StalePlanError
from arize_orgs_nb.http.transport import Transport
from arize_orgs_nb.tables import id_html
from arize_orgs_nb.visible import LEGEND, invisible_difference, quoted
from arize_orgs_nb.widgets._base import (
    Busy,
    Runner,
    StatusArea,
    ThreadRunner,
    _close_tree,
    css,
    fit,
    heading,
    label,
    wide,
)
from arize_orgs_nb.widgets._messages import (
    describe_error,
    describe_outcome,
    esc,
    one_line,
    status_html,
    visible,
    visible_controls,
)
from arize_orgs_nb.widgets._waits import WaitWatch
from arize_orgs_nb.wording import counted

__all__ = ["CONFIRM_ALL", "SHOW_ALL", "SHOW_NOT_APPLIED", "PlanReview", "diff_lines", "refusal_headline"]

CONFIRM_ALL = "I confirm every destructive change"
"""The label of the box that confirms every destructive change at once."""

SHOW_ALL, SHOW_NOT_APPLIED = "all changes", "not applied"
"""The choices of the row filter: every change, or only those that failed, were skipped or refused."""

_MARKER_COLORS = {"+": "#1b7f3a", "-": "#b3261e", "~": "#9a6700"}
_STATUS_COLORS = {"applied": "#1b7f3a", "failed": "#b3261e", "skipped": "#9a6700", "refused": "#b3261e"}
_COLUMNS = (  # (header, width in px): fixed, so the header grid lines up with the rows' grid; an
    ("send", 40),  # organizations plan fits an 800 px notebook output, a members plan scrolls sideways
    ("op", 92),
    ("organization", 154),
    ("user", 150),
    ("change", 270),
    ("result", 190),
)
_GAP = 8
_ROWS_HEIGHT = 460
"""Height (px) of the rows' area: longer plans scroll under the header."""
_SHOWN = 160
"""Longest value shown in a cell."""
_NOTE_SHOWN = 70
"""Longest note shown in a cell (the full note is its tooltip; cascades are spelled out below)."""
_NAMED = 5
"""Rows named in a refusal's headline (the details list them all)."""


def diff_lines(change: Change) -> list[str]:
    """What a change does to each field, as plain-text lines (values made visible, not escaped).

    Values are in the :mod:`arize_orgs_nb.visible` notation, ``name`` first; a field whose before
    and after look alike gets a second line saying how they differ.

    Args:
        change: one change of a plan.

    Returns:
        ``["name: “Team” → “Team␠”", "⚠ differs only in invisible characters: trailing space added"]``.
    """
    lines = []
    for line, field in zip(change_lines(change, limit=_SHOWN), _line_fields(change), strict=True):
        lines.append(line)
        note = invisible_difference(change.before.get(field), change.after.get(field)) if field else None
        lines += [f"⚠ {note}"] if note and change.op is not Op.CREATE else []
    return lines


def _line_fields(change: Change) -> list[str | None]:
    """The field each of :func:`change_lines`'s lines is about (None for a delete or a removal)."""
    if change.op in (Op.DELETE, Op.REMOVE_MEMBER):
        return [None]
    return list(change.fields)


def refusal_headline(error: BaseException, plan: Plan[Any]) -> str | None:
    """The one line a refused plan shows: why, that nothing was sent, and the rows concerned.

    Args:
        error: what ``apply`` raised.
        plan: the plan that was refused (for its rows' labels and names).

    Returns:
        ``"refused, nothing was sent: 2 changes conflict with the server since the plan was made:
        row 3 “Team A”: was renamed to 'Team Z'; ..."``, or None when ``error`` is no refusal.
    """
    by_key = {c.key: c for c in plan.changes}
    if isinstance(error, StalePlanError):
        named = [(by_key[k], why) for k, why in error.conflicts.items() if k in by_key]
        if not named:
            which = "; ".join(error.drifted[:_NAMED])
            return one_line(
                f"refused, nothing was sent: the account changed since the plan was made: {which}"
            )
        rows = "; ".join(f"row {c.row} {quoted(c.org_name)}: {why}" for c, why in named[:_NAMED])
        more = f"; and {len(named) - _NAMED} more" if len(named) > _NAMED else ""
        count = f"{len(named)} changes conflict" if len(named) != 1 else "1 change conflicts"
        return one_line(
            f"refused, nothing was sent: {count} with the server since the plan was made: "
            f"{rows}{more}. Refresh and plan again, or Apply anyway to overwrite"
        )
    if isinstance(error, PlanValidationError):
        rows = "; ".join(str(issue) for issue in error.issues[:_NAMED])
        more = f"; and {len(error.issues) - _NAMED} more" if len(error.issues) > _NAMED else ""
        count = counted(len(error.issues), "problem")
        return one_line(f"refused, nothing was sent: {count} in the plan: {rows}{more}")
    return None


def _short(text: str, limit: int = _SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(markup: str) -> str:
    """A cell's markup in a block with a compact line height that breaks long words."""
    return f'<div style="line-height:1.35;overflow-wrap:anywhere">{markup}</div>' if markup else ""


def _cell(markup: str, *classes: str) -> Any:  # noqa: ANN401 - an ipywidgets widget
    return css(
        widgets.HTML(value=_wrap(markup), layout=widgets.Layout(margin="0")), "aonb-review-cell", *classes
    )


def _result_html(outcome: ChangeOutcome) -> str:
    color = _STATUS_COLORS.get(outcome.status, "inherit")
    status = f"{outcome.status} (reconciled)" if outcome.reconciled else outcome.status
    details = outcome_text(outcome).replace(" · reconciled", "")
    if not outcome.attempts:
        details = " · ".join(filter(None, [details, "0 attempts"]))
    bits = [bit for part in (status, details) if part for bit in part.split(" · ")]
    markup = (  # each bit on one line ("1 attempt", "HTTP 200"): a narrow cell wraps between bits
        f'<span class="aonb-review-result-{esc(outcome.status)}" style="color:{color}">'
        + " · ".join(f'<span style="white-space:nowrap">{esc(bit)}</span>' for bit in bits)
        + "</span>"
    )
    message = describe_outcome(outcome)[0] if outcome.status == "failed" else one_line(outcome.error or "")
    if message:
        markup += (
            f'<br><span class="aonb-review-error" title="{esc(one_line(outcome.error or "", 1000))}" '
            f'style="color:#666">{esc(message)}</span>'
        )
    return markup


def _refused_html(why: str) -> str:
    return (
        f'<span class="aonb-review-result-refused" style="color:{_STATUS_COLORS["refused"]}">refused</span>'
        f'<br><span class="aonb-review-error" style="color:#666">{esc(one_line(why))}</span>'
    )


class PlanReview(StatusArea, Busy, widgets.VBox):
    """Review, select, confirm and apply a :class:`~arize_orgs_nb.bulk.plan.Plan`.

    Attributes:
        plan: the plan under review (never changed: Apply sends ``plan.select(included)``).
        result: the last apply's (or retry's) :class:`~arize_orgs_nb.bulk.apply.ApplyResult`, or None.
        outcomes: the latest outcome of every change sent, by change key.
        refused: the changes a refused apply named, with what changed under each, by change key.
        apply_ids: the journal ids of the applies made here (the first apply, then each retry).
        waits: what the running apply waits for (a 429's pause, a backoff), and the waits so far.
        status_kind: ``idle``, ``busy``, ``ok``, ``warn`` or ``error``.
        status_text: the status line as plain text.
        undo_review: the review of the plan reverting this one, once Undo was clicked.

    Args:
        plan: the plan.
        runner: how the apply runs (default: a background thread; ``SyncRunner`` for tests).
        workers: concurrent requests of the apply.
        transport: where to watch for waits (default: the transport of the plan's applier).
        journal: where Undo finds what was applied (default: the journal of the plan's applier;
            None without one: no Undo).
        clock: a monotonic clock for the waits' countdown: the transport's (tests inject one).
        wall_clock: Unix time, for "resumes at 14:02:31 UTC".
        tick: seconds between two refreshes of a wait's countdown (0: only when the wait changes).
        title: the heading.
        on_done: called with each apply's result (in the runner's thread), after the rows show it.
    """

    def __init__(
        self,
        plan: Plan[ApplyResult],
        *,
        runner: Runner | None = None,
        workers: int = 8,
        transport: Transport | None = None,
        journal: Journal | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
        tick: float = 1.0,
        title: str = "Review the plan",
        on_done: Callable[[ApplyResult], None] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.runner: Runner = runner if runner is not None else ThreadRunner("aonb-review")
        self.workers = workers
        applier = plan.runner if isinstance(plan.runner, Applier) else None
        self.transport = transport if transport is not None else (applier.transport if applier else None)
        self.journal = (
            journal if journal is not None else (Journal(applier.ledger, applier) if applier else None)
        )
        self.on_done = on_done
        self.result: ApplyResult | None = None
        self.outcomes: dict[str, ChangeOutcome] = {}
        self.refused: dict[str, str] = {}
        self.apply_ids: list[str] = []
        self.sent: list[str] = []
        self.status_kind = "idle"
        self.status_text = ""
        self.last_progress: ApplyProgress | None = None
        self.undo_review: PlanReview | None = None
        self._tick = tick
        self._applied = False
        self._busy = False
        self._retrying = False
        self._base_applied = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = threading.Event()
        self._ticking = False
        self._cancel: threading.Event | None = None
        self._confirmed: bool | list[str] | None = None
        self._stale = False
        self.waits = (
            WaitWatch(
                self.transport,
                clock=clock or time.monotonic,
                wall_clock=wall_clock,
                on_change=self._wait_changed,
            )
            if self.transport is not None
            else None
        )

        self.summary = css(widgets.HTML(value=self._summary_html()), "aonb-review-summary")
        self.estimate_line = css(widgets.HTML(), "aonb-review-estimate")
        self.include: dict[str, Any] = {}
        self.result_cells: dict[str, Any] = {}
        self.row_cells: dict[str, list[Any]] = {}
        self.table = css(self._build_table(), "aonb-review-table")
        self.include_all = css(
            widgets.Button(description="Include all", icon="check-square", layout=fit()),
            "aonb-review-include-all",
        )
        self.exclude_all = css(
            widgets.Button(description="Exclude all", icon="square", layout=fit()), "aonb-review-exclude-all"
        )
        self.count = css(widgets.HTML(), "aonb-review-count")
        self.show = css(
            widgets.Dropdown(
                options=[SHOW_ALL, SHOW_NOT_APPLIED],
                value=SHOW_ALL,
                description="Show",
                disabled=True,
                layout=widgets.Layout(width="220px"),
                style={"description_width": "40px"},
            ),
            "aonb-review-show",
        )

        self._groups = self._destructive_groups()
        self.confirm_inputs: dict[str, Any] = {}
        self._group_boxes: dict[str, Any] = {}
        self.confirm_all = css(
            widgets.Checkbox(description=CONFIRM_ALL, value=False, indent=False, layout=fit()),
            "aonb-review-confirm-all",
        )
        self.confirm_box = css(self._build_confirm_box(), "aonb-review-confirm")
        self.hint = css(widgets.HTML(), "aonb-review-hint")

        undo = plan.kind == "undo"
        self.apply_button = css(
            widgets.Button(
                description="Apply undo" if undo else "Apply",
                button_style="primary",
                icon="play",
                layout=fit(),
            ),
            "aonb-review-apply",
        )
        self.cancel_button = css(
            widgets.Button(description="Cancel", icon="stop", disabled=True, layout=fit()),
            "aonb-review-cancel",
        )
        self.retry_button = css(
            widgets.Button(description="Retry failed", icon="repeat", disabled=True, layout=fit()),
            "aonb-review-retry",
        )
        self.force_button = css(
            widgets.Button(
                description="Apply anyway (overwrite what changed)",
                button_style="warning",
                icon="exclamation-triangle",
                tooltip="apply with force=True: overwrites the changes made on the server since the plan",
                layout=widgets.Layout(width="max-content", display="none"),
            ),
            "aonb-review-force",
        )
        self.undo_button = css(
            widgets.Button(
                description="Undo",
                icon="undo",
                disabled=True,
                tooltip="review the plan that reverts what was applied here, then apply it",
                layout=widgets.Layout(width="max-content", display=None if self.journal else "none"),
            ),
            "aonb-review-undo",
        )
        self.progress = css(
            widgets.IntProgress(value=0, min=0, max=max(1, len(plan)), layout=widgets.Layout(width="320px")),
            "aonb-review-progress",
        )
        self.progress_label = css(widgets.HTML(), "aonb-review-progress-label")
        self.wait_line = css(widgets.HTML(), "aonb-review-wait")
        self.status = css(widgets.HTML(value=status_html("idle", "")), "aonb-review-status")
        self.details = css(widgets.Output(), "aonb-review-details")
        self.undo_area = css(widgets.VBox(), "aonb-review-undo-area")

        for checkbox in self.include.values():
            checkbox.observe(self._changed, "value")
        for text in self.confirm_inputs.values():
            text.observe(self._changed, "value")
        self.confirm_all.observe(self._changed, "value")
        self.show.observe(lambda _change: self.filter_rows(), "value")
        self.include_all.on_click(lambda _button: self.set_included(True))
        self.exclude_all.on_click(lambda _button: self.set_included(False))
        self.apply_button.on_click(lambda _button: self.apply())
        self.cancel_button.on_click(lambda _button: self.cancel())
        self.retry_button.on_click(lambda _button: self.retry())
        self.force_button.on_click(lambda _button: self.apply(force=True))
        self.undo_button.on_click(lambda _button: self.undo())
        self.children = (
            heading(title),
            self.summary,
            self.estimate_line,
            widgets.HBox(
                [self.include_all, self.exclude_all, self.count, self.show],
                layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
            ),
            self.table,
            self.confirm_box,
            self.hint,
            widgets.HBox(
                [
                    self.apply_button,
                    self.cancel_button,
                    self.retry_button,
                    self.force_button,
                    self.undo_button,
                ]
            ),
            widgets.HBox([self.progress, self.progress_label]),
            self.wait_line,
            self.status,
            self.details,
            self.undo_area,
        )
        css(self, "aonb-review")
        self._changed()

    def __repr__(self) -> str:
        return f"<PlanReview {self.plan.summary()}>"

    def text(self) -> str:
        """The review as plain text: its plan's table, then how it ended (the notebook's ``text/plain``)."""
        lines = ["Plan review (interactive: run the notebook to include, confirm and apply)", str(self.plan)]
        if self.status_text:
            lines.append(f"status: {self.status_text}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:  # noqa: ANN401
        """The widget's view, with :meth:`text` as its ``text/plain`` (docs/DESIGN.md, R35).

        ipywidgets' own ``text/plain`` is the widget's ``repr`` cut at 110 characters; a saved
        notebook shown without a kernel (a preview) shows this one instead.
        """
        bundle: dict[str, Any] | None = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = self.text()
        return bundle

    # -- building --------------------------------------------------------------------------

    def _summary_html(self) -> str:
        markup = f"<b>{esc(self.plan.summary())}</b>"
        if not len(self.plan):
            markup += '<br><span style="color:#666">nothing to apply</span>'
        for reason in self.plan.left_out:
            markup += f'<br><span style="color:#9a6700">⚠ left out: {esc(visible(reason))}</span>'
        return markup

    def _columns(self) -> list[tuple[str, int]]:
        users = any(c.user_id or c.user_email for c in self.plan.changes)
        return [(title, px) for title, px in _COLUMNS if users or title != "user"]

    def _build_table(self) -> Any:  # noqa: ANN401
        """The rows' grid in a scrolling area under a header grid with the same fixed columns."""
        columns = self._columns()
        tracks = " ".join(f"{px}px" for _, px in columns)
        width = sum(px for _, px in columns) + _GAP * (len(columns) - 1)
        grid = {"grid_template_columns": tracks, "grid_gap": f"2px {_GAP}px", "width": f"{width}px"}
        header = css(
            widgets.GridBox(
                [_cell(f"<b>{esc(title)}</b>", "aonb-review-header") for title, _ in columns],
                layout=widgets.Layout(
                    **grid,
                    border_bottom="1px solid #ccc",
                    padding="0 0 2px 0",
                    overflow="visible",
                    flex="0 0 auto",
                ),
            ),
            "aonb-review-head",
        )
        cells: list[Any] = []
        for change in self.plan.changes:
            row = self._row(change, users=any(title == "user" for title, _ in columns))
            self.row_cells[change.key] = row
            cells += row
        self.grid = css(  # its own height (no shrinking, no scrollbar of its own): the box around scrolls
            widgets.GridBox(
                cells,
                layout=widgets.Layout(**grid, align_items="center", overflow="visible", flex="0 0 auto"),
            ),
            "aonb-review-rows",
        )
        rows = css(
            widgets.Box(
                [self.grid],
                layout=widgets.Layout(
                    display="flex",
                    flex_flow="column",
                    max_height=f"{_ROWS_HEIGHT}px",
                    overflow="hidden auto",
                    width=f"{width + 20}px",
                ),
            ),
            "aonb-review-scroll",
        )
        return widgets.VBox([header, rows], layout=widgets.Layout(overflow="auto hidden", width="100%"))

    def _row(self, change: Change, *, users: bool) -> list[Any]:
        checkbox = css(
            widgets.Checkbox(value=True, indent=False, description="", layout=widgets.Layout(width="28px")),
            "aonb-review-include",
        )
        self.include[change.key] = checkbox
        marker = change.op.marker
        color = _MARKER_COLORS.get(marker, "inherit")
        op = f'<b style="color:{color}">{esc(marker)}</b> {esc(change.op.value)}'
        if change.op.destructive:
            op += f'<br><span style="color:{_STATUS_COLORS["failed"]}">{esc(change.risk)}</span>'
        org = esc(_short(visible(change.org_name)))
        if change.org_id:
            org += f"<br>{id_html(change.org_id)}"
        diff = "<br>".join(esc(line) for line in diff_lines(change))
        note = visible_controls(change.note)
        if note:
            diff += (
                f'<br><span class="aonb-review-note" style="color:#666" title="{esc(note)}">'
                f"{esc(_short(note, _NOTE_SHOWN))}</span>"
            )
        result = _cell('<span style="color:#666">—</span>', "aonb-review-result")
        self.result_cells[change.key] = result
        user = (
            [_cell(esc(visible(change.user_email or change.user_id or "")), "aonb-review-user")]
            if users
            else []
        )
        return [
            checkbox,
            _cell(op, "aonb-review-op"),
            _cell(org, "aonb-review-org"),
            *user,
            _cell(diff, "aonb-review-diff"),
            result,
        ]

    def _destructive_groups(self) -> dict[str, list[Change]]:
        groups: dict[str, list[Change]] = {}
        for change in self.plan.destructive:
            groups.setdefault(change.org_id or change.org_name, []).append(change)
        return groups

    def _build_confirm_box(self) -> Any:  # noqa: ANN401
        ops = {c.op for c in self.plan.destructive}
        warnings = []
        if Op.DELETE in ops:
            warnings.append(f"Each delete {CASCADE_DELETE}")
        if Op.REMOVE_MEMBER in ops:
            warnings.append(
                f"Each member removal {CASCADE_REMOVE}; adding them back does not restore their space roles."
            )
        rows: list[Any] = [
            widgets.HTML(
                value='<div class="aonb-review-warning" '
                'style="border-left:3px solid #b3261e;padding-left:6px">'
                + "".join(f"<b>{esc(w)}</b><br>" for w in warnings)
                + "Type the name of each organization below exactly (code points, case included) "
                f"to confirm its changes, or tick “{esc(CONFIRM_ALL)}”.</div>"
            )
        ]
        for key, changes in self._groups.items():
            name = changes[0].org_name
            shown = visible(name)
            what = []
            if any(c.op is Op.DELETE for c in changes):
                what.append("delete the organization and all of its spaces")
            removed = [c.user_email or c.user_id or "?" for c in changes if c.op is Op.REMOVE_MEMBER]
            if removed:
                what.append("remove " + ", ".join(removed))
            note = ""
            if shown != name:
                note = f" The name holds invisible characters, {LEGEND}: paste it."
            org_id = changes[0].org_id
            prompt = widgets.HTML(
                value=f"<code>{esc(shown)}</code> (id {id_html(org_id) if org_id else '?'}): "
                f"{esc('; '.join(what))}.{esc(note)}"
            )
            text = css(
                widgets.Text(
                    description="Confirm",
                    placeholder="type the organization's name exactly",
                    continuous_update=True,
                    layout=wide(),
                    style=label(),
                ),
                "aonb-review-confirm-name",
            )
            self.confirm_inputs[key] = text
            self._group_boxes[key] = css(widgets.VBox([prompt, text]), "aonb-review-confirm-group")
        rows += list(self._group_boxes.values())
        rows.append(self.confirm_all)
        return widgets.VBox(rows)

    # -- state -----------------------------------------------------------------------------

    def included_keys(self) -> list[str]:
        """Keys of the included changes, in plan order."""
        return [c.key for c in self.plan.changes if self.include[c.key].value]

    def set_included(self, included: bool, keys: list[str] | None = None) -> None:
        """Include (or exclude) every change, or only those of ``keys``.

        Args:
            included: the new state.
            keys: the changes concerned (default: all).
        """
        for key in keys if keys is not None else list(self.include):
            self.include[key].value = included

    def _included_destructive(self) -> dict[str, list[Change]]:
        keys = set(self.included_keys())
        groups = {k: [c for c in changes if c.key in keys] for k, changes in self._groups.items()}
        return {k: changes for k, changes in groups.items() if changes}

    def _group_confirmed(self, key: str) -> bool:
        # Exact code-point equality: no strip, no casefold, no normalisation
        # (docs/RELIABILITY.md, C15; docs/DESIGN.md, R32).
        return bool(self.confirm_inputs[key].value == self._groups[key][0].org_name)

    def unconfirmed(self) -> list[str]:
        """Names of the organizations whose included destructive changes still need confirmation."""
        if self.confirm_all.value:
            return []
        return [
            changes[0].org_name
            for key, changes in self._included_destructive().items()
            if not self._group_confirmed(key)
        ]

    def confirm_value(self) -> bool | list[str] | None:
        """What Apply passes as ``confirm``: True (the box), the typed names, or None."""
        if not self._included_destructive():
            return None
        if self.confirm_all.value:
            return True
        return sorted({changes[0].org_name for changes in self._included_destructive().values()})

    def problem(self) -> str | None:
        """Why Apply is disabled now, or None when it may run."""
        if self._busy:
            return "an apply is running"
        if self._applied:
            return "this plan was applied: use Retry failed for the changes that did not go through"
        if not self.included_keys():
            return "nothing to apply: include at least one change"
        unconfirmed = self.unconfirmed()
        if unconfirmed:
            names = ", ".join(f"“{visible(n)}”" for n in unconfirmed[:5])
            more = f" and {len(unconfirmed) - 5} more" if len(unconfirmed) > 5 else ""
            return (
                f"confirm the destructive changes first: type {names}{more} exactly, or tick “{CONFIRM_ALL}”"
            )
        return None

    def _retryable(self) -> bool:
        return self.result is not None and any(
            o.status in ("failed", "skipped") for o in self.result.outcomes
        )

    def not_applied(self) -> list[str]:
        """Keys of the changes that were sent and did not apply (failed, skipped) or were refused."""
        return [
            c.key
            for c in self.plan.changes
            if c.key in self.refused or (c.key in self.outcomes and self.outcomes[c.key].status != "applied")
        ]

    def filter_rows(self) -> None:
        """Show every row, or only those not applied (the "Show" choice)."""
        only = self.show.value == SHOW_NOT_APPLIED
        keep = set(self.not_applied()) if only else set(self.row_cells)
        for key, cells in self.row_cells.items():
            for cell in cells:
                cell.layout.display = None if key in keep else "none"
        self._count()

    def _count(self) -> None:
        keys = self.included_keys()
        self._show_estimate(keys)
        counted = f"{len(keys)} of {len(self.plan)} changes included"
        if self.show.value == SHOW_NOT_APPLIED:
            counted += f"; showing the {len(self.not_applied())} not applied"
        self.count.value = f'<span style="color:#666">&nbsp;{esc(counted)}</span>'

    def _show_estimate(self, keys: list[str]) -> None:
        """What sending the included changes should cost (``Plan.estimate``; nothing is sent)."""
        if not keys or self._applied:
            self.estimate_line.value = ""
            return
        estimate = self.plan.select(keys).estimate(workers=self.workers)
        self.estimate_line.value = f'<span style="color:#666">{esc(f"estimate: {estimate}")}</span>'

    def _changed(self, _change: Any = None) -> None:  # noqa: ANN401
        included = self._included_destructive()
        for key, box in self._group_boxes.items():
            box.layout.display = None if key in included else "none"
        self.confirm_box.layout.display = None if included else "none"
        self._count()
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """Enable what may be clicked now: Apply, Cancel, Retry failed, Undo, the checkboxes and inputs."""
        problem = self.problem()
        locked = self._busy or self._applied
        self.apply_button.disabled = problem is not None
        self.cancel_button.disabled = not self._busy or (self._cancel is not None and self._cancel.is_set())
        self.retry_button.disabled = self._busy or not self._retryable()
        self.force_button.layout.display = None if self._stale and not self._applied else "none"
        self.force_button.disabled = self._busy or problem is not None
        self.undo_button.disabled = self._busy or self.journal is None or not self._undoable()
        self.show.disabled = not (self.outcomes or self.refused)
        for widget in [*self.include.values(), *self.confirm_inputs.values(), self.confirm_all]:
            widget.disabled = locked
        self.include_all.disabled = self.exclude_all.disabled = locked
        quiet = self._busy or self._applied
        self.hint.value = (
            "" if problem is None or quiet else f'<span style="color:#666">{esc(problem)}</span>'
        )

    def _undoable(self) -> bool:
        opened = self.undo_review is not None and not self.undo_review._applied
        return not opened and any(o.status == "applied" for o in self.outcomes.values())

    # -- actions ---------------------------------------------------------------------------

    def apply(self, *, force: bool = False) -> bool:
        """Apply the included changes (what Apply does; ``force=True`` is what Apply anyway does).

        Args:
            force: apply even though the account changed since the plan was made (overwrites
                those changes): only after a refusal, and only by an explicit click.

        Returns:
            True when the apply started; False when refused (nothing included, destructive
            changes not confirmed, already applied) or ignored (an apply is running).
        """
        with self._lock:
            if self._busy:
                return False
            problem = self.problem()
            if problem is None:
                self._busy = True
                self._idle.clear()
        if problem is not None:
            self.set_status("error", f"not applied: {problem}")
            return False
        selected = self.plan.select(self.included_keys())
        self.sent = [c.key for c in selected]
        self._retrying = False
        verb = "applying anyway (overwriting what changed)" if force else "applying"
        return self._start(
            selected,
            self.confirm_value(),
            force=force,
            busy_text=f"{verb} {counted(len(selected), 'change')}…",
        )

    def retry(self) -> bool:
        """Apply again the changes that failed or were skipped (what Retry failed does).

        Returns:
            True when the retry started.
        """
        with self._lock:
            if self._busy:
                return False
            result = self.result
            ready = result is not None and self._retryable()
            if ready:
                self._busy = True
                self._idle.clear()
        if result is None or not ready:
            self.set_status("error", "nothing to retry")
            return False
        again = result.failed()
        self._retrying = True
        return self._start(
            again, self._confirmed, force=False, busy_text=f"retrying {counted(len(again), 'change')}…"
        )

    def cancel(self) -> bool:
        """Stop the running apply (what Cancel does): changes not sent yet end as skipped.

        Returns:
            True when a running apply was told to stop.
        """
        event = self._cancel
        if not self._busy or event is None or event.is_set():
            return False
        event.set()
        self.set_status("warn", "cancelling: the changes not sent yet will be skipped…")
        self.refresh_buttons()
        return True

    def undo(self) -> bool:
        """Show the plan that reverts what was applied here, to review and apply (what Undo does).

        Nothing is sent yet: the undo's own review applies it, after the same stale check (a
        colleague's later edit refuses it, naming the organization, unless applied anyway).

        Returns:
            True when the undo's review is shown.
        """
        if self._busy or self.journal is None or not self._undoable():
            self.set_status("error", "nothing to undo")
            return False
        try:
            plan = self.journal.undo(*reversed(self.apply_ids))
        except Exception as error:  # a journal that cannot be read: shown, nothing sent
            self.set_status("error", f"cannot undo: {describe_error(error)[0]}")
            return False
        self.undo_review = PlanReview(
            plan,
            runner=self.runner,
            workers=self.workers,
            transport=self.transport,
            journal=self.journal,
            clock=self.waits.clock if self.waits is not None else None,
            wall_clock=self.waits.wall_clock if self.waits is not None else time.time,
            tick=self._tick,
            title="Undo: the plan that reverts what was applied (nothing is sent until Apply undo)",
            on_done=self._undone,
        )
        self.undo_area.children = (self.undo_review,)
        self.refresh_buttons()
        return True

    def _undone(self, result: ApplyResult) -> None:
        counts = result.counts()
        self.set_status(
            "ok" if result.ok else "warn",
            f"undo: {counts.get('applied', 0)} of {counted(len(result), 'change')} reverted"
            + ("" if result.ok else "; see below"),
        )
        self.refresh_buttons()

    def _start(
        self, plan: Plan[ApplyResult], confirm: bool | list[str] | None, *, force: bool, busy_text: str
    ) -> bool:
        """Run ``plan.apply`` in the runner; the caller has set ``_busy``."""
        try:
            cancel = threading.Event()
            self._cancel = cancel
            self.last_progress = None
            total = len(self.sent)
            self._base_applied = self._applied_count() if self._retrying else 0
            self.progress.bar_style = ""
            self.progress.max = max(1, total)
            self.progress.value = self._base_applied
            self.progress_label.value = esc(self._progress_text(0, len(plan), 0))
            if self.waits is not None:
                self.waits.reset()
            self.wait_line.value = ""
            self.refresh_buttons()
            self.set_status("busy", busy_text)
            self.show_details(None)
            self.runner.submit(lambda: self._job(plan, confirm, cancel, force))
        except BaseException:
            self._finish()
            raise
        return True

    def _applied_count(self) -> int:
        return sum(1 for k in self.sent if k in self.outcomes and self.outcomes[k].status == "applied")

    def _progress_text(self, done: int, total: int, failed: int) -> str:
        if self._retrying:
            text = f"{self._base_applied + done} of {len(self.sent)} done (retrying {total}: {done} done)"
        else:
            text = f"{done} of {total} done"
        return text + (f", {failed} not applied" if failed else "")

    def _on_progress(self, progress: ApplyProgress) -> None:
        """The apply's progress callback (runs in the apply's worker threads)."""
        self.last_progress = progress
        self.progress.max = max(1, len(self.sent))
        self.progress.value = self._base_applied + progress.done
        self.progress_label.value = esc(self._progress_text(progress.done, progress.total, progress.failed))
        if self.waits is not None and self.waits.current is not None:
            self.render_wait()  # its "N of M done" follows the bar

    def _wait_changed(self) -> None:
        """A wait began, grew or ended (in the thread that saw it): show it, and tick while it lasts."""
        self.render_wait()
        waits = self.waits
        if waits is None or waits.current is None or self._tick <= 0 or self._ticking:
            return
        self._ticking = True
        threading.Thread(target=self._tick_loop, name="aonb-review-tick", daemon=True).start()

    def _tick_loop(self) -> None:
        try:
            while not self._closed.wait(self._tick):
                if not self.render_wait():
                    return
        finally:
            self._ticking = False

    def render_wait(self) -> bool:
        """Show the wait going on (why, how long is left, when it ends), or the waits so far.

        Returns:
            True while a wait goes on.
        """
        waits = self.waits
        if waits is None:
            return False
        text = waits.text()
        if text:
            done = self.last_progress.done if self.last_progress is not None else 0
            where = f"{self._base_applied + done} of {len(self.sent)} done"
            self.wait_line.value = (
                f'<span class="aonb-review-waiting" style="color:#9a6700">⚠ {esc(text)} · {esc(where)}</span>'
            )
            return True
        summary = waits.summary()
        self.wait_line.value = f'<span style="color:#666">{esc(summary)}</span>' if summary else ""
        return False

    def _job(
        self, plan: Plan[ApplyResult], confirm: bool | list[str] | None, cancel: threading.Event, force: bool
    ) -> None:
        stop_watching = self.waits.watch(threading.get_ident()) if self.waits is not None else lambda: None
        try:
            try:
                result = plan.apply(
                    confirm=confirm,
                    workers=self.workers,
                    force=force,
                    progress=self._on_progress,
                    cancel=cancel,
                )
            finally:
                stop_watching()  # a wait still shown ends with the apply
        except Exception as error:  # nothing was sent (stale, unconfirmed) or a bug: shown
            try:
                self._refused(plan, error)
            finally:
                self._finish()
            return
        try:
            self._confirmed = confirm
            self._record(result)
        finally:
            self._finish()
        if self.on_done is not None:
            self.on_done(result)

    def _refused(self, plan: Plan[ApplyResult], error: Exception) -> None:
        """Show why the apply was refused, and mark the rows it names (nothing was sent)."""
        message, detail = describe_error(error)
        if not isinstance(error, OrgsNbError):
            detail = traceback.format_exc()
        headline = refusal_headline(error, self.plan)
        self._stale = isinstance(error, StalePlanError)
        if isinstance(error, StalePlanError):
            for key in list(self.refused):
                self._show_result(key)
            self.refused = dict(error.conflicts)
            for key, why in self.refused.items():
                cell = self.result_cells.get(key)
                if cell is not None:
                    cell.value = _wrap(_refused_html(why))
        self.progress.bar_style = "danger"
        self.set_status("error", headline or message)
        self.show_details(detail)
        self.filter_rows()

    def _show_result(self, key: str) -> None:
        cell = self.result_cells.get(key)
        outcome = self.outcomes.get(key)
        if cell is not None:
            cell.value = _wrap(_result_html(outcome) if outcome else '<span style="color:#666">—</span>')

    def _record(self, result: ApplyResult) -> None:
        self._applied = True
        self.estimate_line.value = ""
        self._stale = False
        self.refused = {}
        self.result = result
        self.apply_ids.append(result.apply_id)
        for outcome in result.outcomes:
            self.outcomes[outcome.change.key] = outcome
        for change in self.plan.changes:
            self._show_result(change.key)
        sent = [self.outcomes[k] for k in self.sent if k in self.outcomes]
        applied = sum(o.status == "applied" for o in sent)
        skipped = sum(o.status == "skipped" for o in sent)
        failed = len(sent) - applied - skipped
        parts = [f"{applied} of {len(self.sent)} applied"]
        if self._retrying:
            again = sum(o.status == "applied" for o in result.outcomes)
            parts[0] += f" ({again} on retry)"
        if failed:
            parts.append(f"{failed} failed")
        if skipped:
            parts.append(f"{skipped} not sent")
        text = ", ".join(parts)
        first = next((o for o in sent if o.status not in ("applied", "skipped")), None)
        if first is not None:
            text += f": {describe_outcome(first)[0]}"
        if failed or skipped:
            text += "; Retry failed sends them again"
        kind = "ok" if not failed and not skipped else ("error" if failed else "warn")
        self.progress.bar_style = {"ok": "success", "warn": "warning"}.get(kind, "danger")
        self.progress.max = max(1, len(self.sent))
        self.progress.value = applied
        self.progress_label.value = esc(f"{applied} of {len(self.sent)} applied")
        self.set_status(kind, text)
        lines = [
            f"{o.status}: {o.change.op.value} {quoted(o.change.org_name)}"
            + (f" / {visible(o.change.user_email)}" if o.change.user_email else "")
            + f": {o.error}"
            for o in sent
            if o.status != "applied"
        ]
        self.show_details("\n".join(lines) if lines else None)
        self.filter_rows()

    def _finish(self) -> None:
        with self._lock:
            self._busy = False
        try:
            self.render_wait()
            self.refresh_buttons()
        finally:
            self._idle.set()

    def close(self) -> None:
        """Close this widget and every widget in it (a wait's countdown stops)."""
        self._closed.set()
        for child in self.children:
            _close_tree(child)
        super().close()
