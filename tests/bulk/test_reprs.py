"""Plans, apply results and the journal read well anywhere: in Lab (HTML), and as text without a kernel.

The text/plain a notebook saves is what a preview without a kernel shows; the HTML is escaped and
left-aligned, a missing value is blank, hidden characters use the one notation of ``visible``.
"""

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from arize_orgs_nb.bulk.journal import apply_groups
from arize_orgs_nb.bulk.plan import TEXT_ROWS
from arize_orgs_nb.tables import short_id, text_table
from tests.conftest import make_client
from tests.html_tables import Tables, parse_tables

XSS = "<img src=x onerror=alert(1)>"


def assert_safe_and_readable(markup: str) -> Tables:
    """Escaped (no injected element or handler), left-aligned, no Python reprs of missing values."""
    found = parse_tables(markup)
    assert [t for t, _ in found.tags if t in {"img", "script", "iframe", "svg"}] == []
    assert [a for _, attrs in found.tags for a in attrs if a.startswith("on")] == []
    assert found.styles and all("text-align:left" in s for s in found.styles)
    for cell in found.cells:
        assert cell not in ("None", "nan", "NaN", "NaT", "<NA>"), found.cells
    return found


def formatted(obj) -> dict:
    """What Jupyter saves for ``obj`` as a cell's last expression: its mime bundle."""
    data, _ = InteractiveShell.instance().display_formatter.format(obj)
    return data


@pytest.fixture
def client(clock):
    with make_client(clock, orgs=4, users=3, seed=2, journal=":memory:") as c:
        yield c


def mixed_plan(client):
    """A rename to a name with a trailing space, a description cleaned up, a delete and a create."""
    client.local_sandbox.state.create_org("AAA Hidden", "zero\u200bwidth")
    base = client.organizations.to_frame(progress=False).sort_values("name").reset_index(drop=True)
    edited = base.copy()
    edited.loc[0, "description"] = "zero width"
    edited.loc[1, "name"] = base.loc[1, "name"] + " "
    edited["delete"] = edited.index == 2
    new = pd.DataFrame([{"name": XSS, "description": "</td><script>alert(2)</script>"}])
    return client.organizations.plan(pd.concat([edited, new], ignore_index=True), base=base), base


def test_a_plan_reads_as_a_table_one_row_per_change(client):
    plan, base = mixed_plan(client)
    data = formatted(plan)
    text = data["text/plain"]
    assert text == str(plan) and repr(plan).startswith("<Plan ") and "\n" not in repr(plan)
    lines = text.splitlines()
    assert lines[0] == f"Plan {plan.summary()}"
    rows = [line for line in lines if line and line[0] in "+~-" and not line.startswith("-  ---")]
    assert len(rows) == len(plan) == 4  # the create is ONE row, name first
    (create,) = [r for r in rows if r.startswith("+")]
    assert f"name: “{XSS}”; description: “</td><script>alert(2)</script>”" in create
    (rename,) = [r for r in rows if " rename " in r]
    assert f"→ “{base.loc[1, 'name']}␠”" in rename  # the trailing space shows
    assert short_id(base.loc[1, "id"]) in rename and base.loc[1, "id"] not in rename
    (describe,) = [r for r in rows if " describe " in r]
    assert "“zero⟨U+200B⟩width” → “zero width”" in describe
    # the HTML: the same rows, escaped and left-aligned
    found = assert_safe_and_readable(data["text/html"])
    assert f"name: “{XSS}”description: “</td><script>alert(2)</script>”" in found.cells
    assert found.cells[:7] == ["", "op", "organization", "change", "risk", "note", "~"][:7]


def test_the_frame_lists_a_creates_name_before_its_description(client):
    plan, _ = mixed_plan(client)
    frame = plan.to_frame()
    create = frame[frame["op"] == "create"]
    assert list(create["field"]) == ["name", "description"]


def test_a_long_plan_is_cut_in_text_with_a_pointer_to_the_frame(client):
    base = client.organizations.to_frame(progress=False)
    rows = pd.DataFrame([{"name": f"New {i:03d}", "description": ""} for i in range(TEXT_ROWS + 5)])
    plan = client.organizations.plan(pd.concat([base, rows], ignore_index=True), base=base)
    text = str(plan)
    assert text.endswith("... and 5 more (plan.to_frame() lists them all)")
    assert sum(line.startswith("+ ") for line in text.splitlines()) == TEXT_ROWS


def test_a_member_plan_shows_unknown_roles_as_words_not_none(client):
    org = client.organizations.to_frame(progress=False).iloc[0]
    users = client.users.to_frame(progress=False)
    email = users.loc[users["role_name"] != "ANNOTATOR", "email"].iloc[0]
    plan = client.memberships.plan(
        pd.DataFrame([{"organization": org["name"], "user": email, "role": "ADMIN"}])
    )
    text = str(plan)
    assert "role → ADMIN" in text and "None" not in text
    assert_safe_and_readable(plan._repr_html_())


def test_an_apply_result_reads_as_a_table_with_blanks_for_what_is_missing(client):
    plan, _ = mixed_plan(client)
    client.local_sandbox.faults.add(drop="before", method="DELETE", times=8)  # no answer: no HTTP status
    client.local_sandbox.faults.add(
        status=400,
        method="PATCH",
        body='{"detail": "bad \\u001b[31m<b>x</b>"}',
        content_type="application/problem+json",
    )
    result = plan.apply(confirm=True, progress=False)
    data = formatted(result)
    text = data["text/plain"]
    assert text.splitlines()[0] == f"ApplyResult {result.summary()} (apply {result.apply_id})"
    assert "None" not in text and "nan" not in text
    (failed,) = [line for line in text.splitlines() if line.startswith("failed ") and "HTTP 400" in line]
    assert failed.endswith("…") and "\x1b" not in text  # cut to fit; no raw control character
    (dropped,) = [line for line in text.splitlines() if " delete " in line]
    assert "HTTP" not in dropped  # no answer: no status, not "HTTP 0"
    found = assert_safe_and_readable(data["text/html"])
    assert any("⟨U+001B⟩[31m<b>x</b>" in cell for cell in found.cells)


def test_the_journal_reads_newest_apply_first(client):
    plan, _ = mixed_plan(client)
    first = plan.apply(confirm=True, progress=False)
    undo = client.journal.undo(first)
    second = undo.apply(confirm=True, progress=False)
    data = formatted(client.journal)
    text = data["text/plain"]
    assert repr(client.journal) == "<Journal :memory:>"
    assert text.startswith("Journal :memory:: 2 applies")
    heads = [line for line in text.splitlines() if " · apply " in line]
    assert heads[0].endswith(f"apply {short_id(second.apply_id)}") and "undo: " in heads[0]
    assert heads[1].endswith(f"4 changes: 4 applied · apply {short_id(first.apply_id)}")
    assert "None" not in text and "nan" not in text
    found = assert_safe_and_readable(data["text/html"])
    assert any(f"name: “{XSS}”" in cell for cell in found.cells)


def test_the_journal_frame_says_each_change_in_words(client):
    plan, base = mixed_plan(client)
    plan.apply(confirm=True, progress=False)
    frame = client.journal.to_frame()
    create = frame[frame["op"] == "create"].iloc[0]
    assert create["change"] == f"name: “{XSS}”; description: “</td><script>alert(2)</script>”"
    assert create["before"] == "" and create["after"].startswith(f"name: “{XSS}”; description: ")
    rename = frame[frame["op"] == "rename"].iloc[0]
    assert rename["before"] == f"name: “{base.loc[1, 'name']}”" and rename["after"].endswith("␠”")
    assert (frame["plan"] == plan.summary()).all()
    groups = apply_groups(frame)
    assert len(groups) == 1 and groups[0].count("applied") == 4 and groups[0].undoable


def test_the_journal_repr_shows_the_newest_ten_applies(client):
    base = client.organizations.to_frame(progress=False)
    for i in range(12):
        client.organizations.plan(base.head(1).assign(description=f"v{i}"), base=base).apply(
            progress=False, force=True
        )
    text = str(client.journal)
    assert text.startswith("Journal :memory:: 12 applies")
    assert sum(" · apply " in line for line in text.splitlines()) == 10
    assert text.endswith("... and 2 older (journal.to_frame() lists them all)")


def test_short_ids_keep_the_end_that_tells_them_apart():
    assert short_id("T3JnYW5pemF0aW9uOjE6ZHh2Nw==") == "…E6ZHh2Nw"
    assert short_id("T3JnYW5pemF0aW9uOjI6dkU2ag==") == "…I6dkU2ag"
    assert short_id("abc") == "abc" and short_id(None) == "" and short_id(float("nan")) == ""


def test_text_tables_are_left_aligned_by_display_width():
    table = text_table(["a", "b"], [["日本", "x"], ["e\u0301", "y"]])
    lines = table.splitlines()
    assert lines[2] == "日本  x" and lines[3] == "e\u0301     y"
