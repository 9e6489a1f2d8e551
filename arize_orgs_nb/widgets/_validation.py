"""Inline checks of what a user typed, run on every keystroke (no request is sent).

Layer: widgets (pure: imports no ipywidgets). Each check returns ``(errors, warnings)``: an error
disables the form's button; a warning is only shown. The rules follow docs/RELIABILITY.md, B5/V1
and B5/V2: reject blank, over-long and invisible/control characters; warn about edge whitespace
and non-NFC text; never normalise silently (the server stores names exactly as sent).
"""

from __future__ import annotations

import unicodedata

from arize_orgs_nb.models import DESCRIPTION_MAX, NAME_MAX
from arize_orgs_nb.widgets._messages import visible
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["Checked", "check_description", "check_name", "role_rule_problem"]

Checked = tuple[list[str], list[str]]
"""``(errors, warnings)``."""


def _hidden(text: str, *, allow_newlines: bool = False) -> list[str]:
    allowed = "\n\t\r" if allow_newlines else ""
    found = []
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Zl", "Zp"):
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def check_name(name: str, snapshot: Snapshot | None, *, except_id: str | None = None) -> Checked:
    """Check an organization name as typed.

    Args:
        name: the text of the name field.
        snapshot: the organizations, for the duplicate check (None skips it).
        except_id: the organization being renamed (it may keep its own name).

    Returns:
        ``(errors, warnings)``.
    """
    errors: list[str] = []
    warnings: list[str] = []
    if not name.strip():
        errors.append("a name is required")
        return errors, warnings
    if len(name) > NAME_MAX:
        errors.append(f"the name has {len(name)} characters; the limit is {NAME_MAX}")
    hidden = _hidden(name)
    if hidden:
        errors.append(f"the name contains invisible or control characters ({', '.join(hidden)})")
    if snapshot is not None:
        holder = snapshot.name_taken_by(name, except_id=except_id)
        if holder is not None:
            errors.append(
                f"name already taken by “{visible(holder.name)}” (names are compared ignoring case)"
            )
    if name != name.strip():
        warnings.append("the name starts or ends with a space; it will be kept exactly as typed")
    if unicodedata.normalize("NFC", name) != name:
        warnings.append("the name is not in Unicode NFC form; it will be kept exactly as typed")
    return errors, warnings


def check_description(description: str) -> Checked:
    """Check a description as typed.

    Args:
        description: the text of the description field.

    Returns:
        ``(errors, warnings)``.
    """
    errors: list[str] = []
    if len(description) > DESCRIPTION_MAX:
        errors.append(f"the description has {len(description)} characters; the limit is {DESCRIPTION_MAX}")
    hidden = _hidden(description, allow_newlines=True)
    if hidden:
        errors.append(f"the description contains invisible or control characters ({', '.join(hidden)})")
    return errors, []


def role_rule_problem(account_role: str | None, role: str | None) -> str | None:
    """The annotator rule: annotator accounts get only ANNOTATOR, and only they get it.

    Args:
        account_role: the user's account role (``role_name`` of the users frame).
        role: the organization role chosen.

    Returns:
        The problem, or None when the pair is allowed (or not known yet).
    """
    if not account_role or not role:
        return None
    if account_role == "ANNOTATOR" and role != "ANNOTATOR":
        return "this user has an ANNOTATOR account: the only organization role they may get is ANNOTATOR"
    if account_role != "ANNOTATOR" and role == "ANNOTATOR":
        return f"ANNOTATOR is only for annotator accounts; this user's account role is {account_role}"
    return None
