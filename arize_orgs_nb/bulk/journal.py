"""``client.journal``: the Activity view of the journal, undo and resume.

Layer: above ``apply`` and ``journal``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from arize_orgs_nb.bulk.apply import Applier, ApplyResult, carry_forward
from arize_orgs_nb.bulk.changes import Change, Op
from arize_orgs_nb.bulk.ledger import Ledger
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.errors import ApiError
from arize_orgs_nb.rules import is_missing
from arize_orgs_nb.tables import Markup, cut, esc, html_table, id_html, short_id, text_cell, text_table
from arize_orgs_nb.visible import show, show_controls
from arize_orgs_nb.wording import counted

__all__ = ["ACTIVITY_WIDTHS", "ApplyGroup", "Journal", "apply_groups", "inverse_change"]


def inverse_change(change: Change, result_id: str | None) -> tuple[Change | None, str | None]:
    """The change that reverts an applied one, or why there is none.

    Args:
        change: an applied change.
        result_id: the created organization's id (for creates).

    Returns:
        ``(inverse, None)``, or ``(None, reason)`` when it cannot be undone.
    """
    key = f"undo:{change.key}"
    if change.op is Op.CREATE:
        if result_id is None:
            return None, "the created organization's id was not recorded"
        created = {"name": change.org_name, "description": change.after.get("description")}
        return Change(
            key=key,
            op=Op.DELETE,
            row=change.row,
            org_id=result_id,
            org_name=change.org_name,
            before={k: v for k, v in created.items() if v is not None},  # both rest on what was created
            note="undo of a create: deletes the organization and anything made in it since",
        ), None
    if change.op in (Op.RENAME, Op.DESCRIBE):
        name = str(change.after.get("name", change.org_name))
        before, after = dict(change.after), dict(change.before)
        return replace(change, key=key, org_name=name, before=before, after=after, note=""), None
    if change.op in (Op.SET_ROLE, Op.REMOVE_MEMBER):
        previous = change.before.get("role")
        if previous is None:
            if change.op is Op.REMOVE_MEMBER:
                return None, "the member's previous role is unknown"
            return None, "the previous role is unknown (the API cannot list members)"
        note = "undo: restores the role recorded before the change"
        before, after = dict(change.after), {"role": previous}
        return replace(change, key=key, op=Op.SET_ROLE, before=before, after=after, note=note), None
    return None, "deleting an organization cannot be undone"


class Journal:
    """The journal as users see it. Reached as ``client.journal``.

    Args:
        journal: the store.
        applier: runs plans.
    """

    def __init__(self, journal: Ledger, applier: Applier) -> None:
        self.store = journal
        self._applier = applier

    def __repr__(self) -> str:
        return f"<Journal {self.store.path}>"

    def __str__(self) -> str:
        """The newest applies as plain text, one table each (the ``text/plain`` of a notebook)."""
        groups = apply_groups(self.to_frame())
        lines = [f"Journal {self.store.path}: {counted(len(groups), 'apply', 'applies')}"]
        for group in groups[:SHOWN_APPLIES]:
            lines += ["", group.headline(), group.text()]
        if len(groups) > SHOWN_APPLIES:
            lines.append(f"\n... and {len(groups) - SHOWN_APPLIES} older (journal.to_frame() lists them all)")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # noqa: ANN401 - IPython's printer
        printer.text(repr(self) if cycle else str(self))

    def _repr_html_(self) -> str:
        groups = apply_groups(self.to_frame())
        title = esc("Journal: " + counted(len(groups), "apply", "applies"))
        parts = [f"<div class='aonb-journal'><p><b>{title}</b></p>"]
        for group in groups[:SHOWN_APPLIES]:
            parts.append(f"<p style='margin:8px 0 2px'><b>{esc(group.headline())}</b></p>{group.html()}")
        if len(groups) > SHOWN_APPLIES:
            parts.append(f"<p>{esc(f'... and {len(groups) - SHOWN_APPLIES} older applies')}</p>")
        parts.append("</div>")
        return "".join(parts)

    @property
    def path(self) -> str:
        """The journal file."""
        return self.store.path

    def to_frame(self) -> pd.DataFrame:
        """Every journaled change, newest first: op, target, before/after, status, error, timing."""
        return self.store.to_frame()

    def undo(self, result: ApplyResult | str, *more: ApplyResult | str) -> Plan[ApplyResult]:
        """A plan that reverts what an apply changed, as far as it can be reverted.

        Renames go back, descriptions are restored, removed members are re-added with their
        previous role and role changes revert when the previous role is known. Creates are
        reverted only by a delete (destructive: it needs confirmation). Deleted organizations
        cannot be restored; such changes are listed in the plan's ``left_out``. Only changes
        the apply recorded as applied are inverted.

        The undo plan expects what the apply left: each organization still bears the name and
        description the apply gave it. If a colleague changed one since, applying the undo is
        refused (``StalePlanError`` naming what changed; nothing is sent) unless ``force=True``,
        so an undo never silently overwrites a later edit.

        Args:
            result: an :class:`ApplyResult`, or its ``apply_id``.
            *more: further applies to revert in the same plan (a retry of the first one, say),
                newest first: their changes are reverted before those of the applies after them.

        Returns:
            The inverse plan (nothing is sent until ``apply()``), newest change reverted first.

        Raises:
            KeyError: an apply id that is not in this journal.
        """
        inverses: list[Change] = []
        not_undoable: list[str] = []
        for one in (result, *more):
            apply_id = one if isinstance(one, str) else one.apply_id
            self.store.plan_of(apply_id)  # an unknown id is an error, not an empty undo
            for entry in reversed(self.store.entries(apply_id)):
                if entry.status != "applied":
                    continue
                inverse, reason = inverse_change(entry.change, entry.result_id)
                if inverse is None:
                    not_undoable.append(f"{entry.change.op.value} {entry.change.org_name!r}: {reason}")
                else:
                    inverses.append(inverse)
        targets = carry_forward({}, [(c, "not sent", None) for c in inverses])
        return Plan("undo", inverses, targets=targets, runner=self._applier, left_out=not_undoable)

    def unfinished(self) -> list[str]:
        """Ids of applies that were interrupted (a killed kernel) and have changes left."""
        return self.store.unfinished()

    def resume(
        self, apply_id: str | None = None, *, workers: int = 8, force: bool = False
    ) -> ApplyResult | None:
        """Finish an interrupted apply without repeating what it already did.

        The rest is checked against the server first, like any plan: if the account changed
        under it since (a colleague renamed, took a name, deleted), it is refused, naming what
        changed, and nothing is sent, unless ``force=True``.

        Args:
            apply_id: which apply (default: the oldest unfinished one).
            workers: concurrent requests.
            force: finish it even though the account changed since.

        Returns:
            The outcome of every change of that apply, or None when nothing is unfinished.

        Raises:
            StalePlanError: the account changed under the unfinished part (nothing sent).
        """
        pending = self.store.unfinished()
        if apply_id is None:
            if not pending:
                return None
            apply_id = pending[0]
        return self._applier.resume(apply_id, workers=workers, force=force)


SHOWN_APPLIES = 10
"""Applies the reprs of the journal show (the newest; ``to_frame()`` has them all)."""
SHOWN_ROWS = 20
"""Rows per apply in the plain-text form of the journal."""
ACTIVITY_WIDTHS = {"op": 84, "organization": 180, "user": 160, "change": 290, "result": 230}
"""Column widths of an apply's table, in pixels: every apply's table lines up under the previous,
and without the user column (organization applies) it fits an 800 px notebook output."""
_STATUS_COLORS = {"applied": "#1b7f3a", "failed": "#b3261e", "skipped": "#9a6700"}
_ERROR_SHOWN = 110


def _text(value: object) -> str:
    """A frame value as text: missing values (None, NaN, NaT) blank, whole numbers without ``.0``."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _utc(value: object, pattern: str) -> str:
    return "" if is_missing(value) else pd.Timestamp(value).strftime(pattern)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ApplyGroup:
    """One apply's rows of the journal's frame, for the Activity tab and the journal's reprs.

    Attributes:
        apply_id: the apply's id (``client.journal.undo(apply_id)`` reverts it).
        rows: its rows of ``to_frame()``, in plan order.
    """

    apply_id: str
    rows: pd.DataFrame

    @property
    def started(self) -> pd.Timestamp | None:
        """When the apply began (UTC), if the frame says."""
        for column in ("apply_started", "when"):
            if column in self.rows.columns:
                values = self.rows[column].dropna()
                if len(values):
                    return pd.Timestamp(values.min())
        return None

    def count(self, *statuses: str) -> int:
        """How many of its rows have one of ``statuses``."""
        return int(self.rows["status"].isin(statuses).sum()) if "status" in self.rows.columns else 0

    @property
    def undoable(self) -> bool:
        """True when at least one of its changes was applied (the rest is never reverted)."""
        return self.count("applied") > 0

    def headline_parts(self) -> tuple[str, str, str, str]:
        """When it began (UTC), its plan's summary, how its changes ended, ``apply …<short id>``."""
        total = len(self.rows)
        counts = [(n, label) for label in ("applied", "failed", "skipped") if (n := self.count(label))]
        unfinished = self.count("pending", "started")
        if unfinished:
            counts.append((unfinished, "not finished (journal.resume() finishes it)"))
        outcome = ", ".join(f"{n} {label}" for n, label in counts)
        started = _utc(self.started, "%Y-%m-%d %H:%M:%S UTC") if self.started is not None else ""
        plan = _text(self.rows["plan"].iloc[0]) if "plan" in self.rows.columns and total else ""
        changes = counted(total, "change") + (f": {outcome}" if outcome else "")
        return started, plan, changes, f"apply {short_id(self.apply_id)}"

    def headline(self) -> str:
        """One line: when, the plan, how many changes and how they ended, the apply's short id.

        ``2026-05-01 14:03:12 UTC · organizations: 3 to rename · 3 changes: 2 applied, 1 failed ·
        apply …0f3e9a1c``.
        """
        return " · ".join(part for part in self.headline_parts() if part)

    def _cells(self, users: bool, rows: pd.DataFrame | None) -> list[dict[str, str]]:
        out = []
        for row in (self.rows if rows is None else rows).to_dict("records"):
            bits = [_text(row.get("status"))]
            if not is_missing(row.get("http_status")):
                bits.append(f"HTTP {_text(row['http_status'])}")
            attempts = row.get("attempts")
            if not is_missing(attempts) and attempts:
                bits.append(counted(int(attempts), "attempt"))
            if not is_missing(row.get("temporary_name")):
                bits.append(f"left as “{show(str(row['temporary_name']))}”")
            cells = {
                "time": _utc(row.get("when"), "%H:%M:%S"),
                "op": _text(row.get("op")),
                "organization": _text(row.get("organization")),
                "id": _text(row.get("organization_id")),
                "change": _text(row.get("change")),
                "status": _text(row.get("status")),
                "result": " · ".join(b for b in bits if b),
                "error": " ".join(show_controls(_text(row.get("error"))).split()),
            }
            if users:
                cells["user"] = _text(row.get("user"))
            out.append(cells)
        return out

    def _users(self) -> bool:
        return "user" in self.rows.columns and bool(self.rows["user"].notna().any())

    def html(self, rows: pd.DataFrame | None = None, *, users: bool | None = None) -> str:
        """Its rows as an escaped, left-aligned HTML table with fixed columns (:data:`ACTIVITY_WIDTHS`).

        Args:
            rows: the rows to show (some of its rows: a filter, a page); default: all of them.
            users: show the user column (default: when any of its rows names a user).
        """
        users = self._users() if users is None else users
        columns = [c for c in ACTIVITY_WIDTHS if users or c != "user"]
        body = []
        for cells in self._cells(users, rows):
            color = _STATUS_COLORS.get(cells["status"], "inherit")
            error = cells["error"]
            result = f"<span class='aonb-activity-status' style='color:{color}'>{esc(cells['result'])}</span>"
            if error:
                shown = ApiError.without_request_line(error)  # the row shows op, org and status
                shown = shown if len(shown) <= _ERROR_SHOWN else shown[: _ERROR_SHOWN - 1] + "…"
                result += f"<br><span style='color:#666' title='{esc(error)}'>{esc(shown)}</span>"
            organization = esc(show(cells["organization"]))
            organization += f"<br>{id_html(cells['id'])}" if cells["id"] else ""
            values: dict[str, object] = {
                **cells,
                "user": show(cells.get("user", "")),
                "organization": Markup(organization),
                "result": Markup(result),
            }
            body.append([values[c] for c in columns])
        return html_table(
            columns,
            body,
            css_class="aonb-activity-table",
            widths=[ACTIVITY_WIDTHS[c] for c in columns],
        )

    def text(self, limit: int = SHOWN_ROWS) -> str:
        """Its rows as a plain-text table (the first ``limit``)."""
        users = self._users()
        headers = [
            "time",
            "op",
            "organization",
            "id",
            *(["user"] if users else []),
            "change",
            "result",
            "error",
        ]
        rows = [
            [
                c["time"],
                c["op"],
                text_cell(c["organization"]),
                short_id(c["id"]),
                *([text_cell(c["user"])] if users else []),
                cut(c["change"], 70),
                c["result"],
                cut(c["error"], 60),
            ]
            for c in self._cells(users, None)[:limit]
        ]
        more = len(self.rows) - limit
        return text_table(headers, rows) + (f"\n... and {more} more rows" if more > 0 else "")


def apply_groups(frame: pd.DataFrame) -> list[ApplyGroup]:
    """The rows of a journal frame grouped by apply, in the frame's order (newest apply first).

    Args:
        frame: ``client.journal.to_frame()``, or any part of it (filtered rows keep their apply).

    Returns:
        One group per apply id.
    """
    if "apply_id" not in frame.columns or not len(frame):
        return []
    return [
        ApplyGroup(str(apply_id), rows)
        for apply_id, rows in frame.groupby("apply_id", sort=False, dropna=False)
    ]
