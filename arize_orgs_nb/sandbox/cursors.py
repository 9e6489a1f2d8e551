"""Opaque pagination cursors, signed and bound to the query that issued them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets

from arize_orgs_nb.sandbox.errors import ProblemError

_MAX_CURSOR_LENGTH = 512


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Encode and check keyset cursors.

    A cursor carries the endpoint kind, a digest of the filters and the sequence number of
    the last row served, plus an HMAC under a per-instance secret. Changing any byte, reusing
    it on another endpoint or with other filters gives a 400.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    @staticmethod
    def _bind(kind: str, filters: dict[str, object]) -> str:
        canonical = json.dumps([kind, filters], sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def encode(self, kind: str, filters: dict[str, object], after: int) -> str:
        """Issue a cursor that resumes after row ``after`` of the ``kind`` list with these ``filters``."""
        payload = json.dumps(
            {"k": kind, "q": self._bind(kind, filters), "a": after}, separators=(",", ":")
        ).encode("ascii")
        return _b64(payload) + "." + _b64(self._mac(payload))

    def decode(self, token: str, kind: str, filters: dict[str, object]) -> int:
        """The sequence number a cursor resumes after.

        Raises:
            ProblemError: 400 when the cursor is malformed, tampered with, or was issued for
                another endpoint or other filters.
        """
        bad = ProblemError(400, "cursor is not valid: pass next_cursor back unchanged")
        if len(token) > _MAX_CURSOR_LENGTH or token.count(".") != 1 or not token.isascii():
            raise bad
        head, _, sig = token.partition(".")
        try:
            payload = _unb64(head)
            mac = _unb64(sig)
        except (binascii.Error, ValueError):
            raise bad from None
        if _b64(payload) != head or not hmac.compare_digest(mac, self._mac(payload)):
            raise bad
        try:
            data = json.loads(payload)
        except ValueError:
            raise bad from None
        if not isinstance(data, dict) or not isinstance(data.get("a"), int):
            raise bad
        if data.get("k") != kind:
            raise ProblemError(400, f"cursor was issued by another endpoint, not the {kind} list")
        if data.get("q") != self._bind(kind, filters):
            raise ProblemError(
                400,
                "cursor was issued for a query with different filters; send the same filters with every page",
            )
        after: int = data["a"]
        return after
