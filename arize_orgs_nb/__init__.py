"""arize_orgs_nb: manage Arize organizations from a Jupyter notebook.

``import arize_orgs_nb`` reads no environment, opens no connection and imports no ipywidgets;
widgets live in :mod:`arize_orgs_nb.widgets`, the stand-in server in :mod:`arize_orgs_nb.sandbox`.
"""

from __future__ import annotations

from arize_orgs_nb._version import __version__
from arize_orgs_nb.client import ArizeOrgs
from arize_orgs_nb.config import RateLimit, RetryPolicy, Secret, Settings
from arize_orgs_nb.errors import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    InsecureTransportError,
    MissingAPIKeyError,
    NameNotFoundError,
    NotFoundError,
    OrgsNbError,
    PaginationError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    ResolutionError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)
from arize_orgs_nb.models import (
    CustomRoleAssignment,
    ListOrganizationsResponse,
    ListUsersResponse,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    PaginationMetadata,
    PredefinedRoleAssignment,
    Problem,
    User,
    UserRole,
    UserStatus,
)

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "ApiError",
    "ArizeOrgs",
    "AuthenticationError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "CustomRoleAssignment",
    "InsecureTransportError",
    "ListOrganizationsResponse",
    "ListUsersResponse",
    "MissingAPIKeyError",
    "NameNotFoundError",
    "NotFoundError",
    "Organization",
    "OrganizationMembership",
    "OrganizationRole",
    "OrgsNbError",
    "PaginationError",
    "PaginationMetadata",
    "PermissionDeniedError",
    "PredefinedRoleAssignment",
    "Problem",
    "ProtocolError",
    "RateLimit",
    "RateLimitError",
    "ResolutionError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "Settings",
    "TransportError",
    "UnprocessableEntityError",
    "User",
    "UserRole",
    "UserStatus",
    "__version__",
]
