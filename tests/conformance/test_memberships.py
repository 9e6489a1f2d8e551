"""Membership journeys: ``organizations.add_user`` / ``remove_user`` of the official SDK."""

from __future__ import annotations

import pytest
from _conformance_helpers import calls, field, memberships_of, role_name, summary
from arize._generated.api_client.exceptions import BadRequestException, NotFoundException
from arize._generated.api_client.models.problem import Problem
from arize.organizations.types import OrganizationMembership, PredefinedOrgRole

ORGS = "/v2/organizations"


def new_user(sb, token: str, tag: str, role: str = "MEMBER") -> str:
    user = sb.state.create_user(f"{tag} {token}", f"{tag.lower()}.{token}@example.com", role=role)
    return str(field(user, "id"))


def test_add_user_twice_replaces_role_in_place(client, sb, token):
    org = client.organizations.create(name=f"Members {token}")
    user_id = new_user(sb, token, "Mia")
    sb.log.clear()

    first = client.organizations.add_user(
        organization=org.id, user_id=user_id, role=PredefinedOrgRole(name="MEMBER")
    )
    assert isinstance(first, OrganizationMembership)
    assert isinstance(first.role, PredefinedOrgRole)
    assert str(first.role) == "MEMBER"
    assert first.user_id == user_id
    assert first.organization_id == org.id  # the same string as in the path
    assert first.id

    # Second time by name, with another role: an upsert, not a conflict.
    second = client.organizations.add_user(
        organization=f"Members {token}", user_id=user_id, role=PredefinedOrgRole(name="READ_ONLY")
    )
    assert second.id == first.id
    assert str(second.role) == "READ_ONLY"
    assert (second.user_id, second.organization_id) == (user_id, org.id)

    posts = [c for c in calls(sb) if c.method == "POST"]
    assert [(c.path, c.status) for c in posts] == [(f"{ORGS}/{org.id}/users", 200)] * 2
    assert [c.json for c in posts] == [
        {"user_id": user_id, "role": {"type": "PREDEFINED", "name": "MEMBER"}},
        {"user_id": user_id, "role": {"type": "PREDEFINED", "name": "READ_ONLY"}},
    ]

    stored = memberships_of(sb, org.id)
    assert len(stored) == 1
    assert field(stored[0], "id") == first.id
    assert field(stored[0], "user_id") == user_id
    assert role_name(field(stored[0], "role")) == "READ_ONLY"


@pytest.mark.parametrize(
    ("account_role", "org_role"),
    [
        ("ANNOTATOR", "ADMIN"),
        ("ANNOTATOR", "MEMBER"),
        ("MEMBER", "ANNOTATOR"),
        ("ADMIN", "ANNOTATOR"),
    ],
)
def test_annotator_rule_violation_is_bad_request(client, sb, token, account_role, org_role):
    org = client.organizations.create(name=f"Annotators {token}")
    user_id = new_user(sb, token, "Ann", role=account_role)
    sb.log.clear()

    with pytest.raises(BadRequestException) as exc:
        client.organizations.add_user(
            organization=org.id, user_id=user_id, role=PredefinedOrgRole(name=org_role)
        )
    assert exc.value.status == 400
    assert isinstance(exc.value.data, Problem)
    assert exc.value.data.status == 400
    assert exc.value.data.detail
    assert summary(sb) == [("POST", f"{ORGS}/{org.id}/users", 400)]
    assert memberships_of(sb, org.id) == []


def test_annotator_may_be_annotator(client, sb, token):
    org = client.organizations.create(name=f"Annotators ok {token}")
    user_id = new_user(sb, token, "Ann", role="ANNOTATOR")
    membership = client.organizations.add_user(
        organization=org.id, user_id=user_id, role=PredefinedOrgRole(name="ANNOTATOR")
    )
    assert str(membership.role) == "ANNOTATOR"
    assert [role_name(field(m, "role")) for m in memberships_of(sb, org.id)] == ["ANNOTATOR"]


def test_remove_user_then_again_is_not_found(client, sb, token):
    org = client.organizations.create(name=f"Leavers {token}")
    user_id = new_user(sb, token, "Leo")
    stay_id = new_user(sb, token, "Stan")
    for uid in (user_id, stay_id):
        client.organizations.add_user(organization=org.id, user_id=uid, role=PredefinedOrgRole(name="MEMBER"))
    path = f"{ORGS}/{org.id}/users/{user_id}"
    sb.log.clear()

    assert client.organizations.remove_user(organization=org.id, user_id=user_id) is None
    assert summary(sb) == [("DELETE", path, 204)]
    # Path parameters are percent-encoded with no safe characters ("=" -> %3D).
    raw_path = calls(sb)[0].raw_path
    assert raw_path.endswith(user_id.replace("=", "%3D").replace("+", "%2B").replace("/", "%2F"))
    assert [field(m, "user_id") for m in memberships_of(sb, org.id)] == [stay_id]

    with pytest.raises(NotFoundException) as exc:
        client.organizations.remove_user(organization=org.id, user_id=user_id)
    assert exc.value.status == 404
    assert isinstance(exc.value.data, Problem)
    assert summary(sb)[-1] == ("DELETE", path, 404)

    # Removing by org name works the same way (resolve, then DELETE).
    removed = client.organizations.remove_user(organization=f"Leavers {token}", user_id=stay_id)
    assert removed is None
    assert memberships_of(sb, org.id) == []


def test_add_user_unknown_org_or_user_is_not_found(client, sb, token):
    org = client.organizations.create(name=f"Ghosts {token}")
    user_id = new_user(sb, token, "Gus")
    client.organizations.delete(organization=org.id)
    with pytest.raises(NotFoundException):
        client.organizations.add_user(
            organization=org.id, user_id=user_id, role=PredefinedOrgRole(name="MEMBER")
        )

    live = client.organizations.create(name=f"Ghosts {token} live")
    ghost_user = "VXNlcjo5OTk5OTk5OnRlc3Q="  # well-formed, never issued: User:9999999:test
    with pytest.raises(NotFoundException):
        client.organizations.add_user(
            organization=live.id, user_id=ghost_user, role=PredefinedOrgRole(name="MEMBER")
        )
    assert memberships_of(sb, live.id) == []
