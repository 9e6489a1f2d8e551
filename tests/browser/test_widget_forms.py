"""The widget forms in headless Chromium, in JupyterLab 4 and Notebook 7: what a user clicking sees.

Each test runs once per front end (the ``frontend`` fixture). It opens notebooks/03_widget_forms.ipynb
(a temp copy), runs all cells on a fresh kernel (the notebook starts its own sandbox), then drives
the OrgAdminPanel. A second client on the SAME sandbox (its URL is printed in the panel header)
plays another admin and checks the server side. The last test runs the notebook as under
`make run`: its kernel reaches a sandbox in another process, over HTTP only.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from arize_orgs_nb import ArizeOrgs

from .conftest import KERNEL_TIMEOUT_MS, SHOT_DIR
from .helpers import js_errors, open_and_run_all, status

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def test_create_shows_in_the_table_then_update_its_description(nb):
    create = nb.tab("Create")
    create.locator(".aonb-create-name input").fill("Browser Org")
    create.locator(".aonb-create-description textarea").fill("made in chromium")
    create.locator("button.aonb-create-submit").click()
    expect(status(create)).to_have_text("✔ created “Browser Org”")
    expect(create.locator(".aonb-create-name input")).to_have_value("")  # cleared after a success
    org = nb.api.organizations.get(organization="Browser Org")
    assert org.description == "made in chromium"

    browse = nb.tab("Browse")
    browse.locator(".aonb-table-filter input").fill("browser org")
    expect(browse.locator(".aonb-table-count")).to_have_text("1 of 43 organizations match")
    expect(browse.locator(".aonb-table-grid .aonb-grid-name").first).to_have_text("Browser Org")
    nb.shot("01-created-org-in-table")

    update = nb.tab("Update")
    update.locator(".aonb-update-org input").fill("Browser Org")  # one match: picked
    expect(update.locator(".aonb-update-name input")).to_have_value("Browser Org")
    description = update.locator(".aonb-update-description textarea")
    expect(description).to_have_value("made in chromium")
    expect(update.locator("button.aonb-update-submit")).to_be_disabled()  # nothing changed yet
    description.fill("changed in chromium")
    update.locator("button.aonb-update-submit").click()
    expect(status(update)).to_have_text("✔ updated “Browser Org”: description changed")
    assert nb.api.organizations.get(organization=org.id).description == "changed in chromium"
    nb.shot("02-updated-description")

    browse = nb.tab("Browse")
    expect(
        browse.locator(".aonb-table-grid .aonb-grid-description", has_text="changed in chromium")
    ).to_have_count(1)


def test_set_a_members_role_by_picking_the_user_by_email(nb):
    users = nb.api.users.to_frame(progress=False)
    member = users[(users["role_name"] == "MEMBER") & (users["status"] == "ACTIVE")].iloc[0]
    org = nb.api.organizations.get(organization="Made from code")

    members = nb.tab("Members")
    members.locator(".aonb-members-org input").fill("made from code")
    members.locator(".aonb-members-user input").fill(member["email"])
    expect(members.locator(".aonb-members-account")).to_contain_text("account role: MEMBER")
    members.locator(".aonb-members-role select").select_option("READ_ONLY")
    members.locator("button.aonb-members-submit").click()
    expect(status(members)).to_have_text(f"✔ {member['email']} is now READ_ONLY in “Made from code”")
    nb.shot("03-member-role-set")
    # The membership exists on the server: removing it through the side channel succeeds (404 if not).
    nb.api.organizations.remove_user(organization=org.id, user_id=member["id"])


def test_a_duplicate_name_says_already_taken(nb):
    create = nb.tab("Create")
    name = create.locator(".aonb-create-name input")
    submit = create.locator("button.aonb-create-submit")
    name.fill("MADE FROM CODE")  # known to the panel: caught inline, nothing sent
    expect(submit).to_be_disabled()
    expect(create.locator(".aonb-create-hint")).to_contain_text("name already taken by “Made from code”")

    nb.api.organizations.create(name="Raced In Browser")  # another admin, after the panel loaded
    name.fill("raced in browser")
    expect(submit).to_be_enabled()
    submit.click()
    expect(status(create)).to_contain_text("name already taken")
    expect(name).to_have_value("raced in browser")  # the input is kept
    expect(submit).to_be_enabled()  # re-enabled after the failure
    nb.shot("04-duplicate-409")


def test_a_hostile_org_name_renders_as_text_and_runs_nothing(nb):
    page = nb.page
    browse = nb.tab("Browse")
    browse.locator(".aonb-table-filter input").fill("onerror")
    cell = browse.locator(".aonb-table-grid .aonb-grid-name").first
    expect(cell).to_have_text(XSS)

    update = nb.tab("Update")
    update.locator(".aonb-update-org input").fill("onerror")
    expect(update.locator(".aonb-update-name input")).to_have_value(XSS)
    expect(update.locator(".aonb-delete-prompt code").first).to_have_text(XSS)
    suggestion = update.locator(".aonb-update-org datalist option")  # a suggestion is text
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_have_attribute("value", XSS)

    members = nb.tab("Members")
    members.locator(".aonb-members-org input").fill("onerror")
    suggestion = members.locator(".aonb-members-org datalist option")
    expect(suggestion).to_have_count(1)  # the kernel filtered the list (one option: no strict-mode race)
    expect(suggestion).to_have_attribute("value", XSS)
    page.wait_for_timeout(1000)  # room for a broken image's onerror to fire, if one existed
    nb.shot("05-hostile-name-as-text")

    assert page.locator('img[src="x"]').count() == 0
    assert nb.panel.locator("img").count() == 0
    assert page.dialogs == []  # alert(1) never ran

    # The notebook's reviewed plan deletes the hostile org: shown as text, confirmed by its exact name.
    review = page.locator(".aonb-review").first
    review.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
    review.scroll_into_view_if_needed()
    expect(review.locator(".aonb-review-org", has_text=XSS)).to_have_count(1)
    expect(review.locator(".aonb-review-confirm")).to_contain_text("EVERYTHING in it")
    apply = review.locator("button.aonb-review-apply")
    expect(apply).to_be_disabled()  # the delete is not confirmed yet
    confirm = review.locator(".aonb-review-confirm-name input")
    confirm.fill(XSS.upper())
    expect(apply).to_be_disabled()
    confirm.fill(XSS)
    expect(apply).to_be_enabled()
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    review.screenshot(path=str(SHOT_DIR / f"{nb.prefix}-06-plan-review-confirmed.png"))
    apply.click()
    expect(review.locator(".aonb-review-status")).to_have_text("✔ 3 of 3 applied")
    expect(review.locator(".aonb-review-result-applied")).to_have_count(3)
    expect(apply).to_be_disabled()  # applied once
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    review.screenshot(path=str(SHOT_DIR / f"{nb.prefix}-06-plan-review-applied.png"))
    names = set(nb.api.organizations.to_frame(progress=False)["name"])
    assert XSS not in names and "Planned org" in names
    assert page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []


def test_from_code_and_the_reviewed_plan_show_under_make_run(make_run, page, frontend):
    """Under `make run` the kernel's client is not the sandbox's owner: the demos still run and show."""
    server, sandbox = make_run
    with ArizeOrgs(
        api_key=sandbox.key,
        api_host=f"127.0.0.1:{sandbox.port}",
        api_scheme="http",
        environ={},
        journal=":memory:",
    ) as api:
        before = set(api.organizations.to_frame(progress=False)["name"])
        open_and_run_all(page, server, frontend, "03_widget_forms.ipynb", KERNEL_TIMEOUT_MS)
        header = page.locator(".aonb-panel-header").first
        expect(header).to_contain_text(
            f"a local server at http://127.0.0.1:{sandbox.port}", timeout=KERNEL_TIMEOUT_MS
        )
        # "From code": the form's background action ended and its status was printed in the cell
        printed = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]',
            has_text=re.compile(r"created “Made from code( \(\d+\))?”"),
        )
        expect(printed).to_have_count(1, timeout=KERNEL_TIMEOUT_MS)
        made = printed.text_content().strip().removeprefix("created “").removesuffix("”")
        # "A reviewed plan": the review widget rendered, with the three changes of the demo plan
        review = page.locator(".aonb-review").first
        review.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        review.scroll_into_view_if_needed()
        expect(review.locator(".aonb-review-org", has_text=XSS)).to_have_count(1)
        expect(review.locator(".aonb-review-org", has_text=made)).to_have_count(1)
        expect(review.locator("button.aonb-review-apply")).to_be_disabled()  # the delete is not confirmed
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOT_DIR / f"{frontend.name}-07-make-run-plan-review.png"))
        after = set(api.organizations.to_frame(progress=False)["name"])
    assert made in after - before  # created on the other process's sandbox
    assert XSS in after
    assert js_errors(page, frontend) == []
