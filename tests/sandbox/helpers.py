"""Helpers for the sandbox tests: a bearer-auth client and problem+json assertions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from arize_orgs_nb.sandbox import Sandbox

KEY = "sandbox-key"
RO_KEY = "read-only-key"
ADAPTER_BASE = "http://sandbox.invalid"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
SLUGS = {
    400: "invalid-request",
    401: "unauthorized",
    403: "forbidden",
    404: "resource-not-found",
    405: "method-not-allowed",
    409: "resource-conflict",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    502: "internal-error",
    503: "internal-error",
}


class Api:
    """A tiny bearer-auth client on a requests.Session."""

    def __init__(self, session: requests.Session, base: str, transport: str) -> None:
        self.session = session
        self.base = base
        self.transport = transport

    def request(self, method: str, path: str, *, key: str | None = KEY, **kw: Any):
        headers = dict(kw.pop("headers", {}) or {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        kw.setdefault("timeout", 10)
        return self.session.request(method, self.base + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any):
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any):
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any):
        return self.request("DELETE", path, **kw)

    # convenience
    def create_org(self, name: str, description: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        r = self.post("/v2/organizations", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def create_user(
        self, email: str, role: str = "MEMBER", invite_mode: str = "NONE", name: str = "Test User"
    ) -> dict[str, Any]:
        r = self.post(
            "/v2/users",
            json={
                "name": name,
                "email": email,
                "role": {"type": "PREDEFINED", "name": role},
                "invite_mode": invite_mode,
            },
        )
        assert r.status_code in (200, 201), r.text
        return r.json()


def assert_problem(resp: requests.Response, status: int, detail_contains: str = "") -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "application/problem+json"
    body = resp.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == "https://arize.com/docs/ax/rest-reference/errors#" + SLUGS[status]
    assert body["instance"] == urlsplit(resp.request.url).path
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if detail_contains:
        assert detail_contains.lower() in body["detail"].lower(), body["detail"]
    return body


def make_api(sb: Sandbox, transport: str, session: requests.Session) -> Api:
    if transport == "http":
        return Api(session, sb.serve(), transport)
    session.mount(ADAPTER_BASE, sb.adapter())
    return Api(session, ADAPTER_BASE, transport)
