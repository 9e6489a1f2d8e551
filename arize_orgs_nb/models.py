"""Pydantic v2 wire models for every object of the Organizations and Users API (docs/API.md#objects).

Layer: above ``config``. Response models ignore unknown keys (the server may add some, like
``request_id``) and validate on assignment; request models are strict and forbid unknown keys, so a
typo never reaches the wire. Response models also carry the official SDK's helpers
(``to_dict``, ``to_json``, ``to_str``, ``from_dict``, ``from_json``) with the same semantics.
"""

from __future__ import annotations

import json
import pprint
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    model_validator,
)

__all__ = [
    "AddOrganizationUserRequest",
    "CreateOrganizationRequest",
    "CustomRoleAssignment",
    "ListOrganizationsResponse",
    "ListUsersResponse",
    "Organization",
    "OrganizationMembership",
    "OrganizationRole",
    "OrganizationRoleAssignment",
    "PaginationMetadata",
    "PredefinedRoleAssignment",
    "Problem",
    "UpdateOrganizationRequest",
    "User",
    "UserPredefinedRoleAssignment",
    "UserRole",
    "UserRoleAssignment",
    "UserStatus",
]

NAME_MAX = 255
DESCRIPTION_MAX = 1000

_M = TypeVar("_M", bound="WireModel")


class TextEnum(StrEnum):
    """A string enum whose ``str()`` and ``format()`` are its value."""


class OrganizationRole(TextEnum):
    """Organization-level roles. Values are upper case; lower case is rejected (docs/API.md#roles; U20)."""

    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    READ_ONLY = "READ_ONLY"
    ANNOTATOR = "ANNOTATOR"


class UserRole(TextEnum):
    """Account-level roles of a user (``MEMBER_UI_ONLY`` exists since SDK 8.61)."""

    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANNOTATOR = "ANNOTATOR"
    MEMBER_UI_ONLY = "MEMBER_UI_ONLY"


class UserStatus(TextEnum):
    """Listing status of a user: verified, invited, or invitation lapsed."""

    ACTIVE = "ACTIVE"
    INVITED = "INVITED"
    EXPIRED = "EXPIRED"


class WireModel(BaseModel):
    """Base of response models: tolerant of unknown keys, validated on assignment.

    The helpers mirror the generated models of the official SDK: aliases are used, and ``None``
    is emitted only for nullable fields that were explicitly set.
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True, populate_by_name=True, frozen=False)

    _nullable_fields: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict (by alias; unset ``None`` fields left out)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name in self._nullable_fields & self.model_fields_set:
            if getattr(self, name) is None:
                data[name] = None
        return data

    def to_json(self) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict())

    def to_str(self) -> str:
        """Return a readable multi-line form of the model."""
        return pprint.pformat(self.model_dump(by_alias=True))

    @classmethod
    def from_dict(cls: type[_M], obj: dict[str, Any] | None) -> _M | None:
        """Build the model from a dict; ``None`` gives ``None``."""
        if obj is None:
            return None
        return cls.model_validate(obj)

    @classmethod
    def from_json(cls: type[_M], json_str: str) -> _M | None:
        """Build the model from a JSON string."""
        return cls.from_dict(json.loads(json_str))


class Organization(WireModel):
    """An organization: the top-level container of spaces in an account.

    Attributes:
        id: base64 global id (``Organization:<n>...`` encoded).
        name: unique within the account (the sandbox compares case-insensitively).
        description: ``""`` when none.
        created_at: creation time, timezone-aware (UTC).
    """

    id: StrictStr
    name: StrictStr
    description: StrictStr = ""
    created_at: datetime


class PaginationMetadata(WireModel):
    """Paging state of a list response; ``next_cursor`` is present only when ``has_more``."""

    has_more: StrictBool
    next_cursor: StrictStr | None = None

    _nullable_fields: ClassVar[frozenset[str]] = frozenset({"next_cursor"})


class ListOrganizationsResponse(WireModel):
    """One page of organizations."""

    organizations: list[Organization]
    pagination: PaginationMetadata


class PredefinedRoleAssignment(WireModel):
    """A predefined organization role: ``{"type": "PREDEFINED", "name": "MEMBER"}``."""

    type: Literal["PREDEFINED"] = "PREDEFINED"
    name: OrganizationRole

    def __str__(self) -> str:
        return self.name.value


class CustomRoleAssignment(WireModel):
    """A custom RBAC role by id (the API does not support these for organizations yet)."""

    type: Literal["CUSTOM"] = "CUSTOM"
    id: StrictStr
    name: StrictStr | None = None

    def __str__(self) -> str:
        return self.name or self.id


OrganizationRoleAssignment = Annotated[
    PredefinedRoleAssignment | CustomRoleAssignment, Field(discriminator="type")
]


class OrganizationMembership(WireModel):
    """A user's membership in an organization, as returned by ``add_user``."""

    id: StrictStr
    user_id: StrictStr
    organization_id: StrictStr
    role: OrganizationRoleAssignment


class UserPredefinedRoleAssignment(WireModel):
    """A predefined account-level role of a user."""

    type: Literal["PREDEFINED"] = "PREDEFINED"
    name: UserRole

    def __str__(self) -> str:
        return self.name.value


UserRoleAssignment = Annotated[
    UserPredefinedRoleAssignment | CustomRoleAssignment, Field(discriminator="type")
]


class User(WireModel):
    """A user of the account (docs/API.md#objects)."""

    id: StrictStr
    name: StrictStr
    email: StrictStr
    created_at: datetime
    status: UserStatus
    role: UserRoleAssignment
    is_developer: StrictBool = False


class ListUsersResponse(WireModel):
    """One page of users."""

    users: list[User]
    pagination: PaginationMetadata


class Problem(WireModel):
    """An RFC 9457 problem body. Every field is optional; extra keys are kept."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None


class _Request(BaseModel):
    """Base of request bodies: strict types, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", strict=True, hide_input_in_errors=False)

    def to_body(self) -> dict[str, Any]:
        """Return the JSON body, in the wire form the SDK sends: ``None`` fields left out."""
        return self.model_dump(mode="json", exclude_none=True)


def _check_name(value: str) -> str:
    if not value.strip():
        raise ValueError("name cannot be empty or only whitespace")
    return value


_Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(_check_name)]
_Description = Annotated[str, Field(max_length=DESCRIPTION_MAX)]


class CreateOrganizationRequest(_Request):
    """Body of ``POST /v2/organizations``; a ``None`` description is left out."""

    name: _Name
    description: _Description | None = None


class UpdateOrganizationRequest(_Request):
    """Body of ``PATCH /v2/organizations/{id}``: at least one field; ``""`` clears."""

    name: _Name | None = None
    description: _Description | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> UpdateOrganizationRequest:
        if self.name is None and self.description is None:
            raise ValueError("at least one of name or description must be provided")
        return self


class _PredefinedRoleRequest(_Request):
    type: Literal["PREDEFINED"] = "PREDEFINED"
    name: OrganizationRole


class _CustomRoleRequest(_Request):
    type: Literal["CUSTOM"] = "CUSTOM"
    id: str


class AddOrganizationUserRequest(_Request):
    """Body of ``POST /v2/organizations/{id}/users``."""

    user_id: str
    role: _PredefinedRoleRequest | _CustomRoleRequest

    @classmethod
    def build(
        cls,
        user_id: str,
        role: str | OrganizationRole | PredefinedRoleAssignment | CustomRoleAssignment,
    ) -> AddOrganizationUserRequest:
        """Build the body from a role given as a name or a role object.

        Args:
            user_id: the user's id.
            role: ``"MEMBER"`` (upper case), an :class:`OrganizationRole`, or a role object.

        Returns:
            The request.

        Raises:
            ValueError: an unknown or lower-case role name.
            TypeError: a role of another type.
        """
        if isinstance(role, CustomRoleAssignment):
            return cls(user_id=user_id, role=_CustomRoleRequest(id=role.id))
        if isinstance(role, PredefinedRoleAssignment):
            role = role.name
        if isinstance(role, OrganizationRole):
            return cls(user_id=user_id, role=_PredefinedRoleRequest(name=role))
        if not isinstance(role, str):
            raise TypeError(f"role must be a role name or a role object, not {type(role).__name__}")
        try:
            name = OrganizationRole(role)
        except ValueError:
            allowed = ", ".join(r.value for r in OrganizationRole)
            raise ValueError(f"unknown role {role!r}; expected one of {allowed}") from None
        return cls(user_id=user_id, role=_PredefinedRoleRequest(name=name))
