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
    """The global ID of object number ``n`` of a kind: padded standard base64, deterministic."""
    text = f"{kind}:{n}:{_suffix(kind, n)}"
    return base64.b64encode(text.encode("ascii")).decode("ascii")


def decode_id(value: str) -> str | None:
    """The decoded text of an ID, by the SDK's ``is_resource_id`` rule, or ``None``.

    An ID is strict, canonical standard base64 of UTF-8 text that holds a colon.
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
    """Return ``value`` if it is a well-formed ID of ``kind`` (else 400).

    ``what`` names the value in the error (default: ``"<kind> id"``).
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
        article = "an" if kind[0] in "AEIOU" else "a"
        raise ProblemError(400, f"{label} {quote_value(value)} is a {prefix!r} ID, not {article} {kind!r} ID")
    return value
