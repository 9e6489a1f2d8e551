"""``client.memberships``: plan member roles from a DataFrame, and what the journal knows of them.

Layer: above ``organizations``, ``users``, ``plan`` and ``journal``. The API cannot list an
organization's members, so a plan never claims to know a current role: by default it sends every
desired row (a role set is an idempotent upsert, so it converges whatever a colleague changed),
and shows what this tool last recorded in its journal as ``before``, with that provenance.
:meth:`Memberships.known` is that record, and says in every row that it is not the server's truth.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arize_orgs_nb.api.organizations import Organizations
from arize_orgs_nb.api.users import Users
from arize_orgs_nb.bulk.apply import Applier, ApplyResult
from arize_orgs_nb.bulk.ledger import Ledger
from arize_orgs_nb.bulk.plan import Plan, plan_member_changes

__all__ = ["Memberships"]

PROVENANCE = "local journal: last change applied by this tool (the API cannot list members)"


class Memberships:
    """Member-role bulk edits. Reached as ``client.memberships``.

    Args:
        organizations: the client's organization calls.
        users: the client's user calls.
        journal: the client's journal.
        applier: runs plans.
    """

    def __init__(
        self, organizations: Organizations[Any], users: Users, journal: Ledger, applier: Applier
    ) -> None:
        self._orgs = organizations
        self._users = users
        self._journal = journal
        self._applier = applier

    def __repr__(self) -> str:
        return "<Memberships>"

    def plan(
        self,
        members: pd.DataFrame,
        *,
        orgs: pd.DataFrame | None = None,
        users: pd.DataFrame | None = None,
        skip_known: bool = False,
    ) -> Plan[ApplyResult]:
        """Plan role upserts and removals from a frame, checking every rule before anything is sent.

        Columns: ``organization`` (id or exact name), ``user`` (id or email), ``role`` (ADMIN,
        MEMBER, READ_ONLY or ANNOTATOR) and an optional ``remove`` flag. Setting a role is an
        UPSERT: any current role is replaced. A removal is DESTRUCTIVE: the user also loses
        access to every space of the organization. Annotator accounts may only get ANNOTATOR, and
        only they may get it.

        Every row is sent by default: the API cannot read members, so the plan cannot know that a
        row is already in place (a colleague may have changed the role since this tool set it).
        An organization given by name must still bear that name when the plan is applied (the
        stale check), like any plan.

        Args:
            members: the desired memberships.
            orgs: the account's organizations (default: a fresh drain).
            users: the account's users (default: a fresh drain).
            skip_known: leave out rows the local journal records as done (this machine's record
                only); each one is listed in the plan's ``left_out`` with its reason.

        Returns:
            The plan; nothing has been sent.

        Raises:
            PlanValidationError: every broken rule, row by row (unknown organizations or emails,
                invalid roles, the annotator rule, duplicate rows, unexpected columns).
        """
        orgs = self._orgs.to_frame(progress=False) if orgs is None else orgs
        users = self._users.to_frame(progress=False) if users is None else users
        known = {pair: (role, when) for pair, (role, when, _) in self._journal.known_roles().items()}
        planned = plan_member_changes(members, orgs=orgs, users=users, known=known, skip_known=skip_known)
        return Plan(
            "memberships",
            planned.changes,
            targets=planned.targets,
            runner=self._applier,
            left_out=planned.skipped,
            account_size=len(orgs),
        )

    def known(self) -> pd.DataFrame:
        """The last role this tool set per (organization, user), from the local journal.

        NOT the server's truth: roles changed elsewhere (the Arize UI, another key, another
        machine) are not seen. Removed members are left out. Each row says when it was recorded.

        Returns:
            Columns ``organization_id``, ``user_id``, ``role``, ``recorded_at``, ``apply_id``,
            ``provenance``.
        """
        rows = [
            (org_id, user_id, role, when, apply_id, PROVENANCE)
            for (org_id, user_id), (role, when, apply_id) in self._journal.known_roles().items()
            if role is not None
        ]
        columns = ["organization_id", "user_id", "role", "recorded_at", "apply_id", "provenance"]
        frame = pd.DataFrame(rows, columns=columns)
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
        frame.attrs["provenance"] = PROVENANCE
        return frame
