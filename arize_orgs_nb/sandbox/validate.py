"""Validation of request bodies and query parameters (docs/API.md#undocumented-points: U1-U3, U9-U14, U20).

Rules: a missing or unparseable body, or JSON that is not an object, is 400; unknown or
read-only fields are 400 (or 422, configurable); well-formed JSON with a wrong type, a
``null`` in a non-nullable field or a missing required field is 422; values of the right
type that break a rule (length, enum, blank) are 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any, TypeVar
from urllib.parse import parse_qs

from arize_orgs_nb.sandbox.errors import ProblemError, quote_value

MAX_NAME = 255
MAX_DESCRIPTION = 1000
MAX_FILTER = 255
DEFAULT_LIMIT = 50
MAX_LIMIT = 100

T = TypeVar("T")

_JSON_TYPES = {str: "a string", bool: "a boolean", dict: "an object"}


def json_type_name(value: object) -> str:
    """The JSON type of a decoded value, for messages: ``"null"``, ``"a number"``, ``"an array"``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_object(body: bytes) -> dict[str, Any]:
    """Decode a body that must be a JSON object (400 when missing, not UTF-8 JSON, or not an object)."""
    if not body.strip():
        raise ProblemError(400, "request body is required (a JSON object)")
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProblemError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ProblemError(400, f"request body must be a JSON object, not {json_type_name(value)}")
    return value


def check_fields(
    obj: dict[str, Any], allowed: Collection[str], unknown_status: int, where: str = "body"
) -> None:
    """Reject fields that are not in the schema, with ``unknown_status`` (400 or 422)."""
    extra = [k for k in obj if k not in allowed]
    if extra:
        names = ", ".join(repr(k) for k in sorted(extra))
        read_only = [k for k in extra if k in {"id", "created_at"}]
        why = " (read-only fields are set by the server)" if read_only else ""
        raise ProblemError(
            unknown_status,
            f"unknown field(s) in {where}: {names}{why}; allowed: {', '.join(sorted(allowed))}",
        )


def require(obj: dict[str, Any], key: str, kind: type[T], where: str = "") -> T:
    """A required field of JSON type ``kind`` (422 when missing, null or of another type).

    ``where`` prefixes the field name in messages (``"role."``).
    """
    if key not in obj:
        raise ProblemError(422, f"{where}{key} is required")
    return expect_type(obj[key], key, kind, where)


def expect_type(value: object, key: str, kind: type[T], where: str = "") -> T:
    """Check the JSON type of a value (422 on a mismatch: booleans are not numbers, nor numbers booleans)."""
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok:
        raise ProblemError(422, f"{where}{key} must be {_JSON_TYPES[kind]}, not {json_type_name(value)}")
    if isinstance(value, str):
        check_text(value, f"{where}{key}")
    return value  # type: ignore[return-value]


def check_text(value: str, label: str) -> None:
    """Reject text that cannot be stored as UTF-8: lone surrogates (400)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ProblemError(400, f"{label} is not valid Unicode text (lone surrogate)") from None


def check_org_name(name: str) -> str:
    """Apply the organization name rules: 1-255 characters, not blank, stored as sent (else 400)."""
    if not name:
        raise ProblemError(400, "name must not be empty (1 to 255 characters)")
    if len(name) > MAX_NAME:
        raise ProblemError(400, f"name must be at most {MAX_NAME} characters (got {len(name)})")
    if not name.strip():
        raise ProblemError(400, "name must not be blank (whitespace only)")
    return name


def check_description(description: str) -> str:
    """Apply the description rule: at most 1000 characters (else 400)."""
    if len(description) > MAX_DESCRIPTION:
        raise ProblemError(
            400,
            f"description must be at most {MAX_DESCRIPTION} characters (got {len(description)})",
        )
    return description


def check_enum(value: str, allowed: Collection[str], label: str) -> str:
    """Check a value against an upper-case enum, ``allowed`` in display order (else 400; case-sensitive)."""
    if value not in allowed:
        hint = " (values are upper-case)" if value.upper() in allowed else ""
        raise ProblemError(
            400,
            f"{label} {quote_value(value)} is not valid; expected one of {', '.join(allowed)}{hint}",
        )
    return value


class Query:
    """Parsed query parameters with single-value accessors."""

    def __init__(self, query: str) -> None:
        self.params: dict[str, list[str]] = parse_qs(query, keep_blank_values=True)

    def one(self, key: str) -> str | None:
        """A parameter given at most once, or ``None`` when absent (400 when repeated)."""
        values = self.params.get(key)
        if not values:
            return None
        if len(values) > 1:
            raise ProblemError(400, f"query parameter {key!r} must be given at most once")
        check_text(values[0], key)
        return values[0]

    def many(self, key: str) -> list[str]:
        """Every value of a repeated parameter (empty when absent)."""
        return list(self.params.get(key, []))

    def limit(self) -> int:
        """``limit``: default 50, an integer from 1 to 100 (else 400)."""
        raw = self.one("limit")
        if raw is None:
            return DEFAULT_LIMIT
        if not re.fullmatch(r"[0-9]{1,6}", raw):
            raise ProblemError(
                400, f"limit must be an integer between 1 and {MAX_LIMIT} (got {quote_value(raw)})"
            )
        value = int(raw)
        if not 1 <= value <= MAX_LIMIT:
            raise ProblemError(400, f"limit must be between 1 and {MAX_LIMIT} (got {value})")
        return value

    def text_filter(self, key: str) -> str | None:
        """A substring filter of at most 255 characters, ``None`` when empty (else 400)."""
        raw = self.one(key)
        if not raw:
            return None
        if len(raw) > MAX_FILTER:
            raise ProblemError(400, f"{key} filter must be at most {MAX_FILTER} characters (got {len(raw)})")
        return raw
