"""Global IDs: standard base64 of ``<Kind>:<n>:<4 alnum>``."""

from __future__ import annotations

import base64
import binascii
import hashlib

from arize_orgs_nb.sandbox.errors import ProblemError, quote_value

ORGANIZATION = "Organization"
USER = "User"
MEMBERSHIP = "OrganizationMembership"

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_NOUNS = {ORGANIZATION: "organization", USER: "user", MEMBERSHIP: "membership"}


def _suffix(kind: str, n: int) -> str:
    digest = hashlib.blake2b(f"{kind}:{n}".encode(), digest_size=8).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:4])


def make_id(kind: str, n: int) -> str:
    """Build the global ID of object number ``n`` of a kind.

    The 4-character suffix is derived from kind and number, so IDs are deterministic.

    Args:
        kind: ``Organization``, ``User`` or ``OrganizationMembership``.
        n: The object's sequence number.

    Returns:
        The padded standard base64 ID.
    """
    text = f"{kind}:{n}:{_suffix(kind, n)}"
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def decode_id(value: str) -> str | None:
    """Decode a string the way the SDK's ``is_resource_id`` does.

    Args:
        value: A candidate ID.

    Returns:
        The decoded text when ``value`` is strict, canonical standard base64 of UTF-8
        text containing a colon; otherwise ``None``.
    """
    if not value or not value.isascii():
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != value:
        return None  # non-canonical padding bits or stray characters
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if ":" in text else None


def check_id(value: str, kind: str, what: str = "") -> str:
    """Validate that ``value`` is a well-formed ID of ``kind``.

    Args:
        value: The ID as received (already percent-decoded).
        kind: The expected kind prefix.
        what: How to name the value in the error (defaults to "<kind> id").

    Returns:
        ``value`` unchanged.

    Raises:
        ProblemError: 400 when the ID is malformed or of another kind.
    """
    label = what or f"{_NOUNS.get(kind, kind)} id"
    text = decode_id(value)
    if text is None:
        raise ProblemError(
            400,
            f"{label} {quote_value(value)} is not a valid ID: expected the standard base64 "
            f"encoding (with padding) of '{kind}:<number>:<suffix>'",
        )
    prefix = text.split(":", 1)[0]
    if prefix != kind:
        raise ProblemError(
            400,
            f"{label} {quote_value(value)} is a {prefix!r} ID, not an {kind!r} ID"
            if kind[0] in "AEIOU"
            else f"{label} {quote_value(value)} is a {prefix!r} ID, not a {kind!r} ID",
        )
    return value
