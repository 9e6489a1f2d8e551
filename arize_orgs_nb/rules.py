"""Every rule a value must meet before anything is sent, written once for plans, widgets and the CLI.

Layer: beside ``frames`` (pure: models and pandas only). The plan reports these as row issues,
the forms as inline errors on every keystroke, the CLI as file problems: the same rule gives the
same words everywhere (docs/RELIABILITY.md, B5/V1 and B5/V2).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

import pandas as pd

from arize_orgs_nb.models import OrganizationRole

__all__ = [
    "ROLES",
    "annotator_problem",
    "hidden_characters",
    "is_missing",
    "read_flag",
    "role_problem",
    "text_problems",
    "unconfirmed",
]

ROLES = tuple(r.value for r in OrganizationRole)
"""The organization roles, in display order: ADMIN, MEMBER, READ_ONLY, ANNOTATOR."""

_LINE_BREAKS = frozenset("\n\t\r")
# Control, format (zero-width, bidi), private-use, line and paragraph separators: never typed on purpose.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Zl", "Zp"})


def is_missing(value: object) -> bool:
    """Whether a frame cell holds no value: ``None``, ``pd.NA``, ``pd.NaT`` or a float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def hidden_characters(text: str, *, allow_line_breaks: bool = False) -> list[str]:
    """The invisible or control characters of ``text``, as ``U+XXXX`` codes, each once, in order.

    Args:
        text: the value.
        allow_line_breaks: let newlines, tabs and carriage returns through (descriptions).
    """
    found: list[str] = []
    for char in text:
        if allow_line_breaks and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def text_problems(value: object, *, what: str, limit: int, blank_ok: bool) -> list[str]:
    """What is wrong with a name or a description (empty list: nothing).

    Args:
        value: the value.
        what: ``"name"`` or ``"description"``.
        limit: the most characters allowed.
        blank_ok: an empty or whitespace-only value is allowed (descriptions).
    """
    if not isinstance(value, str):
        return [f"{what} must be text, not {type(value).__name__} {value!r}"]
    problems = []
    if not blank_ok and not value.strip():
        problems.append(f"{what} cannot be empty or only whitespace")
    if len(value) > limit:
        problems.append(f"{what} has {len(value)} characters; the limit is {limit}")
    hidden = hidden_characters(value, allow_line_breaks=what != "name")
    if hidden:
        problems.append(f"{what} contains invisible or control characters ({', '.join(hidden[:5])})")
    return problems


def role_problem(role: object) -> str | None:
    """What is wrong with an organization role as given, or ``None``.

    Roles are exact and upper case; a lower-case or misspelt one gets a hint.
    """
    if is_missing(role) or not isinstance(role, str) or not role.strip():
        return f"role is missing; expected one of {', '.join(ROLES)}"
    if role in ROLES:
        return None
    fixed = role.strip().upper().replace("-", "_").replace(" ", "_")
    if fixed in ROLES:
        return f"invalid role {role!r}: roles are upper case, e.g. {fixed!r}"
    close = difflib.get_close_matches(role.upper(), ROLES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"invalid role {role!r}{hint} (expected one of {', '.join(ROLES)})"


def annotator_problem(account_role: str | None, role: str | None, *, who: str = "this user") -> str | None:
    """The annotator rule: annotator accounts get only ANNOTATOR, and only they get it.

    Args:
        account_role: the user's account role (``role_name`` of the users frame).
        role: the organization role chosen.
        who: how to name the user in the message (an email).

    Returns:
        The problem, or ``None`` when the pair is allowed (or not known yet).
    """
    if not account_role or not role:
        return None
    if account_role == "ANNOTATOR" and role != "ANNOTATOR":
        return f"{who} has an ANNOTATOR account: the only organization role they may get is ANNOTATOR"
    if account_role != "ANNOTATOR" and role == "ANNOTATOR":
        return f"ANNOTATOR is only for annotator accounts; {who} has the account role {account_role}"
    return None


def read_flag(value: object) -> bool | None:
    """Read a delete/remove marker: True/False, 1/0, yes/no, x, blank. ``None`` when unreadable."""
    if is_missing(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "x", "delete", "remove"):
        return True
    if text in ("false", "0", "no", "n", ""):
        return False
    return None


class _Destructive(Protocol):
    @property
    def org_name(self) -> str: ...

    @property
    def org_id(self) -> str | None: ...


D = TypeVar("D", bound=_Destructive)


def unconfirmed(destructive: Sequence[D], confirm: bool | Iterable[str] | None) -> list[D]:
    """The destructive changes that ``confirm`` does not confirm, each on its own.

    ``True`` confirms all; otherwise every change needs its organization's exact name (code point
    for code point: no trimming, case folding or normalisation) or its id in ``confirm``.
    """
    if confirm is True:
        return []
    confirmed = set() if confirm is None or confirm is False else set(confirm)
    return [c for c in destructive if c.org_name not in confirmed and c.org_id not in confirmed]
