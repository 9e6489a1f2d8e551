"""Organization endpoints: success codes, exact body shapes, pagination and cursors."""

from __future__ import annotations

import base64
import re

import pytest

from .helpers import assert_problem

ORG_KEYS = {"id", "name", "description", "created_at"}
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def is_id_of(value: str, kind: str) -> bool:
    text = base64.b64decode(value, validate=True).decode()
    parts = text.split(":")
    return (
        base64.b64encode(text.encode()).decode() == value
        and parts[0] == kind
        and parts[1].isdigit()
        and len(parts) == 3
        and len(parts[2]) == 4
        and parts[2].isalnum()
    )


def test_create_get_update_delete(api, sb):
    r = api.post("/v2/organizations", json={"name": "Agent Eng", "description": "x"})
    assert r.status_code == 201
    assert r.headers["Content-Type"] == "application/json"
    org = r.json()
    assert set(org) == ORG_KEYS
    assert org["name"] == "Agent Eng"
    assert org["description"] == "x"
    assert is_id_of(org["id"], "Organization")
    assert TIME_RE.match(org["created_at"])

    r = api.get(f"/v2/organizations/{org['id']}")
    assert r.status_code == 200
    assert r.json() == org

    r = api.patch(f"/v2/organizations/{org['id']}", json={"name": "Agent Eng 2", "description": "y"})
    assert r.status_code == 200
    assert r.json() == {**org, "name": "Agent Eng 2", "description": "y"}
    assert api.get(f"/v2/organizations/{org['id']}").json()["name"] == "Agent Eng 2"

    r = api.delete(f"/v2/organizations/{org['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(api.get(f"/v2/organizations/{org['id']}"), 404)
    assert_problem(api.delete(f"/v2/organizations/{org['id']}"), 404)
    assert sb.state.orgs() == []


def test_description_defaults_to_empty_and_unicode_round_trips(api):
    org = api.create_org("Équipe Données — 東京 🚀")
    assert org["description"] == ""
    got = api.get(f"/v2/organizations/{org['id']}").json()
    assert got["name"] == "Équipe Données — 東京 🚀"


@pytest.mark.parametrize("clear", [None, ""])
def test_patch_description_null_or_empty_clears(api, clear):
    org = api.create_org("A", "some text")
    r = api.patch(f"/v2/organizations/{org['id']}", json={"description": clear})
    assert r.status_code == 200
    assert r.json()["description"] == ""
    assert r.json()["name"] == "A"


def test_rename_to_own_name_and_case_variant_is_ok(api):
    org = api.create_org("Search")
    assert api.patch(f"/v2/organizations/{org['id']}", json={"name": "Search"}).status_code == 200
    r = api.patch(f"/v2/organizations/{org['id']}", json={"name": "SEARCH"})
    assert r.status_code == 200
    assert r.json()["name"] == "SEARCH"


def test_deleted_name_can_be_reused(api):
    org = api.create_org("Reuse me")
    assert api.delete(f"/v2/organizations/{org['id']}").status_code == 204
    again = api.create_org("reuse ME")
    assert again["id"] != org["id"]


def test_names_stored_as_sent_without_trimming(api):
    org = api.create_org("  padded  ")
    assert org["name"] == "  padded  "
    r = api.post("/v2/organizations", json={"name": "x" * 255, "description": "d" * 1000})
    assert r.status_code == 201


def test_list_shape_and_order(api):
    made = [api.create_org(f"Org {i}") for i in range(3)]
    r = api.get("/v2/organizations")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"organizations", "pagination"}
    assert body["pagination"] == {"has_more": False}
    assert body["organizations"] == made
    for org in body["organizations"]:
        assert set(org) == ORG_KEYS


def test_name_filter_is_case_insensitive_literal_substring(api):
    for name in ["Production", "my-prod-dataset", "Staging", "100% real_org", "1000 rea"]:
        api.create_org(name)

    def names(query: str) -> list[str]:
        r = api.get("/v2/organizations", params={"name": query})
        assert r.status_code == 200
        return [o["name"] for o in r.json()["organizations"]]

    assert names("PROD") == ["Production", "my-prod-dataset"]
    assert names("%") == ["100% real_org"]
    assert names("_") == ["100% real_org"]
    assert names("0% r") == ["100% real_org"]
    assert len(names("")) == 5  # empty = no filter
    assert names("nothing") == []


def test_pagination_three_pages_unique_and_complete(api, sb):
    ids = {api.create_org(f"Team {i:02d}")["id"] for i in range(25)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/v2/organizations", params=params).json()
        pages += 1
        seen += [o["id"] for o in body["organizations"]]
        if not body["pagination"]["has_more"]:
            assert "next_cursor" not in body["pagination"]
            break
        cursor = body["pagination"]["next_cursor"]
        assert isinstance(cursor, str)
        assert cursor
    assert pages == 3
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == ids
    assert seen == [o["id"] for o in sb.state.orgs()]


def test_exact_multiple_of_limit_has_no_empty_last_page(local):
    for i in range(4):
        local.create_org(f"O{i}")
    body = local.get("/v2/organizations", params={"limit": 2}).json()
    body = local.get(
        "/v2/organizations", params={"limit": 2, "cursor": body["pagination"]["next_cursor"]}
    ).json()
    assert len(body["organizations"]) == 2
    assert body["pagination"] == {"has_more": False}


def test_inserts_and_deletes_between_pages_never_duplicate_or_skip(local, sb):
    made = [local.create_org(f"P{i:02d}") for i in range(10)]
    first = local.get("/v2/organizations", params={"limit": 4}).json()
    # delete one already seen and one not yet seen, insert a new one
    local.delete(f"/v2/organizations/{made[0]['id']}")
    local.delete(f"/v2/organizations/{made[6]['id']}")
    new = local.create_org("P-new")
    seen = [o["id"] for o in first["organizations"]]
    cursor = first["pagination"]["next_cursor"]
    while cursor:
        body = local.get("/v2/organizations", params={"limit": 4, "cursor": cursor}).json()
        seen += [o["id"] for o in body["organizations"]]
        cursor = body["pagination"].get("next_cursor")
    assert len(seen) == len(set(seen))
    survivors = {o["id"] for o in made} - {made[0]["id"], made[6]["id"]}
    assert survivors <= set(seen)
    assert new["id"] in seen
    assert made[6]["id"] not in seen


def test_cursor_is_bound_to_its_query(local):
    for i in range(5):
        local.create_org(f"Bound {i}")
    body = local.get("/v2/organizations", params={"limit": 2, "name": "bound"}).json()
    cursor = body["pagination"]["next_cursor"]
    # same filters, different limit: fine
    ok = local.get("/v2/organizations", params={"limit": 3, "name": "bound", "cursor": cursor})
    assert ok.status_code == 200
    r = local.get("/v2/organizations", params={"limit": 2, "cursor": cursor})
    assert_problem(r, 400, "different filters")
    r = local.get("/v2/organizations", params={"limit": 2, "name": "Bound 1", "cursor": cursor})
    assert_problem(r, 400, "cursor")
    r = local.get("/v2/users", params={"limit": 2, "cursor": cursor})
    assert_problem(r, 400, "cursor")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-1],
        lambda c: c + "A",
        lambda c: ("B" if c[3] != "B" else "C").join([c[:3], c[4:]]),
        lambda c: c.split(".")[0],
        lambda c: "garbage",
        lambda c: "x" * 2000,
        lambda c: base64.b64encode(b'{"k":"organizations","a":1}').decode() + ".AAAA",
    ],
    ids=["truncated", "extended", "flipped", "unsigned", "garbage", "huge", "forged"],
)
def test_tampered_cursor_is_400(local, mutate):
    for i in range(3):
        local.create_org(f"T{i}")
    cursor = local.get("/v2/organizations", params={"limit": 1}).json()["pagination"]["next_cursor"]
    r = local.get("/v2/organizations", params={"limit": 1, "cursor": mutate(cursor)})
    assert_problem(r, 400, "cursor")


def test_cursor_from_another_sandbox_is_400(local):
    from arize_orgs_nb.sandbox import Sandbox

    with Sandbox(orgs=5) as other:
        import requests

        with requests.Session() as s:
            s.mount("http://other.invalid", other.adapter())
            cursor = s.get(
                "http://other.invalid/v2/organizations?limit=2",
                headers={"Authorization": "Bearer sandbox-key"},
            ).json()["pagination"]["next_cursor"]
    assert_problem(local.get("/v2/organizations", params={"cursor": cursor}), 400)


def test_unknown_query_params_are_ignored(local):
    local.create_org("Q")
    r = local.get("/v2/organizations", params={"foo": "bar", "page": "2"})
    assert r.status_code == 200
    assert len(r.json()["organizations"]) == 1


def test_default_limit_is_50_and_max_100(local, sb):
    for i in range(120):
        sb.state.create_org(f"Many {i}")
    assert len(local.get("/v2/organizations").json()["organizations"]) == 50
    assert len(local.get("/v2/organizations?limit=100").json()["organizations"]) == 100


def test_case_sensitive_names_knob():
    import requests

    from arize_orgs_nb.sandbox import Sandbox

    with Sandbox(case_insensitive_names=False) as sb, requests.Session() as s:
        s.mount("http://x.invalid", sb.adapter())
        h = {"Authorization": "Bearer sandbox-key"}
        url = "http://x.invalid/v2/organizations"
        assert s.post(url, json={"name": "Foo"}, headers=h).status_code == 201
        assert s.post(url, json={"name": "foo"}, headers=h).status_code == 201
        r = s.post(url, json={"name": "foo"}, headers=h)
        assert_problem(r, 409, "case-sensitive")
