"""``Picker``: one search-as-you-type field that picks an id (docs/DESIGN.md, R39), and its sources.

One control per choice: a ``Combobox`` (a text field with suggestions). Typing narrows the
choices (case-insensitive substring of the searched text: name, email, id); the suggestions are
the first :data:`SUGGESTED` matches, so the page stays fast with 10,000 organizations, and every
entry can be reached by typing more. A count line says how many match. The pick is the entry
whose label is typed (or chosen from the suggestions) exactly, or the only match.

Suggestions are rendered as text by the browser (never as HTML); labels show invisible characters
visibly (``⟨U+200B⟩``), so two look-alike names can be told apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.widgets._base import css, field_note, label, note_html, wide
from arize_orgs_nb.widgets._messages import visible
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["SUGGESTED", "Choice", "Picker", "org_choices", "org_picker", "user_choices", "user_picker"]

Choice = tuple[str, str, str]
"""``(label, id, text searched)``."""

SUGGESTED = 50
"""Most suggestions listed at once (the count line says how many match in all)."""


def org_choices(snapshot: Snapshot) -> Callable[[], Sequence[Choice]]:
    """Organizations by name (the id is searchable too)."""

    def choices() -> list[Choice]:
        return [(visible(e.name), e.id, f"{e.name}\n{e.id}") for e in snapshot.org_entries()]

    return choices


def user_choices(snapshot: Snapshot) -> Callable[[], Sequence[Choice]]:
    """Users by email, with their name and account role; email, name and id are searchable."""

    def choices() -> list[Choice]:
        return [
            (f"{e.email} — {visible(e.name)} ({e.account_role or '?'})", e.id, f"{e.email}\n{e.name}\n{e.id}")
            for e in snapshot.user_entries()
        ]

    return choices


@dataclass(frozen=True)
class _Entry:
    label: str
    id: str
    folded: str  # the searched text, case-folded once
    folded_label: str


class Picker(widgets.VBox):
    """A search-as-you-type field over ``(label, id)`` choices; ``value`` is the id picked, or None.

    Args:
        choices: returns every ``(label, id, searched text)``.
        description: the field's label (``Organization``, ``User``).
        placeholder: the field's placeholder.
        css_prefix: CSS classes: ``<prefix>`` on the field, ``<prefix>-note`` on the count line.
        noun: what is picked, plural (``organizations``), for the count line.
        limit: most suggestions listed at once.
    """

    def __init__(
        self,
        choices: Callable[[], Sequence[Choice]],
        *,
        description: str,
        placeholder: str,
        css_prefix: str,
        noun: str,
        limit: int = SUGGESTED,
    ) -> None:
        super().__init__()
        self._choices = choices
        self._noun = noun
        self._limit = limit
        self._quiet = False
        self._selected: str | None = None
        self._entries: list[_Entry] = []
        self._labels: dict[str, str] = {}
        self._callbacks: list[Callable[[str | None], None]] = []
        self.matches = 0
        """How many entries match the text typed (all of them when it is empty)."""
        self.search = css(
            widgets.Combobox(
                description=description,
                placeholder=placeholder,
                options=(),
                ensure_option=False,
                continuous_update=True,
                layout=wide(),
                style=label(),
            ),
            css_prefix,
        )
        self.note = field_note(f"{css_prefix}-note")
        self.search.observe(self._on_text, "value")
        self.children = (self.search, self.note)
        css(self, "aonb-picker")

    @property
    def value(self) -> str | None:
        """The id picked, or None."""
        return self._selected

    @property
    def label(self) -> str | None:
        """The label of the pick, or None."""
        return None if self._selected is None else self._labels.get(self._selected)

    @property
    def disabled(self) -> bool:
        """Whether the field is disabled."""
        return bool(self.search.disabled)

    @disabled.setter
    def disabled(self, value: bool) -> None:
        self.search.disabled = value

    def on_change(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(id_or_None)`` whenever the pick changes (by typing or by :meth:`select`)."""
        self._callbacks.append(callback)

    def select(self, item_id: str | None) -> None:
        """Pick an item by id: the field then shows its label.

        Args:
            item_id: the id, or None to clear the field and the pick.

        Raises:
            ValueError: no such id.
        """
        if item_id is not None and item_id not in self._labels:
            self.reload()
            if item_id not in self._labels:
                raise ValueError(f"no item with id {item_id!r}")
        self._set_text("" if item_id is None else self._labels[item_id])
        self._update(prefer=item_id)

    def reload(self) -> None:
        """Rebuild the choices from the source; keep the pick while it is still there.

        When the field showed the pick's label and the label changed (a rename), it shows the new one.
        """
        old_label = self.label
        entries: list[_Entry] = []
        seen: set[str] = set()
        for text, item_id, searched in self._choices():
            shown = text if text not in seen else f"{text} ({item_id})"  # labels must tell entries apart
            seen.add(shown)
            entries.append(_Entry(shown, item_id, searched.casefold(), shown.casefold()))
        self._entries = entries
        self._labels = {e.id: e.label for e in entries}
        keep = self._selected if self._selected in self._labels else None
        if keep is not None and (self.search.value == old_label or not self._matches(keep)):
            self._set_text(self._labels[keep])  # renamed: the field follows, the pick stays
        self._update(prefer=keep)

    def _matches(self, item_id: str) -> bool:
        query = str(self.search.value).strip().casefold()
        return any(e.id == item_id and query in e.folded for e in self._entries)

    def _set_text(self, text: str) -> None:
        self._quiet = True
        try:
            self.search.value = text
        finally:
            self._quiet = False

    def _on_text(self, _change: Any) -> None:  # noqa: ANN401
        if not self._quiet:
            self._update(prefer=None)

    def _update(self, *, prefer: str | None) -> None:
        """Narrow to the text typed, suggest the first matches, say how many, pick if one is meant."""
        text = str(self.search.value)
        query = text.strip().casefold()
        matches = [e for e in self._entries if query in e.folded] if query else list(self._entries)
        picked = None
        if query:
            exact = [e for e in self._entries if e.label == text or e.id == text.strip()]
            if not exact:
                exact = [e for e in matches if e.folded_label == query]
            if len(exact) == 1:
                picked = exact[0].id
            elif len(matches) == 1:
                picked = matches[0].id
            elif prefer is not None and any(e.id == prefer for e in matches):
                picked = prefer
        self.matches = len(matches)
        self.search.options = tuple(e.label for e in matches[: self._limit])
        self.note.value = note_html(self._count(text, len(matches), picked), "aonb-picker-count")
        self._set(picked)

    def _count(self, text: str, found: int, picked: str | None) -> str:
        total = len(self._entries)
        if not total:
            return f"no {self._noun} to pick from"
        if not text.strip():
            return f"{total} {self._noun}: type to search"
        if not found:
            return f"no match among {total} {self._noun}"
        count = f"{found} of {total} match"
        if picked is not None:
            return f"{count} · picked: {self._labels[picked]}"
        if found > self._limit:
            return f"{count} (the first {self._limit} are suggested): type more to narrow"
        return f"{count}: type more, or choose one of the suggestions"

    def _set(self, item_id: str | None) -> None:
        if item_id == self._selected:
            return
        self._selected = item_id
        for callback in list(self._callbacks):
            callback(item_id)


def org_picker(snapshot: Snapshot, css_prefix: str) -> Picker:
    """The organization field of a form (by name or id)."""
    return Picker(
        org_choices(snapshot),
        description="Organization",
        placeholder="type part of a name (or an id)",
        css_prefix=css_prefix,
        noun="organizations",
    )


def user_picker(snapshot: Snapshot, css_prefix: str) -> Picker:
    """The user field of a form (by email, name or id)."""
    return Picker(
        user_choices(snapshot),
        description="User",
        placeholder="type part of an email or a name",
        css_prefix=css_prefix,
        noun="users",
    )
