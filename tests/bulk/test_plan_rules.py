"""Plans: pure diffs, every rule checked before anything is sent, nothing planned for an unedited frame."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arize_orgs_nb.bulk.changes import Op
from arize_orgs_nb.bulk.plan import Plan, plan_member_changes, plan_org_changes
from arize_orgs_nb.errors import PlanValidationError
from arize_orgs_nb.frames import ORG_SCHEMA, read_orgs_frame

NAMES = st.text(alphabet=st.sampled_from(list("abcXYZ éüß日本 -_'/+%☃")), min_size=1, max_size=20).filter(
    lambda s: s.strip()
)


def account(names, descriptions):
    rows = [
        {
            "id": f"T3JnOj{i}",
            "name": n,
            "description": d,
            "created_at": f"2024-0{1 + i % 9}-0{1 + i % 9}T01:02:03+00:00",
        }
        for i, (n, d) in enumerate(zip(names, descriptions, strict=False))
    ]
    return ORG_SCHEMA.from_rows(rows)


@settings(max_examples=150, deadline=None)
@given(
    names=st.lists(NAMES, min_size=0, max_size=12, unique_by=str.casefold),
    descriptions=st.lists(
        st.sampled_from(["", " ", "  x  ", "naïve", "a\nb", "☃"]), min_size=12, max_size=12
    ),
)
def test_an_unedited_frame_plans_nothing(names, descriptions, tmp_path_factory):
    base = account(names, descriptions)
    assert plan_org_changes(base, base.copy())[0] == []
    # also after a CSV round trip through the schema-restoring reader
    path = tmp_path_factory.mktemp("csv") / "orgs.csv"
    base.to_csv(path, index=False)
    assert plan_org_changes(base, read_orgs_frame(path))[0] == []
    # and with NaN descriptions (NaN means "no change") and naive timestamps equal in UTC
    edited = base.copy().astype({"description": object})
    edited["description"] = float("nan")
    edited["created_at"] = edited["created_at"].dt.tz_localize(None)
    assert plan_org_changes(base, edited)[0] == []


def test_changes_are_classified_with_only_changed_fields():
    base = account(["A", "B", "C", "D"], ["a", "b", "c", "d"])
    edited = base.copy()
    edited.loc[0, "name"] = "A2"
    edited.loc[1, "description"] = ""
    edited.loc[2, ["name", "description"]] = ["C2", "c2"]
    edited["delete"] = [False, False, False, True]
    # A new row with no description (typed, so pandas 2 does not warn about an all-missing column).
    new = pd.DataFrame({"name": ["E"], "description": pd.Series([None], dtype="string")})
    edited = pd.concat([edited, new], ignore_index=True)
    changes, targets = plan_org_changes(base, edited)
    summary = [(c.op, c.org_name, c.after) for c in changes]
    assert summary == [
        (Op.RENAME, "A", {"name": "A2"}),
        (Op.DESCRIBE, "B", {"description": ""}),
        (Op.RENAME, "C", {"name": "C2"}),
        (Op.DESCRIBE, "C", {"description": "c2"}),
        (Op.DELETE, "D", {}),
        (Op.CREATE, "E", {"name": "E", "description": ""}),
    ]
    assert set(targets) == {base.id[0], base.id[1], base.id[2], base.id[3]}


def test_a_dropped_row_is_never_a_delete_unless_asked():
    base = account([f"Org {i}" for i in range(60)], [""] * 60)
    kept = base.iloc[:10]
    assert plan_org_changes(base, kept)[0] == []
    changes, _ = plan_org_changes(base, kept, delete_missing=True)
    assert [c.op for c in changes] == [Op.DELETE] * 50


def test_every_bad_row_is_reported_at_once():
    base = account(["Prod", "Dev", "Ops"], ["", "", ""])
    edited = base.copy()
    edited.loc[0, "name"] = "   "
    edited.loc[1, "name"] = "x" * 256
    edited.loc[2, "name"] = "prod"  # collides with row 0's current name? row 0 is being renamed to blank
    edited["delete"] = False
    edited["notes"] = "mine"
    extra = pd.DataFrame(
        [
            {"name": "DEV", "description": ""},
            {"name": "Zero\u200bWidth", "description": ""},
            {"name": "Ok", "description": "d" * 1001},
            {"id": "no-such-id", "name": "Ghost", "description": ""},
            {"name": None, "description": "nameless"},
        ]
    )
    with pytest.raises(PlanValidationError) as info:
        plan_org_changes(base, pd.concat([edited, extra], ignore_index=True))
    text = str(info.value)
    for expected in [
        "frame, notes: unexpected column",
        "row 0: name cannot be empty",
        "row 1: name has 256 characters",
        "row 3, name: 'DEV' collides with 'Dev'",
        "row 4: name contains invisible or control characters (U+200B)",
        "row 5: description has 1001 characters",
        "row 6, id: unknown id no-such-id",
        "row 7, name: a new organization needs a name",
    ]:
        assert expected in text, expected
    assert "nothing was sent" in text


def test_swaps_are_allowed_but_collisions_are_not():
    base = account(["A", "B"], ["", ""])
    swapped = base.copy()
    swapped["name"] = ["B", "A"]
    assert [c.op for c in plan_org_changes(base, swapped)[0]] == [Op.RENAME, Op.RENAME]
    clash = base.copy()
    clash["name"] = ["b", "B"]
    with pytest.raises(PlanValidationError, match="collides"):
        plan_org_changes(base, clash)


def test_member_rules():
    orgs = account(["Prod", "Dev"], ["", ""])
    users = pd.DataFrame(
        {
            "id": ["u1", "u2", "u3"],
            "email": ["ana@x.com", "ann@x.com", "bo@x.com"],
            "role_name": ["MEMBER", "ANNOTATOR", "ADMIN"],
        }
    )
    members = pd.DataFrame(
        {
            "organization": ["Prod", "prod", "Dev", "Dev", "Prod", "Dev", "Prod"],
            "user": [
                "ANA@x.com",
                "ana@x.com",
                "ann@x.com",
                "bo@x.com",
                "nobody@x.com",
                "ana@x.com",
                "ana@x.com",
            ],
            "role": ["ADMIN", "MEMBER", "MEMBER", "member", "ADMIN", "ANNOTATOR", "READ_ONLY"],
        }
    )
    with pytest.raises(PlanValidationError) as info:
        plan_member_changes(members, orgs=orgs, users=users, known={})
    text = str(info.value)
    for expected in [
        "row 1, organization: unknown organization 'prod'; did you mean 'Prod'?",
        "row 2, role: ann@x.com has an ANNOTATOR account",
        "row 3, role: invalid role 'member': roles are upper case",
        "row 4, user: unknown user 'nobody@x.com'",
        "row 5, role: ANNOTATOR is only for annotator accounts",
        "row 6: same organization and user as row 0",
    ]:
        assert expected in text, expected


def test_member_plans_send_every_row_unless_told_to_skip_what_the_journal_records():
    orgs = account(["Prod"], [""])
    users = pd.DataFrame(
        {"id": ["u1", "u2"], "email": ["a@x.com", "b@x.com"], "role_name": ["MEMBER", "MEMBER"]}
    )
    members = pd.DataFrame(
        {
            "organization": ["Prod", "Prod"],
            "user": ["a@x.com", "b@x.com"],
            "role": ["ADMIN", None],
            "remove": [False, True],
        }
    )
    known = {(orgs.id[0], "u1"): ("ADMIN", "2026-11-30"), (orgs.id[0], "u2"): ("MEMBER", "2026-11-30")}
    # The API cannot read members: a role a colleague changed since must be set again.
    planned = plan_member_changes(members, orgs=orgs, users=users, known=known)
    assert [(c.op, c.user_email, c.before) for c in planned.changes] == [
        (Op.SET_ROLE, "a@x.com", {"role": "ADMIN"}),
        (Op.REMOVE_MEMBER, "b@x.com", {"role": "MEMBER"}),
    ]
    assert planned.skipped == []
    assert planned.targets[orgs.id[0]].names == {"Prod"}  # named by name: must still bear it
    skipping = plan_member_changes(members, orgs=orgs, users=users, known=known, skip_known=True)
    assert [(c.op, c.user_email) for c in skipping.changes] == [(Op.REMOVE_MEMBER, "b@x.com")]
    assert len(skipping.skipped) == 1 and "a@x.com" in skipping.skipped[0]
    assert "skip_known=True" in skipping.skipped[0]
    plan = Plan("memberships", skipping.changes, left_out=skipping.skipped)
    assert plan.destructive == skipping.changes
    assert "destructive" in plan.summary() and "1 left out" in plan.summary()
    assert "every space" in plan.to_frame()["note"][0]
    by_id = plan_member_changes(members.assign(organization=orgs.id[0]), orgs=orgs, users=users, known={})
    assert by_id.targets == {}  # an id needs no name check


def test_the_plan_html_escapes_every_value():
    from html.parser import HTMLParser

    evil = "<img src=x onerror=alert(1)>"
    base = account(["Safe"], [""])
    edited = base.copy()
    edited.loc[0, "description"] = evil
    edited = pd.concat(
        [edited, pd.DataFrame([{"name": evil, "description": '"onmouseover="x'}])], ignore_index=True
    )
    changes, _ = plan_org_changes(base, edited)
    markup = Plan("organizations", changes)._repr_html_()

    class Tags(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, attrs))

    parser = Tags()
    parser.feed(markup)
    assert not [t for t, _ in parser.found if t == "img"]
    assert not [a for _, attrs in parser.found for a, _ in attrs if a.startswith("on")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup


def test_only_values_being_set_are_checked():
    # An org whose current name breaks a rule (made elsewhere) can still be re-described.
    base = account(["Odd\u200bname"], ["old"])
    edited = base.assign(description="new")
    changes, _ = plan_org_changes(base, edited)
    assert [(c.op, c.after) for c in changes] == [(Op.DESCRIBE, {"description": "new"})]
    with pytest.raises(PlanValidationError, match="U\\+200B"):
        plan_org_changes(base, base.assign(name="Still\u200bodd"))
