"""MemberRoleForm headless: pick by email or name, annotator rule inline, confirmed remove, journal hook."""

from datetime import UTC, date, datetime

import pytest

from arize_orgs_nb.widgets import MemberRoleForm

from .conftest import ORGS, XSS, dangerous_elements, hint_marks, html_values, states_json, visible_text


@pytest.fixture
def people(wclient):
    state = wclient.local_sandbox.state
    org = wclient.organizations.create(name="Members Org")
    member = state.create_user("Robin Quill", "robin.quill@example.com", role="MEMBER")
    annotator = state.create_user("Ana Tator", "ana.tator@example.com", role="ANNOTATOR")
    return org, member, annotator


@pytest.fixture
def form(wclient, sync, people):
    org, _, _ = people
    form = MemberRoleForm(wclient, runner=sync)
    form.org_picker.search.value = "members org"
    assert form.org_picker.value == org.id
    return form


def roles_in(client, org_id):
    return {
        m["user_id"]: m["role"]["name"]
        for m in client.local_sandbox.state.memberships()
        if m["organization_id"] == org_id
    }


def test_pick_a_user_by_email_and_set_a_role(wclient, form, people):
    org, member, _ = people
    assert form.submit.disabled and "pick a user" in form.hint.value
    form.user_picker.search.value = "ROBIN.QUILL@"
    assert form.user_picker.value == member["id"]
    assert form.user_picker.label.startswith("robin.quill@example.com — Robin Quill (MEMBER)")
    assert "account role: MEMBER" in visible_text(form.account_label.value)
    form.role.value = "READ_ONLY"
    assert not form.submit.disabled
    form.submit.click()
    assert form.status_text == "robin.quill@example.com is now READ_ONLY in “Members Org”"
    assert roles_in(wclient, org.id) == {member["id"]: "READ_ONLY"}
    form.role.value = "ADMIN"  # an upsert: the role is replaced
    form.submit.click()
    assert roles_in(wclient, org.id) == {member["id"]: "ADMIN"}


def test_users_are_searchable_by_name_too(form, people):
    _, member, _ = people
    form.user_picker.search.value = "robin q"
    assert form.user_picker.value == member["id"]


def test_the_annotator_rule_is_checked_inline(wclient, form, people):
    _, member, annotator = people
    wclient.local_sandbox.log.clear()
    form.user_picker.select(annotator["id"])
    assert form.role.value == "ANNOTATOR"  # steered to the only allowed role
    form.role.value = "MEMBER"
    assert form.submit.disabled
    assert "ANNOTATOR account" in form.hint.value
    form.submit.click()
    assert form.status_kind == "error"
    form.user_picker.select(member["id"])
    assert form.role.value == "MEMBER"
    form.role.value = "ANNOTATOR"
    assert form.submit.disabled and "only for annotator accounts" in form.hint.value
    assert not any(r.method == "POST" for r in wclient.local_sandbox.log)
    form.user_picker.select(annotator["id"])
    form.submit.click()
    assert form.status_text == "ana.tator@example.com is now ANNOTATOR in “Members Org”"


def test_remove_needs_the_box_and_warns_about_spaces(wclient, form, people):
    org, member, _ = people
    wclient.organizations.add_user(organization=org.id, user_id=member["id"], role="MEMBER")
    form.user_picker.select(member["id"])
    assert form.remove_button.disabled
    assert "every space" in form.remove_confirm.description
    form.remove_button.click()
    assert form.remove_line.status_text.startswith("not removed")
    assert roles_in(wclient, org.id) == {member["id"]: "MEMBER"}
    form.remove_confirm.value = True
    assert not form.remove_button.disabled
    form.remove_button.click()
    assert form.remove_line.status_text == (
        "robin.quill@example.com was removed from “Members Org” and all of its spaces"
    )
    assert form.role_line.status_kind == "idle"  # Remove's result is under Remove
    assert roles_in(wclient, org.id) == {}
    assert not form.remove_confirm.value and form.remove_button.disabled
    form.remove_confirm.value = True
    form.remove_button.click()  # not a member any more
    assert form.remove_line.status_text.startswith("not found: it may have been deleted (404)")


def test_changing_the_pick_unticks_the_remove_box(form, people):
    _, member, annotator = people
    form.user_picker.select(member["id"])
    form.remove_confirm.value = True
    form.user_picker.select(annotator["id"])
    assert not form.remove_confirm.value


@pytest.mark.parametrize(
    ("status", "expected"),
    [(403, "your key may not do this"), (404, "not found"), (429, "rate limited: try again in 3600 s")],
)
def test_errors_from_add_user(wclient, form, people, status, expected):
    org, member, _ = people
    extra = {"retry_after": 3600} if status == 429 else {}
    wclient.local_sandbox.faults.add(status=status, method="POST", path=f"{ORGS}/{org.id}/users", **extra)
    form.user_picker.select(member["id"])
    form.submit.click()
    assert form.status_text.startswith(expected)
    assert form.user_picker.value == member["id"] and form.role.value == "MEMBER"


def test_known_roles_hook_feeds_the_last_known_role_line(wclient, sync, people):
    org, member, _ = people
    calls = []

    def known(org_id, user_id):
        calls.append((org_id, user_id))
        return ("ADMIN", date(2026, 1, 2)) if user_id == member["id"] else None

    form = MemberRoleForm(wclient, runner=sync, known_roles=known)
    form.org_picker.select(org.id)
    form.user_picker.select(member["id"])
    text = visible_text(form.last_known_role.value)
    assert "ADMIN on 2026-01-02" in text
    assert "last set by this tool (from the local journal; the API cannot list members)" in text
    assert calls[-1] == (org.id, member["id"])
    form.user_picker.search.value = "ana.tator"
    assert "unknown" in visible_text(form.last_known_role.value)


def test_names_with_markup_are_escaped(wclient, sync):
    state = wclient.local_sandbox.state
    org = wclient.organizations.create(name=XSS)
    user = state.create_user("<script>alert(3)</script>", "evil@example.com", role="MEMBER")
    form = MemberRoleForm(wclient, runner=sync)
    form.org_picker.select(org.id)
    form.user_picker.select(user["id"])
    form.submit.click()
    assert form.status_kind == "ok"
    for markup in html_values(form):
        assert dangerous_elements(markup) == [], markup
    assert XSS in form.status_text


def test_double_click_on_set_role_sends_one_post(wclient, deferred, people):
    org, member, _ = people
    form = MemberRoleForm(wclient, runner=deferred)
    form.org_picker.select(org.id)
    form.user_picker.select(member["id"])
    form.submit.click()
    form.submit.click()
    assert len(deferred.jobs) == 1
    deferred.run_all()
    assert wclient.local_sandbox.log.count(method="POST", path_prefix=f"{ORGS}/{org.id}/users") == 1


def test_the_last_known_role_line_reads_the_local_journal(wclient, form, people):
    org, member, _ = people
    form.user_picker.select(member["id"])
    line = form.last_known_role
    assert "current role: unknown (the API cannot list an organization's members)" in visible_text(line.value)
    form.role.value = "READ_ONLY"
    form.submit.click()
    text = visible_text(line.value)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert text.startswith(f"last known role: READ_ONLY on {today} ")
    assert text.endswith(" UTC, last set by this tool (from the local journal; the API cannot list members)")
    recorded = wclient.journal.store.known_roles()[(org.id, member["id"])]
    assert recorded[0] == "READ_ONLY"
    # another form of the same client (a fresh kernel object) reads the same record
    other = MemberRoleForm(wclient, runner=form.runner)
    other.org_picker.select(org.id)
    other.user_picker.select(member["id"])
    assert "last known role: READ_ONLY on" in visible_text(other.last_known_role.value)
    form.remove_confirm.value = True
    form.remove_button.click()
    assert visible_text(line.value).startswith(f"last known: removed on {today} ")
    assert "from the local journal" in visible_text(line.value)


def test_a_click_is_sent_even_when_the_journal_says_it_is_done(wclient, form, people):
    org, member, _ = people
    form.user_picker.select(member["id"])
    form.submit.click()
    # someone changes the role in the Arize UI: the journal cannot know
    wclient.organizations.add_user(organization=org.id, user_id=member["id"], role="ADMIN")
    path = f"{ORGS}/{org.id}/users"
    posts = wclient.local_sandbox.log.count(method="POST", path_prefix=path)
    form.submit.click()  # MEMBER again: the journal already records MEMBER, the server has ADMIN
    assert form.status_text == "robin.quill@example.com is now MEMBER in “Members Org”"
    assert wclient.local_sandbox.log.count(method="POST", path_prefix=path) == posts + 1
    assert roles_in(wclient, org.id) == {member["id"]: "MEMBER"}


def test_a_journal_that_cannot_be_read_does_not_break_the_form(wclient, sync, people):
    org, member, _ = people

    def broken(_org_id, _user_id):
        raise RuntimeError("journal locked")

    form = MemberRoleForm(wclient, runner=sync, known_roles=broken)
    form.org_picker.select(org.id)
    form.user_picker.select(member["id"])
    assert "unavailable" in visible_text(form.last_known_role.value)
    form.submit.click()
    assert form.status_kind == "ok"


# -- status that tells the truth about now ----------------------------------------------------


def test_picking_another_user_clears_the_old_result(wclient, form, people):
    _, member, annotator = people
    form.user_picker.select(member["id"])
    form.role.value = "ADMIN"
    form.submit.click()
    assert form.role_line.status_text == "robin.quill@example.com is now ADMIN in “Members Org”"
    form.user_picker.search.value = "ana.tator"  # typed: another user
    assert form.user_picker.value == annotator["id"]
    assert form.role_line.status_kind == "idle" and form.role_line.status_text == ""
    assert form.role_line.details.outputs == ()


def test_each_line_is_cleared_by_its_own_inputs_and_by_the_other_action(wclient, form, people):
    _, member, _ = people
    form.user_picker.select(member["id"])
    form.submit.click()
    form.remove_confirm.value = True  # Remove's input: Set role's result still holds
    assert form.role_line.status_kind == "ok"
    form.remove_button.click()  # "… is now MEMBER" is no longer true: gone
    assert form.remove_line.status_kind == "ok" and form.role_line.status_kind == "idle"
    form.role.value = "READ_ONLY"  # Set role's input: the removal's result still holds
    assert form.remove_line.status_kind == "ok"
    form.submit.click()
    assert form.role_line.status_kind == "ok" and form.remove_line.status_kind == "idle"


def test_untouched_pickers_show_neutral_todos(wclient, sync, people):
    form = MemberRoleForm(wclient, runner=sync)
    assert hint_marks(form.hint) == {"error": [], "warn": [], "todo": ["pick an organization", "pick a user"]}
    assert form.role_line.status_kind == "idle"


def test_the_result_reads_in_an_admins_words_with_how_to_undo(wclient, form, people):
    _, member, _ = people
    form.user_picker.select(member["id"])
    form.submit.click()  # the first role this tool sets: nothing to go back to
    details = form.role_line.details.outputs[0]["text"]
    assert "apply id" not in details and "Cannot be undone from here" in details
    form.role.value = "ADMIN"
    form.submit.click()
    assert form.role_line.status_text == "robin.quill@example.com is now ADMIN in “Members Org”"
    details = form.role_line.details.outputs[0]["text"]
    assert details.startswith("To undo (back to MEMBER): client.journal.undo(")
    assert "journal apply id" not in states_json(form)


# -- open_org(): what a row click in Browse calls ------------------------------------------------


def test_open_org_picks_an_org_and_a_user(wclient, sync, people):
    org, _, annotator = people
    form = MemberRoleForm(wclient, runner=sync)
    assert form.model_id  # not Widget.open(): the comm is open
    assert form.open_org(org_id=org.id)
    assert form.org_picker.value == org.id and form.org_picker.search.value == "Members Org"
    assert form.user_picker.value is None
    assert form.open_org(user_id=annotator["id"])  # None keeps the organization
    assert form.org_picker.value == org.id and form.user_picker.value == annotator["id"]
    assert form.role.value == "ANNOTATOR"  # steered, as when picked by hand
    assert not form.submit.disabled
    with pytest.raises(ValueError, match="no user with id"):
        form.open_org(user_id="nobody")
    with pytest.raises(ValueError, match="no organization with id"):
        form.open_org(org_id="nowhere")


def test_open_org_to_another_pair_clears_the_old_results(wclient, sync, people):
    org, member, annotator = people
    form = MemberRoleForm(wclient, runner=sync)
    form.open_org(org.id, member["id"])
    form.submit.click()
    assert form.role_line.status_kind == "ok"
    form.open_org(org.id, member["id"])  # the same pair: the result still holds
    assert form.role_line.status_kind == "ok"
    form.open_org(user_id=annotator["id"])
    assert form.role_line.status_kind == "idle"


def test_every_input_is_disabled_while_busy(wclient, deferred, people):
    org, member, _ = people
    form = MemberRoleForm(wclient, runner=deferred)
    form.open_org(org.id, member["id"])
    form.submit.click()
    controls = [form.org_picker.search, form.user_picker.search, form.role, form.remove_confirm]
    assert all(c.disabled for c in controls) and form.submit.disabled and form.remove_button.disabled
    assert "aonb-spinner" in form.role_line.status.value
    deferred.run_all()
    assert not any(c.disabled for c in controls)
