"""The one choice of a progress bar, for drains and applies alike.

Layer: beside ``frames`` (tqdm only). ``progress=None`` shows a bar where it helps (a notebook, an
interactive terminal) and nothing elsewhere (CI logs, pipes); ``True`` always, ``False`` never; a
callable gets the counts instead of a bar. Decided when the work starts, never at import.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

__all__ = ["Bar", "progress_bar"]


class Bar(Protocol):
    """What the package uses of a tqdm bar."""

    def update(self, n: int) -> object:
        """Advance by ``n``."""
        ...

    def set_postfix_str(self, s: str, refresh: bool = ...) -> object:
        """Show ``s`` after the counts."""
        ...

    def close(self) -> None:
        """Finish the bar."""
        ...


def progress_bar(progress: object, *, desc: str, unit: str, total: int | None = None) -> Bar | None:
    """A tqdm bar (the notebook widget in Jupyter, text in a terminal), or ``None`` for none.

    Args:
        progress: ``None`` (a bar where interactive), ``True``, ``False``, or a callback (no bar).
        desc: the bar's label.
        unit: what it counts (``" rows"``, ``" changes"``).
        total: how many there will be, when known.
    """
    if progress is False or callable(progress):
        return None
    if progress is None and not _interactive():
        return None
    from tqdm.auto import tqdm

    bar: Any = tqdm(desc=desc, unit=unit, total=total, leave=True)
    return bar  # type: ignore[no-any-return]


def _interactive() -> bool:
    """True in a notebook or an interactive terminal: where a bar helps rather than clutters."""
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())
