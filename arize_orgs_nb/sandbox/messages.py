"""Transport-neutral request and response values."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from arize_orgs_nb.sandbox.errors import PROBLEM_CONTENT_TYPE, PROBLEM_KINDS, problem_body

JSON_CONTENT_TYPE = "application/json"

REASONS = {200: "OK", 201: "Created", 204: "No Content"} | {
    status: title for status, (_, title) in PROBLEM_KINDS.items()
}


@dataclass(frozen=True)
class Request:
    """An HTTP request as the sandbox sees it.

    Attributes:
        method: The upper-case verb.
        raw_path: The path as sent (still percent-encoded, no query).
        query: The raw query string (without ``?``).
        headers: Header names lower-cased.
        body: The body bytes (empty when none).
        arrived: ``time.monotonic()`` when the request line arrived (``None``: when dispatched).
            Injected latency counts from here, so parsing the request is part of it.
        peer: The address of the connecting peer over HTTP (``None``: in-process, no socket).
    """

    method: str
    raw_path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    arrived: float | None = None
    peer: str | None = None


@dataclass
class Response:
    """An HTTP response produced by the sandbox.

    Attributes:
        status: The status code.
        headers: Response headers (``Content-Length`` is added by the transports).
        body: The body bytes.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def reason(self) -> str:
        """The standard reason phrase of the status."""
        return REASONS.get(self.status, "Unknown")


def json_response(status: int, payload: object) -> Response:
    """An ``application/json`` response holding ``payload``."""
    return Response(status, {"Content-Type": JSON_CONTENT_TYPE}, json.dumps(payload).encode("utf-8"))


def problem_response(
    status: int, detail: str, instance: str, headers: dict[str, str] | None = None
) -> Response:
    """An ``application/problem+json`` response, with extra ``headers`` (``Retry-After``, ``Allow``)."""
    all_headers = {"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})}
    return Response(status, all_headers, problem_body(status, detail, instance))


@dataclass(frozen=True)
class Dispatched:
    """What a transport must do after the sandbox processed a request.

    Attributes:
        response: The response to send, or ``None`` when the connection is dropped or the
            client's read timeout elapsed first.
        dropped: Close the connection without answering.
        timed_out: The caller's read timeout elapsed (in-process adapter only).
    """

    response: Response | None = None
    dropped: bool = False
    timed_out: bool = False
