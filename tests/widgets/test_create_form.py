"""CreateOrgForm headless: set .value, .click(), assert on the sandbox and on the status line."""

import threading

import pytest

from arize_orgs_nb.widgets import CreateOrgForm, Snapshot, ThreadRunner, _actions
from arize_orgs_nb.widgets.create_org import NAME_REQUIRED

from .conftest import (
    ORGS,
    XSS,
    dangerous_elements,
    hint_marks,
    html_values,
    org_names,
    post_count,
    press_enter,
    status_history,
    writes,
)

IGNORING_CASE = "(names are compared ignoring case)"


def form_for(client, runner, **kw):
    return CreateOrgForm(client, runner=runner, **kw)


def test_create_happy_path(wclient, sync):
    done = []
    form = form_for(wclient, sync, on_done=done.append)
    assert form.submit.disabled
    form.name_input.value = "Fraud Team"
    form.description_input.value = "fraud models"
    assert not form.submit.disabled
    form.submit.click()
    assert form.status_kind == "ok"
    assert form.status_text == "✔ created “Fraud Team”".removeprefix("✔ ")
    created = next(o for o in wclient.local_sandbox.state.orgs() if o["name"] == "Fraud Team")
    assert created["description"] == "fraud models"
    assert done and done[0].ok and done[0].value.id == created["id"]
    # inputs cleared after a success; the snapshot knows the new name at once (no re-drain)
    assert form.name_input.value == "" and form.submit.disabled
    assert form.snapshot.name_taken_by("fraud team") is not None
    assert post_count(wclient) == 1


@pytest.mark.parametrize(
    ("name", "description", "problem"),
    [
        ("", "", "name cannot be empty or only whitespace"),
        ("   ", "", "name cannot be empty or only whitespace"),
        ("x" * 256, "", "name has 256 characters; the limit is 255"),
        ("ok", "d" * 1001, "description has 1001 characters; the limit is 1000"),
        ("zero\u200bwidth", "", "invisible or control characters (U+200B)"),
        ("bell\x07", "", "U+0007"),
    ],
)
def test_validation_disables_create_and_sends_nothing(wclient, sync, name, description, problem):
    form = form_for(wclient, sync)
    wclient.local_sandbox.log.clear()
    form.name_input.value = name
    form.description_input.value = description
    assert form.submit.disabled
    form.submit.click()  # a click reaching the kernel anyway (stale front-end): still refused
    assert form.status_kind == "error" and form.status_text.startswith("not sent: ")
    assert problem in form.hint.value  # the refused submit marks the fields: their hints are errors
    assert any(problem in line for line in hint_marks(form.hint)["error"])
    assert len(wclient.local_sandbox.log) == 0


def test_limits_are_inclusive(wclient, sync):
    form = form_for(wclient, sync)
    form.name_input.value = "👍🏽" + "x" * 253  # 255 code points (2 for the emoji)
    form.description_input.value = "d" * 1000
    assert not form.submit.disabled
    form.submit.click()
    assert form.status_kind == "ok"


def test_a_taken_name_is_caught_inline_ignoring_case(wclient, sync):
    existing = wclient.local_sandbox.state.orgs()[0]["name"]
    form = form_for(wclient, sync)
    form.name_input.value = existing.upper()
    assert form.submit.disabled
    assert "name already taken" in form.hint.value
    form.name_input.value = existing + " 2"
    assert not form.submit.disabled


def test_edge_whitespace_is_a_warning_and_the_name_is_sent_as_typed(wclient, sync):
    form = form_for(wclient, sync)
    form.name_input.value = " Padded "
    assert not form.submit.disabled and "starts or ends with a space" in form.hint.value
    form.submit.click()
    assert writes(wclient)[-1].json["name"] == " Padded "


# -- every error class, inline and kept ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 400}, "the server refused the request (400): injected fault"),
        ({"status": 401}, "the API key was refused (401)"),
        ({"status": 403}, "your key may not do this (403): creating organizations needs an account admin"),
        ({"status": 404}, "not found: it may have been deleted (404)"),
        ({"status": 409}, "name already taken"),
        ({"status": 422}, "the server could not process the request (422): injected fault"),
        ({"status": 429, "retry_after": 3600}, "rate limited: try again in 3600 s"),
        ({"status": 500}, "the Arize service failed (500); nothing was lost, try again"),
        ({"status": 502}, "the Arize service failed (502); nothing was lost, try again"),
        ({"status": 503}, "the Arize service failed (503); nothing was lost, try again"),
        ({"drop": "before"}, "cannot reach sandbox.localhost"),
    ],
    ids=lambda v: str(v.get("status", v.get("drop"))) if isinstance(v, dict) else None,
)
def test_every_error_is_one_line_inline_and_keeps_the_inputs(wclient, sync, fault, expected):
    form = form_for(wclient, sync)
    form.name_input.value = "Kept Name <b>"
    form.description_input.value = "kept description"
    wclient.local_sandbox.faults.add(method="POST", path=ORGS, times=20, **fault)
    form.submit.click()
    assert form.status_kind == "error"
    assert expected in form.status_text
    assert "\n" not in form.status_text
    assert form.name_input.value == "Kept Name <b>"  # U4: nothing the user typed is lost
    assert form.description_input.value == "kept description"
    assert not form.submit.disabled  # re-enabled in finally
    assert form.details.outputs  # the full error is in the details area
    assert "Kept Name" not in org_names(wclient)
    for markup in html_values(form):
        assert dangerous_elements(markup) == []


def test_a_name_taken_after_the_snapshot_was_loaded(wclient, sync):
    form = form_for(wclient, sync)
    wclient.local_sandbox.state.create_org("Raced")  # another admin, after the list was loaded
    form.name_input.value = "raced"
    assert not form.submit.disabled  # the snapshot cannot know yet
    form.submit.click()
    assert form.status_text.startswith("name already taken")
    assert form.name_input.value == "raced"
    assert post_count(wclient) == 0  # the apply's stale check found it before sending


def test_a_409_from_the_server_is_still_name_already_taken(wclient, sync):
    form = form_for(wclient, sync)
    wclient.local_sandbox.faults.add(status=409, method="POST", path=ORGS)  # a race after the check
    form.name_input.value = "Lost The Race"
    form.submit.click()
    assert form.status_text.startswith("name already taken")
    assert "(409)" in form.status_text
    assert post_count(wclient) == 1


def test_rate_limited_shows_retrying_then_the_result(wclient, sync, clock):
    form = form_for(wclient, sync)
    seen = status_history(form)
    wclient.local_sandbox.faults.add(status=429, retry_after=2, method="POST", path=ORGS)
    form.name_input.value = "Patient Org"
    form.submit.click()
    assert "⚠ rate limited, retrying in 2 s" in seen
    assert seen[-1] == "✔ created “Patient Org”"
    assert clock.sleeps == [2.0]
    assert post_count(wclient) == 2


# -- one request per click, the kernel stays free -----------------------------------------------


def test_a_double_click_sends_one_request(wclient, deferred):
    form = form_for(wclient, deferred)
    form.name_input.value = "Once"
    form.submit.click()
    assert form.busy and form.submit.disabled and form.status_kind == "busy"
    form.submit.click()  # the second click of a double click, while the first is in flight
    form.create()
    assert len(deferred.jobs) == 1
    deferred.run_all()
    assert post_count(wclient) == 1
    assert org_names(wclient).count("Once") == 1
    assert not form.busy and form.status_kind == "ok"


def test_the_thread_runner_returns_at_once_and_ignores_clicks_while_busy(wclient, monkeypatch):
    gate = threading.Event()
    started = threading.Event()
    real = _actions.create_org

    def gated(*args, **kwargs):
        started.set()
        assert gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(_actions, "create_org", gated)
    form = form_for(wclient, ThreadRunner())
    form.name_input.value = "Threaded"
    form.submit.click()  # returns while the action waits in its thread
    assert started.wait(10)
    assert form.busy and form.submit.disabled
    assert post_count(wclient) == 0
    form.submit.click()
    form.submit.click()
    gate.set()
    assert form.wait(10)
    assert post_count(wclient) == 1
    assert form.status_text == "created “Threaded”"
    assert threading.current_thread() is threading.main_thread()


def test_a_bug_in_an_action_is_shown_and_the_form_recovers(wclient, sync, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(_actions, "create_org", broken)
    form = form_for(wclient, sync)
    form.name_input.value = "Anything"
    form.submit.click()
    assert form.status_text == "unexpected error: RuntimeError: boom"
    assert "Traceback" in form.details.outputs[0]["text"]
    assert not form.submit.disabled and not form.busy


def test_a_failed_initial_load_shows_in_the_status_line(clock):
    from tests.conftest import make_client

    with make_client(clock, orgs=3, journal=":memory:") as client:
        client.local_sandbox.faults.add(status=401, method="GET", times=5)
        form = CreateOrgForm(client, snapshot=Snapshot(client))
        assert form.status_kind == "error"
        assert "could not load the organizations: the API key was refused" in form.status_text


def test_an_xss_name_is_escaped_in_every_html_value(wclient, sync):
    wclient.local_sandbox.state.create_org(XSS)
    form = form_for(wclient, sync)
    form.name_input.value = XSS.upper()  # taken: the hint quotes the stored name
    assert "name already taken by" in form.hint.value
    form.name_input.value = XSS + " 2"
    form.submit.click()
    assert form.status_kind == "ok"
    for markup in html_values(form):
        assert dangerous_elements(markup) == []
    assert XSS in form.status_text


# -- status that tells the truth about now ----------------------------------------------------


def test_an_untouched_form_shows_a_neutral_todo_not_an_error(wclient, sync):
    form = form_for(wclient, sync)
    assert hint_marks(form.hint) == {"error": [], "warn": [], "todo": [NAME_REQUIRED]}
    assert "✖" not in form.hint.value and form.status_kind == "idle" and form.status_text == ""
    form.description_input.value = "typed first"  # another field: the name is still untouched
    assert hint_marks(form.hint)["error"] == []
    form.name_input.value = "x"
    form.name_input.value = ""  # typed, then erased: now it is an error
    assert hint_marks(form.hint)["error"] == ["name cannot be empty or only whitespace"]


def test_after_a_success_the_form_is_clean_and_the_success_line_stays_until_the_next_edit(wclient, sync):
    form = form_for(wclient, sync)
    form.name_input.value = "First"
    form.submit.click()
    assert form.status_text == "created “First”"
    assert (form.name_input.value, form.description_input.value) == ("", "")
    assert hint_marks(form.hint) == {"error": [], "warn": [], "todo": [NAME_REQUIRED]}  # no ✖
    assert form.status_text == "created “First”"  # the reset did not clear it
    form.name_input.value = "S"
    assert form.status_kind == "idle" and form.status_text == ""  # the next edit did


def test_a_duplicate_error_then_a_fix_leaves_no_old_message(wclient, sync):
    form = form_for(wclient, sync)
    seen = status_history(form)
    form.name_input.value = "Alpha"
    form.submit.click()
    assert form.status_text == "created “Alpha”"
    form.name_input.value = "ALPHA"  # the old "created" line must not sit above this error
    assert form.status_text == "" and form.submit.disabled
    assert hint_marks(form.hint)["error"] == [
        "name already taken by “Alpha” (names are compared ignoring case)"
    ]
    wclient.local_sandbox.state.create_org("Beta")  # another admin: the panel cannot know yet
    form.name_input.value = "beta"
    form.submit.click()
    assert form.status_kind == "error" and form.status_text.startswith("name already taken")
    form.name_input.value = "Gamma"  # the fix
    assert form.status_kind == "idle" and form.status_text == ""
    form.submit.click()
    assert form.status_text == "created “Gamma”"
    assert [line for line in seen if line.strip()][-1] == "✔ created “Gamma”"


def test_a_refresh_clears_an_error_about_the_old_list(wclient, sync):
    form = form_for(wclient, sync)
    wclient.local_sandbox.state.create_org("Raced")
    form.name_input.value = "raced"
    form.submit.click()
    assert form.status_kind == "error"
    form.snapshot.refresh()  # Browse's Refresh
    assert form.status_kind == "idle"
    assert hint_marks(form.hint)["error"] == [
        "name already taken by “Raced” (names are compared ignoring case)"
    ]


def test_a_refresh_keeps_a_success_line(wclient, sync):
    form = form_for(wclient, sync)
    form.name_input.value = "Kept"
    form.submit.click()
    form.snapshot.refresh()
    assert form.status_text == "created “Kept”"


# -- keyboard and busy state -----------------------------------------------------------------


def test_enter_in_the_name_field_creates(wclient, sync):
    form = form_for(wclient, sync)
    form.name_input.value = "By Enter"
    form.description_input.value = "typed, then Enter in the name"
    press_enter(form.name_input)
    assert form.status_text == "created “By Enter”"
    created = next(o for o in wclient.local_sandbox.state.orgs() if o["name"] == "By Enter")
    assert created["description"] == "typed, then Enter in the name"
    assert post_count(wclient) == 1


def test_enter_on_an_invalid_name_sends_nothing_and_says_why(wclient, sync):
    form = form_for(wclient, sync)
    wclient.local_sandbox.log.clear()
    press_enter(form.name_input)
    assert form.status_text == f"not sent: {NAME_REQUIRED}"
    assert hint_marks(form.hint)["error"] == ["name cannot be empty or only whitespace"]
    assert len(wclient.local_sandbox.log) == 0


def test_enter_while_busy_sends_nothing_more(wclient, deferred):
    form = form_for(wclient, deferred)
    form.name_input.value = "Once By Enter"
    press_enter(form.name_input)
    press_enter(form.name_input)
    form.submit.click()
    assert len(deferred.jobs) == 1
    deferred.run_all()
    assert post_count(wclient) == 1


def test_inputs_are_disabled_while_busy_and_the_busy_mark_is_a_css_spinner(wclient, deferred):
    form = form_for(wclient, deferred)
    form.name_input.value = "Slow"
    form.submit.click()
    assert form.busy
    assert form.name_input.disabled and form.description_input.disabled and form.submit.disabled
    assert 'class="aonb-spinner"' in form.status.value and "⏳" not in form.status.value
    assert form.status_text == "creating “Slow”…"
    deferred.run_all()
    assert not form.name_input.disabled and not form.description_input.disabled
    assert "aonb-spinner" not in form.status.value
