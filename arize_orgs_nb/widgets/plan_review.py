"""``PlanReview``: read a plan's diff, choose the changes to send, confirm the destructive ones, apply.

    plan = client.organizations.plan(edited, base=frame)
    plan.review()        # the same as PlanReview(plan)

One row per change (``+`` create, ``~`` change, ``-`` delete or member removal) with a checkbox
to include or exclude it. Deletes and removals need confirmation first: the organization's name
typed exactly, or the "I confirm every destructive change" box. Apply sends only the included
changes (``plan.select(keys).apply(...)``) in a background thread, with a progress bar and a
Cancel button (changes not sent yet end as ``skipped``); each row then shows how it ended, and
Retry failed sends the changes that failed or were skipped (``result.failed().apply(...)``).
A double click applies once. Every server string is escaped.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.bulk.apply import ApplyProgress, ApplyResult, ChangeOutcome
from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE, Change, Op
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.visible import LEGEND, invisible_difference, quoted
from arize_orgs_nb.widgets._base import Runner, StatusArea, ThreadRunner, css, fit, heading, label, wide
from arize_orgs_nb.widgets._messages import (
    describe_error,
    describe_outcome,
    esc,
    one_line,
    status_html,
    visible,
    visible_controls,
)

__all__ = ["CONFIRM_ALL", "PlanReview"]

CONFIRM_ALL = "I confirm every destructive change"
"""The label of the box that confirms every destructive change at once."""

_MARKER_COLORS = {"+": "#1b7f3a", "-": "#b3261e", "~": "#9a6700"}
_STATUS_COLORS = {"applied": "#1b7f3a", "failed": "#b3261e", "skipped": "#9a6700", "refused": "#b3261e"}
_COLUMNS = (  # (header, grid track); the user column is left out of plans without members
    ("include", "auto"),
    ("", "auto"),
    ("op", "auto"),
    ("organization", "minmax(120px, 1.2fr)"),
    ("user", "minmax(100px, 1fr)"),
    ("before → after", "minmax(160px, 2fr)"),
    ("risk", "auto"),
    ("note", "minmax(100px, 1fr)"),
    ("result", "minmax(150px, 1.3fr)"),
)
_SHOWN = 160
"""Longest value shown in a cell."""
_NOTE_SHOWN = 70
"""Longest note shown in a cell (the full note is its tooltip; cascades are spelled out below)."""


def _short(text: str, limit: int = _SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(value: str | None) -> str:
    if value is None:
        return "unknown"
    if value == "":
        return "(empty)"
    return f"“{_short(visible(value))}”"


def diff_lines(change: Change) -> list[str]:
    """What a change does to each field, as plain-text lines (values made visible, not escaped).

    Values are in the :mod:`arize_orgs_nb.visible` notation; a field whose before and after look
    alike gets a second line saying how they differ.

    Args:
        change: one change of a plan.

    Returns:
        ``["name: “Team” → “Team␠”", "⚠ differs only in invisible characters: trailing space added"]``.
    """
    if change.op is Op.DELETE:
        return [f"name: {_quote(change.org_name)} → deleted, with all of its spaces"]
    if change.op is Op.REMOVE_MEMBER:
        before = change.before.get("role")
        return [f"role: {before or 'unknown'} → removed from the organization and its spaces"]
    lines = []
    for field in sorted(set(change.before) | set(change.after)):
        after = change.after.get(field)
        if change.op is Op.CREATE:
            lines.append(f"{field}: {_quote(after)}")
        elif field == "role":
            lines.append(f"role: {change.before.get(field) or 'unknown'} → {after}")
        else:
            lines.append(f"{field}: {_quote(change.before.get(field))} → {_quote(after)}")
            note = invisible_difference(change.before.get(field), after)
            lines += [f"⚠ {note}"] if note else []
    return lines


def _wrap(markup: str) -> str:
    """A cell's markup in a block with a compact line height that breaks long words."""
    return f'<div style="line-height:1.35;overflow-wrap:anywhere">{markup}</div>' if markup else ""


def _cell(markup: str, *classes: str) -> Any:  # noqa: ANN401 - an ipywidgets widget
    return css(
        widgets.HTML(value=_wrap(markup), layout=widgets.Layout(margin="0")), "aonb-review-cell", *classes
    )


def _result_html(outcome: ChangeOutcome) -> str:
    color = _STATUS_COLORS.get(outcome.status, "inherit")
    bits = [f"{outcome.status} (reconciled)" if outcome.reconciled else outcome.status]
    if outcome.http_status:
        bits.append(f"HTTP {outcome.http_status}")
    bits.append(f"{outcome.attempts} attempt{'' if outcome.attempts == 1 else 's'}")
    markup = (
        f'<span class="aonb-review-result-{esc(outcome.status)}" style="color:{color}">'
        f"{esc(' · '.join(bits))}</span>"
    )
    message = describe_outcome(outcome)[0] if outcome.status == "failed" else one_line(outcome.error or "")
    if message:
        markup += (
            f'<br><span class="aonb-review-error" title="{esc(one_line(outcome.error or "", 1000))}" '
            f'style="color:#666">{esc(message)}</span>'
        )
    return markup


class PlanReview(StatusArea, widgets.VBox):
    """Review, select, confirm and apply a :class:`~arize_orgs_nb.bulk.plan.Plan`.

    Attributes:
        plan: the plan under review (never changed: Apply sends ``plan.select(included)``).
        result: the last apply's (or retry's) :class:`~arize_orgs_nb.bulk.apply.ApplyResult`, or None.
        outcomes: the latest outcome of every change sent, by change key.
        status_kind: ``idle``, ``busy``, ``ok``, ``warn`` or ``error``.
        status_text: the status line as plain text.

    Args:
        plan: the plan.
        runner: how the apply runs (default: a background thread; ``SyncRunner`` for tests).
        workers: concurrent requests of the apply.
    """

    def __init__(self, plan: Plan[ApplyResult], *, runner: Runner | None = None, workers: int = 8) -> None:
        super().__init__()
        self.plan = plan
        self.runner: Runner = runner if runner is not None else ThreadRunner("aonb-review")
        self.workers = workers
        self.result: ApplyResult | None = None
        self.outcomes: dict[str, ChangeOutcome] = {}
        self.status_kind = "idle"
        self.status_text = ""
        self.last_progress: ApplyProgress | None = None
        self._applied = False
        self._busy = False
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._cancel: threading.Event | None = None
        self._confirmed: bool | list[str] | None = None

        self.summary = css(widgets.HTML(value=self._summary_html()), "aonb-review-summary")
        self.include: dict[str, Any] = {}
        self.result_cells: dict[str, Any] = {}
        self.grid = css(self._build_grid(), "aonb-review-table")
        self.include_all = css(
            widgets.Button(description="Include all", icon="check-square", layout=fit()),
            "aonb-review-include-all",
        )
        self.exclude_all = css(
            widgets.Button(description="Exclude all", icon="square", layout=fit()), "aonb-review-exclude-all"
        )
        self.count = css(widgets.HTML(), "aonb-review-count")

        self._groups = self._destructive_groups()
        self.confirm_inputs: dict[str, Any] = {}
        self._group_boxes: dict[str, Any] = {}
        self.confirm_all = css(
            widgets.Checkbox(description=CONFIRM_ALL, value=False, indent=False, layout=fit()),
            "aonb-review-confirm-all",
        )
        self.confirm_box = css(self._build_confirm_box(), "aonb-review-confirm")
        self.hint = css(widgets.HTML(), "aonb-review-hint")

        self.apply_button = css(
            widgets.Button(description="Apply", button_style="primary", icon="play", layout=fit()),
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
        self.progress = css(
            widgets.IntProgress(value=0, min=0, max=max(1, len(plan)), layout=widgets.Layout(width="320px")),
            "aonb-review-progress",
        )
        self.progress_label = css(widgets.HTML(), "aonb-review-progress-label")
        self.status = css(widgets.HTML(value=status_html("idle", "")), "aonb-review-status")
        self.details = css(widgets.Output(), "aonb-review-details")

        for checkbox in self.include.values():
            checkbox.observe(self._changed, "value")
        for text in self.confirm_inputs.values():
            text.observe(self._changed, "value")
        self.confirm_all.observe(self._changed, "value")
        self.include_all.on_click(lambda _button: self.set_included(True))
        self.exclude_all.on_click(lambda _button: self.set_included(False))
        self.apply_button.on_click(lambda _button: self.apply())
        self.cancel_button.on_click(lambda _button: self.cancel())
        self.retry_button.on_click(lambda _button: self.retry())
        self.children = (
            heading("Review the plan"),
            self.summary,
            widgets.HBox([self.include_all, self.exclude_all, self.count]),
            self.grid,
            self.confirm_box,
            self.hint,
            widgets.HBox([self.apply_button, self.cancel_button, self.retry_button]),
            widgets.HBox([self.progress, self.progress_label]),
            self.status,
            self.details,
        )
        css(self, "aonb-review")
        self._changed()

    def __repr__(self) -> str:
        return f"<PlanReview {self.plan.summary()}>"

    # -- building --------------------------------------------------------------------------

    def _summary_html(self) -> str:
        markup = f"<b>{esc(self.plan.summary())}</b>"
        if not len(self.plan):
            markup += '<br><span style="color:#666">nothing to apply</span>'
        for reason in self.plan.left_out:
            markup += f'<br><span style="color:#9a6700">⚠ left out: {esc(visible(reason))}</span>'
        return markup

    def _build_grid(self) -> Any:  # noqa: ANN401
        users = any(c.user_id or c.user_email for c in self.plan.changes)
        columns = [(title, track) for title, track in _COLUMNS if users or title != "user"]
        cells: list[Any] = [_cell(f"<b>{esc(title)}</b>", "aonb-review-header") for title, _ in columns]
        for change in self.plan.changes:
            checkbox = css(
                widgets.Checkbox(
                    value=True, indent=False, description="", layout=widgets.Layout(width="28px")
                ),
                "aonb-review-include",
            )
            self.include[change.key] = checkbox
            marker = change.op.marker
            org = visible(change.org_name)
            org_markup = esc(_short(org))
            if change.org_id:
                org_markup += (
                    f'<br><code style="font-size:smaller;word-break:break-all">{esc(change.org_id)}</code>'
                )
            diff = diff_lines(change)
            risk_color = "#b3261e" if change.op.destructive else "#666"
            note = visible_controls(change.note)
            result = _cell('<span style="color:#666">—</span>', "aonb-review-result")
            self.result_cells[change.key] = result
            cells += [
                checkbox,
                _cell(f'<b style="color:{_MARKER_COLORS.get(marker, "inherit")}">{esc(marker)}</b>'),
                _cell(esc(change.op.value)),
                _cell(org_markup, "aonb-review-org"),
                *(
                    [_cell(esc(visible(change.user_email or change.user_id or "")), "aonb-review-user")]
                    if users
                    else []
                ),
                _cell("<br>".join(esc(line) for line in diff), "aonb-review-diff"),
                _cell(f'<span style="color:{risk_color}">{esc(change.risk)}</span>'),
                _cell(f'<span title="{esc(note)}">{esc(_short(note, _NOTE_SHOWN))}</span>' if note else ""),
                result,
            ]
        return widgets.GridBox(
            cells,
            layout=widgets.Layout(
                grid_template_columns=" ".join(track for _, track in columns),
                grid_gap="2px 12px",
                align_items="center",
                width="100%",
            ),
        )

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
            prompt = widgets.HTML(
                value=f"<code>{esc(shown)}</code> (id <code>{esc(changes[0].org_id or '?')}</code>): "
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

    @property
    def busy(self) -> bool:
        """True while an apply runs."""
        return self._busy

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no apply runs (for scripts and tests).

        Args:
            timeout: seconds, or None to wait as long as needed.

        Returns:
            True when idle, False on timeout.
        """
        return self._idle.wait(timeout)

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

    def _changed(self, _change: Any = None) -> None:  # noqa: ANN401
        included = self._included_destructive()
        for key, box in self._group_boxes.items():
            box.layout.display = None if key in included else "none"
        self.confirm_box.layout.display = None if included else "none"
        keys = self.included_keys()
        counted = f"{len(keys)} of {len(self.plan)} changes included"
        self.count.value = f'<span style="color:#666">&nbsp;{esc(counted)}</span>'
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """Enable what may be clicked now: Apply, Cancel, Retry failed, the checkboxes and inputs."""
        problem = self.problem()
        locked = self._busy or self._applied
        self.apply_button.disabled = problem is not None
        self.cancel_button.disabled = not self._busy or (self._cancel is not None and self._cancel.is_set())
        self.retry_button.disabled = self._busy or not self._retryable()
        for widget in [*self.include.values(), *self.confirm_inputs.values(), self.confirm_all]:
            widget.disabled = locked
        self.include_all.disabled = self.exclude_all.disabled = locked
        quiet = self._busy or self._applied
        self.hint.value = (
            "" if problem is None or quiet else f'<span style="color:#666">{esc(problem)}</span>'
        )

    # -- actions ---------------------------------------------------------------------------

    def apply(self) -> bool:
        """Apply the included changes (what Apply does), in the runner.

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
        return self._start(selected, self.confirm_value(), busy_text=f"applying {len(selected)} change(s)…")

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
        return self._start(again, self._confirmed, busy_text=f"retrying {len(again)} change(s)…")

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

    def _start(self, plan: Plan[ApplyResult], confirm: bool | list[str] | None, *, busy_text: str) -> bool:
        """Run ``plan.apply`` in the runner; the caller has set ``_busy``."""
        try:
            cancel = threading.Event()
            self._cancel = cancel
            self.last_progress = None
            self.progress.bar_style = ""
            self.progress.max = max(1, len(plan))
            self.progress.value = 0
            self.progress_label.value = esc(f"0 of {len(plan)} done")
            self.refresh_buttons()
            self.set_status("busy", busy_text)
            self.show_details(None)
            self.runner.submit(lambda: self._job(plan, confirm, cancel))
        except BaseException:
            self._finish()
            raise
        return True

    def _on_progress(self, progress: ApplyProgress) -> None:
        """The apply's progress callback (runs in the apply's worker threads)."""
        self.last_progress = progress
        self.progress.max = max(1, progress.total)
        self.progress.value = progress.done
        text = f"{progress.done} of {progress.total} done"
        if progress.failed:
            text += f", {progress.failed} not applied"
        self.progress_label.value = esc(text)

    def _job(
        self, plan: Plan[ApplyResult], confirm: bool | list[str] | None, cancel: threading.Event
    ) -> None:
        try:
            try:
                result = plan.apply(
                    confirm=confirm, workers=self.workers, progress=self._on_progress, cancel=cancel
                )
            except Exception as error:  # nothing was sent (stale, unconfirmed) or a bug: shown
                message, detail = describe_error(error)
                if not isinstance(error, OrgsNbError):
                    detail = traceback.format_exc()
                self.progress.bar_style = "danger"
                self.set_status("error", message)
                self.show_details(detail)
                return
            self._confirmed = confirm
            self._record(result)
        finally:
            self._finish()

    def _record(self, result: ApplyResult) -> None:
        self._applied = True
        self.result = result
        for outcome in result.outcomes:
            self.outcomes[outcome.change.key] = outcome
            cell = self.result_cells.get(outcome.change.key)
            if cell is not None:
                cell.value = _wrap(_result_html(outcome))
        counts = result.counts()
        applied = counts.get("applied", 0)
        skipped = counts.get("skipped", 0)
        failed = len(result) - applied - skipped
        parts = [f"{applied} of {len(result)} applied"]
        if failed:
            parts.append(f"{failed} failed")
        if skipped:
            parts.append(f"{skipped} not sent")
        text = ", ".join(parts)
        first = next((o for o in result.outcomes if o.status not in ("applied", "skipped")), None)
        if first is not None:
            text += f": {describe_outcome(first)[0]}"
        if failed or skipped:
            text += "; Retry failed sends them again"
        kind = "ok" if not failed and not skipped else ("error" if failed else "warn")
        self.progress.bar_style = {"ok": "success", "warn": "warning"}.get(kind, "danger")
        self.progress.value = len(result)
        self.set_status(kind, text)
        lines = [
            f"{o.status}: {o.change.op.value} {quoted(o.change.org_name)}"
            + (f" / {visible(o.change.user_email)}" if o.change.user_email else "")
            + f": {o.error}"
            for o in result.outcomes
            if o.status != "applied"
        ]
        self.show_details("\n".join(lines) if lines else None)

    def _finish(self) -> None:
        with self._lock:
            self._busy = False
        try:
            self.refresh_buttons()
        finally:
            self._idle.set()

    def close(self) -> None:
        """Close this widget and every widget in it."""
        for child in self.children:
            _close_tree(child)
        super().close()


def _close_tree(widget: Any) -> None:  # noqa: ANN401
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
