"""Cursor pagination: iterate every item of a list endpoint, exactly once, resumably.

Layer: above ``transport`` and ``models``. A :class:`Pager` keeps its cursor and counters, so
iterating it again after a failure continues from the page that failed instead of starting over.
It carries the original filters to every page (the cursor is bound to them, spec §7) and guards
against servers that loop: a repeated cursor or ``has_more`` without a cursor raises
:class:`~arize_orgs_nb.errors.PaginationError`; an id seen twice is yielded once and reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from arize_orgs_nb.errors import PaginationError
from arize_orgs_nb.models import PaginationMetadata

__all__ = ["Page", "PageInfo", "Pager"]

logger = logging.getLogger("arize_orgs_nb.pagination")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


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


@dataclass
class Pager(Generic[T]):
    """Iterates every item across pages of one query.

    Args:
        fetch: fetches one page given a cursor (``None`` for the first page). It must send the
            same filters every time.
        on_page: called after each page with a :class:`PageInfo`.
        max_items: stop after this many unique items (``truncated`` tells when it did).

    Attributes:
        cursor: the cursor of the next page to fetch (``None`` before the first page).
        pages: pages fetched.
        rows: unique items yielded.
        done: True once the last page was read.
        truncated: True when ``max_items`` stopped the iteration early.
        duplicate_ids: ids that came twice (yielded once).
    """

    fetch: Callable[[str | None], Page[T]]
    on_page: Callable[[PageInfo], None] | None = None
    max_items: int | None = None
    cursor: str | None = None
    pages: int = 0
    rows: int = 0
    done: bool = False
    truncated: bool = False
    duplicate_ids: list[str] = field(default_factory=list)
    _seen_cursors: set[str] = field(default_factory=set, repr=False)
    _seen_ids: set[str] = field(default_factory=set, repr=False)
    _pending: list[T] = field(default_factory=list, repr=False)

    def __iter__(self) -> Iterator[T]:
        """Yield the remaining items, fetching pages as needed; safe to call again to resume."""
        while True:
            while self._pending:
                if self.max_items is not None and self.rows >= self.max_items:
                    self.truncated = True
                    return
                item = self._pending.pop(0)
                self.rows += 1
                yield item
            if self.done:
                return
            self._fetch_next()

    def _fetch_next(self) -> None:
        page = self.fetch(self.cursor)  # on failure the cursor stays: iterating again resumes
        self.pages += 1
        fresh: list[T] = []
        for item in page.items:
            if item.id in self._seen_ids:
                self.duplicate_ids.append(item.id)
                logger.warning("id %s appeared on two pages; keeping the first", item.id)
                continue
            self._seen_ids.add(item.id)
            fresh.append(item)
        self._pending.extend(fresh)
        meta = page.pagination
        if not meta.has_more:
            if meta.next_cursor:
                logger.debug("has_more is false but a cursor was sent; stopping")
            self.done = True
        elif not meta.next_cursor:
            raise PaginationError(
                f"the server said more pages follow but sent no cursor after page {self.pages} "
                f"({self.rows + len(self._pending)} rows so far)",
                pages=self.pages,
                rows=self.rows + len(self._pending),
            )
        elif meta.next_cursor in self._seen_cursors or meta.next_cursor == self.cursor:
            raise PaginationError(
                f"the server repeated a cursor after page {self.pages}: paging would loop forever "
                f"({self.rows + len(self._pending)} rows so far)",
                pages=self.pages,
                rows=self.rows + len(self._pending),
            )
        else:
            if self.cursor is not None:
                self._seen_cursors.add(self.cursor)
            self.cursor = meta.next_cursor
        if self.on_page is not None:
            self.on_page(
                PageInfo(
                    pages=self.pages,
                    rows=self.rows + len(self._pending),
                    page_rows=len(fresh),
                    has_more=not self.done,
                )
            )
