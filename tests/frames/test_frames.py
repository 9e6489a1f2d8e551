"""All-pages DataFrames: exact rows, fixed schema, resumable drains, guards, files, progress."""

import random

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arize_orgs_nb import ArizeOrgs, PaginationError
from arize_orgs_nb.api.drain import DrainProgress
from arize_orgs_nb.errors import DrainInterruptedError, DuplicateRowsWarning
from arize_orgs_nb.frames import ORG_SCHEMA, USER_SCHEMA, read_orgs_frame, read_users_frame
from tests.conftest import FakeClock, make_client

ORG_DTYPES = {"id": "string", "name": "string", "description": "string", "created_at": "datetime64[ns, UTC]"}


def dtypes(frame):
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def test_the_org_schema_is_the_same_for_zero_and_many_rows(fast_client):
    empty = fast_client.organizations.to_frame(progress=False)
    state = fast_client.local_sandbox.state
    for i in range(7):
        state.create_org(f"Org {i}", "")  # every description empty
    full = fast_client.organizations.to_frame(progress=False)
    assert list(empty.columns) == list(full.columns) == ["id", "name", "description", "created_at"]
    assert dtypes(empty) == dtypes(full) == ORG_DTYPES
    assert len(empty) == 0 and len(full) == 7
    assert full["description"].tolist() == [""] * 7
    assert not full["description"].isna().any()


def test_the_user_schema_flattens_roles_and_keeps_enums_as_strings(fast_client):
    assert list(fast_client.users.to_frame(progress=False).columns) == USER_SCHEMA.names
    state = fast_client.local_sandbox.state
    state.create_user("Ann", "ann@example.com", role="ANNOTATOR", status="INVITED")
    state.create_user("Ad", "ad@example.com", role="ADMIN", is_developer=True)
    users = fast_client.users.to_frame(progress=False)
    assert list(users.columns) == USER_SCHEMA.names
    assert dtypes(users) == {
        **dict.fromkeys(USER_SCHEMA.names, "string"),
        "is_developer": "boolean",
        "created_at": "datetime64[ns, UTC]",
    }
    ann = users.set_index("email").loc["ann@example.com"]
    assert (ann.status, ann.role_type, ann.role_name) == ("INVITED", "PREDEFINED", "ANNOTATOR")
    assert pd.isna(ann.role_id)
    assert type(ann.status) is str
    invited = fast_client.users.to_frame(status=["INVITED"], progress=False)
    assert invited["email"].tolist() == ["ann@example.com"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.one_of(st.sampled_from([0, 1, 99, 100, 101, 250]), st.integers(0, 300)),
    page_size=st.one_of(st.sampled_from([1, 7, 50, 100]), st.integers(1, 100)),
    seed=st.integers(0, 10_000),
)
def test_drain_is_exact_under_429s_and_5xx(n, page_size, seed):
    clock = FakeClock()
    with ArizeOrgs.sandbox(
        orgs=n, users=0, seed=seed, in_process=True, sleep=clock.sleep, clock=clock, rng=random.Random(seed)
    ) as client:
        server = client.local_sandbox
        expected = [o["id"] for o in server.state.orgs()]
        server.set_knobs(rate_limit_share=0.3, error_share=0.05)
        for _ in range(200):
            try:
                frame = client.organizations.to_frame(page_size=page_size, progress=False)
                break
            except DrainInterruptedError:
                continue  # running the same call again resumes
        else:
            pytest.fail("the drain never finished")
        assert frame["id"].tolist() == expected
        assert frame["id"].is_unique
        assert len(frame) == n


def test_an_interrupted_drain_resumes_refetching_at_most_one_page(fast_client):
    server = fast_client.local_sandbox
    for i in range(95):
        server.state.create_org(f"Org {i:02d}")
    k = 4
    # scheduled faults are consumed in order: k clean requests, then page k+1 fails every attempt
    server.faults.add(delay_ms=1, method="GET", times=k)
    server.faults.add(status=503, method="GET", times=4)

    with pytest.raises(DrainInterruptedError, match=f"after {k} pages \\({k * 10} rows\\)") as info:
        fast_client.organizations.to_frame(page_size=10, progress=False)
    assert len(info.value.partial_frame) == k * 10
    assert list(info.value.partial_frame.columns) == ORG_SCHEMA.names
    frame = fast_client.organizations.to_frame(page_size=10, progress=False)  # the same call resumes
    assert frame["id"].tolist() == [o["id"] for o in server.state.orgs()]
    ok_pages = server.log.count(method="GET", status=200)
    assert ok_pages == 10  # every page fetched successfully exactly once
    assert server.log.count(method="GET", status=503) == 4


def test_a_drain_object_can_be_resumed_directly(fast_client):
    server = fast_client.local_sandbox
    for i in range(30):
        server.state.create_org(f"Org {i:02d}")
    drain = fast_client.organizations.drain(page_size=10, progress=False)
    server.faults.add(status=502, method="GET", times=4)
    with pytest.raises(DrainInterruptedError):
        drain.run()
    assert drain.pages == 0 and drain.rows == 0
    assert len(drain.resume()) == 30
    assert drain.done


def test_max_rows_truncates_visibly(fast_client):
    for i in range(30):
        fast_client.local_sandbox.state.create_org(f"Org {i:02d}")
    drain = fast_client.organizations.drain(page_size=10, max_rows=15, progress=False)
    assert len(drain.run()) == 15
    assert drain.truncated


class ScriptedPages(requests.adapters.BaseAdapter):
    """A misbehaving server: answers GET /v2/organizations with scripted pages."""

    def __init__(self, pages):
        super().__init__()
        self.pages = list(pages)
        self.calls = 0

    def send(self, request, **kwargs):
        import json

        self.calls += 1
        body = self.pages[min(self.calls - 1, len(self.pages) - 1)]
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def org(i):
    return {"id": f"id-{i}", "name": f"Org {i}", "description": "", "created_at": "2024-01-01T00:00:00Z"}


def scripted_client(pages):
    session = requests.Session()
    adapter = ScriptedPages(pages)
    session.mount("http://127.0.0.1:9", adapter)
    return ArizeOrgs(
        api_key="k", api_host="127.0.0.1:9", api_scheme="http", session=session, environ={}
    ), adapter


def test_a_repeated_cursor_is_an_error_not_a_loop():
    client, adapter = scripted_client(
        [
            {"organizations": [org(1)], "pagination": {"has_more": True, "next_cursor": "A"}},
            {"organizations": [org(2)], "pagination": {"has_more": True, "next_cursor": "B"}},
            {"organizations": [org(3)], "pagination": {"has_more": True, "next_cursor": "A"}},
        ]
    )
    with pytest.raises(PaginationError, match="repeated a cursor"):
        client.organizations.to_frame(progress=False)
    assert adapter.calls == 3


def test_has_more_without_a_cursor_is_an_error():
    client, adapter = scripted_client(
        [
            {"organizations": [org(1)], "pagination": {"has_more": True}},
        ]
    )
    with pytest.raises(PaginationError, match="sent no cursor") as info:
        client.organizations.to_frame(progress=False)
    assert info.value.rows == 1
    assert adapter.calls == 1


def test_the_same_id_on_two_pages_is_kept_once_with_a_warning():
    client, _ = scripted_client(
        [
            {"organizations": [org(1), org(2)], "pagination": {"has_more": True, "next_cursor": "A"}},
            {"organizations": [org(2), org(3)], "pagination": {"has_more": False}},
        ]
    )
    with pytest.warns(DuplicateRowsWarning, match="id-2"):
        frame = client.organizations.to_frame(progress=False)
    assert frame["id"].tolist() == ["id-1", "id-2", "id-3"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_frames_survive_csv_and_parquet(fast_client, tmp_path, suffix):
    state = fast_client.local_sandbox.state
    state.create_org('Équipe, "Données"', "line one\nline two, with comma")
    state.create_org("Empty", "")
    state.create_org("  spaced  ", "   ")
    state.create_user("Ann", "ann@example.com", role="ANNOTATOR")
    orgs = fast_client.organizations.to_frame(progress=False)
    users = fast_client.users.to_frame(progress=False)
    org_path, user_path = tmp_path / f"orgs{suffix}", tmp_path / f"users{suffix}"
    if suffix == ".csv":
        orgs.to_csv(org_path, index=False)
        users.to_csv(user_path, index=False)
    else:
        orgs.to_parquet(org_path)
        users.to_parquet(user_path)
    pd.testing.assert_frame_equal(read_orgs_frame(org_path), orgs)
    pd.testing.assert_frame_equal(read_users_frame(user_path), users)


def test_reading_a_file_without_a_schema_column_is_a_clear_error(tmp_path):
    path = tmp_path / "orgs.csv"
    pd.DataFrame({"id": ["x"], "name": ["n"]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="missing column"):
        read_orgs_frame(path)


def test_progress_callback_bar_and_rate_limit_waits(capsys):
    clock = FakeClock()
    with make_client(clock, orgs=250) as client:
        client.local_sandbox.faults.add(status=429, retry_after=2, method="GET")
        events: list[DrainProgress] = []
        paced: list[float] = []  # after a 429 the learnt rate spaces the next pages: reported too
        client.transport.add_listener(lambda e: paced.append(e.seconds) if e.reason == "paced" else None)
        frame = client.organizations.to_frame(progress=events.append)
        assert len(frame) == 250
        assert [e.pages for e in events if not e.waiting] == [1, 2, 3]
        assert events[-1].done and events[-1].rows == 250
        assert [e.waiting for e in events if e.waiting] == [2.0, *paced]
        client.organizations.to_frame(progress=True)
        bar = capsys.readouterr().err
        assert "organizations" in bar and "250" in bar
        client.organizations.to_frame(progress=False)
        assert capsys.readouterr().err == ""


def test_times_of_mixed_precision_and_suffix_read_back_as_to_frame_gives_them(tmp_path):
    stamps = ("2026-11-28T10:03:00Z", "2026-11-28T10:03:00.123456+00:00", "2026-11-28T10:03:00.5Z")
    client, _ = scripted_client(
        [
            {
                "organizations": [{**org(i), "created_at": at} for i, at in enumerate(stamps)],
                "pagination": {"has_more": False},
            }
        ]
    )
    expected = client.organizations.to_frame(progress=False)
    written = ("2026-11-28T10:03:00Z", "2026-11-28 10:03:00.123456+00:00", "2026-11-28T10:03:00.500+00:00")
    path = tmp_path / "orgs.csv"
    pd.DataFrame({**expected.drop(columns="created_at").to_dict("list"), "created_at": written}).to_csv(
        path, index=False
    )
    read = read_orgs_frame(path)
    pd.testing.assert_frame_equal(read, expected)
    assert dtypes(read) == ORG_DTYPES
    coarse = expected.assign(created_at=expected["created_at"].astype("datetime64[us, UTC]"))
    coarse.to_parquet(tmp_path / "orgs.parquet", index=False)
    pd.testing.assert_frame_equal(read_orgs_frame(tmp_path / "orgs.parquet"), expected)


def test_a_time_column_of_numbers_is_refused_not_taken_as_epochs(tmp_path):
    path = tmp_path / "orgs.parquet"
    numbers = pd.DataFrame({"id": ["a"], "name": ["n"], "description": [""], "created_at": [1764324180]})
    numbers.to_parquet(path)
    with pytest.raises(TypeError, match="created_at: not a time"):
        read_orgs_frame(path)


def test_a_row_longer_than_the_header_is_an_error_not_an_index(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("id,name,description,created_at\nT3JnOjE=,Alpha,,2026-11-28T10:03:00Z,\n")
    with pytest.raises(ValueError, match="more cells than the header"):
        read_orgs_frame(path)
