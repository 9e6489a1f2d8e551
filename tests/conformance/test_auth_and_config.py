"""Client configuration (env vars) and auth failures as the official SDK surfaces them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from _conformance_helpers import API_KEY, calls, field, make_client, org_names, summary
from arize import ArizeClient
from arize._generated.api_client.exceptions import ForbiddenException, UnauthorizedException
from arize._generated.api_client.models.problem import Problem
from arize.organizations.types import PredefinedOrgRole

ORGS = "/v2/organizations"


def test_client_configured_from_environment(sb, sandbox_url, clean_env, token):
    parts = urlsplit(sandbox_url)
    clean_env.setenv("ARIZE_API_KEY", f"  {API_KEY}  ")  # the SDK strips env values
    clean_env.setenv("ARIZE_API_HOST", parts.hostname)
    clean_env.setenv("ARIZE_API_SCHEME", "HTTP")  # lower-cased by the SDK
    clean_env.setenv("ARIZE_API_PORT", str(parts.port))

    client = ArizeClient()
    assert client.sdk_config.api_url == sandbox_url
    org = client.organizations.create(name=f"Env {token}")
    assert client.organizations.get(organization=org.id).name == f"Env {token}"
    assert summary(sb) == [("POST", ORGS, 201), ("GET", f"{ORGS}/{org.id}", 200)]
    post, get = calls(sb)
    # Only the Bearer form reaches /v2; JSON bodies are declared, GETs carry none.
    assert {c.headers["authorization"] for c in (post, get)} == {f"Bearer {API_KEY}"}
    assert post.headers["content-type"].startswith("application/json")
    assert "content-type" not in get.headers
    assert post.headers.get("sdk-version") == "8.61.0"


def test_read_only_key_create_is_forbidden(ro_client, client, sb, token):
    before = org_names(sb)
    with pytest.raises(ForbiddenException) as exc:
        ro_client.organizations.create(name=f"Forbidden {token}")
    assert exc.value.status == 403
    assert isinstance(exc.value.data, Problem)
    assert exc.value.data.status == 403
    assert org_names(sb) == before
    assert summary(sb) == [("POST", ORGS, 403)]

    # Reads work with the read-only key; the other writes are refused too.
    org = client.organizations.create(name=f"Readable {token}")
    user = sb.state.create_user(f"Ro {token}", f"ro.{token}@example.com")
    assert ro_client.organizations.get(organization=org.id).name == f"Readable {token}"
    assert ro_client.organizations.get(organization=f"Readable {token}").id == org.id
    with pytest.raises(ForbiddenException):
        ro_client.organizations.update(organization=org.id, description="nope")
    with pytest.raises(ForbiddenException):
        ro_client.organizations.add_user(
            organization=org.id, user_id=field(user, "id"), role=PredefinedOrgRole(name="MEMBER")
        )
    with pytest.raises(ForbiddenException):
        ro_client.organizations.delete(organization=org.id)
    assert client.organizations.get(organization=org.id).description == ""


def test_unknown_key_is_unauthorized(sb, sandbox_url, clean_env):
    stranger = make_client(sandbox_url, "not-a-key")
    with pytest.raises(UnauthorizedException) as exc:
        stranger.organizations.list()
    assert exc.value.status == 401
    assert isinstance(exc.value.data, Problem)
    assert summary(sb) == [("GET", ORGS, 401)]
