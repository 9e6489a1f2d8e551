"""Widgets show invisible differences in the one notation (``␠``, ``⟨U+XXXX⟩``) and say what they are."""

import pytest

from arize_orgs_nb.bulk.plan import Plan, plan_org_changes
from arize_orgs_nb.widgets import OrgAdminPanel, OrgTable, PlanReview
from tests.bulk.test_invisible_differences import CASES, NOTE, XSS, account, renamed

from .conftest import dangerous_elements, grid_html, html_values, visible_text


def cells_of(review: PlanReview, css_class: str) -> list[str]:
    return [visible_text(w.value) for w in review.grid.children if css_class in w._dom_classes]


@pytest.mark.parametrize("case", CASES)
def test_the_review_diff_shows_the_difference_and_says_what_it_is(case, sync):
    before, after, shown_before, shown_after, what = CASES[case]
    review = PlanReview(renamed(before, after), runner=sync)
    (diff,) = cells_of(review, "aonb-review-diff")
    assert f"name: “{shown_before}” → “{shown_after}”" in diff
    assert f"{NOTE}: {what}" in diff
    review.close()


def test_the_review_notes_only_the_look_alike_rows(sync):
    review = PlanReview(renamed("Team", "Team ", ("Other", "Others")), runner=sync)
    alike, visible = sorted(cells_of(review, "aonb-review-diff"), key=lambda diff: "Others" in diff)
    assert f"{NOTE}: trailing space added" in alike and NOTE not in visible
    review.close()


def test_a_name_with_an_edge_space_is_made_visible_where_it_must_be_typed(sync):
    base = account("Doomed ")
    changes, targets = plan_org_changes(base, base.assign(delete=[True]))
    review = PlanReview(Plan("organizations", changes, targets=targets), runner=sync)
    (org,) = cells_of(review, "aonb-review-org")
    assert org.startswith("Doomed␠")
    prompt = visible_text(review.confirm_box.children[1].children[0].value)
    assert "Doomed␠" in prompt and "invisible characters" in prompt and "as ␠" in prompt  # the legend
    assert "“Doomed␠”" in visible_text(review.hint.value)
    review.confirm_inputs[changes[0].org_id].value = "Doomed"  # what the eye reads: not the name
    assert review.apply_button.disabled
    review.close()


def test_escaping_holds_in_the_review_for_a_payload_with_a_trailing_space(sync):
    review = PlanReview(renamed(XSS, XSS + " "), runner=sync)
    (diff,) = cells_of(review, "aonb-review-diff")
    assert f"→ “{XSS}␠”" in diff and f"{NOTE}: trailing space added" in diff
    for markup in html_values(review):
        assert dangerous_elements(markup) == [], markup
    review.close()


def test_the_table_tells_look_alike_names_apart(wclient, sync):
    wclient.local_sandbox.state.create_org("Look Alike")
    wclient.local_sandbox.state.create_org("Look Alike ")
    wclient.local_sandbox.state.create_org("Look\u00a0Alike", "two\nlines")
    table = OrgTable(wclient, runner=sync)
    table.filter_input.value = "look"
    text = visible_text(grid_html(table.grid))
    assert "Look Alike␠" in text and "Look⟨U+00A0⟩Alike" in text and "two⏎lines" in text
    assert len(table.rows()) == 3 and "Look Alike " in set(table.rows()["name"])  # the data stay raw


def test_the_activity_table_shows_names_visibly(wclient, sync):
    sneaky = wclient.local_sandbox.state.create_org("Prod\u200b")
    base = wclient.organizations.to_frame(progress=False)
    edited = base[base["id"] == sneaky["id"]].assign(name="Prod")  # cleaned up
    assert wclient.organizations.plan(edited, base=base).apply(progress=False).ok
    panel = OrgAdminPanel(wclient, runner=sync)
    text = "".join(visible_text(markup) for markup in html_values(panel.activity))
    assert "Prod⟨U+200B⟩" in text and "name: “Prod⟨U+200B⟩” → “Prod”" in text
    panel.close()
