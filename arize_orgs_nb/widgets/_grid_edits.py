"""The Browse grid's pending edits, and their conversion to and from the frame a bulk plan reads.

Layer: widgets (pure: pandas, no ipywidgets). Edits are kept per organization (a changed name, a
changed description, a delete mark) and as new rows; nothing here sends anything. :meth:`to_frame`
is the edited frame ``client.organizations.plan(edited, base=...)`` accepts, and
:meth:`GridEdits.from_changes` reads a plan's changes back into edits, so a frame edited in code
loads into the grid checked by the very rules of the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from arize_orgs_nb.bulk.changes import Change, Op
from arize_orgs_nb.widgets._grid_rows import FIELDS, RowIndex

__all__ = ["NEW_PREFIX", "GridEdits", "NewOrg"]

NEW_PREFIX = "new:"
"""How the keys of new rows start (other keys are organization ids)."""

FRAME_DTYPES = {
    "id": "string",
    "name": "string",
    "description": "string",
    "created_at": "datetime64[ns, UTC]",
    "delete": "boolean",
}
"""The columns of :meth:`GridEdits.to_frame`: the organizations frame plus the ``delete`` marker."""


@dataclass
class NewOrg:
    """A row added in the grid: an organization to create."""

    key: str
    name: str = ""
    description: str = ""

    @property
    def blank(self) -> bool:
        """Nothing typed yet (such a row is left out of the plan)."""
        return not self.name and not self.description


@dataclass
class GridEdits:
    """What the grid would change: fields per organization id, delete marks, new rows.

    A field edited back to its loaded value is no edit. A delete mark hides the row's field
    edits from the plan (they come back when the mark is removed).
    """

    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    new: dict[str, NewOrg] = field(default_factory=dict)
    _added: int = 0

    def __bool__(self) -> bool:
        return bool(self.count())

    def count(self) -> int:
        """How many changes the edits make: one per edited field, delete mark and non-blank new row."""
        edited = sum(len(values) for org_id, values in self.fields.items() if org_id not in self.deletes)
        return edited + len(self.deletes) + sum(1 for row in self.new.values() if not row.blank)

    def value(self, key: str, name: str, loaded: str) -> str:
        """The value shown for a field: the edited one, else ``loaded``."""
        if key in self.new:
            return str(getattr(self.new[key], name))
        return self.fields.get(key, {}).get(name, loaded)

    def edited(self, key: str, name: str) -> bool:
        """Whether this field of this row is edited."""
        return name in self.fields.get(key, {})

    def set(self, key: str, name: str, value: str, loaded: str | None) -> None:
        """Edit one field (back to ``loaded`` removes the edit).

        Args:
            key: an organization id, or a new row's key.
            name: ``name`` or ``description``.
            value: the new value, raw.
            loaded: the loaded value (None for a new row).

        Raises:
            ValueError: an unknown field, or a new row's key that does not exist.
        """
        if name not in FIELDS:
            raise ValueError(f"only {' and '.join(FIELDS)} can be edited, not {name!r}")
        if key.startswith(NEW_PREFIX):
            if key not in self.new:
                raise ValueError(f"no new row {key!r}")
            setattr(self.new[key], name, value)
            return
        values = self.fields.setdefault(key, {})
        if value == loaded:
            values.pop(name, None)
        else:
            values[name] = value
        if not values:
            del self.fields[key]

    def mark_delete(self, key: str, on: bool = True) -> None:
        """Mark an organization for deletion (or unmark it); on a new row, ``on`` removes the row."""
        if key.startswith(NEW_PREFIX):
            if on:
                self.new.pop(key, None)
            return
        if on:
            self.deletes.add(key)
        else:
            self.deletes.discard(key)

    def add(self, name: str = "", description: str = "") -> str:
        """Add a new row; return its key."""
        self._added += 1
        key = f"{NEW_PREFIX}{self._added}"
        self.new[key] = NewOrg(key, name, description)
        return key

    def clear(self) -> None:
        """Forget every edit."""
        self.fields.clear()
        self.deletes.clear()
        self.new.clear()

    def prune(self, index: RowIndex) -> int:
        """Drop the edits of organizations no longer loaded, and edits now equal to the loaded value.

        Args:
            index: the organizations as loaded now.

        Returns:
            How many edits were dropped because their organization is gone.
        """
        gone = [org_id for org_id in {*self.fields, *self.deletes} if org_id not in index.position]
        for org_id in gone:
            self.fields.pop(org_id, None)
            self.deletes.discard(org_id)
        for org_id, values in list(self.fields.items()):
            org = index.loaded(org_id)
            for name, value in list(values.items()):
                if org is not None and getattr(org, name) == value:
                    self.set(org_id, name, value, value)
        return len(gone)

    def forget(self, change: Change, key: str) -> None:
        """Drop the edit a change of the plan came from, once it was applied.

        Args:
            change: an applied change.
            key: the grid row it came from (an id, or a new row's key).
        """
        if change.op is Op.CREATE:
            self.new.pop(key, None)
        elif change.op is Op.DELETE:
            self.deletes.discard(key)
            self.fields.pop(key, None)
        else:
            for name in change.after:
                self.fields.get(key, {}).pop(name, None)
            if not self.fields.get(key, True):
                del self.fields[key]

    def keys(self) -> list[str]:
        """The rows of :meth:`to_frame`, in its order: edited or marked organizations, then new rows."""
        edited = list(self.fields)
        edited += [org_id for org_id in sorted(self.deletes) if org_id not in self.fields]
        return edited + [key for key, row in self.new.items() if not row.blank]

    def to_frame(self, index: RowIndex) -> pd.DataFrame:
        """The edits as the frame a bulk plan reads (``id, name, description, created_at, delete``).

        One row per edited or delete-marked organization (with its loaded values where not
        edited, and its loaded ``created_at``), then one row per non-blank new row (no id). Rows
        are those of :meth:`keys`, with a fresh RangeIndex.

        Args:
            index: the organizations as loaded (the plan's base).

        Returns:
            The frame; ``client.organizations.plan(frame, base=index.frame)`` plans exactly these edits.
        """
        rows: list[dict[str, Any]] = []
        for key in self.keys():
            if key in self.new:
                row = self.new[key]
                new = {"id": None, "name": row.name, "description": row.description, "created_at": None}
                rows.append({**new, "delete": False})
                continue
            org = index.loaded(key)
            if org is None:
                raise ValueError(f"organization {key} is not loaded")
            rows.append(
                {
                    "id": key,
                    "name": self.value(key, "name", org.name),
                    "description": self.value(key, "description", org.description),
                    "created_at": org.created_at,
                    "delete": key in self.deletes,
                }
            )
        frame = pd.DataFrame(rows, columns=list(FRAME_DTYPES))
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
        return frame.astype(FRAME_DTYPES)

    @classmethod
    def from_changes(cls, changes: Iterable[Change]) -> GridEdits:
        """The edits a plan's changes stand for (creates become new rows).

        Args:
            changes: the changes of ``client.organizations.plan(...)`` (organizations only).

        Returns:
            The edits.

        Raises:
            ValueError: a change the grid cannot hold (a member change).
        """
        edits = cls()
        for change in changes:
            if change.op is Op.CREATE:
                edits.add(change.after.get("name") or "", change.after.get("description") or "")
            elif change.op is Op.DELETE and change.org_id:
                edits.deletes.add(change.org_id)
            elif change.op in (Op.RENAME, Op.DESCRIBE) and change.org_id:
                for name, value in change.after.items():
                    edits.fields.setdefault(change.org_id, {})[name] = value or ""
            else:
                raise ValueError(f"the grid edits organizations only, not {change.op.value} changes")
        return edits
