"""UpdateOrgForm headless: picker, prefill, only changed fields, explicit clear, typed delete."""

import pytest

from arize_orgs_nb.widgets import Snapshot, UpdateOrgForm
from arize_orgs_nb.widgets.update_org import NOTHING_TO_CHANGE

from .conftest import (
    ORGS,
    XSS,
    dangerous_elements,
    hint_marks,
    html_values,
    org_names,
    press_enter,
    visible_text,
)


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
    assert form.save_line.status_text.startswith(
        "not saved: someone changed “Target Org” on the server since"
    )
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


# -- each result next to its button -----------------------------------------------------------


def test_save_and_delete_each_report_under_their_own_button(wclient, form):
    children = list(form.children)
    assert children.index(form.save_line.status) == children.index(form.submit) + 1
    assert children.index(form.delete_line.status) == children.index(form.delete_button) + 1
    assert children.index(form.save_line.status) < children.index(form.delete_button)
    form.description_input.value = "saved"
    form.submit.click()
    assert form.save_line.status_text == "updated “Target Org”: description changed"
    assert form.delete_line.status_kind == "idle"
    form.delete_confirm.value = "wrong"
    form.delete_button.click()
    assert form.delete_line.status_text.startswith("not deleted")
    assert form.save_line.status_text == "updated “Target Org”: description changed"  # still Save's
    form.delete_confirm.value = "wrong again"  # Delete's input: clears Delete's line only
    assert form.delete_line.status_kind == "idle" and form.save_line.status_kind == "ok"
    form.name_input.value = "Target Org 2"  # Save's input: clears Save's line
    assert form.save_line.status_kind == "idle"


def test_after_a_save_the_form_is_clean_and_neutral(wclient, form):
    form.name_input.value = ""  # touched and erased: an error, in red
    assert hint_marks(form.hint)["error"] == ["name cannot be empty or only whitespace"]
    form.name_input.value = "Clean After"
    form.submit.click()
    assert hint_marks(form.hint) == {"error": [], "warn": [], "todo": [NOTHING_TO_CHANGE]}
    assert form.save_line.status_text == "updated “Clean After”: renamed"
    assert form.server_note.value == ""


def test_picking_another_org_clears_both_lines(wclient, form):
    other = wclient.organizations.create(name="Other Org")
    form.snapshot.refresh()
    form.description_input.value = "saved"
    form.submit.click()
    form.delete_confirm.value = "nope"
    form.delete_button.click()
    form.picker.search.value = "other org"
    assert form.org_id == other.id
    assert form.save_line.status_kind == "idle" and form.delete_line.status_kind == "idle"


# -- a save refused as stale: reload or overwrite, in place -----------------------------------


def stale_save(wclient, form, target):
    """Another admin renames the org and changes its description; our edit of it is refused."""
    wclient.organizations.update(organization=target.id, name="Renamed Elsewhere", description="theirs")
    form.description_input.value = "mine"
    form.submit.click()
    assert form.save_line.status_kind == "error"
    return len(patches(wclient))


def test_a_stale_save_offers_reload_and_overwrite_under_save(wclient, form, target):
    sent = stale_save(wclient, form, target)
    assert sent == 1  # only the other admin's PATCH
    assert form.conflict_box.layout.display == "flex"
    assert not form.reload_button.disabled and not form.overwrite_button.disabled
    assert "Renamed Elsewhere" in visible_text(str(form.save_line.details.outputs))  # what drifted
    assert form.description_input.value == "mine"  # kept


def test_reload_takes_the_servers_values_as_base_keeps_the_edits_and_marks_the_conflict(
    wclient, form, target
):
    stale_save(wclient, form, target)
    form.reload_button.click()
    assert form.save_line.status_kind == "ok"
    assert form.save_line.status_text == (
        "reloaded “Renamed Elsewhere” from the server: your edits are kept; check the marked field, then Save"
    )
    assert form.conflict_box.layout.display == "none"
    assert form.base.name == "Renamed Elsewhere" and form.base.description == "theirs"
    assert form.name_input.value == "Renamed Elsewhere"  # not edited here: follows the server
    assert form.description_input.value == "mine"  # edited here: kept
    assert form.conflicts() == {"description": "theirs"}
    note = visible_text(form.server_note.value)
    assert "Description: changed on the server to “theirs” while you were editing; yours is kept" in note
    assert form.changes() == {"description": "mine"}
    form.submit.click()
    assert form.save_line.status_text == "updated “Renamed Elsewhere”: description changed"
    assert patches(wclient)[-1] == {"description": "mine"}  # the other admin's rename is not undone
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert (state["name"], state["description"]) == ("Renamed Elsewhere", "mine")
    assert form.server_note.value == "" and form.conflicts() == {}


def test_overwrite_sends_the_edits_anyway_and_shows_the_servers_result(wclient, form, target):
    stale_save(wclient, form, target)
    form.overwrite_button.click()
    assert form.save_line.status_text == (
        "saved over the other change: updated “Renamed Elsewhere”: description changed"
    )
    assert patches(wclient)[-1] == {"description": "mine"}
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert (state["name"], state["description"]) == ("Renamed Elsewhere", "mine")
    # read back after the forced write: the form shows the server's values, clean
    assert (form.name_input.value, form.description_input.value) == ("Renamed Elsewhere", "mine")
    assert form.conflict_box.layout.display == "none" and form.changes() == {}


def test_an_edit_after_a_stale_save_withdraws_the_offer(wclient, form, target):
    stale_save(wclient, form, target)
    form.description_input.value = "mine, edited"
    assert form.save_line.status_kind == "idle"
    assert form.conflict_box.layout.display == "none" and form.overwrite_button.disabled


def test_a_refresh_clears_the_stale_error_and_keeps_the_edits(wclient, form, target):
    stale_save(wclient, form, target)
    form.snapshot.refresh()  # Browse's Refresh
    assert form.save_line.status_kind == "idle"
    assert form.conflict_box.layout.display == "none"
    assert form.description_input.value == "mine" and form.name_input.value == "Renamed Elsewhere"
    assert form.conflicts() == {"description": "theirs"}


def test_a_refresh_never_silently_replaces_unsaved_edits(wclient, form, target):
    form.name_input.value = "My New Name"
    wclient.organizations.update(organization=target.id, name="Their Name", description="their description")
    form.snapshot.refresh()
    assert form.name_input.value == "My New Name"  # the edit is kept ...
    assert form.description_input.value == "their description"  # ... the untouched field follows
    note = visible_text(form.server_note.value)
    assert "Name: changed on the server to “Their Name” while you were editing; yours is kept" in note
    assert "updated from the server: the description" in note
    assert form.changes() == {"name": "My New Name"}
    form.submit.click()
    assert patches(wclient)[-1] == {"name": "My New Name"}
    state = next(o for o in wclient.local_sandbox.state.orgs() if o["id"] == target.id)
    assert (state["name"], state["description"]) == ("My New Name", "their description")


def test_a_refresh_without_edits_just_shows_the_new_values(wclient, form, target):
    wclient.organizations.update(organization=target.id, description="newer")
    form.snapshot.refresh()
    assert form.description_input.value == "newer" and form.changes() == {}
    assert form.conflicts() == {}


def test_an_org_deleted_elsewhere_is_said_at_the_next_refresh(wclient, form, target):
    form.description_input.value = "unsaved"
    wclient.organizations.delete(organization=target.id)
    form.snapshot.refresh()
    assert form.org_id is None and form.name_input.disabled
    assert form.save_line.status_text == "“Target Org” is no longer on the server (deleted elsewhere)"


# -- open_org(): what a row click in Browse calls ------------------------------------------------


def test_open_org_picks_an_org_and_loads_its_values(wclient, sync, target):
    other = wclient.organizations.create(name="Second", description="second description")
    form = UpdateOrgForm(wclient, runner=sync)
    assert form.model_id  # the widget's own comm is open: open_org() is not Widget.open()
    assert form.open_org(target.id)
    assert form.picker.search.value == "Target Org" and form.org_id == target.id
    assert (form.name_input.value, form.description_input.value) == ("Target Org", "old description")
    form.description_input.value = "typed"
    assert form.open_org(target.id)  # the same org: the edit is kept
    assert form.description_input.value == "typed"
    assert form.open_org(other.id)
    assert (form.name_input.value, form.description_input.value) == ("Second", "second description")
    assert form.save_line.status_text == "your unsaved edits to “Target Org” were discarded"
    with pytest.raises(ValueError, match="no organization with id"):
        form.open_org("org_does_not_exist")


def test_open_org_is_ignored_while_busy(wclient, deferred, target):
    form = UpdateOrgForm(wclient, runner=deferred)
    form.open_org(target.id)
    form.description_input.value = "in flight"
    form.submit.click()
    assert form.open_org(target.id) is False
    deferred.run_all()


# -- keyboard and busy state -----------------------------------------------------------------


def test_enter_in_the_name_field_saves(wclient, form):
    form.name_input.value = "Saved By Enter"
    press_enter(form.name_input)
    assert patches(wclient) == [{"name": "Saved By Enter"}]
    assert form.save_line.status_text == "updated “Saved By Enter”: renamed"


def test_enter_in_the_confirmation_deletes_only_when_the_name_matches(wclient, form, target):
    form.delete_confirm.value = "target org"
    press_enter(form.delete_confirm)
    assert not any(r.method == "DELETE" for r in wclient.local_sandbox.log)
    assert form.delete_line.status_kind == "idle"  # nothing happened, nothing to say
    form.delete_confirm.value = "Target Org"
    press_enter(form.delete_confirm)
    assert form.delete_line.status_text == "deleted “Target Org” and all of its spaces"


def test_every_input_is_disabled_while_busy(wclient, deferred, target):
    form = UpdateOrgForm(wclient, runner=deferred)
    form.open_org(target.id)
    form.description_input.value = "busy"
    form.submit.click()
    controls = [form.picker.search, form.name_input, form.description_input, form.clear_description]
    assert all(c.disabled for c in [*controls, form.delete_confirm, form.submit, form.delete_button])
    assert "aonb-spinner" in form.save_line.status.value
    assert form.delete_line.status_kind == "idle"  # the busy mark is on Save's line only
    deferred.run_all()
    assert not any(c.disabled for c in [*controls, form.delete_confirm])
