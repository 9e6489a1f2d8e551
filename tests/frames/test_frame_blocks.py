"""Frames joined from per-page blocks equal frames built from all rows at once, whatever the values."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arize_orgs_nb.frames import ORG_SCHEMA, USER_SCHEMA

UTC = dt.UTC
text = st.one_of(st.text(max_size=8), st.none(), st.just(""))
times = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1970, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.none(),
    st.just("2024-05-06T07:08:09.123456Z"),
)
org_rows = st.lists(
    st.fixed_dictionaries({"id": text, "name": text, "description": text, "created_at": times}), max_size=30
)


@settings(max_examples=150, deadline=None)
@given(rows=org_rows, cuts=st.lists(st.integers(min_value=0, max_value=30), max_size=4))
def test_blocks_join_to_the_frame_of_all_rows(rows, cuts):
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    blocks = [ORG_SCHEMA.block(rows[a:b]) for a, b in itertools.pairwise(bounds)]
    joined = ORG_SCHEMA.from_blocks(blocks)
    pd.testing.assert_frame_equal(joined, ORG_SCHEMA.from_rows(rows))
    assert list(joined.dtypes.astype(str)) == ["string", "string", "string", "datetime64[ns, UTC]"]


def test_wire_values_are_converted_in_the_block_and_others_kept_for_cleaning():
    at = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    clean = ORG_SCHEMA.block([{"id": "a", "name": "n", "description": "", "created_at": at}])
    assert isinstance(clean.columns["id"], np.ndarray) and clean.columns["id"].dtype == object
    assert clean.columns["created_at"].tolist() == [round(at.timestamp() * 1e6)]
    raw_row = {"id": "b", "name": None, "description": "", "created_at": "2024-05-06T07:08:09Z"}
    raw = ORG_SCHEMA.block([raw_row])
    assert raw.columns["name"] == [None] and raw.columns["created_at"] == ["2024-05-06T07:08:09Z"]
    frame = ORG_SCHEMA.from_blocks([clean, raw])
    assert frame["created_at"].tolist() == [pd.Timestamp(at), pd.Timestamp("2024-05-06T07:08:09Z")]
    assert frame["description"].tolist() == ["", ""]  # "" stays "", never NaN
    assert frame["name"].isna().tolist() == [False, True]


@pytest.mark.parametrize("blocks", [0, 1])
def test_no_rows_gives_the_full_schema(blocks):
    frame = ORG_SCHEMA.from_blocks([ORG_SCHEMA.block([])] * blocks)
    pd.testing.assert_frame_equal(frame, ORG_SCHEMA.empty())
    assert list(frame.columns) == ORG_SCHEMA.names and len(frame) == 0


def test_user_blocks_keep_nullable_and_boolean_columns():
    at = dt.datetime(2024, 1, 1, tzinfo=UTC)
    row = {
        "id": "u",
        "name": "U",
        "email": "u@x.com",
        "status": "ACTIVE",
        "role_type": "PREDEFINED",
        "role_name": "ADMIN",
        "role_id": None,
        "is_developer": True,
        "created_at": at,
    }
    frame = USER_SCHEMA.from_blocks([USER_SCHEMA.block([row]), USER_SCHEMA.block([{**row, "id": "v"}])])
    pd.testing.assert_frame_equal(frame, USER_SCHEMA.from_rows([row, {**row, "id": "v"}]))
    assert frame["role_id"].isna().all() and frame["is_developer"].dtype == "boolean"
