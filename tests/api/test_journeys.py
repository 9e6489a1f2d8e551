"""Our client against the sandbox: the same journeys the official SDK must pass, and more."""

import pytest

from arize_orgs_nb import (
    BadRequestError,
    ConflictError,
    NameNotFoundError,
    NotFoundError,
    Organization,
    OrganizationRole,
    PredefinedRoleAssignment,
)


def seed_orgs(client, count, prefix="Team"):
    return [client.local_sandbox.state.create_org(f"{prefix} {i:03d}", f"d{i}") for i in range(count)]


def test_list_one_page_with_the_sdk_defaults(client):
    seed_orgs(client, 60)
    page = client.organizations.list()
    assert len(page.organizations) == 50
    assert page.pagination.has_more is True
    assert page.pagination.next_cursor
    (record,) = client.local_sandbox.log.records()
    assert record.query["limit"] == ["50"]
    assert "cursor" not in record.query and "name" not in record.query


def test_name_filter_and_cursor_paging_across_three_pages(client):
    seed_orgs(client, 25, prefix="Fraud Ops")
    seed_orgs(client, 7, prefix="Search")
    ids, cursor, pages = [], None, 0
    while True:
        page = client.organizations.list(name="fraud", limit=10, cursor=cursor)
        pages += 1
        ids += [o.id for o in page.organizations]
        assert all("fraud" in o.name.lower() for o in page.organizations)
        if not page.pagination.has_more:
            assert page.pagination.next_cursor is None
            break
        cursor = page.pagination.next_cursor
    assert pages == 3
    assert len(ids) == len(set(ids)) == 25
    # the filter was carried to every page
    assert all(r.query["name"] == ["fraud"] for r in client.local_sandbox.log.records())


def test_iter_drains_every_page_with_the_filter(client):
    seed_orgs(client, 205)
    names = [o.name for o in client.organizations.iter(limit=100)]
    assert len(names) == len(set(names)) == 205
    assert client.local_sandbox.log.count(method="GET") == 3


def test_get_by_id_and_by_exact_name(client):
    created = client.organizations.create(name="Agent Eng", description="agents")
    client.organizations.create(name="Agent Eng 2")
    by_id = client.organizations.get(organization=created.id)
    by_name = client.organizations.get(organization="Agent Eng")
    assert by_id == by_name == created


def test_a_name_is_looked_up_afresh_on_every_call_and_an_id_costs_nothing(client):
    seed_orgs(client, 150)
    log = client.local_sandbox.log
    log.clear()
    org = client.organizations.get(organization="Team 120")
    assert [(r.method, r.query.get("name")) for r in log.records()] == [("GET", ["Team 120"])]
    log.clear()
    client.organizations.update(organization="Team 120", description="x")
    client.organizations.update(organization="Team 120", description="y")
    assert [r.method for r in log.records()] == ["GET", "PATCH", "GET", "PATCH"]  # never from memory
    log.clear()
    client.organizations.update(organization=org.id, description="z")
    assert [r.method for r in log.records()] == ["PATCH"]


def test_unknown_name_lists_close_matches(client):
    client.organizations.create(name="Agent Eng 2")
    with pytest.raises(NameNotFoundError, match="'Agent Eng 2'") as info:
        client.organizations.get(organization="Agent Eng")
    assert info.value.available_names == ["Agent Eng 2"]


def test_create_and_duplicate_create(client):
    org = client.organizations.create(name="New Team", description="first")
    assert isinstance(org, Organization)
    assert (org.name, org.description) == ("New Team", "first")
    with pytest.raises(ConflictError) as info:
        client.organizations.create(name="new team")
    assert info.value.status == 409
    assert "409" in str(info.value)
    assert len(client.local_sandbox.state.orgs()) == 1


def test_update_name_description_and_clear(client):
    org = client.organizations.create(name="Old", description="keep me")
    renamed = client.organizations.update(organization=org.id, name="New")
    assert (renamed.name, renamed.description) == ("New", "keep me")
    described = client.organizations.update(organization="New", description="changed")
    assert described.description == "changed"
    cleared = client.organizations.update(organization=org.id, description="")
    assert cleared.description == ""
    assert client.organizations.get(organization=org.id).description == ""
    sent = [r.json for r in client.local_sandbox.log.records() if r.method == "PATCH"]
    assert sent == [{"name": "New"}, {"description": "changed"}, {"description": ""}]


def test_update_without_fields_fails_before_any_request(client):
    with pytest.raises(ValueError, match="at least one"):
        client.organizations.update(organization="does not matter")
    assert len(client.local_sandbox.log) == 0


def test_add_user_is_an_upsert(client):
    sandbox = client.local_sandbox
    org = client.organizations.create(name="Org")
    user = sandbox.state.create_user("Ana", "ana@example.com", role="MEMBER")
    first = client.organizations.add_user(organization=org.id, user_id=user["id"], role="MEMBER")
    second = client.organizations.add_user(
        organization="Org", user_id=user["id"], role=PredefinedRoleAssignment(name=OrganizationRole.READ_ONLY)
    )
    assert first.id == second.id
    assert (first.user_id, first.organization_id) == (user["id"], org.id)
    assert str(second.role) == "READ_ONLY"
    (membership,) = sandbox.state.memberships()
    assert membership["role"]["name"] == "READ_ONLY"


def test_annotator_rule_is_a_bad_request(client):
    org = client.organizations.create(name="Org")
    annotator = client.local_sandbox.state.create_user("Ann", "ann@example.com", role="ANNOTATOR")
    member = client.local_sandbox.state.create_user("Mo", "mo@example.com", role="MEMBER")
    with pytest.raises(BadRequestError, match="ANNOTATOR"):
        client.organizations.add_user(organization=org.id, user_id=annotator["id"], role="ADMIN")
    with pytest.raises(BadRequestError):
        client.organizations.add_user(organization=org.id, user_id=member["id"], role="ANNOTATOR")
    assert client.local_sandbox.state.memberships() == []
    ok = client.organizations.add_user(organization=org.id, user_id=annotator["id"], role="ANNOTATOR")
    assert str(ok.role) == "ANNOTATOR"


def test_remove_user(client):
    org = client.organizations.create(name="Org")
    user = client.local_sandbox.state.create_user("Ana", "ana@example.com")
    client.organizations.add_user(organization=org.id, user_id=user["id"], role="ADMIN")
    assert client.organizations.remove_user(organization=org.id, user_id=user["id"]) is None
    assert client.local_sandbox.state.memberships() == []
    with pytest.raises(NotFoundError):
        client.organizations.remove_user(organization=org.id, user_id=user["id"])


def test_delete_then_get_is_not_found(client):
    org = client.organizations.create(name="Doomed")
    assert client.organizations.delete(organization="Doomed") is None
    with pytest.raises(NotFoundError) as info:
        client.organizations.get(organization=org.id)
    assert info.value.status == 404
    with pytest.raises(NameNotFoundError):
        client.organizations.get(organization="Doomed")


def test_a_cached_name_that_went_stale_is_looked_up_again(client):
    old = client.organizations.create(name="Phoenix")
    # someone else deletes it and creates a new org with the same name
    client.transport.request("DELETE", f"/v2/organizations/{old.id}")
    new = client.local_sandbox.state.create_org("Phoenix", "reborn")
    assert client.organizations.get(organization="Phoenix").id == new["id"]


def test_users_list_email_filter_and_lookup(client):
    state = client.local_sandbox.state
    state.create_user("Jane", "Jane.Doe@Example.com")
    state.create_user("Janet", "janet@example.com")
    state.create_user("Bob", "bob@example.com")
    page = client.users.list(email="jane")
    assert sorted(u.email for u in page.users) == ["Jane.Doe@Example.com", "janet@example.com"]
    found = client.users.find_by_email("jane.doe@example.COM")
    assert found is not None and found.name == "Jane"
    assert client.users.find_by_email("nobody@example.com") is None
    assert client.users.get(user=found.id) == found
    assert client.users.get(user="JANE.DOE@example.com") == found
    with pytest.raises(NameNotFoundError):
        client.users.get(user="nobody@example.com")


def test_users_iter_and_status_filter(client):
    state = client.local_sandbox.state
    for i in range(12):
        state.create_user(f"U{i}", f"u{i}@example.com", status="INVITED" if i % 3 == 0 else "ACTIVE")
    assert len(list(client.users.iter(limit=5))) == 12
    invited = list(client.users.iter(status=["INVITED"], limit=2))
    assert len(invited) == 4
    assert all(u.status.value == "INVITED" for u in invited)
    with pytest.raises(ValueError, match="unknown user status"):
        client.users.list(status=["inactive"])


@pytest.mark.parametrize("limit", [0, 101, -1, "50", 1.5, True])
def test_bad_limits_fail_before_any_request(client, limit):
    with pytest.raises(ValueError, match="limit"):
        client.organizations.list(limit=limit)
    assert len(client.local_sandbox.log) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "whitespace"),
        ({"name": "x" * 256}, "name"),
        ({"name": "ok", "description": "x" * 1001}, "description"),
    ],
)
def test_bad_create_input_fails_before_any_request(client, kwargs, match):
    with pytest.raises(ValueError, match=match):
        client.organizations.create(**kwargs)
    assert len(client.local_sandbox.log) == 0


def test_unicode_and_reserved_characters_survive_the_wire(client):
    name = "Équipe Données / x+y=z %_ #1"
    org = client.organizations.create(name=name, description="naïve ☃")
    assert client.organizations.get(organization=name) == org
    assert [o.id for o in client.organizations.iter(name="x+y=z %_")] == [org.id]
