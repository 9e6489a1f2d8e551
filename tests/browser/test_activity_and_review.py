"""The Activity tab and the plan review in a real JupyterLab + headless Chromium.

Each test writes a small notebook into the served folder, runs it on a fresh kernel (its own
sandbox over loopback HTTP), then clicks: Undo this apply in the Activity tab; Apply in a review
whose first write meets a 429 with ``Retry-After``. A second client on the SAME sandbox (its URL
is printed by the notebook) checks the server side. Screenshots land in the artifacts folder.
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from playwright.sync_api import expect

from arize_orgs_nb import ArizeOrgs

from .conftest import KERNEL_TIMEOUT_MS, SHOT_DIR
from .helpers import js_errors, open_and_run_all

pytestmark = pytest.mark.browser

RETRY_AFTER = 8  # seconds the sandbox asks the review to wait: long enough to watch it count down

SETUP = """\
from arize_orgs_nb import ArizeOrgs

client = ArizeOrgs.sandbox(orgs={orgs}, users=4, seed=3)
print("SANDBOX", client.local_sandbox.url)
"""

ACTIVITY = [
    SETUP.format(orgs=12),
    """\
frame = client.organizations.to_frame(progress=False).sort_values("name").reset_index(drop=True)
# an apply with a failure: three descriptions, one of them refused by the server
client.local_sandbox.faults.add(status=403, method="PATCH", path=f"/v2/organizations/{frame.id[4]}")
described = frame.iloc[2:5].assign(description="described before the renames")
client.organizations.plan(described, base=frame).apply(progress=False)
# then the apply to undo: two renames
frame = client.organizations.to_frame(progress=False).sort_values("name").reset_index(drop=True)
renamed = frame.head(2).assign(name=[f"{n} (renamed)" for n in frame.name.head(2)])
result = client.organizations.plan(renamed, base=frame).apply(progress=False)
print("RENAMED", list(frame.name.head(2)))
""",
    """\
from arize_orgs_nb.widgets import OrgAdminPanel

panel = OrgAdminPanel(client)
panel.select("Activity")
panel
""",
]

REVIEW = [
    SETUP.format(orgs=30),
    f"""\
frame = client.organizations.to_frame(progress=False)
plan = client.organizations.plan(frame.assign(description="reviewed in the browser"), base=frame)
client.local_sandbox.faults.add(status=429, retry_after={RETRY_AFTER}, method="PATCH", times=1)
review = plan.review()
review
""",
]


def run_notebook(page, lab, frontend, folder, name: str, cells: list[str]):
    """Write the notebook into the served folder, open it and run all: (its panel, a side channel)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(notebook, str(folder / name))
    panel = open_and_run_all(page, lab, frontend, name, KERNEL_TIMEOUT_MS)
    return panel, side_channel(panel)


def side_channel(notebook) -> ArizeOrgs:
    printed = notebook.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]', has_text="SANDBOX"
    )
    expect(printed.first).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    host = re.search(r"SANDBOX http://(127\.0\.0\.1:\d+)", printed.first.text_content() or "").group(1)
    return ArizeOrgs(api_key="sandbox-key", api_host=host, api_scheme="http", environ={}, journal=":memory:")


def names_of(api: ArizeOrgs) -> list[str]:
    return list(api.organizations.to_frame(progress=False)["name"])


def shot(locator, name: str) -> None:
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(SHOT_DIR / f"{name}.png"))


def test_activity_undo_an_apply(lab, page, frontend, nb_dir):
    notebook, api = run_notebook(page, lab, frontend, nb_dir, "activity_undo.ipynb", ACTIVITY)
    try:
        activity = notebook.locator(".aonb-activity").first
        activity.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        groups = activity.locator(".aonb-activity-group")
        expect(groups).to_have_count(2)
        renames = groups.filter(has_text="to rename")
        expect(renames.locator(".aonb-activity-apply")).to_contain_text("2 changes: 2 applied")
        expect(groups.filter(has_text="to change").locator(".aonb-activity-apply")).to_contain_text(
            "3 changes: 2 applied, 1 failed"
        )
        # the whole table is in view: the last column ends inside the list, nothing to scroll for
        fits = activity.locator(".aonb-activity-list").evaluate(
            "el => ({scroll: el.scrollWidth, client: el.clientWidth})"
        )
        assert fits["scroll"] <= fits["client"], fits
        table, tab = activity.locator(".aonb-activity-table").first.bounding_box(), activity.bounding_box()
        assert table["x"] + table["width"] <= tab["x"] + tab["width"], (table, tab)  # result column in view
        expect(renames.locator("td", has_text="(renamed)")).to_have_count(2)
        shot(activity, f"{frontend.name}-10-activity-grouped")

        assert sum(n.endswith(" (renamed)") for n in names_of(api)) == 2
        renames.locator("button.aonb-activity-undo").click()
        undo = activity.locator(".aonb-activity-undo-area .aonb-review")
        expect(undo).to_be_visible()
        expect(undo.locator(".aonb-review-summary")).to_have_text("undo: 2 to rename")
        shot(undo, f"{frontend.name}-11-activity-undo-review")
        assert sum(n.endswith(" (renamed)") for n in names_of(api)) == 2  # nothing sent yet
        undo.locator("button.aonb-review-apply").click()
        expect(undo.locator(".aonb-review-status")).to_have_text("✔ 2 of 2 applied")
        expect(groups).to_have_count(3)  # the undo is journaled, on top
        expect(groups.first.locator(".aonb-activity-apply")).to_contain_text("undo: 2 to rename")
        assert not any(n.endswith(" (renamed)") for n in names_of(api))
        shot(activity, f"{frontend.name}-12-activity-after-undo")
    finally:
        api.close()
    assert js_errors(page, frontend) == [], page.js_errors


def test_plan_review_shows_a_rate_limit_wait_with_its_eta(lab, page, frontend, nb_dir):
    notebook, api = run_notebook(page, lab, frontend, nb_dir, "review_wait.ipynb", REVIEW)
    try:
        review = notebook.locator(".aonb-review").first
        review.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)
        head = review.locator(".aonb-review-head")
        rows = review.locator(".aonb-review-scroll")
        expect(review.locator(".aonb-review-include")).to_have_count(30)
        # the header stays put while the 30 rows scroll under it
        before = head.bounding_box()
        rows.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        assert rows.evaluate("el => el.scrollTop") > 0
        assert head.bounding_box() == before
        expect(review.locator(".aonb-review-header", has_text="result")).to_be_visible()

        review.locator("button.aonb-review-apply").click()
        waiting = review.locator(".aonb-review-waiting")
        expect(waiting).to_contain_text(
            f"rate limited by the server (HTTP 429): every request waits {RETRY_AFTER} s, as it asked; "
        )
        first = waiting.text_content() or ""
        assert re.search(r"resumes in \d+ s, at \d\d:\d\d:\d\d UTC · \d+ of 30 done", first), first
        shot(review, f"{frontend.name}-13-review-rate-limit-wait")
        time.sleep(2.2)  # the countdown moves on its own
        later = waiting.text_content() or ""
        left = [int(re.search(r"resumes in (\d+) s", t).group(1)) for t in (first, later)]
        assert left[1] < left[0], (first, later)

        expect(review.locator(".aonb-review-status")).to_have_text(
            "✔ 30 of 30 applied", timeout=(RETRY_AFTER + 20) * 1000
        )
        expect(review.locator(".aonb-review-wait")).to_contain_text(
            f"waited: rate limited once ({RETRY_AFTER} s)"  # then maybe paced: the rate learnt from the 429
        )
        shot(review, f"{frontend.name}-14-review-applied-after-the-wait")
        assert set(api.organizations.to_frame(progress=False)["description"]) == {"reviewed in the browser"}
    finally:
        api.close()
    assert js_errors(page, frontend) == [], page.js_errors
