"""Counts in words, for every message: ``counted(1, "change")`` is "1 change", 2 gives "2 changes".

Layer: bottom (pure; imports nothing from the package).
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and the noun, singular for exactly one.

    Args:
        count: how many.
        noun: the singular ("change", "destructive change").
        plural: the plural when it is not the noun plus "s".

    Returns:
        ``"1 change"``, ``"0 changes"``, ``"3 changes"``.
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
