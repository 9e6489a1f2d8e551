"""Every frame the package returns, and every file written from one, is the same under pandas 2 and 3.

The suite runs under pandas 3 (the main environment) and under pandas 2.2 (with the official SDK):
these tests pin the exact dtypes (text as ``string[python]`` with ``pd.NA``, never pandas 2's
``object`` nor pandas 3's ``str`` or Arrow-backed strings; times in nanoseconds, never pandas 3's
microseconds) and the exact bytes of CSV and JSON files, so each environment checks the same values.
"""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from arize_orgs_nb.bulk.apply import RESULT_SCHEMA
from arize_orgs_nb.bulk.ledger import JOURNAL_SCHEMA
from arize_orgs_nb.bulk.members import KNOWN_SCHEMA
from arize_orgs_nb.frames import CSV_TIME_FORMAT, ORG_SCHEMA, USER_SCHEMA, read_orgs_frame, read_users_frame

TEXT = pd.StringDtype("python")
NS_UTC = pd.DatetimeTZDtype("ns", "UTC")
EXACT = {
    "string": TEXT,
    "datetime64[ns, UTC]": NS_UTC,
    "boolean": pd.BooleanDtype(),
    "Int64": pd.Int64Dtype(),
    "float64": np.dtype("float64"),
}
UTC = dt.UTC


def exact(frame):
    return dict(frame.dtypes.items())


def declared(schema):
    return {c.name: EXACT[c.dtype] for c in schema.columns}


def assert_text_is_python_strings(frame):
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.StringDtype):
            assert (dtype.storage, dtype.na_value) == ("python", pd.NA), name


def orgs_frame():
    return ORG_SCHEMA.from_rows(
        [
            {
                "id": "T3JnOjE=",
                "name": 'Équipe, "Données"',
                "description": "",
                "created_at": dt.datetime(2026, 11, 28, 10, 3, tzinfo=UTC),
            },
            {
                "id": "T3JnOjI=",
                "name": "Beta",
                "description": "line one\nline two",
                "created_at": dt.datetime(2026, 11, 28, 10, 3, 0, 123456, tzinfo=UTC),
            },
        ]
    )


def users_frame():
    return USER_SCHEMA.from_rows(
        [
            {
                "id": "VXNlcjox",
                "name": "Ann",
                "email": "ann@example.com",
                "status": "ACTIVE",
                "role_type": "PREDEFINED",
                "role_name": "ADMIN",
                "role_id": None,
                "is_developer": True,
                "created_at": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
            }
        ]
    )


ORGS_CSV = (
    "id,name,description,created_at\n"
    'T3JnOjE=,"Équipe, ""Données""",,2026-11-28 10:03:00.000000+00:00\n'
    'T3JnOjI=,Beta,"line one\nline two",2026-11-28 10:03:00.123456+00:00\n'
)
USERS_CSV = (
    "id,name,email,status,role_type,role_name,role_id,is_developer,created_at\n"
    "VXNlcjox,Ann,ann@example.com,ACTIVE,PREDEFINED,ADMIN,,True,2025-01-02 03:04:05.000000+00:00\n"
)
ORGS_JSON = (
    '[{"id":"T3JnOjE=","name":"\\u00c9quipe, \\"Donn\\u00e9es\\"","description":"",'
    '"created_at":"2026-11-28T10:03:00.000000Z"},'
    '{"id":"T3JnOjI=","name":"Beta","description":"line one\\nline two",'
    '"created_at":"2026-11-28T10:03:00.123456Z"}]'
)


@pytest.mark.parametrize("schema", [ORG_SCHEMA, USER_SCHEMA, RESULT_SCHEMA, JOURNAL_SCHEMA, KNOWN_SCHEMA])
def test_every_schema_gives_its_exact_dtypes_for_zero_rows_and_for_rows_with_gaps(schema):
    empty = schema.empty()
    gaps = schema.from_rows([{}, {}])  # every value missing: nothing left to infer a dtype from
    assert exact(empty) == exact(gaps) == declared(schema)
    assert type(empty.index) is pd.RangeIndex


def test_drained_frames_hold_python_strings_and_nanoseconds(fast_client):
    state = fast_client.local_sandbox.state
    state.create_org("Alpha", "")
    state.create_user("Ann", "ann@example.com", role="ANNOTATOR")
    orgs = fast_client.organizations.to_frame(progress=False)
    users = fast_client.users.to_frame(progress=False)
    assert exact(orgs) == declared(ORG_SCHEMA)
    assert exact(users) == declared(USER_SCHEMA)
    assert orgs["description"].tolist() == [""]
    assert users["role_id"].tolist() == [pd.NA]


def test_plan_result_journal_and_known_members_frames_have_fixed_dtypes(fast_client):
    state = fast_client.local_sandbox.state
    for name in ("Alpha", "Beta", "Gamma"):
        state.create_org(name, "")
    state.create_user("Ann", "ann@example.com")
    base = fast_client.organizations.to_frame(progress=False)
    edited = base.copy()
    edited.loc[0, "description"] = "changed"
    edited["delete"] = [False, False, True]
    plan = fast_client.organizations.plan(edited, base=base)
    planned = plan.to_frame()
    assert set(exact(planned).values()) == {TEXT}
    result = plan.apply(confirm=True, progress=False)
    members = pd.DataFrame({"organization": ["Alpha"], "user": ["ann@example.com"], "role": ["ADMIN"]})
    fast_client.memberships.plan(members).apply(progress=False)

    frame = result.to_frame()
    assert exact(frame) == declared(RESULT_SCHEMA)
    assert frame["http_status"].tolist() == [200, 204]
    assert frame["user"].isna().all() and frame["reconciled"].tolist() == [False, False]
    journal = fast_client.journal.to_frame()
    assert exact(journal) == declared(JOURNAL_SCHEMA)  # "when": text in the journal, read as ns
    assert journal["op"].tolist() == ["set_role", "describe", "delete"]
    known = fast_client.memberships.known()
    assert exact(known) == declared(KNOWN_SCHEMA)
    assert known["role"].tolist() == ["ADMIN"]
    for each in (planned, frame, journal, known):
        assert_text_is_python_strings(each)


def test_csv_files_are_byte_identical_and_read_back_to_the_same_frame(tmp_path):
    orgs, users = orgs_frame(), users_frame()
    assert orgs.to_csv(index=False, date_format=CSV_TIME_FORMAT) == ORGS_CSV
    assert users.to_csv(index=False, date_format=CSV_TIME_FORMAT) == USERS_CSV
    (tmp_path / "orgs.csv").write_text(ORGS_CSV, encoding="utf-8")
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")
    pd.testing.assert_frame_equal(read_orgs_frame(tmp_path / "orgs.csv"), orgs, check_exact=True)
    pd.testing.assert_frame_equal(read_users_frame(tmp_path / "users.csv"), users, check_exact=True)


def test_a_plain_to_csv_of_either_pandas_reads_back_to_the_same_frame(tmp_path):
    # pandas 2 writes each time to its own precision, pandas 3 a column to its finest: both read back.
    orgs = orgs_frame()
    for name, text in {
        "pandas2.csv": ORGS_CSV.replace("10:03:00.000000+00:00", "10:03:00+00:00"),
        "plain.csv": orgs.to_csv(index=False),
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        pd.testing.assert_frame_equal(read_orgs_frame(tmp_path / name), orgs, check_exact=True)


def test_json_text_is_identical_and_conforms_back_to_the_same_frame():
    orgs = orgs_frame()
    text = orgs.to_json(orient="records", date_format="iso", date_unit="us")
    assert text == ORGS_JSON
    back = ORG_SCHEMA.conform(pd.read_json(io.StringIO(text), orient="records", dtype=False))
    pd.testing.assert_frame_equal(back, orgs, check_exact=True)


def test_parquet_files_hold_the_same_types_and_read_back_to_the_same_frame(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    orgs = orgs_frame()
    orgs.to_parquet(tmp_path / "orgs.parquet", index=False)
    schema = pq.read_schema(tmp_path / "orgs.parquet")
    assert [(f.name, str(f.type)) for f in schema] == [
        ("id", "string"),
        ("name", "string"),
        ("description", "string"),
        ("created_at", "timestamp[ns, tz=UTC]"),
    ]
    pd.testing.assert_frame_equal(read_orgs_frame(tmp_path / "orgs.parquet"), orgs, check_exact=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_extra_text_columns_read_back_as_python_strings(tmp_path, suffix):
    path = tmp_path / f"orgs{suffix}"
    edited = orgs_frame().assign(delete=[False, True], note=["keep", ""])
    edited.to_csv(path, index=False) if suffix == ".csv" else edited.to_parquet(path, index=False)
    read = read_orgs_frame(path)
    assert exact(read) == {**declared(ORG_SCHEMA), "delete": np.dtype(bool), "note": TEXT}
    assert read["note"].tolist() == ["keep", ""]


def test_a_trailing_comma_is_refused_on_every_line_it_is_on(tmp_path):
    # pandas 2 drops a trailing empty cell without a word, pandas 3 warns: both are refused here.
    path = tmp_path / "orgs.csv"
    path.write_text(
        "id,name,description,created_at\n"
        "T3JnOjE=,Alpha,,2026-11-28T10:03:00Z,\n"
        "T3JnOjI=,Beta,,2026-11-28T10:03:00Z\n"
        'T3JnOjM=,"Gam,ma","two\nlines",2026-11-28T10:03:00Z,\n'
    )
    with pytest.raises(ValueError, match=r"more cells than the header .*on lines 2, 5:"):
        read_orgs_frame(path)
