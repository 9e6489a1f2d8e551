"""Cursor pagination: iterate every item of a list endpoint, exactly once, resumably.

Layer: above ``transport`` and ``models``. A :class:`Pager` keeps its cursor and counters, so
iterating it again after a failure continues from the page that failed instead of starting over.
It carries the original filters to every page (the cursor is bound to them, docs/API.md#pagination) and guards
against servers that loop: a repeated cursor or ``has_more`` without a cursor raises
:class:`~arize_orgs_nb.errors.PaginationError`; an id seen twice is yielded once and reported.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError

from arize_orgs_nb.errors import PaginationError, ProtocolError
from arize_orgs_nb.models import PaginationMetadata

__all__ = ["Fetch", "HasId", "Page", "PageInfo", "Pager", "check_list_args", "peek_pagination"]

logger = logging.getLogger("arize_orgs_nb.api.pagination")

_HEAD_START = 0.0005
"""Seconds the worker of :meth:`Pager.consume` waits before it processes a page: the calling
thread's head start to prepare and write the next request. Started at once, the worker takes the
interpreter lock the moment that thread lets go of it before writing (urllib3 checks the pooled
connection with a system call) and holds the request back for a whole page's work; half a
millisecond is enough to write a request and small next to any round trip."""


class HasId(Protocol):
    """An item a pager can de-duplicate: it has an id."""

    @property
    def id(self) -> str:
        """The item's id."""
        ...


T = TypeVar("T", bound=HasId)
R = TypeVar("R")


Fetch = Callable[[str | None], Any]
"""Fetches one raw page (decoded JSON) of one query given a cursor (``None``: the first page);
it must send the same filters every time."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One fetched page: its items and its paging metadata."""

    items: list[T]
    pagination: PaginationMetadata


@dataclass(frozen=True)
class PageInfo:
    """Progress after a page, for callbacks.

    Attributes:
        pages: pages fetched so far.
        rows: unique rows so far.
        page_rows: rows on this page.
        has_more: whether another page follows.
    """

    pages: int
    rows: int
    page_rows: int
    has_more: bool


def peek_pagination(raw: object) -> PaginationMetadata:
    """Read just the paging metadata of a raw list response (cheap: no item validation).

    Raises:
        ProtocolError: the response has no valid ``pagination`` object.
    """
    try:
        return PaginationMetadata.model_validate(raw["pagination"])  # type: ignore[index]
    except (KeyError, TypeError, ValidationError):
        raise ProtocolError("the server sent a list response without a valid 'pagination' object") from None


@dataclass
class Pager(Generic[T]):
    """Iterates every item across pages of one query.

    The paging metadata of each page is checked before its items are validated, so a looping
    server is caught even when its items are malformed.

    Args:
        fetch: fetches one raw page given a cursor (see :data:`Fetch`).
        parse: validates a raw page into a :class:`Page`.
        on_page: called after each page with a :class:`PageInfo`.
        max_items: stop after this many unique items (``truncated`` tells when it did).
        max_stale_pages: pages in a row that may bring no new item (empty, or only ids seen
            before) before paging stops with an error: a server that hands out fresh cursors
            forever must not make iteration endless.

    Attributes:
        cursor: the cursor of the next page to fetch (``None`` before the first page).
        pages: pages fetched.
        rows: unique items yielded.
        done: True once the last page was read.
        truncated: True when ``max_items`` stopped the iteration early.
        duplicate_ids: ids that came twice (yielded once).
    """

    fetch: Fetch
    parse: Callable[[Any], Page[T]]
    on_page: Callable[[PageInfo], None] | None = None
    max_items: int | None = None
    max_stale_pages: int = 100
    cursor: str | None = None
    pages: int = 0
    rows: int = 0
    done: bool = False
    truncated: bool = False
    duplicate_ids: list[str] = field(default_factory=list)
    _seen_cursors: set[str] = field(default_factory=set, repr=False)
    _seen_ids: set[str] = field(default_factory=set, repr=False)
    _pending: deque[T] = field(default_factory=deque, repr=False)
    _failure: PaginationError | None = field(default=None, repr=False)
    _stale_pages: int = field(default=0, repr=False)
    _replayed_ids: frozenset[str] = field(default=frozenset(), repr=False)
    _replay_pages: int = field(default=0, repr=False)

    def __iter__(self) -> Iterator[T]:
        """Yield the remaining items, fetching pages as needed; safe to call again to resume."""
        while True:
            while self._pending:
                if self.max_items is not None and self.rows >= self.max_items:
                    self.truncated = True
                    return
                item = self._pending.popleft()
                self.rows += 1
                yield item
            if self._failure is not None:
                raise self._failure
            if self.done:
                return
            self._fetch_next()

    def _fetch_next(self) -> None:
        # On a failure here the cursor is unchanged: iterating again refetches this one page.
        raw = self.fetch(self.cursor)
        meta = peek_pagination(raw)
        problem = self._check_cursor(meta)
        fresh, dupes = self._select(self.parse(raw).items)
        self._commit(meta, problem, [item.id for item in fresh], dupes)
        self._pending.extend(fresh)
        self._report(len(fresh))

    def consume(self, convert: Callable[[list[T]], R], accept: Callable[[R], None]) -> None:
        """Read every remaining page, handing each page's new items, converted, to ``accept``.

        The pipelined form of iterating: pages are fetched on the calling thread, and each page
        is validated and converted on a worker thread while the next page is fetched (a look-ahead
        of one page, handed over just before that fetch and started right after it, see
        ``_HEAD_START``), so the client's own work adds little to pages x round-trip. State (cursor,
        counters, ``accept``) only ever changes on the calling thread, a page at a time and only
        once its items are accepted: after any failure, calling ``consume`` (or iterating) again
        resumes from the first page not accepted. Costs at most one read that is not used, when
        a page turns out malformed or ends paging (a stall) while the next one is already fetched.

        With ``max_items`` set, pages are read one after the other (no read beyond the limit).

        Args:
            convert: turns one page's new items (or, with ``max_items``, the part of the page
                within the limit) into what ``accept`` takes; runs on the worker thread.
            accept: receives each converted page, in order.

        Raises:
            PaginationError: the server's paging would loop (rows so far were accepted).
            OrgsNbError: a page failed; the pages before it were accepted.
        """
        if self.max_items is not None or self._pending:
            self._consume_in_turn(convert, accept)
            return
        if self._failure is not None:
            raise self._failure
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="arize-orgs-nb-pages") as worker:
            step: _Step[R] | None = None  # the page fetched last, being processed on the worker
            while not self.done:  # done: the last page was accepted (or there was nothing to read)
                raw: object = None
                error: BaseException | None = None
                cursor = self.cursor if step is None else step.next_cursor
                fetch_next = step is None or cursor is not None
                if fetch_next:
                    try:
                        raw = self.fetch(cursor)
                    except BaseException as exc:  # the page before it is still accepted first
                        error = exc
                if step is not None:
                    self._accept(step, accept)
                    step = None
                if error is not None:
                    raise error
                if self._failure is not None:
                    raise self._failure
                if fetch_next:  # else that page ended paging (the pager is done): nothing was fetched
                    meta = peek_pagination(raw)
                    step = _Step(meta, self._check_cursor(meta), worker.submit(self._process, raw, convert))

    def _accept(self, step: _Step[R], accept: Callable[[R], None]) -> None:
        """Hand a processed page to ``accept`` and record it (on the calling thread)."""
        fresh_ids, dupes, converted = step.work.result()
        accept(converted)
        self._commit(step.meta, step.problem, fresh_ids, dupes, accepted=len(fresh_ids))
        self._report(len(fresh_ids))

    def _consume_in_turn(self, convert: Callable[[list[T]], R], accept: Callable[[R], None]) -> None:
        """:meth:`consume` without a worker: a page at a time, up to ``max_items``."""
        while True:
            if self._pending:
                room = len(self._pending) if self.max_items is None else self.max_items - self.rows
                if room <= 0:
                    self.truncated = True
                    return
                batch = [self._pending.popleft() for _ in range(min(room, len(self._pending)))]
                self.rows += len(batch)
                accept(convert(batch))
                continue
            if self._failure is not None:
                raise self._failure
            if self.done:
                return
            self._fetch_next()

    def _process(self, raw: object, convert: Callable[[list[T]], R]) -> tuple[list[str], list[str], R]:
        """Worker-thread part of :meth:`consume`: validate, drop repeated ids, convert."""
        time.sleep(_HEAD_START)  # the next request is written first
        fresh, dupes = self._select(self.parse(raw).items)
        return [item.id for item in fresh], dupes, convert(fresh)

    def _check_cursor(self, meta: PaginationMetadata) -> str | None:
        """Why this page's paging cannot be followed, or ``None``."""
        if meta.has_more and not meta.next_cursor:
            return "the server said more pages follow but sent no cursor"
        if meta.has_more and (meta.next_cursor in self._seen_cursors or meta.next_cursor == self.cursor):
            return "the server repeated a cursor: paging would loop forever"
        return None

    def _select(self, items: list[T]) -> tuple[list[T], list[str]]:
        """The items not seen on an earlier page (nor earlier on this one), and the repeated ids.

        Reads the seen ids without changing them (the worker thread calls it).
        """
        fresh: list[T] = []
        dupes: list[str] = []
        this_page: set[str] = set()
        for item in items:
            if item.id in self._replayed_ids and item.id not in this_page:
                this_page.add(item.id)
                continue  # read again after a restart: already handed out, not a duplicate
            if item.id in self._seen_ids or item.id in this_page:
                dupes.append(item.id)
                continue
            this_page.add(item.id)
            fresh.append(item)
        return fresh, dupes

    def _commit(
        self,
        meta: PaginationMetadata,
        problem: str | None,
        fresh_ids: list[str],
        dupes: list[str],
        *,
        accepted: int = 0,
    ) -> None:
        """Record one read page: counters, seen ids, and where paging goes next (or why not)."""
        self.pages += 1
        self.rows += accepted
        for dupe in dupes:
            self.duplicate_ids.append(dupe)
            logger.warning("id %r appeared more than once; keeping the first", dupe)
        self._seen_ids.update(fresh_ids)
        if fresh_ids:
            self._stale_pages = self._replay_pages = 0
        elif self._replay_pages > 0:
            self._replay_pages -= 1  # a page read before the restart, read again
        else:
            self._stale_pages += 1
        if problem is None and meta.has_more and self._stale_pages >= self.max_stale_pages:
            problem = f"{self._stale_pages} pages in a row brought no new rows: paging would not end"
        if problem is not None:
            # Keep this page's rows (they are valid), then stop: never loop, never drop silently.
            kept = self.rows + len(self._pending) + len(fresh_ids) - accepted
            self._failure = PaginationError(
                f"{problem} (after page {self.pages}, {kept} rows kept)", pages=self.pages, rows=kept
            )
            self.done = True
        elif not meta.has_more:
            if meta.next_cursor:
                logger.debug("has_more is false but a cursor was sent; stopping")
            self.done = True
        else:
            if self.cursor is not None:
                self._seen_cursors.add(self.cursor)
            self.cursor = meta.next_cursor

    def restart(self) -> None:
        """Read again from the first page, keeping every item handed out so far.

        For a cursor the server no longer accepts (expired, or issued before a deploy): the pages
        read again add only the items not seen yet, and the items read before are skipped
        silently (they are not duplicates). Costs the pages already read, once more.
        """
        self._replayed_ids = frozenset(self._seen_ids)
        self._replay_pages = self.pages
        self._seen_cursors.clear()
        self.cursor = None
        self.done = False
        self._failure = None
        self._stale_pages = 0

    def _report(self, page_rows: int) -> None:
        if self.on_page is not None:
            self.on_page(
                PageInfo(
                    pages=self.pages,
                    rows=self.rows + len(self._pending),
                    page_rows=page_rows,
                    has_more=not self.done,
                )
            )


@dataclass(frozen=True)
class _Step(Generic[R]):
    """A page fetched by :meth:`Pager.consume`: its paging, and its processing on the worker.

    Attributes:
        meta: the page's paging metadata (read on the calling thread).
        problem: why its paging cannot be followed, or ``None``.
        work: the new ids, the repeated ids and the converted page, from the worker.
    """

    meta: PaginationMetadata
    problem: str | None
    work: Future[tuple[list[str], list[str], R]]

    @property
    def next_cursor(self) -> str | None:
        """The cursor to fetch next, or ``None`` when this page ends paging."""
        return self.meta.next_cursor if self.meta.has_more and self.problem is None else None


def check_list_args(*, limit: object, cursor: object, text: object, text_name: str) -> None:
    """Validate list arguments before any request, as the SDK does (docs/API.md#checks-before-sending).

    Raises:
        ValueError: ``limit`` not an int in 1..100, a filter over 255 characters, or a
            non-string cursor.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
        raise ValueError(f"limit must be an integer from 1 to 100, not {limit!r}")
    if cursor is not None and not isinstance(cursor, str):
        raise ValueError("cursor must be a string from a previous page's next_cursor")
    if text is not None and (not isinstance(text, str) or len(text) > 255):
        raise ValueError(f"{text_name} filter must be a string of at most 255 characters")
