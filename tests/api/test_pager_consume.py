"""Pager.consume: the pipelined drain keeps the pager's guarantees (exact, resumable, guarded)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arize_orgs_nb.api.pagination import Page, Pager
from arize_orgs_nb.errors import PaginationError, ProtocolError, ServerError
from arize_orgs_nb.models import PaginationMetadata


@dataclass(frozen=True)
class Item:
    id: str


class Server:
    """Pages of ids behind cursors "c1", "c2", ...; faults by request number; a request log."""

    def __init__(
        self, pages: list[list[str]], *, fail_at: set[int] | None = None, bad: set[int] | None = None
    ):
        self.pages = pages
        self.fail_at = fail_at or set()  # request numbers (1-based) that fail
        self.bad = bad or set()  # page numbers (1-based) whose items are malformed
        self.requests: list[str | None] = []

    def fetch(self, cursor: str | None) -> object:
        self.requests.append(cursor)
        if len(self.requests) in self.fail_at:
            raise ServerError(status=503, method="GET", path="/v2/x")
        number = 1 if cursor is None else int(cursor[1:])
        more = number < len(self.pages)
        items: list[object] = [{"id": i} for i in self.pages[number - 1]]
        if number in self.bad:
            items = [{"no": "id"}]
        return {
            "items": items,
            "pagination": {"has_more": more, "next_cursor": f"c{number + 1}" if more else None},
        }


def parse(raw: object) -> Page[Item]:
    assert isinstance(raw, dict)
    if any("id" not in i for i in raw["items"]):
        raise ProtocolError("malformed item")
    return Page([Item(i["id"]) for i in raw["items"]], PaginationMetadata.model_validate(raw["pagination"]))


def ids(items: list[Item]) -> list[str]:
    return [item.id for item in items]


def pages_of(n: int, size: int) -> list[list[str]]:
    ids = [f"id{i}" for i in range(n)]
    return [ids[i : i + size] for i in range(0, max(n, 1), size)] or [[]]


def consume_all(pager: Pager[Item], rows: list[str]) -> int:
    """Consume until done, resuming after every failure; returns the failures seen."""
    failures = 0
    while True:
        try:
            pager.consume(ids, rows.extend)
            return failures
        except (ServerError, ProtocolError):
            failures += 1
            assert failures < 50


def test_items_are_converted_off_the_calling_thread_and_accepted_on_it():
    server = Server(pages_of(25, 10))
    converted_on: set[str] = set()
    accepted_on: set[str] = set()
    rows: list[str] = []

    def convert(items: list[Item]) -> list[str]:
        converted_on.add(threading.current_thread().name)
        return ids(items)

    def accept(batch: list[str]) -> None:
        accepted_on.add(threading.current_thread().name)
        rows.extend(batch)

    pager = Pager(fetch=server.fetch, parse=parse)
    pager.consume(convert, accept)
    assert rows == [f"id{i}" for i in range(25)]
    assert accepted_on == {threading.current_thread().name}
    assert converted_on and threading.current_thread().name not in converted_on
    assert (pager.pages, pager.rows, pager.done) == (3, 25, True)
    assert server.requests == [None, "c2", "c3"]


def test_a_page_is_converted_while_the_next_one_is_fetched():
    """Page k goes to the worker before page k+1 is fetched, and is converted during that fetch."""
    server = Server(pages_of(40, 10))
    converted = threading.Semaphore(0)
    order: list[str] = []

    def fetch(cursor: str | None) -> object:
        if cursor is not None:  # the page before is being converted meanwhile: its fetch waits for it
            assert converted.acquire(timeout=10)
        order.append(f"answer {cursor}")
        return server.fetch(cursor)

    def convert(items: list[Item]) -> list[str]:
        order.append(f"convert {items[0].id}")
        converted.release()
        return ids(items)

    rows: list[str] = []
    Pager(fetch=fetch, parse=parse).consume(convert, rows.extend)
    assert rows == [f"id{i}" for i in range(40)]
    assert order == [
        "answer None",
        "convert id0",
        "answer c2",
        "convert id10",
        "answer c3",
        "convert id20",
        "answer c4",
        "convert id30",  # the last page: converted with no request after it
    ]


def test_a_failed_page_keeps_the_pages_before_it_and_resumes_at_it():
    server = Server(pages_of(50, 10), fail_at={4})  # the 4th request (page 4) fails once
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse)
    with pytest.raises(ServerError):
        pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(30)] and pager.pages == 3 and pager.cursor == "c4"
    pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(50)]
    assert server.requests == [None, "c2", "c3", "c4", "c4", "c5"]  # page 4 fetched again, once


def test_a_malformed_page_is_not_accepted_and_is_fetched_again():
    server = Server(pages_of(40, 10), bad={2})
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse)
    with pytest.raises(ProtocolError):
        pager.consume(ids, rows.extend)
    # page 3 was already on its way when page 2 turned out malformed: that read is not used
    assert rows == [f"id{i}" for i in range(10)] and pager.cursor == "c2"
    server.bad.clear()
    pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(40)]
    assert server.requests == [None, "c2", "c3", "c2", "c3", "c4"]


def test_a_repeated_cursor_stops_with_the_rows_kept():
    class Looping(Server):
        def fetch(self, cursor: str | None) -> object:
            self.requests.append(cursor)
            return {
                "items": [{"id": f"x{len(self.requests)}"}],
                "pagination": {"has_more": True, "next_cursor": "same"},
            }

    server = Looping([])
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse)
    with pytest.raises(PaginationError) as info:
        pager.consume(ids, rows.extend)
    assert rows == ["x1", "x2"] and info.value.rows == 2
    assert len(server.requests) == 2


def test_pages_that_bring_nothing_new_stop_paging():
    class Stale(Server):
        def fetch(self, cursor: str | None) -> object:
            self.requests.append(cursor)
            n = len(self.requests)
            return {"items": [{"id": "same"}], "pagination": {"has_more": True, "next_cursor": f"c{n + 1}"}}

    server = Stale([])
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse, max_stale_pages=3)
    with pytest.raises(PaginationError, match="brought no new rows"):
        pager.consume(ids, rows.extend)
    assert rows == ["same"] and pager.duplicate_ids == ["same"] * 3
    assert len(server.requests) == 5  # 4 read, 1 fetched ahead and not used


def test_with_max_items_no_page_beyond_the_limit_is_read():
    server = Server(pages_of(100, 10))
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse, max_items=15)
    pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(15)] and pager.truncated
    assert server.requests == [None, "c2"]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 120),
    size=st.integers(1, 30),
    fail_at=st.sets(st.integers(1, 12), max_size=4),
    dupes=st.booleans(),
)
def test_consume_gives_exactly_what_iterating_gives(n, size, fail_at, dupes):
    pages = pages_of(n, size)
    if dupes and len(pages) > 1 and pages[0]:
        pages[1] = [pages[0][0], *pages[1]]  # an id repeated on the next page
    expected = Pager(fetch=Server(pages).fetch, parse=parse)
    wanted = [item.id for item in expected]

    server = Server(pages, fail_at=fail_at)
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse)
    failures = consume_all(pager, rows)
    assert rows == wanted
    assert pager.duplicate_ids == expected.duplicate_ids
    assert pager.pages == len(pages) and pager.rows == len(wanted)
    # every failure costs exactly one more request: nothing else is ever fetched twice
    assert len(server.requests) == len(pages) + failures


def test_a_restarted_pager_skips_what_it_handed_out_silently_and_is_not_stalled_by_the_replay():
    server = Server(pages_of(60, 10))
    server.fail_at = {5}  # page 5's request fails: as if its cursor had expired
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse, max_stale_pages=2)
    with pytest.raises(ServerError):
        pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(40)] and pager.cursor == "c5"
    pager.restart()
    pager.consume(ids, rows.extend)
    assert rows == [f"id{i}" for i in range(60)]  # 4 pages replayed (more than max_stale_pages)
    assert pager.duplicate_ids == [] and pager.done and pager.rows == 60
    assert server.requests == [None, "c2", "c3", "c4", "c5", None, "c2", "c3", "c4", "c5", "c6"]


def test_after_the_replay_a_server_that_brings_nothing_new_is_still_stopped():
    server = Server([["a"], ["b"]] * 20)  # fresh cursors forever, the same two ids
    rows: list[str] = []
    pager = Pager(fetch=server.fetch, parse=parse, max_stale_pages=3)
    with pytest.raises(PaginationError, match="brought no new rows"):
        pager.consume(ids, rows.extend)
    assert pager.pages == 5  # 2 new, then 3 stale
    server.requests.clear()
    pager.restart()
    with pytest.raises(PaginationError, match="brought no new rows"):
        pager.consume(ids, rows.extend)
    assert rows == ["a", "b"]
    assert 8 <= len(server.requests) <= 9  # the 5 pages read before, 3 stale ones (1 fetched ahead)
