"""Drain every page of a list into a DataFrame: exact, resumable, with progress.

Layer: above ``pagination``, ``frames`` and ``transport``. A :class:`Drain` keeps its pager (so its
cursor) and the rows fetched so far. When a page still fails after the transport's retries it
raises :class:`DrainInterruptedError`, which says how far it got; calling :meth:`Drain.resume` (or
``to_frame`` again with the same arguments) continues from the page that failed, refetching at
most that one page.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pandas as pd
from pydantic import BaseModel

from arize_orgs_nb.api.pagination import HasId, Page, PageInfo, Pager
from arize_orgs_nb.errors import (
    BadRequestError,
    CursorRestartWarning,
    DrainInterruptedError,
    DuplicateRowsWarning,
    OrgsNbError,
    PaginationError,
    PagingStoppedError,
)
from arize_orgs_nb.frames import FrameSchema, RowBlock
from arize_orgs_nb.http.transport import Transport, TransportEvent, parse_model
from arize_orgs_nb.progress import progress_bar

__all__ = [
    "Drain",
    "DrainProgress",
    "Listing",
    "Progress",
    "ResumableDrains",
]

logger = logging.getLogger("arize_orgs_nb.api.drain")

T = TypeVar("T")


@dataclass(frozen=True)
class DrainProgress:
    """What a progress callback receives.

    Attributes:
        kind: ``"organizations"`` or ``"users"``.
        pages: pages fetched so far.
        rows: unique rows so far.
        done: True after the last page.
        waiting: seconds the client is about to wait (rate limit or backoff), else 0.
    """

    kind: str
    pages: int
    rows: int
    done: bool
    waiting: float = 0.0


Progress = bool | Callable[[DrainProgress], None] | None


class Drain(Generic[T]):
    """All pages of one list query, gathered into rows, resumable after a failure.

    Built by ``client.organizations.drain(...)`` / ``client.users.drain(...)``; ``to_frame`` runs
    one and returns its frame.

    Args:
        listing: the endpoint: what is drained, its frame schema, its rows, the client's
            transport (whose waits show in the progress bar).
        pager: the pager of the query.
        progress: ``None`` (a bar in notebooks and terminals), ``True``, ``False``, or a callback
            receiving :class:`DrainProgress`.

    Attributes:
        done: True once every page was read.
    """

    def __init__(self, listing: Listing[Any, Any], pager: Pager[Any], progress: Progress = None) -> None:
        self.kind = listing.kind
        self.schema = listing.schema
        self.done = False
        self._blocks: list[RowBlock] = []  # a page each, converted on the pager's worker
        self._pager = pager
        self._to_row = listing.to_row
        self._transport = listing.transport
        self.progress = progress
        self._warned = 0

    @property
    def rows(self) -> int:
        """Rows gathered so far."""
        return sum(block.length for block in self._blocks)

    @property
    def pages(self) -> int:
        """Pages fetched so far."""
        return self._pager.pages

    @property
    def cursor(self) -> str | None:
        """The cursor of the next page to fetch."""
        return self._pager.cursor

    @property
    def duplicate_ids(self) -> list[str]:
        """Ids the server sent twice (kept once)."""
        return list(self._pager.duplicate_ids)

    @property
    def truncated(self) -> bool:
        """True when ``max_rows`` stopped the drain before the last page."""
        return self._pager.truncated

    def __repr__(self) -> str:
        state = "done" if self.done else f"next cursor {'set' if self.cursor else 'none'}"
        return f"<Drain {self.kind}: {self.rows} rows, {self.pages} pages, {state}>"

    def frame(self) -> pd.DataFrame:
        """The rows so far as a frame with the full schema."""
        return self.schema.from_blocks(self._blocks)

    def run(self) -> pd.DataFrame:
        """Fetch the remaining pages and return the whole frame.

        Returns:
            Every row, in server order, with the declared columns and dtypes.

        Raises:
            DrainInterruptedError: a page failed after retries; the drain can be resumed.
            PagingStoppedError: the server's paging would loop (repeated cursor, ``has_more`` with
                no cursor); the rows so far are on the error's ``partial_frame``.
        """
        if self.done:
            return self.frame()
        bar = progress_bar(self.progress, desc=self.kind, unit=" rows")
        callback = self.progress if callable(self.progress) else None

        def on_page(info: PageInfo) -> None:
            if bar is not None:
                bar.update(info.page_rows)
                bar.set_postfix_str(f"{info.pages} pages")
            if callback is not None:
                callback(DrainProgress(self.kind, info.pages, info.rows, done=not info.has_more))

        def on_wait(event: TransportEvent) -> None:
            if event.kind != "wait":
                return
            why = {"rate-limited": "rate limited", "paced": "paced"}.get(event.reason or "", "retrying")
            if bar is not None:
                bar.set_postfix_str(f"{self.pages} pages; {why}, waiting {event.seconds:.1f} s")
            if callback is not None:
                callback(DrainProgress(self.kind, self.pages, self.rows, False, event.seconds))

        self._pager.on_page = on_page
        remove = self._transport.add_listener(on_wait)
        failure: OrgsNbError | None = None
        try:
            failure = self._consume()
        finally:
            remove()
            self._pager.on_page = None  # no drain <-> pager cycle left for the garbage collector
            if bar is not None:
                bar.close()
        self._warn_duplicates()
        if failure is not None:
            if isinstance(failure, PaginationError):
                raise PagingStoppedError(self, failure) from failure
            raise DrainInterruptedError(self, failure) from failure
        self.done = self._pager.done or self._pager.truncated
        return self.frame()

    resume = run

    def _consume(self) -> OrgsNbError | None:
        """Read the remaining pages; the error that stopped them, if any.

        A cursor the server refuses (400) -- expired, or issued before a deploy -- cannot be
        resumed: the pager then starts again from the first page, once per run, keeping the
        rows so far and adding only the ones not seen yet.
        """
        restarted = False
        while True:
            try:
                # Each page is validated and turned into a block while the next one is on its way.
                self._pager.consume(self._block, self._blocks.append)
            except BadRequestError as exc:
                if restarted or self._pager.cursor is None:
                    return exc  # the first page (the query itself) is refused: restarting cannot help
                restarted = True
                logger.warning(
                    "%s drain: the server refused the cursor of page %d (%r); reading again from the "
                    "first page, keeping the %d rows so far",
                    self.kind,
                    self._pager.pages + 1,
                    exc.detail or exc.title,
                    self.rows,
                )
                warnings.warn(
                    f"the server refused a {self.kind} cursor (400: it may have expired); read again "
                    f"from the first page, keeping the {self.rows} rows so far and adding only new ones",
                    CursorRestartWarning,
                    stacklevel=4,
                )
                self._pager.restart()
            except OrgsNbError as exc:
                return exc
            else:
                return None

    def _block(self, items: list[Any]) -> RowBlock:
        to_row = self._to_row
        return self.schema.block([to_row(item) for item in items])

    def _warn_duplicates(self) -> None:
        dupes = self._pager.duplicate_ids[self._warned :]
        if dupes:
            self._warned += len(dupes)
            shown = ", ".join(dupes[:10]) + (f" and {len(dupes) - 10} more" if len(dupes) > 10 else "")
            warnings.warn(
                f"{len(dupes)} {self.kind} appeared more than once (on one page or on several) "
                f"and were kept once: {shown}",
                DuplicateRowsWarning,
                stacklevel=3,
            )


class ResumableDrains:
    """Interrupted drains of one resource, by query, so re-running the same cell resumes."""

    def __init__(self) -> None:
        self._open: dict[Hashable, Drain[Any]] = {}
        self._lock = threading.Lock()

    def run(self, key: Hashable, start: Callable[[], Drain[Any]]) -> pd.DataFrame:
        """Resume the interrupted drain of the query ``key``, or ``start`` one; return the whole frame."""
        with self._lock:
            drain = self._open.get(key)
            if drain is None:
                drain = start()
                self._open[key] = drain
            else:
                logger.info("resuming %s after %d rows and %d pages", drain.kind, drain.rows, drain.pages)
        try:
            frame = drain.run()
        except DrainInterruptedError:
            raise
        except BaseException:
            self._forget(key)
            raise
        self._forget(key)
        return frame

    def _forget(self, key: Hashable) -> None:
        with self._lock:
            self._open.pop(key, None)


Item = TypeVar("Item", bound=HasId)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Listing(Generic[Item, M]):
    """One list endpoint, read one page at a time, every page, or into a frame (all resources alike).

    Attributes:
        kind: ``"organizations"`` or ``"users"`` (for messages and progress).
        path: the endpoint.
        model: the page's wire model.
        items: the page's items.
        schema: the frame's declared columns.
        to_row: one item as a frame row.
        transport: the client's transport.
    """

    kind: str
    path: str
    model: type[M]
    items: Callable[[M], list[Item]]
    schema: FrameSchema
    to_row: Callable[[Item], dict[str, Any]]
    transport: Transport

    def page(self, params: Mapping[str, Any]) -> M:
        """One page for ``params`` (``None`` values are left out of the query)."""
        data = self.transport.request("GET", self.path, params=params)
        return parse_model(self.model, data, f"{self.kind[:-1]} list")

    def pager(
        self,
        params: Mapping[str, Any],
        *,
        on_page: Callable[[PageInfo], None] | None = None,
        max_items: int | None = None,
    ) -> Pager[Item]:
        """Every page of ``params`` (the filters carried to every page); nothing sent yet."""

        def parse(data: object) -> Page[Item]:
            page = parse_model(self.model, data, f"{self.kind[:-1]} list")
            return Page(self.items(page), page.pagination)  # type: ignore[attr-defined] # every list page has one

        return Pager(
            fetch=lambda cursor: self.transport.request(
                "GET", self.path, params={**params, "cursor": cursor}
            ),
            parse=parse,
            on_page=on_page,
            max_items=max_items,
        )

    def drain(self, pager: Pager[Item], progress: Progress) -> Drain[Item]:
        """A resumable drain of ``pager`` into this listing's frame."""
        return Drain(self, pager, progress)
