"""Problem+json errors (RFC 9457) as the sandbox emits them."""

from __future__ import annotations

import json

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://arize.com/docs/ax/rest-reference/errors#"

# status -> (slug, title)
PROBLEM_KINDS: dict[int, tuple[str, str]] = {
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


def problem_body(status: int, detail: str, instance: str) -> bytes:
    """The UTF-8 JSON of a problem body with exactly the five schema keys (``instance``: the path)."""
    fallback = ("internal-error", "Server Error") if status >= 500 else ("invalid-request", "Error")
    slug, title = PROBLEM_KINDS.get(status, fallback)
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    return json.dumps(body).encode("utf-8")


def quote_value(value: str, limit: int = 60) -> str:
    """``repr`` of a client-supplied string for a detail message, cut after ``limit`` characters."""
    if len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value)} characters)"
    return repr(value)
