"""ipywidgets forms for organization admins: the only package of ``arize_orgs_nb`` that imports ipywidgets.

    from arize_orgs_nb import ArizeOrgs
    from arize_orgs_nb.widgets import OrgAdminPanel

    client = ArizeOrgs.sandbox()
    OrgAdminPanel(client)        # Browse (a grid) | Create | Update | Members | Activity
    plan.review()                # PlanReview: include/exclude, confirm, apply, waits, retry, undo

Each form runs its action in a background thread (the kernel stays responsive), shows a one-line
status for every outcome, sends one write per click (after the stale check's read), escapes every
server-provided string, and never shows the API key. Forms call only the functions of
:mod:`arize_orgs_nb.widgets._actions`, which make every change through the plan/apply engine
(stale check, confirmation, journal). Browse's grid (:class:`OrgGrid`, an anywidget) sends only
the page shown to the browser; its edits go through a reviewed plan like any bulk edit.
"""

from __future__ import annotations

from arize_orgs_nb.rules import ROLES
from arize_orgs_nb.widgets._actions import ActionOutcome
from arize_orgs_nb.widgets._base import FormView, Runner, SyncRunner, ThreadRunner
from arize_orgs_nb.widgets._snapshot import Snapshot
from arize_orgs_nb.widgets.activity import ActivityView
from arize_orgs_nb.widgets.create_org import CreateOrgForm
from arize_orgs_nb.widgets.grid import OrgGrid
from arize_orgs_nb.widgets.member_role import MemberRoleForm
from arize_orgs_nb.widgets.panel import OrgAdminPanel
from arize_orgs_nb.widgets.plan_review import PlanReview
from arize_orgs_nb.widgets.table import OrgTable
from arize_orgs_nb.widgets.update_org import UpdateOrgForm

__all__ = [
    "ROLES",
    "ActionOutcome",
    "ActivityView",
    "CreateOrgForm",
    "FormView",
    "MemberRoleForm",
    "OrgAdminPanel",
    "OrgGrid",
    "OrgTable",
    "PlanReview",
    "Runner",
    "Snapshot",
    "SyncRunner",
    "ThreadRunner",
    "UpdateOrgForm",
]
