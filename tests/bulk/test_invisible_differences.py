"""Invisible differences are shown: a rename that only adds a space never looks like no change.

Plan HTML, Plan.to_frame(), the CLI plan and result tables and the ApplyResult all use one
notation (``␠`` for a space at an end, ``⟨U+XXXX⟩`` for a hidden character) and add a note saying
how two look-alike values differ. What the plan sends and what the frames hold stays raw.
"""

import io
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from arize_orgs_nb.bulk.apply import ApplyResult, ChangeOutcome
from arize_orgs_nb.bulk.plan import Plan, plan_org_changes
from arize_orgs_nb.cli import bulk as cli_bulk
from arize_orgs_nb.frames import ORG_SCHEMA
from tests.html_tables import parse_tables

NOTE = "differs only in invisible characters"
CAFE = "Café"
CAFE_NFD = unicodedata.normalize("NFD", CAFE)
XSS = "<img src=x onerror=alert(1)>"

# (before, after, before as shown, after as shown, what the note says)
CASES = {
    "trailing space": ("Team", "Team ", "Team", "Team␠", "trailing space added"),
    "no-break space": ("Team", "Team\u00a0", "Team", "Team⟨U+00A0⟩", "no-break space (U+00A0) added"),
    # a name holding a zero-width space cleaned up (the plan refuses to add one)
    "zero-width space": ("Te\u200bam", "Team", "Te⟨U+200B⟩am", "Team", "zero width space (U+200B) removed"),
    "normal form": (CAFE, CAFE_NFD, CAFE, CAFE_NFD, "different Unicode form (NFC → NFD)"),
}


def account(*names: str, description: str = "") -> pd.DataFrame:
    return ORG_SCHEMA.from_rows(
        [
            {
                "id": f"T3JnOj{i}",
                "name": name,
                "description": description,
                "created_at": "2024-01-02T03:04:05Z",
            }
            for i, name in enumerate(names)
        ]
    )


def renamed(before: str, after: str, *more: tuple[str, str]) -> Plan:
    """A plan renaming ``before`` to ``after`` (and each further ``(before, after)`` pair)."""
    pairs = [(before, after), *more]
    base = account(*(b for b, _ in pairs))
    changes, targets = plan_org_changes(base, base.assign(name=[a for _, a in pairs]))
    return Plan("organizations", changes, targets=targets)


def applied(plan: Plan) -> ApplyResult:
    return ApplyResult(plan, [ChangeOutcome(c, "applied", 200, attempts=1) for c in plan], "apply-1")


def cli_plan_text(plan: Plan) -> str:
    out = io.StringIO()
    cli_bulk._show_plan(plan, Path("orgs.csv"), out, hint_confirm=True)
    return out.getvalue()


def cli_result_text(result: ApplyResult) -> str:
    out = io.StringIO()
    cli_bulk._show_result(result, Path("orgs.csv"), "journal.sqlite3", out)
    return out.getvalue()


@pytest.mark.parametrize("case", CASES)
def test_the_plan_html_shows_the_difference_and_says_what_it_is(case):
    before, after, shown_before, shown_after, what = CASES[case]
    plan = renamed(before, after)
    (row,) = [r for r in parse_tables(plan._repr_html_()).rows if r]
    assert f"name: “{shown_before}” → “{shown_after}”" in row  # one cell says what changes
    assert any(f"{NOTE}: {what}" in cell for cell in row)
    assert f"name: “{shown_before}” → “{shown_after}”" in str(plan)  # and so does the text


@pytest.mark.parametrize("case", CASES)
def test_the_plan_frame_keeps_raw_values_and_adds_the_note(case):
    before, after, _, _, what = CASES[case]
    frame = renamed(before, after).to_frame()
    assert list(frame["before"]) == [before] and list(frame["after"]) == [after]
    assert list(frame["invisible"]) == [f"{NOTE}: {what}"]


def test_the_plan_frame_has_no_note_for_a_visible_change():
    frame = renamed("Team", "Teams").to_frame()
    assert frame["invisible"].isna().all()
    assert "invisible" in Plan("organizations", []).to_frame().columns  # also on an empty plan


@pytest.mark.parametrize("case", CASES)
def test_the_cli_plan_table_shows_the_difference_and_says_what_it_is(case):
    before, after, shown_before, shown_after, what = CASES[case]
    text = cli_plan_text(renamed(before, after))
    (line,) = [line for line in text.splitlines() if line.startswith("~")]
    assert f"{shown_before}  " in line and f"  {shown_after}  " in line
    assert line.endswith(f"{NOTE}: {what}")
    assert "note" in text.splitlines()[2].split()  # the header names the column


def test_the_cli_notes_only_the_look_alike_rows():
    lines = cli_plan_text(renamed("Team", "Team ", ("Other", "Others"))).splitlines()
    (alike,) = [line for line in lines if "Team␠" in line]
    (visible,) = [line for line in lines if "Others" in line]
    assert alike.endswith(f"{NOTE}: trailing space added") and NOTE not in visible
    text = cli_plan_text(renamed("Team", "Teams"))  # nothing looks alike: no note column
    assert "note" not in text and NOTE not in text


@pytest.mark.parametrize("case", CASES)
def test_the_apply_result_shows_the_difference_and_says_what_it_is(case):
    before, after, shown_before, shown_after, what = CASES[case]
    result = applied(renamed(before, after))
    frame = result.to_frame()
    assert list(frame["after"]) == [f"name=“{shown_after}”"]
    assert list(frame["organization"]) == [before]  # data stays raw
    assert list(frame["invisible"]) == [f"name {NOTE}: {what}"]
    (row,) = [r for r in parse_tables(result._repr_html_()).rows if r]
    change = f"name: “{shown_before}” → “{shown_after}”"
    assert f"{change}⚠ name {NOTE}: {what}" in row  # the change, then the note on its own line
    assert change in str(result)
    assert f"name={shown_after}" in cli_result_text(result)


def test_the_cli_table_lines_up_a_decomposed_accent():
    text = cli_plan_text(renamed(CAFE, CAFE_NFD, ("Other", "Others")))
    rows = [line for line in text.splitlines() if line.startswith("~")]
    # where the "line" column starts, in characters as drawn (an NFD accent takes no column)
    starts = {
        len(unicodedata.normalize("NFC", row[: re.search(r" (2|3)( |$)", row).start()])) for row in rows
    }
    assert len(rows) == 2 and len(starts) == 1


def test_the_cli_shows_newlines_and_tabs_in_the_one_notation():
    base = account("Team", description="one")
    edited = base.assign(description=["one\ntwo\tthree \\n"])
    changes, targets = plan_org_changes(base, edited)
    text = cli_plan_text(Plan("organizations", changes, targets=targets))
    # a real newline reads ⟨U+000A⟩, a literal backslash-n reads \n: they no longer look alike
    assert "one⟨U+000A⟩two⟨U+0009⟩three \\n" in text


def test_a_literal_marker_in_a_name_cannot_pass_for_a_marker():
    plan = renamed("Team␠", "Team ")
    (row,) = [r for r in parse_tables(plan._repr_html_()).rows if r]
    assert "name: “Team⟨U+2420⟩” → “Team␠”" in row
    assert all(NOTE not in cell for cell in row)
    assert plan.to_frame()["invisible"].isna().all()  # these look different: no note needed
    assert "Team⟨U+2420⟩" in cli_plan_text(plan)


def test_escaping_still_holds_for_a_payload_with_a_trailing_space():
    plan = renamed(XSS, XSS + " ")
    result = applied(plan)
    for markup in (plan._repr_html_(), result._repr_html_()):
        parsed = parse_tables(markup)
        assert not [t for t, _ in parsed.tags if t == "img"]
        assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
        assert "&lt;img src=x onerror=alert(1)&gt;␠" in markup
        assert any(f"{NOTE}: trailing space added" in cell for row in parsed.rows for cell in row)
    assert plan[0].after == {"name": XSS + " "}  # what is sent stays raw
