"""Small helpers shared by the conformance tests (reading the sandbox request log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_KEY = "sandbox-key"
READ_ONLY_KEY = "sandbox-read-only-key"


@dataclass(frozen=True)
class Call:
    """One request the sandbox saw, normalised for assertions."""

    method: str
    path: str  # percent-decoded
    raw_path: str  # as sent
    query: dict[str, list[str]]
    status: int
    json: Any
    headers: dict[str, str]  # names lower-cased


def _query(raw: Any) -> dict[str, list[str]]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        return parse_qs(raw.lstrip("?"), keep_blank_values=True)
    out: dict[str, list[str]] = {}
    for key, value in dict(raw).items():
        out[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return out


def calls(sb: Any) -> list[Call]:
    """The sandbox's request log, oldest first."""
    return [
        Call(
            method=str(r.method).upper(),
            path=unquote(str(r.path)),
            raw_path=str(getattr(r, "raw_path", r.path)),
            query=_query(r.query),
            status=int(r.status),
            json=r.json,
            headers={str(k).lower(): str(v) for k, v in dict(getattr(r, "headers", {})).items()},
        )
        for r in sb.log.records()
    ]


def summary(sb: Any) -> list[tuple[str, str, int]]:
    """``(method, path, status)`` for every logged request."""
    return [(c.method, c.path, c.status) for c in calls(sb)]


def org_names(sb: Any) -> list[str]:
    return [str(field(o, "name")) for o in sb.state.orgs()]


def field(obj: Any, key: str) -> Any:
    """Read ``key`` from a sandbox state record (a dict or an object)."""
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


def role_name(role: Any) -> str:
    """The role name of a state record's role (a ``{type, name}`` dict or a string)."""
    if isinstance(role, str):
        return role
    return str(field(role, "name"))


def memberships_of(sb: Any, org_id: str) -> list[Any]:
    """Sandbox state memberships of one organization."""
    return [m for m in sb.state.memberships() if field(m, "organization_id") == org_id]


def make_client(url: str, api_key: str) -> Any:
    """An official ``ArizeClient`` pointed at ``url`` through constructor arguments."""
    from arize import ArizeClient

    parts = urlsplit(url)
    return ArizeClient(
        api_key=api_key,
        api_host=parts.hostname,
        api_scheme=parts.scheme,
        api_port=parts.port,
        proxy_url="",  # never route 127.0.0.1 through a proxy from the environment
    )
