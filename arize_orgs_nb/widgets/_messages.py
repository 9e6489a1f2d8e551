"""One-line human messages for every error a form can meet, and the HTML escaping rules.

Layer: widgets (pure: imports no ipywidgets). Messages are plain text; whoever puts one into HTML
escapes it with :func:`esc` (docs/RELIABILITY.md, C1: ``ipywidgets.HTML`` renders raw ``innerHTML``, so an
org named ``<img src=x onerror=...>`` would run script). Server-provided strings (names, problem
details) are never trusted.
"""

from __future__ import annotations

import html
import re

from arize_orgs_nb.bulk.apply import ChangeOutcome
from arize_orgs_nb.errors import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfirmationRequiredError,
    ConflictError,
    DrainInterruptedError,
    NotFoundError,
    OrgsNbError,
    PermissionDeniedError,
    PlanValidationError,
    ProtocolError,
    RateLimitError,
    ResolutionError,
    ServerError,
    StalePlanError,
    TransportError,
    UnprocessableEntityError,
)
from arize_orgs_nb.visible import show as visible
from arize_orgs_nb.visible import show_controls as visible_controls

__all__ = [
    "MAX_MESSAGE",
    "SPINNER_CSS",
    "STALE_MESSAGE",
    "TAKEN_MESSAGE",
    "describe_error",
    "describe_outcome",
    "esc",
    "hint_html",
    "name_taken_only",
    "one_line",
    "status_html",
    "visible",
    "visible_controls",
]

STALE_MESSAGE = "changed on the server since the list was loaded: refresh"
"""What a stale plan (:class:`~arize_orgs_nb.bulk.changes.StalePlanError`) says; nothing was sent."""

TAKEN_MESSAGE = "name already taken: another organization already uses this name"
"""What a 409, or a name found taken by the stale check before anything was sent, says."""

MAX_MESSAGE = 300
"""Longest one-line message shown in a status line (the rest goes to the details)."""

_WHITESPACE = re.compile(r"\s+")


def esc(text: object) -> str:
    """Escape any value for HTML text or attribute context (``&``, ``<``, ``>``, ``"``, ``'``).

    Args:
        text: anything; ``str()`` is applied first.

    Returns:
        The escaped text.
    """
    return html.escape(str(text), quote=True)


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """Collapse whitespace (newlines included) and cut to ``limit`` characters.

    Args:
        text: any text.
        limit: the longest result.

    Returns:
        A single line.
    """
    line = _WHITESPACE.sub(" ", visible_controls(text)).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _seconds(value: float) -> str:
    return f"{max(1, round(value))} s"


def describe_error(error: BaseException, *, host: str | None = None) -> tuple[str, str | None]:
    """Map an exception to a one-line message and an optional multi-line detail.

    Args:
        error: what an action raised.
        host: the API host, for "cannot reach" messages.

    Returns:
        ``(message, detail)``: the message is one plain-text line (NOT escaped); the detail, when
        present, is the full error text for the details area (NOT escaped either).
    """
    if isinstance(error, DrainInterruptedError) and isinstance(error.__cause__, OrgsNbError):
        # A list drain that failed part-way: the cause is what the user must act on.
        return describe_error(error.__cause__, host=host)[0], str(error)
    plan_message = _plan_message(error)
    if plan_message is not None:
        return one_line(plan_message), str(error) or None
    detail: str | None = str(error) or None
    server_detail = getattr(error, "detail", None)
    where = host or "the Arize API"
    message: str
    if isinstance(error, ConflictError):
        message = f"{TAKEN_MESSAGE} (409)"
    elif isinstance(error, BadRequestError):
        message = f"the server refused the request (400): {server_detail or error.title}"
    elif isinstance(error, AuthenticationError):
        message = "the API key was refused (401): check ARIZE_API_KEY"
    elif isinstance(error, PermissionDeniedError):
        message = f"your key may not do this (403): {error.hint}"
    elif isinstance(error, NotFoundError):
        message = "not found: it may have been deleted (404); refresh the list"
    elif isinstance(error, UnprocessableEntityError):
        message = f"the server could not process the request (422): {server_detail or error.title}"
    elif isinstance(error, RateLimitError):
        if error.retry_after is not None:
            message = f"rate limited: try again in {_seconds(error.retry_after)}"
        else:
            message = "rate limited: try again in a few seconds"
    elif isinstance(error, ServerError):
        message = f"the Arize service failed ({error.status}); nothing was lost, try again"
    elif isinstance(error, ApiError):
        message = f"the server answered {error.status} {error.title}"
        if server_detail:
            message += f": {server_detail}"
    elif isinstance(error, APITimeoutError):
        message = f"cannot reach {where}: no answer in time"
        if error.ambiguous:
            message += " (the change may have been applied: refresh before retrying)"
    elif isinstance(error, APIConnectionError | TransportError):
        message = f"cannot reach {where}"
        if error.ambiguous:
            message += " (the change may have been applied: refresh before retrying)"
    elif isinstance(error, ResolutionError):
        message = f"not found: {error}"
        detail = None
    elif isinstance(error, ProtocolError):
        message = "the server sent an answer this client does not understand; try again"
    elif isinstance(error, OrgsNbError | ValueError):
        # Client-side validation (before any request): the message is the whole story.
        message = f"invalid input: {error}"
        detail = None
    else:
        message = f"unexpected error: {type(error).__name__}: {error}"
    return one_line(message), detail


def _plan_message(error: BaseException) -> str | None:
    """The one-line message of the plan/apply engine's own errors (nothing was sent), or None."""
    if isinstance(error, PlanValidationError):
        if not error.issues:
            return "invalid input: the edit breaks a rule; nothing was sent"
        first = error.issues[0]
        more = len(error.issues) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        if first.column == "name" and "collides with" in first.message:
            return f"{TAKEN_MESSAGE}: {first.message}{tail}"
        return f"invalid input: {first.message}{tail}"
    if isinstance(error, StalePlanError):
        drifted = list(error.drifted)
        if name_taken_only(error):
            return f"{TAKEN_MESSAGE} (found before sending: nothing was sent)"
        which = f" ({drifted[0]}" + (f", and {len(drifted) - 1} more)" if len(drifted) > 1 else ")")
        return f"{STALE_MESSAGE}; nothing was sent{which if drifted else ''}"
    if isinstance(error, ConfirmationRequiredError):
        count = len(error.unconfirmed)
        verb = "changes need" if count != 1 else "change needs"
        return f"not applied: {count} destructive {verb} confirmation; nothing was sent"
    return None


def name_taken_only(error: StalePlanError) -> bool:
    """Whether a stale plan was refused only because a new name is taken now (not a changed target)."""
    drifted = list(error.drifted)
    return bool(drifted) and all(" is now taken by organization " in line for line in drifted)


def describe_outcome(outcome: ChangeOutcome, *, host: str | None = None) -> tuple[str, str | None]:
    """The one-line message and detail of an apply outcome that was not applied.

    A failure that raised keeps its exception (``outcome.exception``), which gets the same message
    as a direct call (:func:`describe_error`). One that was never sent, or was read back from the
    journal, has only its text.

    Args:
        outcome: the outcome.
        host: the API host, for "cannot reach" messages.

    Returns:
        ``(message, detail)``; the detail is the outcome's error text.
    """
    if outcome.exception is not None:
        return describe_error(outcome.exception, host=host)[0], outcome.error
    if outcome.status == "skipped":
        return one_line(f"not sent: {outcome.error or 'skipped'}"), outcome.error
    return one_line(f"failed: {outcome.error}" if outcome.error else "failed"), outcome.error


def status_html(kind: str, text: str) -> str:
    """Render a status line: an icon (a CSS spinner while busy) and the escaped one-line text.

    Args:
        kind: ``"idle"``, ``"busy"``, ``"ok"``, ``"warn"`` or ``"error"``.
        text: plain text (escaped here).

    Returns:
        HTML for an ``ipywidgets.HTML`` value.
    """
    icon, color = _KINDS.get(kind, _KINDS["idle"])
    if kind == "busy":
        icon = SPINNER
    return f'<span class="aonb-status-{esc(kind)}" style="color:{color}">{icon} {esc(one_line(text))}</span>'


def hint_html(errors: list[str], warnings: list[str], pending: list[str] | None = None) -> str:
    """Render the hints under a form's inputs as escaped HTML lines.

    Args:
        errors: problems of fields the user changed: red, marked ✖.
        warnings: shown only (amber, marked ⚠).
        pending: what is still missing in fields the user has not touched yet (and form-level
            notes such as "pick an organization"): grey, with no mark, since nothing is wrong yet.

    Returns:
        HTML, or ``""`` when there is nothing to say.
    """
    lines = [f'<div class="aonb-hint-error" style="color:#b3261e">✖ {esc(e)}</div>' for e in errors]
    lines += [f'<div class="aonb-hint-warn" style="color:#9a6700">⚠ {esc(w)}</div>' for w in warnings]
    lines += [f'<div class="aonb-hint-todo" style="color:#666">{esc(p)}</div>' for p in pending or ()]
    return "".join(lines)


SPINNER = (
    '<span class="aonb-spinner" role="progressbar" aria-label="working" style="display:inline-block;'
    "width:0.85em;height:0.85em;box-sizing:border-box;border:2px solid currentColor;"
    'border-right-color:transparent;border-radius:50%;vertical-align:-0.1em"></span>'
)
"""The busy mark: a ring drawn by CSS (an emoji such as ⏳ renders as an empty box with common Linux
fonts). Its shape is inline, so it shows even without :data:`SPINNER_CSS`; that sheet spins it."""

SPINNER_CSS = (
    "@keyframes aonb-spin{to{transform:rotate(360deg)}}"
    ".aonb-spinner{animation:aonb-spin 0.8s linear infinite}"
    ".aonb-form .widget-html-content{line-height:1.45}"
    ".aonb-details:not(.aonb-details-code) pre{font-family:var(--jp-ui-font-family,sans-serif);"
    "font-size:var(--jp-ui-font-size1,13px);white-space:pre-wrap;color:#555}"
    ".aonb-details:not(.aonb-details-code) .jp-RenderedText{padding-left:0}"
    "@media (prefers-reduced-motion: reduce){.aonb-spinner{animation-duration:2.4s}}"
)
"""The style sheet of the forms (class-scoped: it styles only elements inside ``.aonb-*`` ones): the
spinner's turn, lines of text that wrap at a reading height (not the inputs' 28 px rows), and
details that read as text, not as code (a traceback excepted)."""

_KINDS: dict[str, tuple[str, str]] = {
    "idle": ("", "inherit"),
    "busy": ("", "inherit"),
    "ok": ("✔", "#1b7f3a"),
    "warn": ("⚠", "#9a6700"),
    "error": ("✖", "#b3261e"),
}
