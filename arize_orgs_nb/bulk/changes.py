"""What a bulk edit will do: one :class:`Change` per write, and the :class:`Issue` list of a bad edit.

Layer: pure (no I/O). Changes are plain, frozen and JSON-serialisable so the journal can store the
full intent of an apply before anything is sent, and rebuild it after a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from arize_orgs_nb.models import TextEnum
from arize_orgs_nb.visible import show

__all__ = [
    "CASCADE_DELETE",
    "CASCADE_REMOVE",
    "FIELD_ORDER",
    "Change",
    "Expectation",
    "Op",
    "change_lines",
]

CASCADE_DELETE = (
    "deletes the organization and EVERYTHING in it: all its spaces with their projects, models, "
    "monitors, dashboards, datasets and experiments, and its integrations and API keys. "
    "Cannot be undone."
)
CASCADE_REMOVE = "removes the user from the organization AND from every space in it"
FIELD_ORDER = ("name", "description", "role")
"""The order fields are shown in: a create reads ``name``, then ``description``."""


class Op(TextEnum):
    """The kinds of write a plan can hold, in the order they are applied."""

    CREATE = "create"
    RENAME = "rename"
    DESCRIBE = "describe"
    SET_ROLE = "set_role"
    REMOVE_MEMBER = "remove_member"
    DELETE = "delete"

    @property
    def marker(self) -> str:
        """``+`` create, ``~`` change, ``-`` delete or remove."""
        return {"create": "+", "delete": "-", "remove_member": "-"}.get(self.value, "~")

    @property
    def destructive(self) -> bool:
        """True for writes that destroy data or access (they need confirmation)."""
        return self in (Op.DELETE, Op.REMOVE_MEMBER)


@dataclass(frozen=True)
class Change:
    """One write of a plan.

    Attributes:
        key: stable identity of the change (the journal's idempotency key).
        op: what it does.
        row: the label of the frame row it came from (for messages).
        org_id: the target organization (None for a create).
        org_name: the organization's name before the change (the new name for a create).
        before: field values before (``name``, ``description``, ``role``).
        after: field values after.
        user_id: the member (member changes only).
        user_email: the member's email, for display.
        note: warnings to show with the change (cascades, provenance).
    """

    key: str
    op: Op
    row: str
    org_id: str | None = None
    org_name: str = ""
    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str | None] = field(default_factory=dict)
    user_id: str | None = None
    user_email: str | None = None
    note: str = ""

    @property
    def fields(self) -> list[str]:
        """The fields it sets (or, for a delete, reads), in :data:`FIELD_ORDER`, then any other."""
        present = set(self.before) | set(self.after)
        return [f for f in FIELD_ORDER if f in present] + sorted(present - set(FIELD_ORDER))

    @property
    def risk(self) -> str:
        """``destructive`` for deletes and removals, else ``safe``."""
        return "destructive" if self.op.destructive else "safe"

    def to_json(self) -> str:
        """Serialise (for the journal)."""
        # Every field is a string, None or a flat dict of those: no deep copy (asdict) needed.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["op"] = self.op.value
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Change:
        """Rebuild a change written by :meth:`to_json`."""
        data: dict[str, Any] = json.loads(text)
        data["op"] = Op(data["op"])
        return cls(**data)


@dataclass(frozen=True)
class Expectation:
    """What a plan expects of one organization on the server before it writes (the stale check).

    Every plan carries one per organization it touches (bulk edits, a retry of what failed, an
    undo, a resume), and apply compares them with the server first: any difference refuses the
    plan, naming it, unless forced. ``None`` means "any value will do".

    Attributes:
        label: the organization's name to show in messages.
        names: the names it may bear now (``None``: any).
        descriptions: the descriptions it may have now (``None``: any).
        may_be_gone: it may already be deleted (a delete that may have landed).
    """

    label: str
    names: frozenset[str] | None = None
    descriptions: frozenset[str] | None = None
    may_be_gone: bool = False

    @classmethod
    def exactly(cls, name: str, description: str | None = None) -> Expectation:
        """The organization as it was read: this name, and this description unless ``None``."""
        return cls(name, frozenset({name}), None if description is None else frozenset({description}))

    def drift(self, now: tuple[str, str] | None) -> str | None:
        """How the organization differs from this expectation, or ``None`` when it matches.

        Args:
            now: its ``(name, description)`` on the server now, or ``None`` when it is gone.
        """
        if now is None:
            return None if self.may_be_gone else "was deleted"
        name, description = now
        if self.names is not None and name not in self.names:
            return f"was renamed to {name!r}"
        if self.descriptions is not None and description not in self.descriptions:
            return f"had its description changed to {description!r}"
        return None

    def widened(self, field: str, *values: str | None) -> Expectation:
        """This expectation, also accepting ``values`` for ``field`` (``None`` values are ignored)."""
        extra = frozenset(v for v in values if v is not None)
        if field == "name" and self.names is not None:
            return replace(self, names=self.names | extra)
        if field == "description" and self.descriptions is not None:
            return replace(self, descriptions=self.descriptions | extra)
        return self

    def requiring(self, field: str, value: str | None) -> Expectation:
        """This expectation, also requiring ``field`` to be ``value`` if it did not check it yet."""
        if value is None:
            return self
        if field == "name" and self.names is None:
            return replace(self, names=frozenset({value}))
        if field == "description" and self.descriptions is None:
            return replace(self, descriptions=frozenset({value}))
        return self

    def moved(self, field: str, value: str | None) -> Expectation:
        """This expectation once ``field`` was set to ``value`` (``None``: the org was deleted)."""
        if value is None:
            return replace(self, may_be_gone=True)
        if field == "name":
            return replace(self, label=value, names=frozenset({value}))
        if field == "description":
            return replace(self, descriptions=frozenset({value}))
        return self

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the journal)."""
        return {
            "label": self.label,
            "names": None if self.names is None else sorted(self.names),
            "descriptions": None if self.descriptions is None else sorted(self.descriptions),
            "may_be_gone": self.may_be_gone,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Expectation:
        """Rebuild an expectation written by :meth:`to_json`."""
        names, descriptions = data.get("names"), data.get("descriptions")
        return cls(
            str(data["label"]),
            None if names is None else frozenset(names),
            None if descriptions is None else frozenset(descriptions),
            bool(data.get("may_be_gone", False)),
        )


def _quoted(value: str | None, limit: int | None) -> str:
    if value is None:
        return "unknown"
    if value == "":
        return "(empty)"
    text = show(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def change_lines(change: Change, *, limit: int | None = None) -> list[str]:
    """What a change does, one plain-text line per field (values in the visible notation, not escaped).

    Plans, apply results, the journal's frame, the Activity tab and the review all say it this
    way: ``name: “Team” → “Team␠”``, ``description: “old” → (empty)``, a create as ``name: “A”``
    then ``description: “B”``, ``role: MEMBER → ADMIN`` (``role → ADMIN`` when the previous role is
    not recorded), ``deleted, with all of its spaces``.

    Args:
        change: one change.
        limit: the longest value shown, in characters (``None``: whole values).

    Returns:
        The lines, in :data:`FIELD_ORDER`.
    """
    if change.op is Op.DELETE:
        return [f"name: {_quoted(change.org_name, limit)} → deleted, with all of its spaces"]
    before_role = change.before.get("role")
    if change.op is Op.REMOVE_MEMBER:
        was = f"role: {before_role} → " if before_role else ""
        return [f"{was}removed from the organization and its spaces"]
    lines = []
    for name in change.fields:
        after = change.after.get(name)
        if name == "role":
            lines.append(f"role: {before_role} → {after}" if before_role else f"role → {after}")
        elif change.op is Op.CREATE:
            lines.append(f"{name}: {_quoted(after, limit)}")
        else:
            lines.append(f"{name}: {_quoted(change.before.get(name), limit)} → {_quoted(after, limit)}")
    return lines
