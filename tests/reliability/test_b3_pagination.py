"""B3 of docs/RELIABILITY.md: pagination, against the sandbox and against scripted misbehaving servers."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from arize_orgs_nb import BadRequestError, PaginationError
from arize_orgs_nb.errors import (
    CursorRestartWarning,
    DrainInterruptedError,
    DuplicateRowsWarning,
    PagingStoppedError,
)
from arize_orgs_nb.frames import ORG_SCHEMA
from arize_orgs_nb.sandbox import Sandbox
from tests.reliability._support import ORGS, inproc_client, long_mode, org_json, scripted_client


def _page(items: list[dict[str, str]], has_more: bool, cursor: Any = "absent") -> dict[str, Any]:
    pagination: dict[str, Any] = {"has_more": has_more}
    if cursor != "absent":
        pagination["next_cursor"] = cursor
    return {"organizations": items, "pagination": pagination}


SIZES = [0, 1, 99, 100, 101, 1000] + ([10_000] if long_mode() else [])


@pytest.mark.parametrize("limit", [1, 7, 50, 100])
@pytest.mark.parametrize("n", SIZES)
def test_p1_exactly_n_unique_rows_in_ceil_n_over_limit_calls(n, limit, figures):
    if n >= 10_000 and limit < 50:
        pytest.skip("10 000 rows one or seven at a time: covered by limit 50 and 100")
    with inproc_client(orgs=n) as client:
        frame = client.organizations.to_frame(page_size=limit, progress=False)
        calls = client.local_sandbox.log.count(method="GET")
        assert len(frame) == n
        assert frame["id"].is_unique
        assert calls == max(1, math.ceil(n / limit))
        figures.add("p1_rows", n, limit=limit)
        figures.add("duplicates", len(frame) - frame["id"].nunique(), row="P1")


@pytest.mark.parametrize("cursor", ["absent", None, ""])
def test_p2_has_more_without_a_cursor_is_an_error_not_a_stop(cursor, figures):
    def answer(n: int, request: Any) -> tuple[int, Any, dict[str, str]]:
        if n == 1:
            return 200, _page([org_json(i) for i in range(3)], True, "c1"), {}
        return 200, _page([org_json(i) for i in range(3, 6)], True, cursor), {}

    client, adapter = scripted_client(answer)
    with client, pytest.raises(PaginationError) as info:
        client.organizations.to_frame(progress=False)
    assert (info.value.pages, info.value.rows) == (2, 6)
    assert len(adapter.calls) == 2
    assert "no cursor" in str(info.value)
    assert isinstance(info.value, PagingStoppedError)  # the rows read are handed back
    partial = info.value.partial_frame
    assert len(partial) == 6 and list(partial.columns) == ORG_SCHEMA.names
    figures.faults("scripted:has-more-no-cursor")


@pytest.mark.parametrize(
    ("cursors", "distinct"),
    [(["A", "A"], 1), (["A", "B", "A"], 2), (["A", "B", "C", "B"], 3)],
)
def test_p3_a_repeated_cursor_or_a_cycle_is_an_error(cursors, distinct, figures):
    def answer(n: int, request: Any) -> tuple[int, Any, dict[str, str]]:
        return (
            200,
            _page([org_json(n * 10 + i) for i in range(2)], True, cursors[min(n, len(cursors)) - 1]),
            {},
        )

    client, adapter = scripted_client(answer, limit=50)
    with client, pytest.raises(PaginationError, match="repeated a cursor"):
        client.organizations.to_frame(progress=False)
    assert len(adapter.calls) <= distinct + 1
    figures.faults("scripted:cursor-cycle")


def test_p4_empty_pages_that_carry_a_cursor_are_followed(figures):
    def answer(n: int, request: Any) -> tuple[int, Any, dict[str, str]]:
        if n in (1, 4):
            return 200, _page([org_json(n * 10 + i) for i in range(2)], n < 4, f"c{n}"), {}
        return 200, _page([], True, f"c{n}"), {}

    client, adapter = scripted_client(answer)
    with client:
        frame = client.organizations.to_frame(progress=False)
    assert len(frame) == 4 and len(adapter.calls) == 4
    figures.faults("scripted:empty-page", 2)


def test_p4_endless_pages_without_new_rows_are_bounded(figures):
    """Fresh cursors forever, but nothing new on them: stop with an error, never loop."""

    def answer(n: int, request: Any) -> tuple[int, Any, dict[str, str]]:
        items = [org_json(1)] if n % 2 else []  # empty pages and the same org again, forever
        return 200, _page(items, True, f"c{n}"), {}

    client, adapter = scripted_client(answer, limit=2000)
    with client, pytest.raises(PaginationError, match="no new rows"), pytest.warns(DuplicateRowsWarning):
        client.organizations.to_frame(progress=False)
    assert len(adapter.calls) <= 200
    figures.add("p4_pages_before_stop", len(adapter.calls))
    figures.faults("scripted:endless-empty-pages", len(adapter.calls))


def test_p5_has_more_false_with_a_cursor_stops(figures):
    def answer(n: int, request: Any) -> tuple[int, Any, dict[str, str]]:
        return 200, _page([org_json(1)], False, "dangling"), {}

    client, adapter = scripted_client(answer)
    with client:
        assert len(client.organizations.to_frame(progress=False)) == 1
    assert len(adapter.calls) == 1


def test_p6_p7_inserts_renames_and_deletes_between_pages(figures):
    """The sandbox's cursors are positional (seq): rows present throughout are all read once."""
    with inproc_client(orgs=300) as client:
        server = client.local_sandbox
        state = server.state
        before = {o["id"] for o in state.orgs()}
        victims = [o["id"] for o in state.orgs()[150:153]]
        renamed = [o["id"] for o in state.orgs()[10:13]]
        pages = []

        def between_pages(event: Any) -> None:
            if event.kind != "response":
                return
            pages.append(1)
            if len(pages) == 1:
                for i in range(5):
                    state.create_org(f"Inserted {i}")
                for org_id in renamed:
                    client.transport.request("PATCH", f"{ORGS}/{org_id}", body={"description": "moved"})
                for org_id in victims:
                    client.transport.request("DELETE", f"{ORGS}/{org_id}")

        remove = client.transport.add_listener(between_pages)
        frame = client.organizations.to_frame(page_size=100, progress=False)
        remove()
        got = set(frame["id"])
        assert frame["id"].is_unique
        assert before - set(victims) <= got  # nothing that lived throughout was skipped
        figures.add("duplicates", len(frame) - frame["id"].nunique(), row="P6")
        figures.add("rows_lost", len(before - set(victims) - got), row="P6")


def test_p8_page_37_of_100_fails_five_times_and_resumes_refetching_one_page(figures):
    n, limit = (10_000, 100) if long_mode() else (1_000, 10)
    with inproc_client(orgs=n) as client:
        server = client.local_sandbox
        responses = []

        def fail_page_37(event: Any) -> None:
            if event.kind == "response":
                responses.append(event.status)
                if len(responses) == 36:
                    server.faults.add(status=503, method="GET", path=ORGS, times=5)

        client.transport.add_listener(fail_page_37)
        with pytest.raises(DrainInterruptedError) as info:
            client.organizations.to_frame(page_size=limit, progress=False)
        partial = info.value.partial_frame
        assert len(partial) == 36 * limit
        assert info.value.pages == 36
        gets_before = server.log.count(method="GET")
        frame = client.organizations.to_frame(page_size=limit, progress=False)  # the same call resumes
        gets_after = server.log.count(method="GET") - gets_before
        assert len(frame) == n and frame["id"].is_unique
        assert list(frame["id"]) == [o["id"] for o in server.state.orgs()]
        refetched = gets_after - (100 - 36)
        assert refetched <= 1
        figures.add("p8_pages_refetched", refetched)
        figures.add("rows_lost", n - len(frame), row="P8")
        figures.faults_from_log(server)


def test_p9_a_cursor_from_another_query_is_refused_by_the_server():
    with inproc_client(orgs=30) as client:
        first = client.organizations.list(name="a", limit=2)
        assert first.pagination.next_cursor
        client.local_sandbox.log.clear()
        with pytest.raises(BadRequestError):
            client.organizations.list(name="b", limit=2, cursor=first.pagination.next_cursor)
        assert len(client.local_sandbox.log) == 1  # a 400 is not retried


def test_p9_a_refused_cursor_mid_drain_restarts_from_the_first_page_and_deduplicates(figures):
    """A 400 on page 4 (a cursor that expired): read again from page 1, rows exact, one warning."""
    with inproc_client(orgs=250) as client:
        server = client.local_sandbox

        def expire_next_cursor(progress: Any) -> None:
            if progress.pages == 2:  # page 3 is already on its way: page 4's request is refused
                server.faults.add(status=400, method="GET", times=1)

        with pytest.warns(CursorRestartWarning, match="read again from the first page"):
            frame = client.organizations.to_frame(page_size=50, progress=expire_next_cursor)
        assert len(frame) == 250 and frame["id"].is_unique
        assert set(frame["id"]) == {o["id"] for o in server.state.orgs()}
        gets = [r for r in server.log.records() if r.method == "GET"]
        assert [r.status for r in gets].count(400) == 1
        assert len(gets) == 4 + 5  # pages 1-3 and the refused one, then all 5 again
        figures.add("p9_requests_for_5_pages_after_a_refused_cursor", len(gets))


def test_p9_a_second_refusal_in_one_run_stops_and_resuming_restarts_again():
    with inproc_client(orgs=250) as client:
        server = client.local_sandbox

        def refuse(progress: Any) -> None:
            if progress.pages in (2, 5):
                server.faults.add(status=400, method="GET", times=1)

        with pytest.warns(CursorRestartWarning), pytest.raises(DrainInterruptedError) as info:
            client.organizations.to_frame(page_size=50, progress=refuse)
        kept = info.value.rows
        assert 0 < kept < 250
        frame = info.value.drain.resume()
        assert len(frame) == 250 and frame["id"].is_unique


def test_p9_a_refused_first_page_is_not_restarted():
    with inproc_client(orgs=30) as client:
        client.local_sandbox.faults.add(status=400, method="GET", times=1)
        with pytest.raises(DrainInterruptedError) as info:
            client.organizations.to_frame(progress=False)
        assert isinstance(info.value.__cause__, BadRequestError)
        assert len(client.local_sandbox.log) == 1


@pytest.mark.parametrize("limit", [0, 101, -1, "50", 1.5, True, None])
def test_p10_bad_limits_fail_before_any_request(limit, figures):
    with inproc_client(orgs=3) as client:
        with pytest.raises(ValueError, match="limit"):
            client.organizations.list(limit=limit)
        with pytest.raises(ValueError, match="limit"):
            client.organizations.iter(limit=limit)
        with pytest.raises(ValueError, match="limit"):
            client.organizations.to_frame(page_size=limit, progress=False)
        with pytest.raises(ValueError, match="limit"):
            client.users.list(limit=limit)
        assert len(client.local_sandbox.log) == 0
        figures.add("bad_inputs_tried", 4, row="P10")
        figures.add("bad_inputs_rejected_before_io", 4, row="P10")


def test_p11_max_rows_truncates_visibly(figures):
    with inproc_client(orgs=250) as client:
        drain = client.organizations.drain(max_rows=120, page_size=50, progress=False)
        frame = drain.run()
        assert len(frame) == 120
        assert drain.truncated is True
        pager = client.organizations.iter(limit=50, max_items=7)
        assert len(list(pager)) == 7 and pager.truncated


SPECIAL = ["a b", "a/b", "a+b", "a=b", "a%b", "a&b", "a#b", "a_b", "a?b", "naïve ☃", "Ü/ü", "%2F", "a%20b"]


def test_p12_special_characters_in_the_name_filter_match_exactly(figures):
    with inproc_client() as client:
        state = client.local_sandbox.state
        decoys = ["axb", "A_B x", "a%bc", "aa+b", "a b c", "xa=b"]
        for name in SPECIAL + decoys:
            state.create_org(name)
        false_matches = 0
        for name in SPECIAL:
            client.local_sandbox.log.clear()
            org = client.organizations.get(organization=name)
            false_matches += org.name != name
            lookup = client.local_sandbox.log.records()[0]
            assert lookup.query["name"] == [name]  # the server decoded exactly what was meant
            hits = [o for o in client.organizations.iter(name=name) if name.casefold() in o.name.casefold()]
            assert {o.name for o in hits} >= {name}
        assert false_matches == 0
        figures.add("p12_false_matches", false_matches)


def test_p13_zero_rows_and_empty_descriptions_keep_the_schema():
    with Sandbox(orgs=0) as server:
        server.state.create_org("x", "")
    with inproc_client() as client:
        empty = client.organizations.to_frame(progress=False)
        client.local_sandbox.state.create_org("Only", "")
        one = client.organizations.to_frame(progress=False)
    assert list(empty.columns) == list(one.columns) == ORG_SCHEMA.names
    assert dict(empty.dtypes.astype(str)) == dict(one.dtypes.astype(str))
    assert one["description"].tolist() == [""]
    assert isinstance(one["created_at"].dtype, pd.DatetimeTZDtype)
