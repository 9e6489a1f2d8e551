"""The seam (_actions) and the message map (_messages), without any widget."""

import pytest

from arize_orgs_nb import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from arize_orgs_nb.bulk.apply import ChangeOutcome
from arize_orgs_nb.bulk.changes import Change, Op
from arize_orgs_nb.errors import ConfirmationRequiredError, Issue, PlanValidationError, StalePlanError
from arize_orgs_nb.widgets import _actions
from arize_orgs_nb.widgets._messages import (
    describe_error,
    describe_outcome,
    esc,
    one_line,
    status_html,
    visible,
)

from .conftest import ORGS, XSS, dangerous_elements, org_names, post_count, writes


def api_error(cls, status, **kw):
    return cls(status=status, method="POST", path=ORGS, **kw)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (api_error(BadRequestError, 400, detail="name must not be blank"), "(400): name must not be blank"),
        (api_error(AuthenticationError, 401), "the API key was refused"),
        (
            api_error(PermissionDeniedError, 403),
            "your key may not do this (403): creating organizations needs an account admin key",
        ),
        (api_error(NotFoundError, 404), "not found: it may have been deleted"),
        (api_error(ConflictError, 409), "name already taken"),
        (
            api_error(UnprocessableEntityError, 422, detail="name must be a string"),
            "(422): name must be a string",
        ),
        (api_error(RateLimitError, 429, retry_after=7.2), "rate limited: try again in 7 s"),
        (api_error(ServerError, 502), "the Arize service failed (502); nothing was lost, try again"),
        (APIConnectionError("x", method="POST", path=ORGS, ambiguous=False), "cannot reach api.example.com"),
        (APITimeoutError("x", method="GET", path=ORGS, ambiguous=False), "cannot reach api.example.com"),
        (ProtocolError("bad json"), "does not understand"),
        (ValueError("name: too long"), "invalid input: name: too long"),
    ],
)
def test_every_error_class_has_a_one_line_message(error, expected):
    message, _detail = describe_error(error, host="api.example.com")
    assert expected in message
    assert "\n" not in message


def test_server_details_are_collapsed_to_one_line_and_made_visible():
    error = api_error(BadRequestError, 400, detail="line one\nline two\x1b[31m")
    message, detail = describe_error(error)
    assert message.endswith("line one line two⟨U+001B⟩[31m")
    assert "line one\nline two" in detail


def test_escaping_and_visible_forms():
    assert esc(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    assert esc('"onmouseover="x\'') == "&quot;onmouseover=&quot;x&#x27;"
    assert visible("a\u200bb\u202ec\u00a0d e") == "a⟨U+200B⟩b⟨U+202E⟩c⟨U+00A0⟩d e"
    assert len(one_line("x" * 1000)) == 300
    assert dangerous_elements(status_html("error", XSS)) == []


# -- the seam, against the sandbox -------------------------------------------------------------


def test_create_org_outcome(wclient):
    outcome = _actions.create_org(wclient, "Seam Org", "")
    assert outcome.ok and outcome.message == "created “Seam Org”"
    assert outcome.value.name == "Seam Org"
    # The plan sends an empty description explicitly ("" and none are the same on the server).
    assert writes(wclient)[-1].json in ({"name": "Seam Org"}, {"name": "Seam Org", "description": ""})
    again = _actions.create_org(wclient, "SEAM org", "d")
    assert not again.ok and "name already taken" in again.message
    # Found taken by the apply's stale check, before anything was sent (no 409 round trip).
    assert isinstance(again.value, StalePlanError)
    assert post_count(wclient) == 1


def test_create_org_refuses_bad_input_before_any_request(wclient):
    wclient.local_sandbox.log.clear()
    for name in ("", "   ", "x" * 256):
        outcome = _actions.create_org(wclient, name)
        assert not outcome.ok and outcome.message.startswith("invalid input:")
    assert len(wclient.local_sandbox.log) == 0


def test_update_org_sends_only_the_given_fields(wclient):
    org = wclient.organizations.create(name="U", description="keep me")
    log = wclient.local_sandbox.log
    assert _actions.update_org(wclient, org.id, name="U2").ok
    assert log.last().json == {"name": "U2"}
    assert _actions.update_org(wclient, org.id, description="new").ok
    assert log.last().json == {"description": "new"}
    outcome = _actions.update_org(wclient, org.id, clear_description=True)
    assert outcome.ok and "description cleared" in outcome.message
    assert log.last().json == {"description": ""}
    log.clear()
    nothing = _actions.update_org(wclient, org.id)
    assert not nothing.ok and nothing.message.startswith("nothing to change")
    both = _actions.update_org(wclient, org.id, description="x", clear_description=True)
    assert not both.ok
    assert len(log) == 0


@pytest.mark.parametrize(
    "typed", ["doomed", "DOOMED ", "Doomed ", " Doomed", "Doome", "Doomed\u200b", "D\u03bfomed"]
)
def test_delete_org_refuses_anything_but_the_exact_name(wclient, typed):
    org = wclient.organizations.create(name="Doomed")
    wclient.local_sandbox.log.clear()
    outcome = _actions.delete_org(wclient, org.id, typed, "Doomed")
    assert not outcome.ok and "does not match" in outcome.message
    assert len(wclient.local_sandbox.log) == 0
    assert "Doomed" in org_names(wclient)


def test_delete_org_is_bound_to_the_name_the_user_saw(wclient):
    org = wclient.organizations.create(name="Old Name")
    wclient.organizations.update(organization=org.id, name="Renamed Meanwhile")
    outcome = _actions.delete_org(wclient, org.id, "Old Name", "Old Name")
    assert not outcome.ok and "now named “Renamed Meanwhile”" in outcome.message
    assert "Renamed Meanwhile" in org_names(wclient)
    done = _actions.delete_org(wclient, org.id, "Renamed Meanwhile", "Renamed Meanwhile")
    assert done.ok and done.value == org.id
    assert "Renamed Meanwhile" not in org_names(wclient)
    gone = _actions.delete_org(wclient, org.id, "Renamed Meanwhile", "Renamed Meanwhile")
    assert not gone.ok and gone.message.startswith("not found")


def test_actions_take_ids_never_names(wclient):
    wclient.organizations.create(name="By Name")
    wclient.local_sandbox.log.clear()
    outcome = _actions.delete_org(wclient, "By Name", "By Name", "By Name")
    assert not outcome.ok and "must be an id" in outcome.message
    assert not _actions.set_member_role(wclient, "By Name", "x", "MEMBER").ok
    assert len(wclient.local_sandbox.log) == 0


def test_member_actions(wclient):
    state = wclient.local_sandbox.state
    org = wclient.organizations.create(name="Members Org")
    user = state.create_user("Pat", "pat@example.com", role="MEMBER")
    annotator = state.create_user("Ann", "ann@example.com", role="ANNOTATOR")
    outcome = _actions.set_member_role(wclient, org.id, user["id"], "READ_ONLY")
    assert outcome.ok and outcome.message == "pat@example.com is now READ_ONLY in “Members Org”"
    assert "apply id" not in outcome.detail
    assert outcome.detail.startswith("Cannot be undone from here: the previous role is unknown")
    assert {
        (m["user_id"], m["role"]["name"]) for m in state.memberships() if m["organization_id"] == org.id
    } == {(user["id"], "READ_ONLY")}
    posts = post_count(wclient, f"{ORGS}/{org.id}/users")
    refused = _actions.set_member_role(wclient, org.id, annotator["id"], "MEMBER")
    # The plan checks the annotator rule from the users list: refused before anything is sent.
    assert not refused.ok and refused.message.startswith("invalid input:")
    assert "annotator" in refused.message.lower()
    assert post_count(wclient, f"{ORGS}/{org.id}/users") == posts
    assert not _actions.set_member_role(wclient, org.id, user["id"], "member").ok  # lower case: client-side
    removed = _actions.remove_member(wclient, org.id, user["id"])
    assert removed.message == "pat@example.com was removed from “Members Org” and all of its spaces"
    # The journal knows the role it set before: the details say how to undo, and that undo works.
    assert removed.detail.startswith("To undo (back to READ_ONLY): ")
    undo = f'client.journal.undo("{removed.value.apply_id}").apply()'
    assert undo in removed.detail and "journal apply id" not in removed.detail
    eval(undo.replace("apply()", "apply(progress=False)"), {"client": wclient})  # noqa: S307 - the hint, run
    assert {m["role"]["name"] for m in state.memberships() if m["organization_id"] == org.id} == {"READ_ONLY"}
    assert _actions.remove_member(wclient, org.id, user["id"]).ok
    again = _actions.remove_member(wclient, org.id, user["id"])
    assert not again.ok and again.message.startswith("not found")
    assert post_count(wclient, f"{ORGS}/{org.id}/users") == 2  # the set and the undo; the refusal: nothing


# -- the plan/apply engine's errors and failed outcomes ------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        api_error(BadRequestError, 400, detail="annotator: only ANNOTATOR"),
        api_error(AuthenticationError, 401),
        api_error(PermissionDeniedError, 403, detail="needs admin", request_id="req-1"),
        api_error(NotFoundError, 404),
        api_error(ConflictError, 409, detail="name taken: pick another"),
        api_error(UnprocessableEntityError, 422, detail="name must be a string"),
        api_error(RateLimitError, 429, retry_after=3600.0, attempts=1),
        api_error(ServerError, 503, detail="injected fault", attempts=4),
        APIConnectionError(
            "POST /v2/organizations: cannot reach h: connection dropped (after 4 attempts); "
            "the request may have been applied",
            method="POST",
            path=ORGS,
            ambiguous=True,
        ),
        APITimeoutError(
            "GET /v2/organizations: cannot reach h: read timed out", method="GET", path=ORGS, ambiguous=False
        ),
        ProtocolError("the server sent a malformed organization: field required"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_failed_outcome_gets_the_message_of_its_exception(error):
    # The apply engine keeps the exception of every failed change: the message is the direct call's.
    change = Change(key="k", op=Op.DESCRIBE, row="0", org_id="o", org_name="Team")
    failed = ChangeOutcome(change, "failed", getattr(error, "status", 0), str(error), exception=error)
    assert describe_outcome(failed, host="h") == (describe_error(error, host="h")[0], str(error))
    journaled = ChangeOutcome(change, "failed", 0, "read back from the journal")  # text only
    assert describe_outcome(journaled)[0] == "failed: read back from the journal"


def test_plan_errors_are_one_line_and_say_nothing_was_sent():
    invalid = PlanValidationError([Issue("0", "name", "name cannot be empty"), Issue("1", None, "x")])
    assert describe_error(invalid)[0] == "invalid input: name cannot be empty (and 1 more problem)"
    collision = PlanValidationError([Issue("0", "name", "'a' collides with 'A'")])
    assert describe_error(collision)[0].startswith("name already taken")
    stale = StalePlanError(["'A' (id1) was renamed to 'B'", "'C' (id2) was deleted"])
    message, detail = describe_error(stale)
    assert message == (
        "changed on the server since the list was loaded: refresh; nothing was sent "
        "('A' (id1) was renamed to 'B', and 1 more)"
    )
    assert "'C' (id2) was deleted" in detail
    taken = StalePlanError(["'x' is now taken by organization id9"])
    assert describe_error(taken)[0].startswith("name already taken")
    unconfirmed = ConfirmationRequiredError([Change(key="k", op=Op.DELETE, row="0", org_name=XSS)])
    assert describe_error(unconfirmed)[0] == (
        "not applied: 1 destructive change needs confirmation; nothing was sent"
    )
    assert dangerous_elements(status_html("error", describe_error(unconfirmed)[0])) == []


def test_actions_write_through_the_journal(wclient):
    org = _actions.create_org(wclient, "Journaled").value
    assert _actions.update_org(wclient, org.id, description="d").ok
    assert _actions.delete_org(wclient, org.id, "Journaled", "Journaled").ok
    journal = wclient.journal.to_frame()
    assert list(journal["op"]) == ["delete", "describe", "create"]  # newest first
    assert set(journal["status"]) == {"applied"}
