"""The Browse grid in a real JupyterLab + headless Chromium: compact rows, sorting, opening, editing.

Each test opens notebooks/03_widget_forms.ipynb (a temp copy), runs all cells on a fresh kernel,
then drives the panel's Browse tab at 1,100 px wide. A second client on the SAME sandbox checks
the server side.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

GRID = ".aonb-table-grid"
ROWS = f"{GRID} tbody tr.aonb-grid-row"


@pytest.fixture(autouse=True)
def laptop_width(page):
    """A 1,100 px wide window, before the notebook opens (JupyterLab's file browser stays open)."""
    page.set_viewport_size({"width": 1100, "height": 1000})


def row(browse, n):
    return browse.locator(ROWS).nth(n)


def test_rows_are_one_line_and_sort_then_a_click_opens_update(nb, lab):
    browse = nb.tab("Browse")
    rows = browse.locator(ROWS)
    expect(rows).to_have_count(25)
    # compact: one line per row, nothing wrapping (each cell is exactly one row high)
    heights = rows.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")
    assert max(heights) <= 26, heights
    wrapped = browse.locator(f"{GRID} td, {GRID} th").evaluate_all(
        "cs => cs.filter(c => c.scrollHeight > c.clientHeight + 2).map(c => c.textContent)"
    )
    assert wrapped == []
    assert browse.locator(f"{GRID} table").bounding_box()["height"] < 25 * 26 + 80
    nb.shot("10-grid-compact")

    newest = nb.api.organizations.to_frame(progress=False).sort_values("created_at").iloc[-1]
    created = browse.locator(f"{GRID} th[data-col=created]")
    created.click()
    expect(created).to_have_attribute("aria-sort", "ascending")
    created.click()
    expect(created).to_have_attribute("aria-sort", "descending")
    expect(created.locator(".aonb-grid-sort")).to_have_text("▼")
    first = row(browse, 0)
    expect(first).to_have_attribute("data-key", newest["id"])
    expect(first.locator(".aonb-grid-short-id")).to_have_attribute("title", newest["id"])

    # the copy button puts the full id on the clipboard
    nb.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.url)
    first.locator(".aonb-grid-copy").click()
    expect(first.locator(".aonb-grid-copy")).to_have_class(re.compile(r"\baonb-grid-copied\b"))
    assert nb.page.evaluate("navigator.clipboard.readText()") == newest["id"]

    # the pager is above the grid; rows per page is a choice
    total = len(nb.api.organizations.to_frame(progress=False))
    assert 25 < total < 50
    size = browse.locator(f"{GRID} .aonb-grid-size")
    size.select_option("50")
    expect(rows).to_have_count(total)
    expect(browse.locator(f"{GRID} .aonb-grid-range")).to_have_text(f"1\u2013{total} of {total}")
    expect(browse.locator(f"{GRID} .aonb-grid-next")).to_be_disabled()
    size.select_option("25")
    expect(rows).to_have_count(25)
    browse.locator(f"{GRID} .aonb-grid-next").click()
    expect(browse.locator(f"{GRID} .aonb-grid-page")).to_have_text("Page 2 of 2")
    expect(rows).to_have_count(total - 25)
    browse.locator(f"{GRID} .aonb-grid-first").click()
    expect(first).to_have_attribute("data-key", newest["id"])

    first.locator(".aonb-grid-created").click()  # a single click on the row: Update
    update = nb.panel.locator(".aonb-update")
    expect(update).to_be_visible()
    expect(update.locator(".aonb-update-name input")).to_have_value(newest["name"])
    expect(update.locator(".aonb-update-id")).to_contain_text(newest["id"])
    nb.shot("11-row-opened-in-update")


def test_grid_edits_are_reviewed_applied_and_shown(nb):
    browse = nb.tab("Browse")
    first, second, third = row(browse, 0), row(browse, 1), row(browse, 2)
    first_id, second_id = first.get_attribute("data-key"), second.get_attribute("data-key")
    doomed = third.locator(".aonb-grid-name").text_content()
    doomed_id = third.get_attribute("data-key")

    first.locator(".aonb-grid-name").dblclick()  # edit in place, no tab switch
    editor = first.locator("input.aonb-grid-editor")
    expect(editor).to_be_focused()
    editor.press("Control+a")
    editor.press_sequentially("Renamed In Browser")  # key by key: no notebook shortcut takes one
    editor.press("Enter")
    expect(first.locator(".aonb-grid-name")).to_have_class(re.compile(r"\baonb-grid-edited\b"))
    expect(nb.panel.locator(".aonb-table")).to_be_visible()  # still on Browse

    second.locator(".aonb-grid-description").dblclick()
    area = second.locator("textarea.aonb-grid-editor")
    area.fill("line one\nline two")
    area.press("Enter")
    expect(second.locator(".aonb-grid-description")).to_have_text("line one⏎line two")

    third.locator(".aonb-grid-delete-mark").click()
    expect(third).to_have_class(re.compile(r"\baonb-grid-deleted\b"))

    browse.locator(f"{GRID} .aonb-grid-add").click()
    new_editor = browse.locator(f"{GRID} tr.aonb-grid-new input.aonb-grid-editor")
    expect(new_editor).to_be_focused()
    nb.page.keyboard.type("Added In Browser")
    nb.page.keyboard.press("Enter")
    expect(browse.locator(".aonb-table-edits")).to_contain_text("4 edits")
    review_button = browse.locator("button.aonb-table-review")
    expect(review_button).to_have_text("Review 4 changes")
    nb.shot("12-grid-with-edits")
    assert nb.api.organizations.get(organization=first_id).name != "Renamed In Browser"  # nothing sent

    review_button.click()
    review = browse.locator(".aonb-table-review-box .aonb-review")
    expect(review).to_be_visible()
    expect(review.locator(".aonb-review-summary")).to_contain_text("1 to create, 1 to rename")
    apply = review.locator("button.aonb-review-apply")
    expect(apply).to_be_disabled()  # the delete needs its confirmation
    review.locator(".aonb-review-confirm-name input").fill(doomed)
    expect(apply).to_be_enabled()
    apply.click()
    expect(review.locator(".aonb-review-status")).to_have_text("✔ 4 of 4 applied")
    expect(browse.locator(".aonb-status").first).to_have_text(
        "✔ 4 changes applied: the grid shows the new values"
    )

    assert nb.api.organizations.get(organization=first_id).name == "Renamed In Browser"
    assert nb.api.organizations.get(organization=second_id).description == "line one\nline two"
    names = set(nb.api.organizations.to_frame(progress=False)["name"])
    assert "Added In Browser" in names and doomed not in names

    expect(browse.locator(f"{GRID} .aonb-grid-edited")).to_have_count(0)
    expect(browse.locator(f"{ROWS}[data-key='{doomed_id}']")).to_have_count(0)
    browse.locator(".aonb-table-filter input").fill("in browser")
    expect(browse.locator(ROWS)).to_have_count(2)
    expect(browse.locator(f"{GRID} .aonb-grid-name")).to_have_text(["Added In Browser", "Renamed In Browser"])
    expect(browse.locator(f"{GRID} tr.aonb-grid-new")).to_have_count(0)
    nb.shot("13-grid-after-apply")
