"""Inline checks of what a user typed, run on every keystroke (no request is sent).

Layer: widgets (pure: imports no ipywidgets). Each check returns ``(errors, warnings)``: an error
disables the form's button; a warning is only shown. The rules follow docs/RELIABILITY.md, B5/V1
and B5/V2: reject blank, over-long and invisible/control characters; warn about edge whitespace
and non-NFC text; never normalise silently (the server stores names exactly as sent).
"""

from __future__ import annotations

import unicodedata

from arize_orgs_nb.models import DESCRIPTION_MAX, NAME_MAX
from arize_orgs_nb.rules import text_problems
from arize_orgs_nb.widgets._messages import visible
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["Checked", "check_description", "check_name"]

Checked = tuple[list[str], list[str]]
"""``(errors, warnings)``."""


def check_name(name: str, snapshot: Snapshot | None, *, except_id: str | None = None) -> Checked:
    """Check an organization name as typed.

    Args:
        name: the text of the name field.
        snapshot: the organizations, for the duplicate check (None skips it).
        except_id: the organization being renamed (it may keep its own name).

    Returns:
        ``(errors, warnings)``.
    """
    errors = text_problems(name, what="name", limit=NAME_MAX, blank_ok=False)
    warnings: list[str] = []
    if not name.strip():
        return errors, warnings
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
    return text_problems(description, what="description", limit=DESCRIPTION_MAX, blank_ok=True), []
