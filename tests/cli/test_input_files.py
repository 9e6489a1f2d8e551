"""Files the way users really have them: no input file makes a command print a traceback.

Mixed-precision ISO times plan nothing when unedited; a spreadsheet's re-save of ``created_at``
is not an edit; and every malformed file (bytes, wrong encodings, ragged rows, wrong Parquet
types, folders, ...) ends as ``error: ...`` with a documented exit code.
"""

import codecs
import datetime as dt
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.conftest import read_text_frame, writes

ISO_FORMS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S.%f+00:00", "%Y-%m-%dT%H:%M:%S.%f+00:00")


def exported(cli, tmp_path, name="orgs.csv") -> pd.DataFrame:
    done = cli("export", name)
    assert done.code == 0, done.err
    return read_text_frame(tmp_path / name)


def with_created_at(frame: pd.DataFrame, forms) -> pd.DataFrame:
    """The frame with each created_at written in the next of ``forms`` (strftime patterns)."""
    stamps = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    cells = [stamp.strftime(forms[i % len(forms)]) for i, stamp in enumerate(stamps)]
    return frame.assign(created_at=cells)


def test_an_unedited_export_with_mixed_iso_times_plans_nothing(cli, tmp_path):
    orgs = exported(cli, tmp_path)
    mixed = with_created_at(orgs, ISO_FORMS)
    mixed.to_csv(tmp_path / "orgs.csv", index=False)
    mixed.to_csv(tmp_path / ".orgs.csv.base.csv", index=False)  # as a server that mixes them leaves it
    plan = cli("plan", "orgs.csv")
    assert plan.code == 0, plan.out + plan.err
    assert "organizations: no changes" in plan.out


@pytest.mark.parametrize("form", ["%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
def test_a_spreadsheet_re_save_of_created_at_is_not_an_edit(cli, sb, tmp_path, form):
    orgs = exported(cli, tmp_path)
    resaved = with_created_at(orgs, [form])
    resaved.loc[2, "description"] = "the one real edit"
    resaved.to_csv(tmp_path / "orgs.csv", index=False)
    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 description to change" in plan.out
    applied = cli("apply", "orgs.csv", "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert cli("plan", "orgs.csv").code == 0


def test_a_created_at_that_differs_is_refused_with_the_fix(cli, sb, tmp_path):
    orgs = exported(cli, tmp_path)
    server_value = pd.Timestamp(orgs.loc[1, "created_at"]).isoformat()
    orgs.loc[1, "created_at"] = "01/02/2020 03:04"
    orgs.to_csv(tmp_path / "orgs.csv", index=False)
    sb.log.clear()
    for command in (("plan", "orgs.csv"), ("apply", "orgs.csv", "--yes")):
        refused = cli(*command)
        assert refused.code == 1, refused.out + refused.err
        assert (
            "orgs.csv line 3 (row 1), created_at: created_at is read-only: the file's '01/02/2020 03:04' "
            f"differs from the server's value {server_value}; drop the column or restore it"
        ) in refused.err
    assert writes(sb) == 0


# -- malformed files -------------------------------------------------------------------------------


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


EXPORT_HEADER = "id,name,description,created_at\n"
GOOD_ROW = "T3JnOjE=,Équipe Données,café,2026-11-28T10:03:00Z\n"
MALFORMED = {
    "random bytes": (".csv", bytes(range(256)) * 3),
    "random bytes as parquet": (".parquet", b"PAR1" + bytes(range(200)) + b"PAR1"),
    "utf-16": (".csv", codecs.BOM_UTF16_LE + (EXPORT_HEADER + GOOD_ROW).encode("utf-16-le")),
    "latin-1": (".csv", (EXPORT_HEADER + GOOD_ROW).encode("latin-1")),
    "utf-8 bom": (".csv", codecs.BOM_UTF8 + (EXPORT_HEADER + GOOD_ROW).encode()),
    "bom names only": (".csv", codecs.BOM_UTF8 + b"name,description\nBom Made,x\n"),
    "ragged rows": (".csv", (EXPORT_HEADER + "a,b\nc,d,e,f,g,h\n,,,\n").encode()),
    "empty": (".csv", b""),
    "empty parquet": (".parquet", b""),
    "header only": (".csv", EXPORT_HEADER.encode()),
    "members header only": (".csv", b"organization,user,role,remove\n"),
    "duplicate headers": (".csv", b"id,name,name,description,created_at,created_at\nx,a,b,c,d,e\n"),
    "duplicate member headers": (".csv", b"organization,user,user,role\na,b,c,d\n"),
    "huge cells": (".csv", (EXPORT_HEADER + f"{'i' * 300_000},{'n' * 300_000},{'d' * 300_000},x\n").encode()),
    "huge names only": (".csv", f"name,description\n{'n' * 300_000},\n".encode()),
    "garbage created_at": (".csv", (EXPORT_HEADER + "T3JnOjE=,Org,,not a time\n,New,,\x00\x01\n").encode()),
    "nul bytes": (".csv", b"name\x00,description\nx\x00y,z\n"),
    "unbalanced quotes": (".csv", b'name,description\n"open,never closed\n'),
    "only newlines": (".csv", b"\n\n\n\r\n"),
    "parquet of numbers": (
        ".parquet",
        parquet(
            pd.DataFrame(
                {"id": [1, 2], "name": [3.5, None], "description": [True, False], "created_at": [1, 2]}
            )
        ),
    ),
    "parquet of lists": (
        ".parquet",
        parquet(
            pd.DataFrame(
                {
                    "id": [["a"]],
                    "name": [["x", "y"]],
                    "description": [{"k": 1}],
                    "created_at": [[1]],
                    "delete": [[0]],
                }
            )
        ),
    ),
    "parquet of bytes": (".parquet", parquet(pd.DataFrame({"name": [b"\xff\xfe"], "description": [b""]}))),
    "members parquet of numbers": (
        ".parquet",
        parquet(pd.DataFrame({"organization": [1], "user": [2.5], "role": [None], "remove": [7]})),
    ),
    "members parquet of lists": (
        ".parquet",
        parquet(
            pd.DataFrame({"organization": [["a"]], "user": [["b"]], "role": [["ADMIN"]], "remove": [[True]]})
        ),
    ),
}


def commands(name: str) -> list[tuple[str, ...]]:
    return [
        ("plan", name),
        ("apply", name, "--yes"),
        ("plan", "--members", name),
        ("apply", "--members", name, "--yes"),
        ("plan", name, "--members", name),
    ]


def assert_no_traceback(result) -> None:
    assert result.code in (0, 1, 2), result.out + result.err
    assert "Traceback" not in result.err + result.out
    if result.code == 1:
        assert "error:" in result.err or "refused:" in result.err, result.err


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_no_malformed_file_prints_a_traceback(cli, tmp_path, kind):
    suffix, content = MALFORMED[kind]
    name = f"in{suffix}"
    (tmp_path / name).write_bytes(content)
    for command in commands(name):
        assert_no_traceback(cli(*command))
    assert_no_traceback(cli("export", name))  # over the bad file: a fresh export


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_folder_instead_of_a_file_is_an_error(cli, tmp_path, suffix):
    name = f"folder{suffix}"
    (tmp_path / name).mkdir()
    for command in [*commands(name), ("export", name), ("export", "--users", name)]:
        result = cli(*command)
        assert result.code == 1 and "error:" in result.err, result.out + result.err


def test_a_malformed_export_base_or_created_record_or_journal_is_an_error(cli, tmp_path):
    exported(cli, tmp_path)
    base = tmp_path / ".orgs.csv.base.csv"
    base.write_bytes(b"id,name,description,created_at\nx,y,z,31/31/31\n")
    broken = cli("plan", "orgs.csv")
    assert broken.code == 1 and "cannot read the export base" in broken.err, broken.err
    base.unlink()
    (tmp_path / ".orgs.csv.created.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert_no_traceback(cli("plan", "orgs.csv"))
    (tmp_path / "journal-garbage.sqlite3").write_bytes(b"not a database" * 100)
    journal = cli("plan", "orgs.csv", journal_file=tmp_path / "journal-garbage.sqlite3")
    assert journal.code == 1 and "journal" in journal.err, journal.err
    assert_no_traceback(cli("plan", "orgs.csv", journal_file=tmp_path))


COLUMNS = ["id", "name", "description", "created_at", "delete", "organization", "user", "role", "remove", "x"]
CELLS = st.one_of(
    st.sampled_from(["", "x", "yes", "ADMIN", "T3JnOjE=", "2026-11-28T10:03:00Z", "11/28/2026", '"', "NaN"]),
    st.text(max_size=12),
)


@st.composite
def csv_files(draw) -> tuple[str, bytes]:
    header = draw(
        st.one_of(
            st.just(["id", "name", "description", "created_at"]),  # an export's header
            st.just(["organization", "user", "role", "remove"]),  # a members file's
            st.lists(st.sampled_from(COLUMNS), max_size=6),
        )
    )
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=5))
    text = "\n".join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return ".csv", text.encode(encoding, errors="replace")


PARQUET_VALUES = {
    "int": st.integers(-(2**40), 2**40),
    "float": st.floats(allow_nan=True),
    "bool": st.booleans(),
    "text": CELLS,
    "bytes": st.binary(max_size=8),
    "time": st.datetimes(timezones=st.just(dt.UTC)),
    "list": st.lists(st.integers(0, 9), max_size=3),
}


@st.composite
def parquet_files(draw) -> tuple[str, bytes]:
    names = draw(st.lists(st.sampled_from(COLUMNS), max_size=5, unique=True))
    length = draw(st.integers(0, 4))
    columns = {}
    for name in names:
        values = PARQUET_VALUES[draw(st.sampled_from(sorted(PARQUET_VALUES)))]
        columns[name] = draw(st.lists(st.one_of(st.none(), values), min_size=length, max_size=length))
    return ".parquet", parquet(pd.DataFrame(columns, index=range(length)))


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    file=st.one_of(
        csv_files(), parquet_files(), st.tuples(st.sampled_from([".csv", ".parquet"]), st.binary())
    )
)
def test_fuzzed_files_never_print_a_traceback(cli, tmp_path, file):
    suffix, content = file
    name = f"fuzz{suffix}"
    (tmp_path / name).write_bytes(content)
    for command in commands(name):
        assert_no_traceback(cli(*command))


def test_export_writes_every_time_with_its_microseconds_under_any_pandas(cli, sb, tmp_path):
    # pandas 2 would write a whole second as 10:03:00+00:00 beside .123456 ones; pandas 3 not.
    sb._store.bulk_insert([("Whole Second", "", "2026-11-28T10:03:00.000000Z")], [], [])
    orgs = exported(cli, tmp_path)
    assert orgs["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00").all()
    assert orgs.set_index("name").loc["Whole Second", "created_at"] == "2026-11-28 10:03:00.000000+00:00"
    assert (tmp_path / ".orgs.csv.base.csv").read_bytes() == (tmp_path / "orgs.csv").read_bytes()


def test_rows_longer_than_the_header_are_refused_not_shifted_into_an_index(cli, sb, tmp_path):
    (tmp_path / "new.csv").write_text("name,description\nTrailing Comma,kept,\nAnother,row,\n")
    sent = writes(sb)
    for command in (("plan", "new.csv"), ("apply", "new.csv", "--yes")):
        refused = cli(*command)
        assert refused.code == 1, refused.out + refused.err
        assert "more cells than the header" in refused.err
    assert writes(sb) == sent


@pytest.mark.parametrize("kind", ["utf-16", "latin-1"])
def test_a_file_not_in_utf8_says_how_to_save_it(cli, sb, tmp_path, kind):
    suffix, content = MALFORMED[kind]
    (tmp_path / f"in{suffix}").write_bytes(content)
    refused = cli("apply", f"in{suffix}", "--yes")
    assert refused.code == 1
    assert "not UTF-8 text" in refused.err and "save the file as 'CSV UTF-8'" in refused.err
    assert ("UTF-16" in refused.err) is (kind == "utf-16")
