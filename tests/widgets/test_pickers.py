"""Picker headless: one search-as-you-type field per choice, a match count, no cap, fast with 10,000."""

import pandas as pd
import pytest

from arize_orgs_nb.frames import ORG_SCHEMA
from arize_orgs_nb.widgets import MemberRoleForm, Snapshot, UpdateOrgForm
from arize_orgs_nb.widgets._pickers import SUGGESTED, Picker, org_choices
from tests.conftest import make_client

from .conftest import XSS, dangerous_elements, visible_text


def org_frame(names):
    rows = [
        {
            "id": f"org{i:05d}",
            "name": name,
            "description": "",
            "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
        }
        for i, name in enumerate(names)
    ]
    return ORG_SCHEMA.from_rows(rows)


def picker_over(wclient, names):
    snapshot = Snapshot(wclient, orgs=org_frame(names))
    picker = Picker(
        org_choices(snapshot),
        description="Organization",
        placeholder="",
        css_prefix="t",
        noun="organizations",
    )
    picker.reload()
    return picker


def note(picker) -> str:
    return visible_text(picker.note.value)


def test_ten_thousand_orgs_list_only_the_first_matches_and_every_one_is_reachable(wclient):
    names = [f"Team {i:05d}" for i in range(10_000)]
    picker = picker_over(wclient, names)
    assert len(picker.search.options) == SUGGESTED  # what is synced to the browser stays small
    assert note(picker) == "10000 organizations: type to search"
    picker.search.value = "team 09"
    assert picker.matches == 1000 and len(picker.search.options) == SUGGESTED
    assert note(picker) == f"1000 of 10000 match (the first {SUGGESTED} are suggested): type more to narrow"
    assert picker.value is None
    picker.search.value = "team 0999"
    assert picker.matches == 10 and note(picker).startswith("10 of 10000 match: type more")
    picker.search.value = "team 09999"  # the very last one: reached by narrowing, no cap
    assert picker.value == "org09999" and picker.label == "Team 09999"
    assert note(picker) == "1 of 10000 match · picked: Team 09999"


def test_a_name_that_is_part_of_another_is_picked_by_typing_it_exactly(wclient):
    picker = picker_over(wclient, ["Team A", "Team AB", "Team ABC"])
    picker.search.value = "Team A"  # as chosen from the suggestions
    assert picker.value == "org00000" and picker.matches == 3
    assert note(picker) == "3 of 3 match · picked: Team A"
    picker.search.value = "team ab"  # exact ignoring case
    assert picker.value == "org00001"
    picker.search.value = "team"
    assert (
        picker.value is None and note(picker) == "3 of 3 match: type more, or choose one of the suggestions"
    )
    picker.search.value = "org00002"  # an id picks too
    assert picker.value == "org00002"
    picker.search.value = "zzz"
    assert picker.value is None and note(picker) == "no match among 3 organizations"


def test_labels_that_look_the_same_are_told_apart(wclient):
    picker = picker_over(wclient, ["Prod", "Prod\u200b"])
    assert picker.search.options == ("Prod", "Prod⟨U+200B⟩")
    picker.search.value = "Prod⟨U+200B⟩"
    assert picker.value == "org00001"


def test_select_shows_the_label_and_refuses_an_unknown_id(wclient):
    picker = picker_over(wclient, ["Alpha", "Beta"])
    picker.select("org00001")
    assert picker.search.value == "Beta" and picker.value == "org00001"
    picker.select(None)
    assert picker.search.value == "" and picker.value is None
    with pytest.raises(ValueError, match="no item with id"):
        picker.select("nope")


def test_the_members_form_has_one_field_per_choice_and_no_cap(clock):
    with make_client(clock, orgs=3, users=251, seed=2, journal=":memory:") as client:
        form = MemberRoleForm(client, runner=None)
        pickers = [form.org_picker, form.user_picker]
        assert [p.search.description for p in pickers] == ["Organization", "User"]
        assert [type(c).__name__ for c in form.org_picker.children] == ["Combobox", "HTML"]
        assert "Search" not in {getattr(w, "description", None) for p in pickers for w in p.children}
        assert note(form.user_picker) == "251 users: type to search"
        emails = sorted(client.users.to_frame(progress=False)["email"], key=str.casefold)
        last = emails[-1]
        form.user_picker.search.value = last.split("@")[0]
        assert form.user_picker.value is not None and form.user_picker.label.startswith(last)
        assert " of 251 match" in note(form.user_picker) and "showing" not in note(form.user_picker)
        form.close()


def test_suggestions_are_text_and_the_count_line_is_escaped(wclient, sync):
    wclient.organizations.create(name=XSS)
    form = UpdateOrgForm(wclient, runner=sync)
    form.picker.search.value = "onerror"
    assert form.picker.search.options == (XSS,)  # a Combobox option is text, never markup
    assert dangerous_elements(form.picker.note.value) == []
    assert XSS in visible_text(form.picker.note.value)
