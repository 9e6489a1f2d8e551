"""``client.journal``: the Activity view of the journal, undo and resume.

Layer: above ``apply`` and ``journal``.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from arize_orgs_nb.bulk.apply import Applier, ApplyResult, carry_forward
from arize_orgs_nb.bulk.changes import Change, Op
from arize_orgs_nb.bulk.ledger import Ledger
from arize_orgs_nb.bulk.plan import Plan

__all__ = ["Journal", "inverse_change"]


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
        return Change(
            key=key,
            op=Op.DELETE,
            row=change.row,
            org_id=result_id,
            org_name=change.org_name,
            before={"name": change.org_name},
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

    @property
    def path(self) -> str:
        """The journal file."""
        return self.store.path

    def to_frame(self) -> pd.DataFrame:
        """Every journaled change, newest first: op, target, before/after, status, error, timing."""
        return self.store.to_frame()

    def undo(self, result: ApplyResult | str) -> Plan[ApplyResult]:
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

        Returns:
            The inverse plan (nothing is sent until ``apply()``), newest change reverted first.
        """
        apply_id = result if isinstance(result, str) else result.apply_id
        inverses: list[Change] = []
        not_undoable: list[str] = []
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
