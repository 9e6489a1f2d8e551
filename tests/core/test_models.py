import json
from datetime import UTC

import pytest
from pydantic import ValidationError

from arize_orgs_nb.models import (
    AddOrganizationUserRequest,
    CreateOrganizationRequest,
    CustomRoleAssignment,
    ListOrganizationsResponse,
    Organization,
    OrganizationMembership,
    PaginationMetadata,
    PredefinedRoleAssignment,
    Problem,
    UpdateOrganizationRequest,
    User,
)

ORG = {
    "id": "T3JnYW5pemF0aW9uOjE6YWJjZA==",
    "name": "Agent Eng",
    "description": "",
    "created_at": "2024-01-02T03:04:05Z",
}


def test_responses_ignore_unknown_keys():
    org = Organization.from_dict({**ORG, "request_id": "req_1", "future_field": [1]})
    assert org is not None
    assert org.name == "Agent Eng"
    assert org.created_at.tzinfo is not None
    assert org.created_at.utcoffset() == UTC.utcoffset(None)


def test_helpers_round_trip_with_the_sdk_semantics():
    org = Organization.from_json(json.dumps(ORG))
    assert org is not None
    assert org.to_dict() == ORG
    assert json.loads(org.to_json()) == ORG
    assert "Agent Eng" in org.to_str()
    assert Organization.from_dict(None) is None


def test_none_is_emitted_only_for_nullable_fields_that_were_set():
    assert PaginationMetadata(has_more=False).to_dict() == {"has_more": False}
    assert PaginationMetadata(has_more=False, next_cursor=None).to_dict() == {
        "has_more": False,
        "next_cursor": None,
    }


def test_models_validate_on_assignment():
    org = Organization.model_validate(ORG)
    with pytest.raises(ValidationError):
        org.name = 5  # type: ignore[assignment]


def test_strict_types_in_responses():
    with pytest.raises(ValidationError):
        Organization.model_validate({**ORG, "id": 123})
    with pytest.raises(ValidationError):
        PaginationMetadata.model_validate({"has_more": "false"})


def test_role_union_dispatches_on_type():
    base = {"id": "m", "user_id": "u", "organization_id": "o"}
    predefined = OrganizationMembership.model_validate(
        {**base, "role": {"type": "PREDEFINED", "name": "ADMIN"}}
    )
    custom = OrganizationMembership.model_validate(
        {**base, "role": {"type": "CUSTOM", "id": "r1", "name": "Auditor"}}
    )
    assert isinstance(predefined.role, PredefinedRoleAssignment)
    assert isinstance(custom.role, CustomRoleAssignment)
    assert str(predefined.role) == "ADMIN"
    assert str(custom.role) == "Auditor"
    with pytest.raises(ValidationError):
        OrganizationMembership.model_validate({**base, "role": {"type": "PREDEFINED", "name": "admin"}})
    with pytest.raises(ValidationError):
        OrganizationMembership.model_validate({**base, "role": "MEMBER"})


def test_user_model():
    user = User.model_validate(
        {
            "id": "VXNlcjox",
            "name": "Ana",
            "email": "ana@example.com",
            "created_at": "2024-01-01T00:00:00Z",
            "status": "INVITED",
            "role": {"type": "PREDEFINED", "name": "ANNOTATOR"},
            "is_developer": False,
        }
    )
    assert user.status.value == "INVITED"
    assert str(user.role) == "ANNOTATOR"


def test_list_page_and_problem():
    page = ListOrganizationsResponse.model_validate(
        {"organizations": [ORG], "pagination": {"has_more": True, "next_cursor": "c"}}
    )
    assert page.pagination.next_cursor == "c"
    problem = Problem.model_validate({"title": "Conflict", "status": 409, "request_id": "req_9", "extra": 1})
    assert problem.request_id == "req_9"


def test_requests_are_strict():
    with pytest.raises(ValidationError):
        CreateOrganizationRequest(name="")
    with pytest.raises(ValidationError):
        CreateOrganizationRequest(name="   ")
    with pytest.raises(ValidationError):
        CreateOrganizationRequest(name="x" * 256)
    with pytest.raises(ValidationError):
        CreateOrganizationRequest(name="ok", description="x" * 1001)
    with pytest.raises(ValidationError):
        CreateOrganizationRequest.model_validate({"name": "ok", "id": "x"})
    with pytest.raises(ValidationError):
        CreateOrganizationRequest.model_validate({"name": 5})
    assert CreateOrganizationRequest(name="x" * 255).to_body() == {"name": "x" * 255}
    assert CreateOrganizationRequest(name="a", description="d").to_body() == {"name": "a", "description": "d"}


def test_update_needs_a_field_and_empty_description_clears():
    with pytest.raises(ValidationError, match="at least one"):
        UpdateOrganizationRequest()
    assert UpdateOrganizationRequest(description="").to_body() == {"description": ""}
    assert UpdateOrganizationRequest(name="n").to_body() == {"name": "n"}


@pytest.mark.parametrize("role", ["MEMBER", PredefinedRoleAssignment(name="MEMBER")])
def test_add_user_body_matches_the_sdk_wire_form(role):
    body = AddOrganizationUserRequest.build("VXNlcjoxMjM0NQ==", role).to_body()
    assert body == {"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "PREDEFINED", "name": "MEMBER"}}


def test_add_user_role_errors():
    with pytest.raises(ValueError, match="unknown role 'member'"):
        AddOrganizationUserRequest.build("u", "member")
    with pytest.raises(TypeError):
        AddOrganizationUserRequest.build("u", 3)  # type: ignore[arg-type]
    body = AddOrganizationUserRequest.build("u", CustomRoleAssignment(id="r1", name="ignored")).to_body()
    assert body == {"user_id": "u", "role": {"type": "CUSTOM", "id": "r1"}}
