"""Memberships (upsert, cascade, percent-encoded IDs) and the users endpoints."""

from __future__ import annotations

import base64
from urllib.parse import quote

from .helpers import assert_problem

USER_KEYS = {"id", "name", "email", "created_at", "status", "role", "is_developer"}
MEMBERSHIP_KEYS = {"id", "user_id", "organization_id", "role"}


def role(name: str) -> dict[str, str]:
    return {"type": "PREDEFINED", "name": name}


def test_add_user_upsert_keeps_membership_id(api, sb):
    org = api.create_org("Members")
    user = api.create_user("jane@example.com")
    r = api.post(f"/v2/organizations/{org['id']}/users", json={"user_id": user["id"], "role": role("MEMBER")})
    assert r.status_code == 200
    first = r.json()
    assert set(first) == MEMBERSHIP_KEYS
    assert first["user_id"] == user["id"]
    assert first["organization_id"] == org["id"]
    assert first["role"] == role("MEMBER")
    assert base64.b64decode(first["id"]).decode().startswith("OrganizationMembership:")

    r = api.post(
        f"/v2/organizations/{org['id']}/users", json={"user_id": user["id"], "role": role("READ_ONLY")}
    )
    assert r.status_code == 200
    second = r.json()
    assert second["id"] == first["id"]
    assert second["role"] == role("READ_ONLY")
    assert sb.state.memberships() == [second]


def test_percent_encoded_path_ids(api, sb):
    org = api.create_org("Encoded")
    user = api.create_user("enc@example.com")
    assert org["id"].endswith("=") or user["id"].endswith("=")
    org_path = quote(org["id"], safe="")
    user_path = quote(user["id"], safe="")
    assert "%3D" in org_path + user_path
    assert api.get(f"/v2/organizations/{org_path}").json()["id"] == org["id"]
    assert api.get(f"/v2/users/{user_path}").json()["id"] == user["id"]
    r = api.post(f"/v2/organizations/{org_path}/users", json={"user_id": user["id"], "role": role("ADMIN")})
    assert r.status_code == 200
    assert r.json()["organization_id"] == org["id"]
    assert api.delete(f"/v2/organizations/{org_path}/users/{user_path}").status_code == 204
    log = sb.log.records()[-1]
    assert log.path == f"/v2/organizations/{org['id']}/users/{user['id']}"
    assert log.raw_path == f"/v2/organizations/{org_path}/users/{user_path}"


def test_encoded_slash_stays_inside_the_id_segment(local):
    odd = base64.b64encode(b"Organization:1:ab?>").decode()
    assert "/" in odd
    r = local.get("/v2/organizations/" + quote(odd, safe=""))
    assert_problem(r, 404, "organization")
    # unencoded, the slash splits the path: no such endpoint
    assert_problem(local.get("/v2/organizations/" + odd), 404, "no such endpoint")


def test_remove_user_then_repeat_is_404(api, sb):
    org = api.create_org("Remove")
    user = api.create_user("rm@example.com")
    api.post(f"/v2/organizations/{org['id']}/users", json={"user_id": user["id"], "role": role("MEMBER")})
    assert api.delete(f"/v2/organizations/{org['id']}/users/{user['id']}").status_code == 204
    assert sb.state.memberships() == []
    assert_problem(api.delete(f"/v2/organizations/{org['id']}/users/{user['id']}"), 404, "not a member")


def test_annotator_may_get_annotator(local):
    org = local.create_org("Labels")
    ann = local.create_user("ann@example.com", role="ANNOTATOR")
    r = local.post(
        f"/v2/organizations/{org['id']}/users", json={"user_id": ann["id"], "role": role("ANNOTATOR")}
    )
    assert r.status_code == 200
    assert r.json()["role"] == role("ANNOTATOR")


def test_delete_org_cascades_memberships(local, sb):
    a = local.create_org("A")
    b = local.create_org("B")
    u = local.create_user("u@example.com")
    for org in (a, b):
        local.post(f"/v2/organizations/{org['id']}/users", json={"user_id": u["id"], "role": role("MEMBER")})
    assert len(sb.state.memberships()) == 2
    assert local.delete(f"/v2/organizations/{a['id']}").status_code == 204
    assert [m["organization_id"] for m in sb.state.memberships()] == [b["id"]]
    assert_problem(local.delete(f"/v2/organizations/{a['id']}/users/{u['id']}"), 404)


def test_delete_user_deactivates_and_cascades(api, sb):
    org = api.create_org("Team")
    u = api.create_user("bye@example.com")
    api.post(f"/v2/organizations/{org['id']}/users", json={"user_id": u["id"], "role": role("MEMBER")})
    assert api.delete(f"/v2/users/{u['id']}").status_code == 204
    assert sb.state.memberships() == []
    assert_problem(api.get(f"/v2/users/{u['id']}"), 404)
    assert api.get("/v2/users").json()["users"] == []
    assert api.delete(f"/v2/users/{u['id']}").status_code == 204  # idempotent
    assert sb.state.users() == []
    assert [x["status"] for x in sb.state.users(include_inactive=True)] == ["INACTIVE"]
    r = api.post(f"/v2/organizations/{org['id']}/users", json={"user_id": u["id"], "role": role("MEMBER")})
    assert_problem(r, 404)


def test_create_user_shapes_and_modes(api):
    r = api.post(
        "/v2/users",
        json={
            "name": "  Ana Silva ",
            "email": "Ana.Silva@Example.com",
            "role": role("MEMBER"),
            "invite_mode": "NONE",
        },
    )
    assert r.status_code == 201
    user = r.json()
    assert set(user) == USER_KEYS
    assert user["name"] == "Ana Silva"
    assert user["status"] == "ACTIVE"
    assert user["role"] == role("MEMBER")
    assert user["is_developer"] is True
    assert base64.b64decode(user["id"]).decode().startswith("User:")
    assert api.get(f"/v2/users/{user['id']}").json() == user

    r = api.post(
        "/v2/users",
        json={
            "name": "Tim",
            "email": "tim@example.com",
            "role": role("ANNOTATOR"),
            "invite_mode": "TEMPORARY_PASSWORD",
        },
    )
    assert r.status_code == 201
    body = r.json()
    assert set(body) == USER_KEYS | {"temporary_password"}
    assert isinstance(body["temporary_password"], str)
    assert body["is_developer"] is False
    assert body["status"] == "ACTIVE"

    invite = {
        "name": "Inv",
        "email": "inv@example.com",
        "role": role("ADMIN"),
        "invite_mode": "EMAIL_LINK",
        "is_developer": False,
    }
    r = api.post("/v2/users", json=invite)
    assert r.status_code == 201
    assert r.json()["status"] == "INVITED"
    assert r.json()["is_developer"] is False
    # an INVITED user with that email exists -> 200 with the User
    again = api.post("/v2/users", json={**invite, "email": "INV@example.com"})
    assert again.status_code == 200
    assert set(again.json()) == USER_KEYS
    assert again.json()["id"] == r.json()["id"]


def test_list_users_filters_and_pagination(local, sb):
    sb.state.create_user("A", "alpha@corp.com", status="ACTIVE")
    sb.state.create_user("B", "beta@corp.com", status="INVITED")
    sb.state.create_user("C", "gamma@other.com", status="EXPIRED")
    sb.state.create_user("D", "delta@corp.com", status="INACTIVE")

    def emails(query: str) -> list[str]:
        r = local.get("/v2/users" + query)
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"users", "pagination"}
        for u in body["users"]:
            assert set(u) == USER_KEYS
        return [u["email"] for u in body["users"]]

    assert emails("") == ["alpha@corp.com", "beta@corp.com", "gamma@other.com"]
    assert emails("?email=CORP") == ["alpha@corp.com", "beta@corp.com"]
    assert emails("?email=Beta%40Corp.com") == ["beta@corp.com"]
    assert emails("?status=ACTIVE&status=EXPIRED") == ["alpha@corp.com", "gamma@other.com"]
    assert emails("?status=INVITED") == ["beta@corp.com"]
    assert emails("?email=delta") == []

    for i in range(7):
        sb.state.create_user(f"P{i}", f"page{i}@corp.com")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        q = "?limit=3&email=corp&status=ACTIVE" + (f"&cursor={cursor}" if cursor else "")
        body = local.get("/v2/users" + q).json()
        pages += 1
        seen += [u["id"] for u in body["users"]]
        if not body["pagination"]["has_more"]:
            break
        cursor = body["pagination"]["next_cursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    # the cursor is bound to the status filter too
    first = local.get("/v2/users?limit=1&status=ACTIVE").json()["pagination"]["next_cursor"]
    assert_problem(local.get(f"/v2/users?limit=1&status=INVITED&cursor={first}"), 400, "filters")
    # ... and to the endpoint
    assert_problem(local.get(f"/v2/organizations?cursor={first}"), 400, "endpoint")


def test_users_status_order_does_not_matter_for_cursor(local, sb):
    for i in range(4):
        sb.state.create_user(f"U{i}", f"u{i}@x.com")
    cur = local.get("/v2/users?limit=2&status=ACTIVE&status=INVITED").json()["pagination"]["next_cursor"]
    r = local.get(f"/v2/users?limit=2&status=INVITED&status=ACTIVE&cursor={cur}")
    assert r.status_code == 200
    assert len(r.json()["users"]) == 2
