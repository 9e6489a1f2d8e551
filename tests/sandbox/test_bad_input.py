"""Every bad input of docs/API.md#undocumented-points: its documented status, a problem body, no change."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest

from arize_orgs_nb.sandbox import Sandbox

from .helpers import RO_KEY, assert_problem


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


UNKNOWN_ORG = b64("Organization:999:abcd")
UNKNOWN_USER = b64("User:999:abcd")
ROLE_MEMBER = {"type": "PREDEFINED", "name": "MEMBER"}


@pytest.fixture
def world(sb: Sandbox) -> dict[str, Any]:
    org = sb.state.create_org("Existing", "first")
    other = sb.state.create_org("Other")
    member = sb.state.create_user("Mem Ber", "member@example.com", role="MEMBER")
    annotator = sb.state.create_user("Ann Otator", "ann@example.com", role="ANNOTATOR")
    gone = sb.state.create_user("Gone", "gone@example.com", role="MEMBER", status="INACTIVE")
    return {
        "org": org["id"],
        "other": other["id"],
        "member": member["id"],
        "annotator": annotator["id"],
        "gone": gone["id"],
    }


def orgs(w):
    return "/v2/organizations"


def org(w):
    return f"/v2/organizations/{w['org']}"


def org_users(w):
    return f"/v2/organizations/{w['org']}/users"


def users(w):
    return "/v2/users"


def new_user(**over: Any) -> dict[str, Any]:
    body = {"name": "New", "email": "new@example.com", "role": ROLE_MEMBER, "invite_mode": "NONE"}
    body.update(over)
    return body


def drop(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


# (id, method, path(world), kwargs(world) or dict, status, detail fragment)
CASES: list[tuple[str, str, Any, Any, int, str]] = [
    # ---- create org: rules (400), types (422), syntax (400), conflicts (409)
    ("create-empty-name", "POST", orgs, {"json": {"name": ""}}, 400, "empty"),
    ("create-blank-name", "POST", orgs, {"json": {"name": "   "}}, 400, "blank"),
    ("create-tab-name", "POST", orgs, {"json": {"name": "\t\n\u3000"}}, 400, "blank"),
    ("create-long-name", "POST", orgs, {"json": {"name": "x" * 256}}, 400, "at most 255"),
    (
        "create-long-desc",
        "POST",
        orgs,
        {"json": {"name": "ok", "description": "d" * 1001}},
        400,
        "at most 1000",
    ),
    ("create-dup", "POST", orgs, {"json": {"name": "Existing"}}, 409, "already taken"),
    ("create-dup-case", "POST", orgs, {"json": {"name": "eXISTING"}}, 409, "case-insensitive"),
    ("create-id-field", "POST", orgs, {"json": {"name": "ok", "id": "x"}}, 400, "read-only"),
    (
        "create-created-at",
        "POST",
        orgs,
        {"json": {"name": "ok", "created_at": "2024-01-01T00:00:00Z"}},
        400,
        "created_at",
    ),
    ("create-typo", "POST", orgs, {"json": {"name": "ok", "descripton": "x"}}, 400, "descripton"),
    ("create-name-number", "POST", orgs, {"json": {"name": 5}}, 422, "must be a string"),
    ("create-name-null", "POST", orgs, {"json": {"name": None}}, 422, "null"),
    ("create-name-list", "POST", orgs, {"json": {"name": ["a"]}}, 422, "array"),
    ("create-desc-null", "POST", orgs, {"json": {"name": "ok", "description": None}}, 422, "null"),
    (
        "create-desc-bool",
        "POST",
        orgs,
        {"json": {"name": "ok", "description": True}},
        422,
        "boolean",
    ),
    ("create-missing-name", "POST", orgs, {"json": {"description": "x"}}, 422, "required"),
    ("create-empty-object", "POST", orgs, {"json": {}}, 422, "required"),
    ("create-bad-json", "POST", orgs, {"data": b"{not json"}, 400, "not valid JSON"),
    ("create-no-body", "POST", orgs, {}, 400, "required"),
    ("create-array-body", "POST", orgs, {"json": [1, 2]}, 400, "object"),
    ("create-string-body", "POST", orgs, {"data": b'"Existing"'}, 400, "object"),
    ("create-not-utf8", "POST", orgs, {"data": b'{"name": "\xff"}'}, 400, "JSON"),
    ("create-lone-surrogate", "POST", orgs, {"data": b'{"name": "\\ud800"}'}, 400, "Unicode"),
    # ---- update org
    ("patch-empty", "PATCH", org, {"json": {}}, 400, "at least one"),
    ("patch-name-null", "PATCH", org, {"json": {"name": None}}, 422, "null"),
    ("patch-name-empty", "PATCH", org, {"json": {"name": ""}}, 400, "empty"),
    ("patch-name-blank", "PATCH", org, {"json": {"name": "  "}}, 400, "blank"),
    ("patch-name-long", "PATCH", org, {"json": {"name": "n" * 256}}, 400, "255"),
    ("patch-dup", "PATCH", org, {"json": {"name": "Other"}}, 409, "already taken"),
    ("patch-dup-case", "PATCH", org, {"json": {"name": "OTHER", "description": "z"}}, 409, "taken"),
    ("patch-id", "PATCH", org, {"json": {"id": "x"}}, 400, "read-only"),
    ("patch-name-number", "PATCH", org, {"json": {"name": 1}}, 422, "string"),
    ("patch-desc-long", "PATCH", org, {"json": {"description": "d" * 1001}}, 400, "1000"),
    ("patch-desc-number", "PATCH", org, {"json": {"description": 5}}, 422, "string"),
    ("patch-bad-json", "PATCH", org, {"data": b"nope"}, 400, "JSON"),
    (
        "patch-unknown",
        "PATCH",
        lambda w: f"/v2/organizations/{UNKNOWN_ORG}",
        {"json": {"name": "z"}},
        404,
        "not found",
    ),
    (
        "patch-malformed-id",
        "PATCH",
        lambda w: "/v2/organizations/my-org",
        {"json": {"name": "z"}},
        400,
        "not a valid ID",
    ),
    # ---- ids in paths
    ("get-not-b64", "GET", lambda w: "/v2/organizations/Agent%20Engineering", {}, 400, "valid ID"),
    ("get-wrong-kind", "GET", lambda w: f"/v2/organizations/{w['member']}", {}, 400, "'User'"),
    ("get-no-colon", "GET", lambda w: "/v2/organizations/T3JnYW5pemF0aW9u", {}, 400, "valid ID"),
    ("get-no-padding", "GET", lambda w: "/v2/organizations/" + w["org"].rstrip("="), {}, 400, "ID"),
    (
        "get-not-utf8",
        "GET",
        lambda w: "/v2/organizations/" + quote(base64.b64encode(b"\xff\xfe:1").decode(), safe=""),
        {},
        400,
        "ID",
    ),
    (
        "get-urlsafe",
        "GET",
        lambda w: "/v2/organizations/" + b64("Organization:1:ab?>").replace("/", "_"),
        {},
        400,
        "ID",
    ),
    ("get-unknown", "GET", lambda w: f"/v2/organizations/{UNKNOWN_ORG}", {}, 404, "not found"),
    ("get-bad-percent", "GET", lambda w: "/v2/organizations/%ff%fe", {}, 400, "UTF-8"),
    ("delete-malformed", "DELETE", lambda w: "/v2/organizations/prod", {}, 400, "ID"),
    ("delete-unknown", "DELETE", lambda w: f"/v2/organizations/{UNKNOWN_ORG}", {}, 404, ""),
    # ---- list parameters
    ("limit-0", "GET", lambda w: "/v2/organizations?limit=0", {}, 400, "between 1 and 100"),
    ("limit-101", "GET", lambda w: "/v2/organizations?limit=101", {}, 400, "between 1 and 100"),
    ("limit-abc", "GET", lambda w: "/v2/organizations?limit=abc", {}, 400, "integer"),
    ("limit-neg", "GET", lambda w: "/v2/organizations?limit=-1", {}, 400, "integer"),
    ("limit-float", "GET", lambda w: "/v2/organizations?limit=1.5", {}, 400, "integer"),
    ("limit-empty", "GET", lambda w: "/v2/organizations?limit=", {}, 400, "integer"),
    ("limit-twice", "GET", lambda w: "/v2/organizations?limit=5&limit=6", {}, 400, "once"),
    ("name-too-long", "GET", lambda w: "/v2/organizations?name=" + "n" * 256, {}, 400, "255"),
    ("cursor-garbage", "GET", lambda w: "/v2/organizations?cursor=abc", {}, 400, "cursor"),
    ("users-limit-101", "GET", lambda w: "/v2/users?limit=101", {}, 400, "between"),
    ("users-status-lower", "GET", lambda w: "/v2/users?status=active", {}, 400, "upper-case"),
    ("users-status-inactive", "GET", lambda w: "/v2/users?status=INACTIVE", {}, 400, "status"),
    ("users-status-empty", "GET", lambda w: "/v2/users?status=", {}, 400, "status"),
    ("users-email-long", "GET", lambda w: "/v2/users?email=" + "e" * 256, {}, 400, "255"),
    ("users-cursor-garbage", "GET", lambda w: "/v2/users?cursor=%2B%2F%3D", {}, 400, "cursor"),
    # ---- add_user
    (
        "add-bare-role",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": "MEMBER"}},
        400,
        "bare string",
    ),
    (
        "add-lower-role",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "PREDEFINED", "name": "member"}}},
        400,
        "upper-case",
    ),
    (
        "add-custom-role",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "CUSTOM", "id": "r1"}}},
        400,
        "custom roles not supported for organizations",
    ),
    (
        "add-custom-role-with-name",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "CUSTOM", "id": "r1", "name": "Boss"}}},
        400,
        "custom roles",
    ),
    (
        "add-unknown-role",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "PREDEFINED", "name": "OWNER"}}},
        400,
        "OWNER",
    ),
    (
        "add-user-role-name",
        "POST",
        org_users,
        lambda w: {
            "json": {
                "user_id": w["member"],
                "role": {"type": "PREDEFINED", "name": "MEMBER_UI_ONLY"},
            }
        },
        400,
        "role.name",
    ),
    (
        "add-lower-type",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "predefined", "name": "MEMBER"}}},
        400,
        "role.type",
    ),
    (
        "add-role-number",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": 5}},
        422,
        "object",
    ),
    (
        "add-role-null",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": None}},
        422,
        "null",
    ),
    (
        "add-role-missing",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"]}},
        422,
        "role is required",
    ),
    (
        "add-role-no-type",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"name": "MEMBER"}}},
        422,
        "role.type",
    ),
    (
        "add-role-no-name",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "PREDEFINED"}}},
        422,
        "role.name",
    ),
    (
        "add-role-extra",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {**ROLE_MEMBER, "id": "x"}}},
        400,
        "'id'",
    ),
    ("add-user-id-missing", "POST", org_users, {"json": {"role": ROLE_MEMBER}}, 422, "user_id"),
    (
        "add-user-id-number",
        "POST",
        org_users,
        {"json": {"user_id": 5, "role": ROLE_MEMBER}},
        422,
        "user_id",
    ),
    (
        "add-user-id-malformed",
        "POST",
        org_users,
        {"json": {"user_id": "jane@example.com", "role": ROLE_MEMBER}},
        400,
        "user_id",
    ),
    (
        "add-user-id-org-kind",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["other"], "role": ROLE_MEMBER}},
        400,
        "'Organization'",
    ),
    (
        "add-user-unknown",
        "POST",
        org_users,
        {"json": {"user_id": UNKNOWN_USER, "role": ROLE_MEMBER}},
        404,
        "not found",
    ),
    (
        "add-user-inactive",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["gone"], "role": ROLE_MEMBER}},
        404,
        "not found",
    ),
    (
        "add-org-unknown",
        "POST",
        lambda w: f"/v2/organizations/{UNKNOWN_ORG}/users",
        lambda w: {"json": {"user_id": w["member"], "role": ROLE_MEMBER}},
        404,
        "organization",
    ),
    (
        "add-annotator-as-admin",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["annotator"], "role": {"type": "PREDEFINED", "name": "ADMIN"}}},
        400,
        "user with account role ANNOTATOR may only be given the organization role ANNOTATOR",
    ),
    (
        "add-member-as-annotator",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": {"type": "PREDEFINED", "name": "ANNOTATOR"}}},
        400,
        "may only be given to users whose account role is ANNOTATOR",
    ),
    (
        "add-extra-field",
        "POST",
        org_users,
        lambda w: {"json": {"user_id": w["member"], "role": ROLE_MEMBER, "org_id": "x"}},
        400,
        "org_id",
    ),
    # ---- remove_user
    (
        "remove-non-member",
        "DELETE",
        lambda w: f"/v2/organizations/{w['org']}/users/{w['annotator']}",
        {},
        404,
        "not a member",
    ),
    (
        "remove-unknown-org",
        "DELETE",
        lambda w: f"/v2/organizations/{UNKNOWN_ORG}/users/{w['member']}",
        {},
        404,
        "",
    ),
    (
        "remove-malformed-user",
        "DELETE",
        lambda w: f"/v2/organizations/{w['org']}/users/bob",
        {},
        400,
        "user id",
    ),
    # ---- users
    ("user-blank-name", "POST", users, {"json": new_user(name="  ")}, 400, "blank"),
    ("user-long-name", "POST", users, {"json": new_user(name="n" * 256)}, 400, "255"),
    ("user-bad-email", "POST", users, {"json": new_user(email="not-an-email")}, 400, "email"),
    (
        "user-custom-role",
        "POST",
        users,
        {"json": new_user(role={"type": "CUSTOM", "id": "r"})},
        400,
        "custom roles",
    ),
    (
        "user-read-only-role",
        "POST",
        users,
        {"json": new_user(role={"type": "PREDEFINED", "name": "READ_ONLY"})},
        400,
        "READ_ONLY",
    ),
    ("user-bare-role", "POST", users, {"json": new_user(role="MEMBER")}, 400, "bare string"),
    ("user-bad-invite", "POST", users, {"json": new_user(invite_mode="SMS")}, 400, "invite_mode"),
    (
        "user-no-invite",
        "POST",
        users,
        {"json": drop(new_user(), "invite_mode")},
        422,
        "invite_mode",
    ),
    ("user-name-number", "POST", users, {"json": new_user(name=5)}, 422, "name"),
    ("user-dev-string", "POST", users, {"json": new_user(is_developer="yes")}, 422, "is_developer"),
    (
        "user-dup-email",
        "POST",
        users,
        {"json": new_user(email="MEMBER@example.com")},
        409,
        "exists",
    ),
    (
        "user-dup-inactive",
        "POST",
        users,
        {"json": new_user(email="gone@example.com")},
        409,
        "deactivated",
    ),
    ("user-extra", "POST", users, {"json": new_user(id="x")}, 400, "read-only"),
    ("user-get-malformed", "GET", lambda w: "/v2/users/jane%40example.com", {}, 400, "ID"),
    ("user-get-org-kind", "GET", lambda w: f"/v2/users/{w['org']}", {}, 400, "'Organization'"),
    ("user-get-unknown", "GET", lambda w: f"/v2/users/{UNKNOWN_USER}", {}, 404, "not found"),
    ("user-get-inactive", "GET", lambda w: f"/v2/users/{w['gone']}", {}, 404, "not found"),
    ("user-delete-unknown", "DELETE", lambda w: f"/v2/users/{UNKNOWN_USER}", {}, 404, ""),
    # ---- auth
    ("no-auth", "GET", orgs, {"key": None}, 401, "Authorization"),
    ("wrong-key", "GET", orgs, {"key": "nope"}, 401, "not valid"),
    (
        "basic-auth",
        "GET",
        orgs,
        {"key": None, "headers": {"Authorization": "Basic eDp5"}},
        401,
        "Bearer",
    ),
    ("raw-key", "GET", orgs, {"key": None, "headers": {"Authorization": "sandbox-key"}}, 401, ""),
    ("bearer-empty", "GET", orgs, {"key": None, "headers": {"Authorization": "Bearer "}}, 401, ""),
    ("no-auth-write", "POST", orgs, {"key": None, "json": {"name": "x"}}, 401, ""),
    ("ro-create", "POST", orgs, {"key": RO_KEY, "json": {"name": "x"}}, 403, "read-only"),
    ("ro-patch", "PATCH", org, {"key": RO_KEY, "json": {"name": "x"}}, 403, "read-only"),
    ("ro-delete", "DELETE", org, {"key": RO_KEY}, 403, "read-only"),
    (
        "ro-add-user",
        "POST",
        org_users,
        lambda w: {"key": RO_KEY, "json": {"user_id": w["member"], "role": ROLE_MEMBER}},
        403,
        "",
    ),
    ("ro-create-user", "POST", users, {"key": RO_KEY, "json": new_user()}, 403, ""),
    ("ro-delete-user", "DELETE", lambda w: f"/v2/users/{w['member']}", {"key": RO_KEY}, 403, ""),
    # ---- routing
    ("trailing-slash", "GET", lambda w: "/v2/organizations/", {}, 404, "no such endpoint"),
    ("trailing-slash-id", "GET", lambda w: f"/v2/organizations/{w['org']}/", {}, 404, ""),
    ("unknown-path", "GET", lambda w: "/v2/orgs", {}, 404, ""),
    ("root", "GET", lambda w: "/", {}, 404, ""),
    ("v1", "GET", lambda w: "/v1/organizations", {}, 404, ""),
    ("too-deep", "GET", lambda w: f"/v2/users/{w['member']}/orgs", {}, 404, ""),
    ("put-orgs", "PUT", orgs, {"json": {"name": "x"}}, 405, "PUT"),
    ("delete-orgs", "DELETE", orgs, {}, 405, "allowed: GET, POST"),
    ("post-org", "POST", org, {"json": {"name": "x"}}, 405, ""),
    ("get-org-users", "GET", org_users, {}, 405, "POST"),
    ("patch-user", "PATCH", lambda w: f"/v2/users/{w['member']}", {"json": {"name": "x"}}, 405, ""),
    ("options", "OPTIONS", orgs, {}, 405, ""),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "fragment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input_is_rejected_and_changes_nothing(local, sb, world, method, path, kwargs, status, fragment):
    before = sb.state.snapshot()
    kw = kwargs(world) if callable(kwargs) else dict(kwargs)
    resp = local.request(method, path(world), **kw)
    assert_problem(resp, status, fragment)
    assert sb.state.snapshot() == before


SAMPLE = [
    "create-dup-case",
    "patch-empty",
    "add-bare-role",
    "get-no-padding",
    "limit-abc",
    "no-auth",
    "ro-create",
    "options",
    "create-bad-json",
    "add-annotator-as-admin",
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "fragment"),
    [c[1:] for c in CASES if c[0] in SAMPLE],
    ids=[c[0] for c in CASES if c[0] in SAMPLE],
)
def test_bad_input_over_http_too(sb, world, method, path, kwargs, status, fragment):
    import requests

    from .helpers import make_api

    with requests.Session() as session:
        api = make_api(sb, "http", session)
        before = sb.state.snapshot()
        kw = kwargs(world) if callable(kwargs) else dict(kwargs)
        assert_problem(api.request(method, path(world), **kw), status, fragment)
        assert sb.state.snapshot() == before


def test_head_is_405_without_body(api):
    r = api.request("HEAD", "/v2/organizations")
    assert r.status_code == 405
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.content == b""


def test_405_has_allow_header(local):
    r = local.request("PUT", "/v2/organizations")
    assert r.headers["Allow"] == "GET, POST"


def test_read_only_key_can_read(local, world):
    assert local.get("/v2/organizations", key=RO_KEY).status_code == 200
    assert local.get(f"/v2/organizations/{world['org']}", key=RO_KEY).status_code == 200
    assert local.get("/v2/users", key=RO_KEY).status_code == 200


def test_unknown_fields_422_knob():
    import requests

    with Sandbox(unknown_field_status=422) as sb, requests.Session() as s:
        s.mount("http://x.invalid", sb.adapter())
        h = {"Authorization": "Bearer sandbox-key"}
        r = s.post("http://x.invalid/v2/organizations", json={"name": "a", "id": "b"}, headers=h)
        assert_problem(r, 422, "read-only")
    with pytest.raises(ValueError, match="400 or 422"):
        Sandbox(unknown_field_status=418)


def test_json_bodies_sent_like_the_sdk_are_accepted(local):
    # json.dumps default escaping, the way the generated client sends bodies
    body = json.dumps({"name": "Café Ünïcode", "description": "ß"}).encode()
    r = local.post("/v2/organizations", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201
    assert r.json()["name"] == "Café Ünïcode"
