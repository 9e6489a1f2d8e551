"""Problem+json errors (RFC 9457) as the sandbox emits them."""

from __future__ import annotations

import json

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://arize.com/docs/ax/rest-reference/errors#"

# status -> (slug, title)
_PROBLEM_KINDS: dict[int, tuple[str, str]] = {
    400: ("invalid-request", "Bad Request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("resource-not-found", "Not Found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    409: ("resource-conflict", "Conflict"),
    422: ("validation-error", "Unprocessable Entity"),
    429: ("rate-limited", "Too Many Requests"),
    500: ("internal-error", "Internal Server Error"),
    502: ("internal-error", "Bad Gateway"),
    503: ("internal-error", "Service Unavailable"),
    504: ("internal-error", "Gateway Timeout"),
}


class ProblemError(Exception):
    """An error that becomes a problem+json response.

    Attributes:
        status: The HTTP status code.
        detail: The human explanation specific to this occurrence.
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def problem_kind(status: int) -> tuple[str, str]:
    """Return the ``(slug, title)`` pair for a status code.

    Args:
        status: An HTTP error status.

    Returns:
        The slug used in the ``type`` URI and the short title.
    """
    if status in _PROBLEM_KINDS:
        return _PROBLEM_KINDS[status]
    if status >= 500:
        return ("internal-error", "Server Error")
    return ("invalid-request", "Error")


def problem_body(status: int, detail: str, instance: str) -> bytes:
    """Build the JSON bytes of a problem body with exactly the five schema keys.

    Args:
        status: The HTTP status code.
        detail: The explanation of this occurrence.
        instance: The request path the problem belongs to.

    Returns:
        UTF-8 JSON bytes.
    """
    slug, title = problem_kind(status)
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    return json.dumps(body).encode("utf-8")


def quote_value(value: str, limit: int = 60) -> str:
    """Quote a client-supplied string for a detail message, shortening long ones.

    Args:
        value: The text to show.
        limit: Maximum number of characters kept.

    Returns:
        A ``repr``-style quoted string.
    """
    if len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    return repr(value)
