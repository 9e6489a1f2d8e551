"""Routing, authentication and the endpoint handlers: a pure function of the request.

:meth:`App.handle` turns a :class:`Request` into a :class:`Response`; it never raises.
Faults, latency and logging are applied around it by :mod:`arize_orgs_nb.sandbox.core`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from arize_orgs_nb.sandbox import ids
from arize_orgs_nb.sandbox.cursors import CursorCodec
from arize_orgs_nb.sandbox.errors import ProblemError, quote_value
from arize_orgs_nb.sandbox.messages import Request, Response, json_response, problem_response
from arize_orgs_nb.sandbox.store import Store, temporary_password
from arize_orgs_nb.sandbox.validate import (
    Query,
    check_description,
    check_enum,
    check_fields,
    check_org_name,
    check_text,
    expect_type,
    parse_object,
    require,
)

ORG_ROLES = ("ADMIN", "MEMBER", "READ_ONLY", "ANNOTATOR")
USER_ROLES = ("ADMIN", "MEMBER", "ANNOTATOR")
USER_STATUSES = ("ACTIVE", "INVITED", "EXPIRED")
INVITE_MODES = ("NONE", "EMAIL_LINK", "TEMPORARY_PASSWORD")
ROLE_TYPES = ("PREDEFINED", "CUSTOM")
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MAX_EMAIL = 255

Handler = Callable[[Request, list[str]], Response]


def decode_path(raw_path: str) -> list[str]:
    """Split a raw path on ``/`` and percent-decode each segment.

    Args:
        raw_path: The path as sent.

    Returns:
        The decoded segments (the first is ``""`` for an absolute path).

    Raises:
        ProblemError: 400 when a segment is not UTF-8 after decoding.
    """
    try:
        return [unquote_to_bytes(seg).decode("utf-8") for seg in raw_path.split("/")]
    except UnicodeDecodeError:
        raise ProblemError(400, "path is not valid UTF-8 after percent-decoding") from None


def answer_problem(exc: ProblemError, raw_path: str) -> Response:
    """The problem+json response of a refused request (``Allow`` on a 405, ``WWW-Authenticate`` on a 401).

    Args:
        exc: The refusal.
        raw_path: The request path.

    Returns:
        The response.
    """
    headers = {}
    if exc.status == 405:
        headers["Allow"] = exc.detail.rsplit(": ", 1)[-1]
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="arize"'
    return problem_response(exc.status, exc.detail, raw_path, headers)


class App:
    """The request handler of the sandbox.

    Args:
        store: The state.
        cursors: The cursor codec.
        api_key: The admin bearer key.
        read_only_key: An optional key that may read but not write.
        unknown_field_status: Status for unknown or read-only body fields (400 or 422).
    """

    def __init__(
        self,
        store: Store,
        cursors: CursorCodec,
        *,
        api_key: str,
        read_only_key: str | None = None,
        unknown_field_status: int = 400,
    ) -> None:
        if unknown_field_status not in (400, 422):
            raise ValueError("unknown_field_status must be 400 or 422")
        self.store = store
        self.cursors = cursors
        self.api_key = api_key
        self.read_only_key = read_only_key
        self.unknown_field_status = unknown_field_status
        # route name -> {method: handler}
        self._routes: dict[str, dict[str, Handler]] = {
            "orgs": {"GET": self.list_orgs, "POST": self.create_org},
            "org": {"GET": self.get_org, "PATCH": self.update_org, "DELETE": self.delete_org},
            "org_users": {"POST": self.add_user},
            "org_user": {"DELETE": self.remove_user},
            "users": {"GET": self.list_users, "POST": self.create_user},
            "user": {"GET": self.get_user, "DELETE": self.delete_user},
        }

    # ------------------------------------------------------------------ routing

    @staticmethod
    def route(segments: list[str]) -> tuple[str, list[str]] | None:
        """Match decoded path segments to a route.

        Args:
            segments: Output of :func:`decode_path`.

        Returns:
            The route name and its path parameters, or ``None`` for an unknown path.
        """
        if len(segments) < 3 or segments[0] != "" or segments[1] != "v2":
            return None
        rest = segments[2:]
        if any(seg == "" for seg in rest):
            return None  # no trailing-slash aliasing, no empty IDs
        if rest[0] == "organizations":
            shapes = {1: "orgs", 2: "org"}
            if len(rest) in shapes:
                return shapes[len(rest)], rest[1:]
            if len(rest) == 3 and rest[2] == "users":
                return "org_users", [rest[1]]
            if len(rest) == 4 and rest[2] == "users":
                return "org_user", [rest[1], rest[3]]
        if rest[0] == "users" and len(rest) in (1, 2):
            return ("users" if len(rest) == 1 else "user"), rest[1:]
        return None

    def handle(self, req: Request) -> Response:
        """Answer one request (never raises).

        Args:
            req: The request.

        Returns:
            The response.
        """
        try:
            return self._dispatch(req)
        except ProblemError as exc:
            return answer_problem(exc, req.raw_path)
        except Exception as exc:  # the oracle must answer, even when it has a bug
            return problem_response(
                500, f"internal error in the sandbox: {type(exc).__name__}: {exc}", req.raw_path
            )

    def _dispatch(self, req: Request) -> Response:
        admin = self.authenticate(req)
        matched = self.route(decode_path(req.raw_path))
        if matched is None:
            raise ProblemError(404, f"no such endpoint: {quote_value(req.raw_path, 120)}")
        name, params = matched
        methods = self._routes[name]
        handler = methods.get(req.method)
        if handler is None:
            allowed = ", ".join(methods)
            raise ProblemError(405, f"method {req.method} is not allowed here; allowed: {allowed}")
        if req.method in WRITE_METHODS and not admin:
            raise ProblemError(
                403,
                "this API key is read-only: it may list and get, but not create, change or delete",
            )
        return handler(req, params)

    @staticmethod
    def _key(req: Request) -> str | None:
        value = req.headers.get("authorization", "")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def authenticate(self, req: Request) -> bool:
        """Check the request's bearer key.

        Args:
            req: The request.

        Returns:
            ``True`` for the admin key, ``False`` for the read-only key.

        Raises:
            ProblemError: 401 when the header is missing or malformed, or the key is not valid.
        """
        if "authorization" not in req.headers:
            raise ProblemError(401, "missing Authorization header; send 'Authorization: Bearer <API key>'")
        key = self._key(req)
        if key is None:
            raise ProblemError(401, "Authorization header must be 'Bearer <API key>'")
        if key != self.api_key and (self.read_only_key is None or key != self.read_only_key):
            raise ProblemError(401, "the API key is not valid")
        return key == self.api_key

    # ------------------------------------------------------------ organizations

    def list_orgs(self, req: Request, params: list[str]) -> Response:
        """``GET /v2/organizations``."""
        query = Query(req.query)
        limit = query.limit()
        name = query.text_filter("name")
        filters: dict[str, object] = {"name": name}
        cursor = query.one("cursor")
        after = self.cursors.decode(cursor, "organizations", filters) if cursor else 0
        rows, last = self.store.list_orgs(after, name.casefold() if name else None, limit)
        pagination = self._page(rows, limit, "organizations", filters, last)
        return json_response(200, {"organizations": rows[:limit], "pagination": pagination})

    def _page(
        self,
        rows: list[dict[str, Any]],
        limit: int,
        kind: str,
        filters: dict[str, object],
        last: int,
    ) -> dict[str, object]:
        if len(rows) > limit:
            return {"has_more": True, "next_cursor": self.cursors.encode(kind, filters, last)}
        return {"has_more": False}

    def create_org(self, req: Request, params: list[str]) -> Response:
        """``POST /v2/organizations``."""
        obj = parse_object(req.body)
        check_fields(obj, ("name", "description"), self.unknown_field_status)
        name = require(obj, "name", str)
        description = ""
        if "description" in obj:
            description = expect_type(obj["description"], "description", str)
        check_org_name(name)
        check_description(description)
        return json_response(201, self.store.create_org(name, description))

    def get_org(self, req: Request, params: list[str]) -> Response:
        """``GET /v2/organizations/{org_id}``."""
        org_id = ids.check_id(params[0], ids.ORGANIZATION)
        return json_response(200, self.store.get_org(org_id))

    def update_org(self, req: Request, params: list[str]) -> Response:
        """``PATCH /v2/organizations/{org_id}``."""
        org_id = ids.check_id(params[0], ids.ORGANIZATION)
        obj = parse_object(req.body)
        check_fields(obj, ("name", "description"), self.unknown_field_status)
        if not obj:
            raise ProblemError(400, "at least one of name or description must be provided")
        name: str | None = None
        description: str | None = None
        if "name" in obj:
            name = expect_type(obj["name"], "name", str)
        if "description" in obj:
            raw = obj["description"]
            description = "" if raw is None else expect_type(raw, "description", str)
        if name is not None:
            check_org_name(name)
        if description is not None:
            check_description(description)
        return json_response(200, self.store.update_org(org_id, name, description))

    def delete_org(self, req: Request, params: list[str]) -> Response:
        """``DELETE /v2/organizations/{org_id}``."""
        org_id = ids.check_id(params[0], ids.ORGANIZATION)
        self.store.delete_org(org_id)
        return Response(204)

    def _role(self, obj: dict[str, Any], allowed: tuple[str, ...], scope: str) -> str:
        if "role" not in obj:
            raise ProblemError(422, "role is required")
        role = obj["role"]
        if isinstance(role, str):
            raise ProblemError(
                400,
                'role must be an object such as {"type": "PREDEFINED", "name": "MEMBER"}, '
                f"not the bare string {quote_value(role)}",
            )
        expect_type(role, "role", dict)
        role_type = require(role, "type", str, "role.")
        check_enum(role_type, ROLE_TYPES, "role.type")
        if role_type == "CUSTOM":
            raise ProblemError(400, f"custom roles not supported for {scope}")
        check_fields(role, ("type", "name"), self.unknown_field_status, "role")
        role_name = require(role, "name", str, "role.")
        return check_enum(role_name, allowed, "role.name")

    def add_user(self, req: Request, params: list[str]) -> Response:
        """``POST /v2/organizations/{org_id}/users`` (upsert)."""
        org_id = ids.check_id(params[0], ids.ORGANIZATION)
        obj = parse_object(req.body)
        check_fields(obj, ("user_id", "role"), self.unknown_field_status)
        user_id = require(obj, "user_id", str)
        role = self._role(obj, ORG_ROLES, "organizations")
        ids.check_id(user_id, ids.USER, "user_id")
        return json_response(200, self.store.add_member(org_id, user_id, role))

    def remove_user(self, req: Request, params: list[str]) -> Response:
        """``DELETE /v2/organizations/{org_id}/users/{user_id}``."""
        org_id = ids.check_id(params[0], ids.ORGANIZATION)
        user_id = ids.check_id(params[1], ids.USER)
        self.store.remove_member(org_id, user_id)
        return Response(204)

    # -------------------------------------------------------------------- users

    def list_users(self, req: Request, params: list[str]) -> Response:
        """``GET /v2/users``."""
        query = Query(req.query)
        limit = query.limit()
        email = query.text_filter("email")
        raw_statuses = query.many("status")
        for value in raw_statuses:
            check_text(value, "status")
            check_enum(value, USER_STATUSES, "status")
        statuses = sorted(set(raw_statuses)) if raw_statuses else list(USER_STATUSES)
        filters: dict[str, object] = {"email": email, "status": statuses}
        cursor = query.one("cursor")
        after = self.cursors.decode(cursor, "users", filters) if cursor else 0
        rows, last = self.store.list_users(after, email.casefold() if email else None, statuses, limit)
        pagination = self._page(rows, limit, "users", filters, last)
        return json_response(200, {"users": rows[:limit], "pagination": pagination})

    def get_user(self, req: Request, params: list[str]) -> Response:
        """``GET /v2/users/{user_id}``."""
        user_id = ids.check_id(params[0], ids.USER)
        return json_response(200, self.store.get_user(user_id))

    def create_user(self, req: Request, params: list[str]) -> Response:
        """``POST /v2/users``."""
        obj = parse_object(req.body)
        check_fields(obj, ("name", "email", "role", "invite_mode", "is_developer"), self.unknown_field_status)
        name = require(obj, "name", str).strip()
        email = require(obj, "email", str).strip()
        role = self._role(obj, USER_ROLES, "users")
        invite_mode = require(obj, "invite_mode", str)
        is_developer = obj.get("is_developer")
        if is_developer is not None:
            expect_type(is_developer, "is_developer", bool)
        check_enum(invite_mode, INVITE_MODES, "invite_mode")
        if not name:
            raise ProblemError(400, "name must not be empty or blank (1 to 255 characters)")
        if len(name) > 255:
            raise ProblemError(400, f"name must be at most 255 characters (got {len(name)})")
        local, at, domain = email.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in email):
            raise ProblemError(400, f"email {quote_value(email)} is not a valid email address")
        if len(email) > MAX_EMAIL:
            raise ProblemError(400, f"email must be at most {MAX_EMAIL} characters")
        user, created = self.store.create_user(
            name,
            email,
            role,
            "INVITED" if invite_mode == "EMAIL_LINK" else "ACTIVE",
            bool(is_developer) if is_developer is not None else role != "ANNOTATOR",
        )
        if not created:
            return json_response(200, user)
        if invite_mode == "TEMPORARY_PASSWORD":
            user = {**user, "temporary_password": temporary_password()}
        return json_response(201, user)

    def delete_user(self, req: Request, params: list[str]) -> Response:
        """``DELETE /v2/users/{user_id}`` (deactivates; idempotent)."""
        user_id = ids.check_id(params[0], ids.USER)
        self.store.delete_user(user_id)
        return Response(204)
