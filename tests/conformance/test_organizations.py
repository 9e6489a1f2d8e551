"""Organization journeys driven through the official SDK's ``client.organizations``."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from _conformance_helpers import calls, field, org_names, summary
from arize import NotFoundError
from arize._generated.api_client.exceptions import (
    BadRequestException,
    ConflictException,
    NotFoundException,
)
from arize._generated.api_client.models.problem import Problem
from arize.organizations.types import ListOrganizationsResponse, Organization
from arize.utils.resolve import is_resource_id

ORGS = "/v2/organizations"


def assert_problem(exc: pytest.ExceptionInfo, status: int) -> Problem:
    """The SDK raised for ``status`` and parsed the body as a ``Problem``."""
    assert exc.value.status == status
    problem = exc.value.data
    assert isinstance(problem, Problem), f"body not parsed as Problem: {exc.value.body!r}"
    assert problem.status == status
    assert problem.title
    return problem


def test_list_name_filter_pages_through_three_cursor_pages(client, sb, token):
    wanted = {field(sb.state.create_org(f"Paging {token} team {i:02d}"), "id") for i in range(25)}
    for i in range(5):  # decoys that must not match the filter
        sb.state.create_org(f"Other {token} team {i:02d}")
    name_filter = f"pAgInG {token.upper()}"  # the filter is a case-insensitive substring
    sb.log.clear()

    pages: list[ListOrganizationsResponse] = []
    cursor = None
    while True:
        page = client.organizations.list(name=name_filter, limit=10, cursor=cursor)
        assert isinstance(page, ListOrganizationsResponse)
        pages.append(page)
        if not page.pagination.has_more:
            break
        assert page.pagination.next_cursor, "has_more without a next_cursor"
        cursor = page.pagination.next_cursor
        assert len(pages) < 10, "paging does not terminate"

    assert [len(p.organizations) for p in pages] == [10, 10, 5]
    assert [p.pagination.has_more for p in pages] == [True, True, False]
    assert pages[-1].pagination.next_cursor is None
    ids = [o.id for p in pages for o in p.organizations]
    assert len(ids) == len(set(ids)) == 25
    assert set(ids) == wanted
    assert all(f"paging {token}" in o.name.lower() for p in pages for o in p.organizations)

    # The wire: three GETs, same filter each time, the cursor echoed verbatim.
    logged = calls(sb)
    assert [(c.method, c.path, c.status) for c in logged] == [("GET", ORGS, 200)] * 3
    for i, c in enumerate(logged):
        assert c.query["name"] == [name_filter]
        assert c.query["limit"] == ["10"]
        if i == 0:
            assert "cursor" not in c.query
        else:
            assert c.query["cursor"] == [pages[i - 1].pagination.next_cursor]


def test_cursor_reused_with_another_filter_is_bad_request(client, sb, token):
    for i in range(3):
        sb.state.create_org(f"Bound {token} {i}")
    first = client.organizations.list(name=f"Bound {token}", limit=2)
    assert first.pagination.has_more
    with pytest.raises(BadRequestException) as exc:
        client.organizations.list(name=f"Elsewhere {token}", limit=2, cursor=first.pagination.next_cursor)
    assert_problem(exc, 400)


def test_get_by_id_and_by_exact_name(client, sb, token):
    # The longer name is created first, so the name filter returns it before the
    # exact match: the SDK must skip it (it resolves the exact name itself).
    longer = sb.state.create_org(f"Acme {token} Labs", description="longer")
    exact = sb.state.create_org(f"Acme {token}", description="exact")
    sb.log.clear()

    by_id = client.organizations.get(organization=field(exact, "id"))
    assert isinstance(by_id, Organization)
    assert (by_id.id, by_id.name, by_id.description) == (
        field(exact, "id"),
        f"Acme {token}",
        "exact",
    )
    # An ID is passed straight through: no list call.
    assert summary(sb) == [("GET", f"{ORGS}/{field(exact, 'id')}", 200)]

    sb.log.clear()
    by_name = client.organizations.get(organization=f"Acme {token}")
    assert by_name == by_id
    logged = calls(sb)
    assert [(c.method, c.path, c.status) for c in logged] == [
        ("GET", ORGS, 200),
        ("GET", f"{ORGS}/{field(exact, 'id')}", 200),
    ]
    assert logged[0].query == {"name": [f"Acme {token}"], "limit": ["100"]}

    assert client.organizations.get(organization=f"Acme {token} Labs").id == field(longer, "id")

    with pytest.raises(NotFoundError) as missing:
        client.organizations.get(organization=f"Acme {token} Lab")
    assert f"Acme {token} Labs" in missing.value.available_names


def test_create_then_duplicate_is_conflict(client, sb, token):
    sb.log.clear()
    org = client.organizations.create(name=f"Created {token}", description="first one")
    assert isinstance(org, Organization)
    assert org.name == f"Created {token}"
    assert org.description == "first one"
    assert isinstance(org.created_at, datetime)
    assert org.created_at.tzinfo is not None
    assert is_resource_id(org.id)
    assert base64.b64decode(org.id).decode().startswith("Organization:")
    assert field(next(o for o in sb.state.orgs() if field(o, "id") == org.id), "name") == org.name

    bare = client.organizations.create(name=f"Created {token} bare")
    assert bare.description == ""

    logged = calls(sb)
    assert [(c.method, c.path, c.status) for c in logged] == [("POST", ORGS, 201)] * 2
    assert logged[0].json == {"name": f"Created {token}", "description": "first one"}
    assert logged[1].json == {"name": f"Created {token} bare"}  # None is left out

    count = len(sb.state.orgs())
    sb.log.clear()
    with pytest.raises(ConflictException) as exc:
        client.organizations.create(name=f"Created {token}", description="again")
    assert_problem(exc, 409)
    assert len(sb.state.orgs()) == count
    assert org_names(sb).count(f"Created {token}") == 1
    assert summary(sb) == [("POST", ORGS, 409)]


def test_update_name_description_and_clearing(client, sb, token):
    org = client.organizations.create(name=f"Upd {token}", description="original")
    path = f"{ORGS}/{org.id}"
    sb.log.clear()

    renamed = client.organizations.update(organization=org.id, name=f"Upd {token} renamed")
    assert (renamed.id, renamed.name, renamed.description) == (
        org.id,
        f"Upd {token} renamed",
        "original",
    )
    assert renamed.created_at == org.created_at
    assert client.organizations.get(organization=org.id).name == f"Upd {token} renamed"

    described = client.organizations.update(organization=org.id, description="new words")
    assert (described.name, described.description) == (f"Upd {token} renamed", "new words")

    # v8.61: description=None sends JSON null, meaning "clear".
    cleared = client.organizations.update(organization=org.id, description=None)
    assert cleared.description == ""
    assert client.organizations.get(organization=org.id).description == ""

    client.organizations.update(organization=org.id, description="back again")
    # ... and "" is sent as "" and clears too.
    cleared_again = client.organizations.update(organization=org.id, description="")
    assert cleared_again.description == ""
    assert cleared_again.name == f"Upd {token} renamed"

    patches = [c for c in calls(sb) if c.method == "PATCH"]
    assert [(c.path, c.status) for c in patches] == [(path, 200)] * 5
    assert [c.json for c in patches] == [
        {"name": f"Upd {token} renamed"},
        {"description": "new words"},
        {"description": None},
        {"description": "back again"},
        {"description": ""},
    ]

    # By name: the SDK resolves first, then patches the ID.
    sb.log.clear()
    by_name = client.organizations.update(organization=f"Upd {token} renamed", description="via name")
    assert by_name.id == org.id
    assert summary(sb) == [("GET", ORGS, 200), ("PATCH", path, 200)]

    # No fields: the SDK refuses before any I/O.
    sb.log.clear()
    with pytest.raises(ValueError, match="At least one"):
        client.organizations.update(organization=org.id)
    assert sb.log.count() == 0

    # Renaming onto another org's name is a conflict and changes nothing.
    other = client.organizations.create(name=f"Upd {token} other")
    with pytest.raises(ConflictException) as exc:
        client.organizations.update(organization=other.id, name=f"Upd {token} renamed")
    assert_problem(exc, 409)
    assert client.organizations.get(organization=other.id).name == f"Upd {token} other"


def test_delete_then_get_is_not_found(client, sb, token):
    org = client.organizations.create(name=f"Doomed {token}")
    path = f"{ORGS}/{org.id}"
    sb.log.clear()

    assert client.organizations.delete(organization=org.id) is None
    assert summary(sb) == [("DELETE", path, 204)]
    assert org.id not in {field(o, "id") for o in sb.state.orgs()}

    with pytest.raises(NotFoundException) as exc:
        client.organizations.get(organization=org.id)
    assert_problem(exc, 404)
    with pytest.raises(NotFoundException):
        client.organizations.delete(organization=org.id)
    assert summary(sb)[1:] == [("GET", path, 404), ("DELETE", path, 404)]

    # Delete by name (list, then delete); the name is free again afterwards.
    named = client.organizations.create(name=f"Doomed {token} by name")
    assert client.organizations.delete(organization=f"Doomed {token} by name") is None
    with pytest.raises(NotFoundException):
        client.organizations.get(organization=named.id)
    with pytest.raises(NotFoundError):
        client.organizations.get(organization=f"Doomed {token} by name")
    again = client.organizations.create(name=f"Doomed {token} by name")
    assert again.id != named.id
