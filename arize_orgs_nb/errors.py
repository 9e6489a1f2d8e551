"""Every exception the package raises, in one place.

Layer: bottom. Imports nothing from the package.

The hierarchy::

    OrgsNbError
    ├── ConfigError (ValueError)            bad or missing settings
    │   ├── MissingAPIKeyError              no key anywhere: use ArizeOrgs.sandbox()
    │   └── InsecureTransportError          plain http:// to a non-loopback host
    ├── TransportError                      the request got no HTTP answer
    │   ├── APIConnectionError              refused, reset, dropped
    │   └── APITimeoutError                 connect or read timeout
    ├── ProtocolError                       an answer that breaks the contract (bad JSON, 3xx, ...)
    │   └── PaginationError                 a repeated cursor, has_more without a cursor
    ├── ApiError                            an HTTP error status, parsed from problem+json
    │   ├── BadRequestError          400
    │   ├── AuthenticationError      401
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404   (also LookupError)
    │   ├── ConflictError            409
    │   ├── UnprocessableEntityError 422
    │   ├── RateLimitError           429   (.retry_after)
    │   └── ServerError              5xx
    ├── ResolutionError (LookupError)       a name or email that matches nothing
    │   └── NameNotFoundError
    ├── DrainInterruptedError               a page still failed after retries (resumable)
    ├── PlanValidationError (ValueError)    an edit breaks rules (every Issue, row by row)
    ├── StalePlanError                      the account changed under a plan; nothing sent
    ├── ConfirmationRequiredError           destructive changes not confirmed; nothing sent
    └── SavedPlanError (ValueError)         a saved plan file cannot be used; nothing sent
        ├── PlanAlteredError                its checksum does not match its content
        └── PlanOriginError                 made for another API, or with another key
    (PagingStoppedError is a PaginationError: the server's paging would loop)

Warnings: DuplicateRowsWarning (an id came twice; kept once), CursorRestartWarning (a refused
cursor made a drain read again from the first page).

Every message names the method and path, the status, the problem title and detail. None of them
ever holds the API key: exceptions are built from plain strings, never from ``requests`` objects,
and transport failures are re-raised outside the ``except`` block so no traceback frame holding
the request headers is chained to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Protocol

from arize_orgs_nb.wording import counted

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConfirmationRequiredError",
    "ConflictError",
    "CursorRestartWarning",
    "DrainInterruptedError",
    "DuplicateRowsWarning",
    "InsecureTransportError",
    "Issue",
    "MissingAPIKeyError",
    "NameNotFoundError",
    "NotFoundError",
    "OrgsNbError",
    "PaginationError",
    "PagingStoppedError",
    "PermissionDeniedError",
    "PlanAlteredError",
    "PlanOriginError",
    "PlanValidationError",
    "ProtocolError",
    "RateLimitError",
    "ResolutionError",
    "SavedPlanError",
    "ServerError",
    "StalePlanError",
    "TransportError",
    "UnprocessableEntityError",
    "error_for_status",
]

BUDGET_SPENT = (
    "not retried: the client's retry budget is spent (calls keep failing); it refills as calls succeed"
)


class OrgsNbError(Exception):
    """Root of every error raised by ``arize_orgs_nb``."""


class ConfigError(OrgsNbError, ValueError):
    """The client settings are invalid."""


class MissingAPIKeyError(ConfigError):
    """No API key was given and ``ARIZE_API_KEY`` is unset or empty."""

    def __init__(self) -> None:
        super().__init__(
            "No Arize API key: pass api_key=... or set ARIZE_API_KEY. "
            "To work offline against the embedded stand-in server, use ArizeOrgs.sandbox()."
        )


class InsecureTransportError(ConfigError):
    """Plain ``http://`` was asked for a host that is not on this machine."""


class TransportError(OrgsNbError):
    """The request did not get an HTTP answer.

    Attributes:
        method: HTTP method.
        path: request path (no query string, no host).
        ambiguous: True when the request may have reached the server (it may have been applied).
        attempts: how many attempts were made.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        ambiguous: bool,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.ambiguous = ambiguous
        self.attempts = attempts

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method} {self.path}, ambiguous={self.ambiguous})"


class APIConnectionError(TransportError):
    """The connection was refused, reset or dropped."""


class APITimeoutError(TransportError):
    """The server did not answer within the timeout."""


class ProtocolError(OrgsNbError):
    """The server answered something the contract does not allow."""


class PaginationError(ProtocolError):
    """A list endpoint broke the paging rules (repeated cursor, has_more without cursor).

    Attributes:
        pages: pages fetched before the fault.
        rows: rows fetched before the fault.
    """

    def __init__(self, message: str, *, pages: int = 0, rows: int = 0) -> None:
        super().__init__(message)
        self.pages = pages
        self.rows = rows


class ApiError(OrgsNbError):
    """An HTTP error status with its RFC 9457 problem details.

    Attributes:
        status: HTTP status code.
        title: problem title (or the HTTP reason phrase).
        detail: problem detail, when the server gave one.
        type: problem type URI.
        instance: problem instance URI.
        request_id: the server's request id, when it gave one.
        method: HTTP method of the failed request.
        path: path of the failed request.
        attempts: attempts made, retries included.
        ambiguous: True when an earlier attempt may have been applied.
        retry_after: seconds the server asked to wait (``Retry-After``), when it said.
        budget_spent: True when a retry was refused because the client's retry budget is spent
            (calls kept failing); the call may succeed when tried again later.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        title: str | None = None,
        detail: str | None = None,
        type: str | None = None,
        instance: str | None = None,
        request_id: str | None = None,
        attempts: int = 1,
        ambiguous: bool = False,
        retry_after: float | None = None,
        budget_spent: bool = False,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.title = title or _reason(status)
        self.detail = detail
        self.type = type
        self.instance = instance
        self.request_id = request_id
        self.attempts = attempts
        self.ambiguous = ambiguous
        self.retry_after = retry_after
        self.budget_spent = budget_spent
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.method} {self.path} -> {self.status} {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        if self.budget_spent:
            text += f"; {BUDGET_SPENT}"
        if self.request_id:
            text += f" [request_id={self.request_id}]"
        return text

    @staticmethod
    def without_request_line(message: str) -> str:
        """An API error's message without its ``METHOD /path -> 403 Forbidden:`` start.

        For a display that already shows the operation, the organization and the status (the
        journal keeps the message as text). Any other text is returned as it is.
        """
        return _REQUEST_LINE.sub("", message) or message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, title={self.title!r}, "
            f"detail={self.detail!r}, method={self.method!r}, path={self.path!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_api_error, (type(self), self.__dict__.copy()))


_REQUEST_LINE = re.compile(r"^[A-Z]+ /\S* -> \d{3} [^:]*(?:: |$)")
"""The start :meth:`ApiError._message` writes: method, path, status and title (then ``: detail``)."""


def _reason(status: int) -> str:
    """The standard reason phrase of a status, for an answer without a problem title."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def _rebuild_api_error(cls: type[ApiError], state: dict[str, object]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._message())
    return error


class BadRequestError(ApiError):
    """400: the request is malformed or breaks a rule (e.g. the annotator rule)."""


class AuthenticationError(ApiError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDeniedError(ApiError):
    """403: the key may not do this. The message names the role the call needs (:attr:`hint`)."""

    @property
    def hint(self) -> str:
        """The least privilege this call needs, as the API documents it."""
        return permission_hint(self.method, self.path)

    def _message(self) -> str:
        return f"{super()._message()} -- {self.hint}"


def permission_hint(method: str, path: str) -> str:
    """One sentence naming what a key needs for a call refused with 403 (docs/API.md#permissions)."""
    parts = [p for p in path.split("/") if p]  # v2, organizations, <id>, users, <user id>
    if parts[1:2] == ["users"]:
        return "listing users needs an account admin or member key, or USER_READ at account level"
    if len(parts) >= 4 and parts[3] == "users":
        return "changing an organization's members needs a key of an admin of that organization"
    if len(parts) == 2 and method == "POST":
        return "creating organizations needs an account admin key"
    if len(parts) == 3 and method in ("PATCH", "DELETE"):
        return "changing or deleting an organization needs a key of an admin of that organization"
    return "the key lacks the role this call needs (an account or organization admin key)"


class NotFoundError(ApiError, LookupError):
    """404: no such organization, user or membership (or the key cannot see it)."""


class ConflictError(ApiError):
    """409: the name is already taken in the account."""


class UnprocessableEntityError(ApiError):
    """422: well-formed JSON that fails validation (wrong types, null where not allowed)."""


class RateLimitError(ApiError):
    """429: rate limited; ``retry_after`` holds the seconds the server asked to wait."""

    def _message(self) -> str:
        text = super()._message()
        if self.retry_after is not None:
            text += f" (Retry-After: {self.retry_after:g} s)"
        return text


class ServerError(ApiError):
    """5xx: the server failed."""


class ResolutionError(OrgsNbError, LookupError):
    """A name or email could not be turned into an id."""


class NameNotFoundError(ResolutionError):
    """No organization (or user) has exactly this name (or email).

    Attributes:
        resource_type: "organization" or "user".
        resource_name: what was looked up.
        available_names: the near matches the server's substring filter returned.
    """

    def __init__(self, resource_type: str, resource_name: str, available_names: Sequence[str] = ()) -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        self.available_names = list(available_names)
        message = f"{resource_type} {resource_name!r} not found."
        if self.available_names:
            shown = ", ".join(repr(n) for n in self.available_names[:10])
            more = len(self.available_names) - 10
            message += f" Close matches: {shown}" + (f" and {more} more" if more > 0 else "")
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.resource_type, self.resource_name, self.available_names))


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[ApiError]:
    """The exception class of an HTTP error status of 400 or more (the one mapping in the package).

    ``ServerError`` for any 5xx; ``ApiError`` for a status without a class of its own.
    """
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


class _Named(Protocol):
    """A change as an error names it."""

    @property
    def org_name(self) -> str: ...


class _Partial(Protocol):
    """A drain as an error hands it back: how far it got (``kind``, ``pages``, ``rows``), its rows."""

    kind: str

    @property
    def pages(self) -> int: ...

    @property
    def rows(self) -> int: ...

    def frame(self) -> pd.DataFrame: ...


class DuplicateRowsWarning(UserWarning):
    """The server sent the same id on two pages; the frame keeps it once."""


class CursorRestartWarning(UserWarning):
    """The server refused a cursor mid-drain; the drain read again from the first page."""


class DrainInterruptedError(OrgsNbError):
    """A page still failed after retries. Nothing is lost: resume with ``error.drain.resume()``.

    Attributes:
        drain: the interrupted drain (its rows and cursor).
        pages: pages fetched before the failure.
        rows: rows fetched before the failure.
    """

    def __init__(self, drain: _Partial, cause: OrgsNbError) -> None:
        self.drain = drain
        self.pages = drain.pages
        self.rows = drain.rows
        super().__init__(
            f"{drain.kind} drain stopped after {self.pages} pages ({self.rows} rows): {cause}. "
            "Nothing is lost: call .resume() on this error's .drain, or run the same to_frame() "
            "call again, to continue from the page that failed."
        )

    @property
    def partial_frame(self) -> pd.DataFrame:
        """The rows fetched before the failure, with the full schema."""
        return self.drain.frame()


class PagingStoppedError(PaginationError):
    """The server's paging would loop, so the drain stopped; the rows read so far are kept.

    Still a :class:`~arize_orgs_nb.errors.PaginationError`. Resuming would only loop again:
    the rows are handed back instead.

    Attributes:
        drain: the stopped drain.
        pages: pages fetched before the fault.
        rows: rows kept (every valid row of every page read).
    """

    def __init__(self, drain: _Partial, cause: PaginationError) -> None:
        super().__init__(
            f"{cause} Its rows are on this error's .partial_frame.", pages=cause.pages, rows=cause.rows
        )
        self.drain = drain

    @property
    def partial_frame(self) -> pd.DataFrame:
        """The rows read before paging stopped, with the full schema."""
        return self.drain.frame()


@dataclass(frozen=True)
class Issue:
    """One rule a bulk edit breaks.

    Attributes:
        row: the frame row label, or ``None`` for a frame-level problem (a column).
        column: the column concerned, if any.
        message: what is wrong, and what to do.
    """

    row: str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "frame" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


class PlanValidationError(OrgsNbError, ValueError):
    """The edit breaks rules; nothing was sent. ``issues`` lists every problem, row by row."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        shown = "\n".join(f"  - {issue}" for issue in issues[:50])
        more = f"\n  ... and {len(issues) - 50} more" if len(issues) > 50 else ""
        super().__init__(f"{counted(len(issues), 'problem')} in the edit; nothing was sent:\n{shown}{more}")


class StalePlanError(OrgsNbError):
    """Targets changed on the server since the plan's base; nothing was sent.

    Attributes:
        drifted: one line per drifted target.
        conflicts: what changed under each of the plan's changes, by change key ("was renamed
            to 'X'", "'X' is now taken by organization 'X' (id)"), so a review can point at its
            rows; empty when the refusal did not come from a plan's apply.
    """

    def __init__(self, drifted: list[str], *, conflicts: Mapping[str, str] | None = None) -> None:
        self.drifted = drifted
        self.conflicts: dict[str, str] = dict(conflicts or {})
        lines = "\n".join(f"  - {d}" for d in drifted[:50])
        super().__init__(
            f"the plan is stale: {counted(len(drifted), 'target')} changed on the server since it was made; "
            f"nothing was sent. Plan again from a fresh frame, or apply with force=True.\n{lines}"
        )


class ConfirmationRequiredError(OrgsNbError):
    """Destructive changes were not confirmed; nothing was sent.

    Attributes:
        unconfirmed: the destructive changes still awaiting confirmation.
    """

    def __init__(self, unconfirmed: Sequence[_Named]) -> None:
        self.unconfirmed = list(unconfirmed)
        names = ", ".join(repr(c.org_name) for c in unconfirmed[:20])
        super().__init__(
            f"{counted(len(unconfirmed), 'destructive change')} to confirm ({names}); nothing was sent. "
            "Pass confirm=[<exact organization names>] or confirm=True."
        )


class SavedPlanError(OrgsNbError, ValueError):
    """A saved plan file cannot be used (unreadable, not a plan, an unknown format); nothing was sent.

    Attributes:
        path: the file.
        problems: what is wrong with it, one line each.
    """

    def __init__(self, path: str, problems: Sequence[str], *, what: str = "cannot be used") -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"the saved plan {path} {what}; nothing was sent:\n{lines}{more}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.problems))


class PlanAlteredError(SavedPlanError):
    """A saved plan's content no longer matches its checksum: it was edited after it was saved.

    Nothing was sent. Plan again and review the new plan; never fix the checksum by hand.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        super().__init__(path, problems, what="was altered after it was saved")


class PlanOriginError(SavedPlanError):
    """A saved plan was made against another API (base URL), or with another API key.

    The key is compared by its fingerprint only. Nothing was sent.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        super().__init__(path, problems, what="was made for another API or key")
