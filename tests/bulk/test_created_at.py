"""``created_at`` is read-only: a spreadsheet's re-save is not an edit; a real difference is refused."""

import datetime as dt

import pandas as pd
import pytest

from arize_orgs_nb.bulk.plan import plan_org_changes
from arize_orgs_nb.errors import PlanValidationError
from arize_orgs_nb.frames import ORG_SCHEMA

UTC = dt.UTC
MADE = dt.datetime(2026, 11, 28, 10, 3, 27, 123456, tzinfo=UTC)
AMBIGUOUS = dt.datetime(2026, 5, 6, 10, 3, tzinfo=UTC)  # 05/06 or 06/05?


@pytest.fixture
def base():
    return ORG_SCHEMA.from_rows(
        [
            {"id": "a", "name": "Alpha", "description": "", "created_at": MADE},
            {"id": "b", "name": "Beta", "description": "x", "created_at": AMBIGUOUS},
        ]
    )


def as_text(base, created_at):
    """The base as a CSV editor would re-save it, with these created_at cells."""
    return base.astype({"created_at": object}).assign(created_at=list(created_at)).astype(str)


@pytest.mark.parametrize(
    ("alpha", "beta"),
    [
        ("11/28/2026 10:03", "05/06/2026 10:03"),  # US, minutes
        ("28/11/2026 10:03", "06/05/2026 10:03"),  # day first
        ("2026-11-28 10:03", "2026-05-06 10:03"),
        ("2026-11-28", "2026-05-06"),  # date only
        ("28.11.2026 10:03:27", "06.05.2026 10:03:00"),
        ("11/28/26 10:03 AM", "5/6/26 10:03 AM"),
        ("2026-11-28T10:03:27Z", "2026-05-06T10:03:00Z"),
        ("2026-11-28T10:03:27.123Z", "2026-05-06 10:03:00.000+00:00"),
        ("2026-11-28T11:03:27.123456+01:00", "2026-05-06T10:03:00.000000+00:00"),
        ("", ""),  # cleared: shows nothing
    ],
)
def test_a_re_saved_created_at_that_matches_at_its_precision_plans_nothing(base, alpha, beta):
    changes, _ = plan_org_changes(base, as_text(base, [alpha, beta]))
    assert changes == []


def test_a_created_at_read_back_at_minute_precision_plans_nothing(base):
    edited = base.assign(created_at=base["created_at"].dt.floor("min"))
    assert plan_org_changes(base, edited)[0] == []


@pytest.mark.parametrize("shown", ["11/28/2026 10:05", "2026-11-27", "garbage", "10:03", "13/13/2026 10:03"])
def test_a_created_at_that_differs_is_refused_with_what_happened_and_the_fix(base, shown):
    edited = as_text(base, [shown, "2026-05-06"]).assign(description=["edited", "x"])
    with pytest.raises(PlanValidationError) as info:
        plan_org_changes(base, edited)
    [issue] = info.value.issues
    assert (issue.row, issue.column) == ("0", "created_at")
    assert issue.message == (
        f"created_at is read-only: the file's {shown!r} differs from the server's value "
        "2026-11-28T10:03:27.123456+00:00; drop the column or restore it"
    )


def test_a_huge_created_at_cell_is_cut_in_the_message(base):
    with pytest.raises(PlanValidationError) as info:
        plan_org_changes(base, as_text(base, ["9" * 100_000, ""]))
    assert len(info.value.issues[0].message) < 200


def test_shown_times_match_only_the_same_time():
    from arize_orgs_nb.frames import shown_time_matches

    made = pd.Timestamp(MADE)
    assert shown_time_matches("11/28/2026 10:04", pd.Timestamp("2026-11-28 10:03:31", tz="UTC"))  # rounded
    assert not shown_time_matches("11/28/2026 10:03 PM", made)
    assert not shown_time_matches("2026-11-28T10:03:27.123456+05:00", made)
    assert not shown_time_matches(1764324207, made)
    assert not shown_time_matches(b"2026-11-28", made)
    assert not shown_time_matches("07/05/2026 10:03", pd.Timestamp(AMBIGUOUS))
