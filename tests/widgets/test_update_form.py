"""UpdateOrgForm headless: picker, prefill, only changed fields, explicit clear, typed delete."""

import pytest

from arize_orgs_nb.widgets import Snapshot, UpdateOrgForm

from arize_orgs_nb.widgets.update_org import NOTHING_TO_CHANGE

from .conftest import ORGS, XSS, dangerous_elements, hint_marks, html_values, org_names, visible_text


@pytest.fixture
def target(wclient):
    return wclient.organizations.create(name="Target Org", description="old description")


@pytest.fixture
def form(wclient, sync, target):
    form = UpdateOrgForm(wclient, runner=sync)
    form.picker.search.value = "target org"
    return form


def patches(client):
    return [r.json for r in client.local_sandbox.log if r.method == "PATCH"]


def test_search_picks_the_single_match_and_prefills(form, target):
    assert form.picker.value == target.id
    assert form.picker.search.options == ("Target Org",)
    assert form.name_input.value == "Target Org"
    assert form.description_input.value == "old description"
    assert target.id in form.id_label.value
    assert form.submit.disabled
    assert hint_marks(form.hint) == {"error": [], "warn": [], "todo": [NOTHING_TO_CHANGE]}  # neutral


def test_only_the_changed_field_is_sent(wclient, form, target):
    form.description_input.value = "new description"
    assert not form.submit.disabled
    form.submit.click()
    assert form.status_text == "updated “Target Org”: description changed"
    assert patches(wclient) == [{"description": "new description"}]
    form.name_input.value = "Target Org Renamed"
    form.submit.click()
    assert patches(wclient)[-1] == {"name": "Target Org Renamed"}
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert (state["name"], state["description"]) == ("Target Org Renamed", "new description")
    # the picker's label follows the rename; the form is prefilled with the new values
    assert form.picker.label == "Target Org Renamed" and form.picker.value == target.id
    assert form.name_input.value == "Target Org Renamed" and form.submit.disabled


def test_clearing_needs_the_explicit_box(wclient, form, target):
    form.description_input.value = ""
    assert form.submit.disabled
    assert "tick “clear the description”" in form.hint.value
    form.clear_description.value = True
    assert form.description_input.disabled
    assert not form.submit.disabled
    form.submit.click()
    assert patches(wclient) == [{"description": ""}]
    assert "description cleared" in form.status_text
    assert form.description_input.value == "" and not form.clear_description.value


def test_rename_to_a_taken_name_is_caught_inline_but_own_case_change_is_allowed(wclient, form):
    other = wclient.local_sandbox.state.orgs()[0]["name"]
    form.name_input.value = other.lower()
    assert form.submit.disabled and "name already taken" in form.hint.value
    form.name_input.value = "TARGET ORG"
    assert not form.submit.disabled


def test_a_409_and_a_404_from_the_server_keep_the_inputs(wclient, form, target):
    wclient.local_sandbox.state.create_org("Taken Later")
    form.name_input.value = "taken later"
    form.submit.click()
    assert form.status_text.startswith("name already taken")
    assert form.name_input.value == "taken later"
    wclient.local_sandbox.faults.add(status=404, method="PATCH")
    form.name_input.value = "Fresh Name"
    form.submit.click()
    assert form.status_text.startswith("not found: it may have been deleted")
    assert form.name_input.value == "Fresh Name"


def test_delete_needs_the_exact_name_and_shows_id_and_cascade(wclient, form, target):
    prompt = visible_text(form.delete_prompt.value)
    assert target.id in prompt
    assert (
        "Deleting an organization deletes all of its spaces and everything in them. This cannot be undone."
        in prompt
    )
    for typed in ("target org", "Target Org ", "Target  Org", "Target Org\u200b", "Target \u039frg"):
        form.delete_confirm.value = typed
        assert form.delete_button.disabled, typed
        form.delete_button.click()
        assert form.delete_line.status_text.startswith("not deleted")
    assert "Target Org" in org_names(wclient)
    assert not any(r.method == "DELETE" for r in wclient.local_sandbox.log)
    form.delete_confirm.value = "Target Org"
    assert not form.delete_button.disabled
    form.delete_button.click()
    assert form.delete_line.status_text == "deleted “Target Org” and all of its spaces"
    assert form.save_line.status_kind == "idle"  # the result is Delete's, under Delete
    assert "Target Org" not in org_names(wclient)
    assert form.picker.value is None and form.name_input.disabled
    assert form.snapshot.find_org(target.id) is None


def test_invisible_characters_are_made_visible_in_the_picker_and_prompt(wclient, sync):
    sneaky = wclient.organizations.create(name="Prod\u200b")
    form = UpdateOrgForm(wclient, runner=sync)
    form.picker.select(sneaky.id)
    assert form.picker.label == "Prod⟨U+200B⟩"
    assert "Prod⟨U+200B⟩" in visible_text(form.delete_prompt.value)
    assert "invisible characters" in visible_text(form.delete_prompt.value)
    form.delete_confirm.value = "Prod"
    assert form.delete_button.disabled


def test_double_click_on_save_sends_one_patch(wclient, deferred, target):
    form = UpdateOrgForm(wclient, runner=deferred)
    form.picker.select(target.id)
    form.description_input.value = "once"
    form.submit.click()
    form.submit.click()
    assert len(deferred.jobs) == 1
    deferred.run_all()
    assert len(patches(wclient)) == 1


def test_shared_snapshot_and_xss_names(wclient, sync):
    evil = wclient.organizations.create(name=XSS, description='</td><script>alert(2)</script>"onmouseover="x')
    snapshot = Snapshot(wclient)
    form = UpdateOrgForm(wclient, runner=sync, snapshot=snapshot)
    form.picker.select(evil.id)
    assert form.name_input.value == XSS  # a Text holds text: no markup
    form.description_input.value = "calm now"
    form.submit.click()
    assert form.status_kind == "ok"
    for markup in html_values(form):
        assert dangerous_elements(markup) == [], markup
    assert XSS in visible_text(form.delete_prompt.value)


def test_the_patch_goes_to_the_picked_id_not_a_name(wclient, form, target):
    form.description_input.value = "by id"
    form.submit.click()
    patch = next(r for r in wclient.local_sandbox.log if r.method == "PATCH")
    assert patch.path == f"{ORGS}/{target.id}"
    assert not any(r.method == "GET" and r.query.get("name") for r in wclient.local_sandbox.log)


def test_a_change_made_elsewhere_since_the_list_was_loaded_is_not_overwritten(wclient, form, target):
    wclient.organizations.update(organization=target.id, description="set by another admin")
    wclient.local_sandbox.log.clear()
    form.description_input.value = "mine"
    form.submit.click()
    assert form.status_kind == "error"
    assert form.save_line.status_text.startswith("not saved: “Target Org” was changed on the server since")
    assert "nothing was sent" in form.save_line.status_text
    assert patches(wclient) == []
    assert form.description_input.value == "mine"  # kept
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert state["description"] == "set by another admin"


def test_a_delete_is_refused_when_the_org_changed_since_the_list_was_loaded(wclient, form, target):
    wclient.organizations.update(organization=target.id, description="changed meanwhile")
    form.delete_confirm.value = "Target Org"
    form.delete_button.click()
    assert form.delete_line.status_text.startswith("not deleted: “Target Org” was changed on the server")
    assert form.description_input.value == "changed meanwhile"  # the current values are shown now
    assert form.delete_confirm.value == "" and form.delete_button.disabled  # confirm again
    assert "Target Org" in org_names(wclient)
    assert not any(r.method == "DELETE" for r in wclient.local_sandbox.log)


def test_every_save_is_journaled(wclient, form, target):
    form.description_input.value = "journaled"
    form.submit.click()
    journal = wclient.journal.to_frame()
    assert list(journal[["op", "organization_id", "status"]].itertuples(index=False, name=None)) == [
        ("describe", target.id, "applied")
    ]
    undo = wclient.journal.undo(journal["apply_id"].iloc[0])
    undo.apply(progress=False)
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert state["description"] == "old description"
