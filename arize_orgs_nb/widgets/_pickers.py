"""``Picker``: a search box over a Dropdown of ``(label, id)`` pairs, and the org and user sources.

Dropdown option labels are rendered as text by ipywidgets (never as HTML), and labels show
invisible characters visibly (``⟨U+200B⟩``), so two look-alike names can be told apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from arize_orgs_nb.widgets._base import css, label, wide
from arize_orgs_nb.widgets._messages import esc, visible
from arize_orgs_nb.widgets._snapshot import Snapshot

__all__ = ["Choice", "Picker", "org_choices", "user_choices"]

Choice = tuple[str, str, str]
"""``(label, id, text searched)``."""


def org_choices(snapshot: Snapshot) -> Callable[[], Sequence[Choice]]:
    """Organizations by name (the id is searchable too)."""

    def choices() -> list[Choice]:
        return [(visible(e.name), e.id, f"{e.name}\n{e.id}") for e in snapshot.org_entries()]

    return choices


def user_choices(snapshot: Snapshot) -> Callable[[], Sequence[Choice]]:
    """Users by email, with their name and account role; email and name are searchable."""

    def choices() -> list[Choice]:
        return [
            (f"{e.email} — {visible(e.name)} ({e.account_role or '?'})", e.id, f"{e.email}\n{e.name}\n{e.id}")
            for e in snapshot.user_entries()
        ]

    return choices


class Picker(widgets.VBox):
    """A search Text over a Dropdown of ``(label, id)``; ``value`` is the id picked, or None.

    Typing narrows the list (case-insensitive substring of the searched text); when one item is
    left it is picked. :meth:`reload` keeps the pick when it is still listed.

    Args:
        choices: returns every ``(label, id, searched text)``.
        description: the Dropdown's label.
        placeholder: the search box's placeholder.
        css_prefix: CSS classes: ``<prefix>`` on the Dropdown, ``<prefix>-filter`` on the search
            box, ``<prefix>-note`` on the count line.
        limit: most options listed at once.
    """

    def __init__(
        self,
        choices: Callable[[], Sequence[Choice]],
        *,
        description: str,
        placeholder: str,
        css_prefix: str,
        limit: int = 200,
    ) -> None:
        super().__init__()
        self._choices = choices
        self._limit = limit
        self._quiet = False
        self._selected: str | None = None
        self._callbacks: list[Callable[[str | None], None]] = []
        self.search = css(
            widgets.Text(
                description="Search",
                placeholder=placeholder,
                continuous_update=True,
                layout=wide(),
                style=label(),
            ),
            f"{css_prefix}-filter",
        )
        self.dropdown = css(
            widgets.Dropdown(description=description, options=(), value=None, layout=wide(), style=label()),
            css_prefix,
        )
        self.note = css(widgets.HTML(), f"{css_prefix}-note")
        self.search.observe(self._on_search, "value")
        self.dropdown.observe(self._on_pick, "value")
        self.children = (self.search, self.dropdown, self.note)
        css(self, "aonb-picker")

    @property
    def value(self) -> str | None:
        """The id picked, or None."""
        return self._selected

    @property
    def label(self) -> str | None:
        """The label of the pick, or None."""
        return None if self._selected is None else str(self.dropdown.label)

    def on_change(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(id_or_None)`` whenever the pick changes."""
        self._callbacks.append(callback)

    def select(self, item_id: str | None) -> None:
        """Pick an item by id (clearing the search if it hides it).

        Args:
            item_id: the id, or None to clear the pick.

        Raises:
            ValueError: no such id.
        """
        if item_id is None:
            self._quiet = True
            try:
                self.dropdown.value = None
            finally:
                self._quiet = False
            self._set(None)
            return
        if item_id not in [v for _, v in self.dropdown.options]:
            if not any(c[1] == item_id for c in self._choices()):
                raise ValueError(f"no item with id {item_id!r}")
            self._quiet = True
            try:
                self.search.value = ""
            finally:
                self._quiet = False
            self.reload()
        self.dropdown.value = item_id

    def reload(self) -> None:
        """Rebuild the options from the source and the search text; keep the pick if listed."""
        query = self.search.value.casefold().strip()
        matches = [(label, item_id) for label, item_id, text in self._choices() if query in text.casefold()]
        shown = matches[: self._limit]
        ids = [item_id for _, item_id in shown]
        keep = self._selected if self._selected in ids else None
        if keep is None and len(shown) == 1:
            keep = shown[0][1]
        self._quiet = True
        try:
            self.dropdown.index = None
            self.dropdown.options = tuple(shown)
            self.dropdown.value = keep
        finally:
            self._quiet = False
        if not matches:
            note = "no match" if query else "nothing to pick from"
        elif len(matches) > len(shown):
            note = f"showing {len(shown)} of {len(matches)}: type to narrow the list"
        else:
            note = f"{len(matches)} match" + ("" if len(matches) == 1 else "es")
        self.note.value = f'<span style="color:#666">{esc(note)}</span>'
        self._set(keep)

    def _on_search(self, _change: Any) -> None:  # noqa: ANN401
        if not self._quiet:
            self.reload()

    def _on_pick(self, change: Any) -> None:  # noqa: ANN401
        if not self._quiet:
            self._set(change["new"])

    def _set(self, item_id: str | None) -> None:
        if item_id == self._selected:
            return
        self._selected = item_id
        for callback in list(self._callbacks):
            callback(item_id)
