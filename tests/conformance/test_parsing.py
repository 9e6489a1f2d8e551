"""Response parsing: every field the SDK knows is filled, unicode round-trips, ``to_df`` works.

The v8.61 SDK tolerates missing fields (they become ``None``) and drops unknown keys,
so "no ValidationError" alone proves little. These tests also assert that every
documented field arrives non-null, and read the raw bodies (through the SDK's own
transport) to check that no undocumented keys are sent.
"""

from __future__ import annotations

import json

import pandas as pd
from arize.organizations.types import Organization, PredefinedOrgRole

ORG_KEYS = {"id", "name", "description", "created_at"}
USER_KEYS = {"id", "name", "email", "created_at", "status", "role", "is_developer"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_complete_org(org: Organization) -> None:
    assert isinstance(org, Organization)
    for key in ORG_KEYS:
        assert getattr(org, key) is not None, f"{key} missing or null in {org!r}"
    assert org.created_at.tzinfo is not None


def unicode_names(token: str) -> list[str]:
    return [f"Café Zürich {token}", f"東京チーム {token}", f"Ωmega 🚀 {token}"]


def test_unicode_names_and_empty_descriptions_parse(client, sb, token):
    names = unicode_names(token)
    via_sdk = client.organizations.create(name=names[0])  # body is \u-escaped JSON
    assert via_sdk.name == names[0]
    sb.state.create_org(names[1])
    sb.state.create_org(names[2], description="")

    page = client.organizations.list(name=token, limit=100)
    assert [o.name for o in page.organizations] == names
    for org in page.organizations:
        assert_complete_org(org)
        assert org.description == ""
        # Get by ID and by (unicode) name, which goes through the query string.
        assert client.organizations.get(organization=org.id) == org
        assert client.organizations.get(organization=org.name) == org

    renamed = client.organizations.update(organization=via_sdk.id, name=f"Ünïcødé ✓ {token}")
    assert renamed.name == f"Ünïcødé ✓ {token}"
    assert renamed.description == ""


def test_to_df_on_one_page(client, sb, token):
    for i in range(3):
        sb.state.create_org(f"Frame {token} {i}", description="" if i else "has text")
    page = client.organizations.list(name=f"Frame {token}", limit=2)
    df = page.to_df()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 2  # one page only: to_df never follows the cursor
    assert set(df.columns) >= ORG_KEYS
    assert df["name"].tolist() == [f"Frame {token} 0", f"Frame {token} 1"]
    assert df["description"].tolist() == ["has text", ""]
    assert df["id"].is_unique
    assert isinstance(df["created_at"].dtype, pd.DatetimeTZDtype)

    sb.state.create_user(f"Frame {token}", f"frame.{token}@example.com", role="ADMIN")
    users_df = client.users.list(email=f"frame.{token}").to_df()
    assert len(users_df) == 1
    assert set(users_df.columns) >= USER_KEYS
    assert users_df.loc[0, "email"] == f"frame.{token}@example.com"


def test_membership_role_parses_as_domain_role(client, sb, token):
    org = client.organizations.create(name=f"Roles {token}")
    user = sb.state.create_user(f"Rolf {token}", f"rolf.{token}@example.com")
    uid = user["id"] if isinstance(user, dict) else user.id
    for role in ("ADMIN", "MEMBER", "READ_ONLY"):
        membership = client.organizations.add_user(
            organization=org.id, user_id=uid, role=PredefinedOrgRole(name=role)
        )
        assert isinstance(membership.role, PredefinedOrgRole)
        assert membership.role.type == "PREDEFINED"
        assert str(membership.role) == role
        assert None not in (membership.id, membership.user_id, membership.organization_id)


def raw(response) -> tuple[int, str, dict]:
    """Status, content type and decoded JSON of an unparsed SDK response."""
    body = json.loads(response.data.decode("utf-8"))
    return response.status, response.headers.get("Content-Type", ""), body


def test_raw_bodies_have_exactly_the_documented_keys(client, sb, token):
    """v8.61 would silently drop undocumented keys (v8.42 would crash on them)."""
    org_api = client.organizations._api
    users_api = client.users._api
    for i in range(3):
        sb.state.create_org(f"Raw {token} {i}")
    user = sb.state.create_user(f"Raw {token}", f"raw.{token}@example.com")
    uid = user["id"] if isinstance(user, dict) else user.id

    status, ctype, body = raw(
        org_api.list_organizations_without_preload_content(name=f"Raw {token}", limit=2)
    )
    assert status == 200
    assert ctype.startswith("application/json")
    assert set(body) == {"organizations", "pagination"}
    assert set(body["pagination"]) == {"has_more", "next_cursor"}
    assert body["pagination"]["has_more"] is True
    assert all(set(o) == ORG_KEYS for o in body["organizations"])
    assert all(isinstance(o["description"], str) for o in body["organizations"])

    _, _, last = raw(
        org_api.list_organizations_without_preload_content(
            name=f"Raw {token}", limit=2, cursor=body["pagination"]["next_cursor"]
        )
    )
    # next_cursor is omitted (or null) on the last page.
    assert last["pagination"].get("next_cursor") is None
    assert last["pagination"]["has_more"] is False

    org_id = body["organizations"][0]["id"]
    status, _, org = raw(org_api.get_organization_without_preload_content(org_id=org_id))
    assert status == 200
    assert set(org) == ORG_KEYS

    from arize._generated import api_client as gen

    status, _, membership = raw(
        org_api.add_organization_user_without_preload_content(
            org_id=org_id,
            add_organization_user_request=gen.AddOrganizationUserRequest(
                user_id=uid,
                role=gen.OrganizationRoleAssignmentRequest(
                    gen.OrganizationPredefinedRoleAssignmentRequest(
                        type=gen.OrganizationRoleAssignmentType.PREDEFINED, name="MEMBER"
                    )
                ),
            ),
        )
    )
    assert status == 200
    assert set(membership) == {"id", "user_id", "organization_id", "role"}
    assert membership["role"] == {"type": "PREDEFINED", "name": "MEMBER"}
    assert (membership["user_id"], membership["organization_id"]) == (uid, org_id)

    status, _, users = raw(users_api.list_users_without_preload_content(email=f"raw.{token}"))
    assert status == 200
    assert set(users) == {"users", "pagination"}
    assert [set(u) for u in users["users"]] == [USER_KEYS]
    assert users["users"][0]["role"] == {"type": "PREDEFINED", "name": "MEMBER"}

    ghost = "T3JnYW5pemF0aW9uOjk5OTk5OTk6dGVzdA=="  # Organization:9999999:test, never issued
    status, ctype, problem = raw(org_api.get_organization_without_preload_content(org_id=ghost))
    assert status == 404
    assert ctype.startswith("application/problem+json")
    assert set(problem) <= PROBLEM_KEYS
    assert {"title", "status"} <= set(problem)
    assert problem["status"] == 404
