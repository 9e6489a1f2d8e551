"""The forms' status, keyboard and conflicts in JupyterLab 4 and Notebook 7 (headless Chromium).

Enter creates; an error is replaced, not stacked, once the input is fixed; a save refused because
a colleague changed the organization offers Reload (edits kept) and Overwrite. A second client on
the notebook's own sandbox plays the colleague and checks the server.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import status

pytestmark = pytest.mark.browser

EMPTY = re.compile(r"^\s*$")


def test_enter_in_the_name_field_creates_and_the_spinner_spins(nb):
    create = nb.tab("Create")
    name = create.locator(".aonb-create-name input")
    hint = create.locator(".aonb-create-hint")
    expect(hint).to_have_text("a name is required (unique in the account)")  # a grey to-do, no ✖
    expect(hint.locator(".aonb-hint-error")).to_have_count(0)
    name.fill("Made With Enter")
    expect(create.locator("button.aonb-create-submit")).to_be_enabled()  # the kernel has the value
    name.press("Enter")
    expect(status(create)).to_have_text("✔ created “Made With Enter”")
    expect(name).to_have_value("")  # a clean form after the success, the success line kept
    expect(hint).to_have_text("a name is required (unique in the account)")
    assert nb.api.organizations.get(organization="Made With Enter").name == "Made With Enter"
    # The style sheet each form carries animates the busy mark (an element of that class spins).
    animation = nb.page.evaluate(
        """() => { const s = document.createElement('span'); s.className = 'aonb-spinner';
                   document.body.appendChild(s); const name = getComputedStyle(s).animationName;
                   s.remove(); return name; }"""
    )
    assert animation == "aonb-spin"
    nb.shot("forms-01-created-with-enter")


def test_a_duplicate_error_then_a_fix_leaves_no_old_message(nb):
    create = nb.tab("Create")
    name = create.locator(".aonb-create-name input")
    submit = create.locator("button.aonb-create-submit")
    line = status(create)
    nb.api.organizations.create(name="Taken Meanwhile")  # a colleague, after the panel loaded
    name.fill("taken meanwhile")
    expect(submit).to_be_enabled()
    submit.click()
    expect(line).to_contain_text("✖ name already taken")
    expect(name).to_have_value("taken meanwhile")
    nb.shot("forms-02-duplicate-error")
    name.fill("Taken Meanwhile, fixed")
    expect(line).to_have_text(EMPTY)  # the error is gone as soon as the input changed
    expect(submit).to_be_enabled()
    name.press("Enter")
    expect(line).to_have_text("✔ created “Taken Meanwhile, fixed”")
    expect(create).not_to_contain_text("already taken")
    assert nb.api.organizations.get(organization="Taken Meanwhile, fixed")
    nb.shot("forms-03-fixed-and-created")


def test_an_update_conflict_offers_reload_then_overwrite(nb):
    org = nb.api.organizations.get(organization="Made from code")
    update = nb.tab("Update")
    update.locator(".aonb-update-org input").fill("made from code")
    name = update.locator(".aonb-update-name input")
    description = update.locator(".aonb-update-description textarea")
    expect(name).to_have_value("Made from code")
    save_line = update.locator(".aonb-save-status")
    conflict = update.locator(".aonb-update-conflict")
    expect(conflict).to_be_hidden()

    nb.api.organizations.update(organization=org.id, name="Renamed by a colleague", description="theirs")
    description.fill("mine, from the browser")
    update.locator("button.aonb-update-submit").click()
    expect(save_line).to_have_text(
        "✖ not saved: someone changed “Made from code” on the server since it was loaded; nothing was sent"
    )
    expect(conflict).to_be_visible()
    expect(update.locator(".aonb-delete-status")).to_have_text(EMPTY)  # the result is Save's, not Delete's
    nb.shot("forms-04-update-conflict-offered")

    update.locator("button.aonb-update-reload").click()
    expect(save_line).to_have_text(
        "✔ reloaded “Renamed by a colleague” from the server: your edits are kept; "
        "check the marked field, then Save"
    )
    expect(name).to_have_value("Renamed by a colleague")  # not edited here: follows the server
    expect(description).to_have_value("mine, from the browser")  # edited here: kept
    expect(update.locator(".aonb-update-server")).to_contain_text(
        "Description: changed on the server to “theirs” while you were editing; yours is kept"
    )
    expect(conflict).to_be_hidden()
    nb.shot("forms-05-update-reloaded")

    nb.api.organizations.update(organization=org.id, description="theirs again")  # and once more
    update.locator("button.aonb-update-submit").click()
    expect(conflict).to_be_visible()
    update.locator("button.aonb-update-overwrite").click()
    expect(save_line).to_have_text(
        "✔ saved over the other change: updated “Renamed by a colleague”: description changed"
    )
    expect(conflict).to_be_hidden()
    server = nb.api.organizations.get(organization=org.id)
    assert (server.name, server.description) == ("Renamed by a colleague", "mine, from the browser")
    nb.shot("forms-06-update-overwritten")


def test_members_pick_by_typing_with_a_count_and_a_result_in_plain_words(nb):
    users = nb.api.users.to_frame(progress=False)
    member = users[(users["role_name"] == "MEMBER") & (users["status"] == "ACTIVE")].iloc[0]
    members = nb.tab("Members")
    org_field = members.locator(".aonb-members-org input")
    org_field.fill("made")
    expect(members.locator(".aonb-members-org-note")).to_contain_text(re.compile(r"^\d+ of 42 match"))
    org_field.fill("Made from code")
    expect(members.locator(".aonb-members-org-note")).to_contain_text("picked: Made from code")
    members.locator(".aonb-members-user input").fill(member["email"])
    expect(members.locator(".aonb-members-account")).to_contain_text("account role: MEMBER")
    members.locator(".aonb-members-role select").select_option("ADMIN")
    members.locator("button.aonb-members-submit").click()
    role_line = members.locator(".aonb-role-status")
    expect(role_line).to_have_text(f"✔ {member['email']} is now ADMIN in “Made from code”")
    expect(members).not_to_contain_text("apply id")
    nb.shot("forms-07-member-role-set")
    members.locator(".aonb-members-user input").fill("")  # another pick: the old result goes
    expect(role_line).to_have_text(EMPTY)
