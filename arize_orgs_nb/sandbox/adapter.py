"""A ``requests`` transport adapter that answers from the sandbox in-process."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from http.client import RemoteDisconnected
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from arize_orgs_nb.sandbox.messages import Dispatched, Request

Dispatch = Callable[[Request, float | None], Dispatched]


def _read_timeout(timeout: object) -> float | None:
    """Extract the read timeout from the forms ``requests`` accepts."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else None
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return float(timeout)
    read = getattr(timeout, "read_timeout", None)  # a urllib3 Timeout object
    return float(read) if isinstance(read, int | float) else None


def _body_bytes(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    chunks = [c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body]  # type: ignore[attr-defined]
    return b"".join(chunks)


class SandboxAdapter(HTTPAdapter):
    """Answer every request sent through it from a sandbox, without sockets.

    Dropped connections raise :class:`requests.exceptions.ConnectionError` (whether or
    not the sandbox committed, exactly as over a network); a delay longer than the
    request's read timeout raises :class:`requests.exceptions.ReadTimeout`.

    Args:
        dispatch: The sandbox's dispatch function.
    """

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__()
        self._dispatch = dispatch

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer a prepared request from the sandbox with a real :class:`requests.Response`.

        Only the read part of ``timeout`` is emulated; ``stream``, ``verify``, ``cert`` and
        ``proxies`` are ignored (the body is always in memory).

        Raises:
            requests.exceptions.ConnectionError: When the connection is dropped or the
                sandbox is stopped.
            requests.exceptions.ReadTimeout: When the answer comes after the read timeout.
        """
        from arize_orgs_nb.sandbox.core import SandboxStoppedError

        started = time.monotonic()
        url = request.url or ""
        parts = urlsplit(url)
        headers = {k.lower(): v for k, v in request.headers.items()}
        sandbox_request = Request(
            method=(request.method or "GET").upper(),
            raw_path=parts.path or "/",
            query=parts.query,
            headers=headers,
            body=_body_bytes(request.body),
        )
        try:
            outcome = self._dispatch(sandbox_request, _read_timeout(timeout))
        except SandboxStoppedError as exc:
            raise requests.exceptions.ConnectionError(
                f"cannot reach the sandbox at {url}: {exc}", request=request
            ) from None
        if outcome.timed_out:
            raise requests.exceptions.ReadTimeout(
                f"read timed out ({_read_timeout(timeout)} s) waiting for the sandbox at {url}",
                request=request,
            )
        if outcome.dropped or outcome.response is None:
            reason = RemoteDisconnected("Remote end closed connection without response")
            raise requests.exceptions.ConnectionError(("Connection aborted.", reason), request=request)
        answer = outcome.response
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = CaseInsensitiveDict(answer.headers)
        if answer.status != 204:
            response.headers["Content-Length"] = str(len(answer.body))
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = b"" if sandbox_request.method == "HEAD" else answer.body
        response.__dict__["_content_consumed"] = True
        response.url = url
        response.request = request
        response.connection = self
        response.elapsed = datetime.timedelta(seconds=time.monotonic() - started)
        return response

    def close(self) -> None:
        """Nothing to release."""
