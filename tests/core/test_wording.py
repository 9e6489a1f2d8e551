"""Counts read as words: one thing is singular, every other count plural (no "change(s)")."""

from __future__ import annotations

import math

import pytest

from arize_orgs_nb.bulk.estimate import Estimate
from arize_orgs_nb.errors import ConfirmationRequiredError, PlanValidationError
from arize_orgs_nb.wording import counted


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 changes"), (1, "1 change"), (2, "2 changes"), (1000, "1000 changes")]
)
def test_counted_is_singular_for_one_only(count, expected):
    assert counted(count, "change") == expected


def test_counted_takes_an_irregular_plural():
    assert counted(1, "apply", "applies") == "1 apply"
    assert counted(3, "apply", "applies") == "3 applies"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0.0, "under 0.1 s"),
        (0.049, "under 0.1 s"),
        (0.05, "about 0.1 s"),  # rounds to 0.1, never "about 0.0 s"
        (4.24, "about 4.2 s"),
        (42.0, "about 42 s"),
        (600.0, "about 10 min"),
    ],
)
def test_an_estimate_never_reads_about_zero_seconds(seconds, said):
    text = str(Estimate(1, seconds, "a basis"))
    assert text == f"1 HTTP call, {said} (a basis)"
    assert "0.0 s" not in text


def test_an_unknown_duration_says_so():
    assert str(Estimate(2, math.nan, "why")) == "2 HTTP calls; duration unknown (why)"


def test_error_messages_count_in_words():
    class Named:
        org_name = "Team"

    assert str(ConfirmationRequiredError([Named()])).startswith("1 destructive change to confirm ('Team')")
    assert str(PlanValidationError([])).startswith("0 problems in the edit")
