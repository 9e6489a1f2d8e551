"""User look-ups through the official SDK's ``client.users`` (list, email filter, by-email)."""

from __future__ import annotations

import pytest
from _conformance_helpers import calls, field, summary
from arize import NotFoundError
from arize._generated.api_client.exceptions import NotFoundException
from arize.users.types import ListUsersResponse, PredefinedUserRole, User, UserStatus
from arize.utils.resolve import _find_user_id_by_email

USERS = "/v2/users"


@pytest.fixture
def people(sb, token):
    """Three users sharing ``token`` in their emails, with mixed-case addresses."""
    made = {
        "ana": sb.state.create_user(f"Ana {token}", f"Ana.{token}@Example.COM"),
        "ana2": sb.state.create_user(f"Ana Two {token}", f"ana.{token}@other.org", role="ADMIN"),
        "bob": sb.state.create_user(
            f"Bob {token}", f"bob.{token}@example.com", role="ANNOTATOR", status="INVITED"
        ),
    }
    sb.log.clear()
    return {key: str(field(u, "id")) for key, u in made.items()}


def test_list_email_filter_is_case_insensitive_partial(client, sb, token, people):
    page = client.users.list(email=f"ANA.{token.upper()}@")
    assert isinstance(page, ListUsersResponse)
    assert {u.id for u in page.users} == {people["ana"], people["ana2"]}
    assert page.pagination.has_more is False
    assert page.pagination.next_cursor is None

    domain = client.users.list(email=f"{token}@EXAMPLE.com")
    assert {u.email for u in domain.users} == {
        f"Ana.{token}@Example.COM",
        f"bob.{token}@example.com",
    }

    logged = calls(sb)
    assert [(c.method, c.path, c.status) for c in logged] == [("GET", USERS, 200)] * 2
    assert logged[0].query == {"limit": ["50"], "email": [f"ANA.{token.upper()}@"]}

    nobody = client.users.list(email=f"nobody.{token}")
    assert nobody.users == []
    assert nobody.pagination.has_more is False


def test_list_users_parses_roles_and_pages(client, sb, token, people):
    seen: list[User] = []
    cursor = None
    for _ in range(5):
        page = client.users.list(email=token, limit=2, cursor=cursor)
        seen.extend(page.users)
        cursor = page.pagination.next_cursor
        if not page.pagination.has_more:
            break
    assert cursor is None
    assert [u.id for u in seen] == [people["ana"], people["ana2"], people["bob"]]  # oldest first
    by_id = {u.id: u for u in seen}
    assert isinstance(by_id[people["ana2"]].role, PredefinedUserRole)
    assert str(by_id[people["ana2"]].role) == "ADMIN"
    assert str(by_id[people["bob"]].role) == "ANNOTATOR"
    assert by_id[people["bob"]].status == UserStatus.INVITED
    assert by_id[people["ana"]].status == UserStatus.ACTIVE
    assert all(isinstance(u.is_developer, bool) for u in seen)
    assert all(u.created_at is not None and u.created_at.tzinfo is not None for u in seen)

    invited = client.users.list(email=token, status=[UserStatus.INVITED])
    assert [u.id for u in invited.users] == [people["bob"]]
    assert calls(sb)[-1].query["status"] == ["INVITED"]


def test_get_user_by_email_and_by_id(client, sb, token, people):
    # users.get(user=<email>): one list call with the email filter, exact
    # case-insensitive match on the client side, never a GET by ID.
    found = client.users.get(user=f"ana.{token}@example.com")
    assert isinstance(found, User)
    assert found.id == people["ana"]
    assert found.email == f"Ana.{token}@Example.COM"
    assert summary(sb) == [("GET", USERS, 200)]
    assert calls(sb)[0].query["email"] == [f"ana.{token}@example.com"]

    assert client.users.get(user=f"na.{token}@example.com") is None  # partial is not exact

    sb.log.clear()
    by_id = client.users.get(user=people["bob"])
    assert by_id.email == f"bob.{token}@example.com"
    assert summary(sb) == [("GET", f"{USERS}/{people['bob']}", 200)]

    with pytest.raises(NotFoundException):
        client.users.get(user="VXNlcjo5OTk5OTk5OnRlc3Q=")  # User:9999999:test, never issued


def test_find_user_id_by_email_helper(client, sb, token, people):
    # The SDK's own resolver (used by users.bulk_delete): drains pages of 100.
    assert _find_user_id_by_email(client.users._api, f"BOB.{token}@EXAMPLE.COM") == people["bob"]
    assert calls(sb)[0].query == {"limit": ["100"], "email": [f"BOB.{token}@EXAMPLE.COM"]}
    with pytest.raises(NotFoundError):
        _find_user_id_by_email(client.users._api, f"carol.{token}@example.com")
