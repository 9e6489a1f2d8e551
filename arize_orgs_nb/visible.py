r"""One notation for characters that do not show: every display of a name or a value uses it.

Layer: bottom (pure; imports nothing from the package). A rename that only adds a trailing space,
a no-break space, a zero-width space or a decomposed accent looks like no change at all on
screen; :func:`show` renders a value so that no such difference can hide, and
:func:`invisible_difference` says in words how two values that look alike differ.

The notation:

* ``⟨U+XXXX⟩`` stands for one character that does not show by itself: controls (``Cc``: tab,
  line break, escape...), format characters (``Cf``: zero-width space and joiners, word joiner,
  BOM, soft hyphen, bidi controls...), every separator but the plain space (no-break, thin and
  ideographic spaces, line and paragraph separators), private-use, surrogate and unassigned code
  points, and the letters and marks that draw nothing (Hangul fillers, variation selectors, the
  combining grapheme joiner, Khmer and Mongolian invisible signs, the blank Braille pattern).
* ``␠`` stands for a plain space that is hard to see: at either end of the value, or next to
  another space (HTML collapses a run of spaces into one).
* The marker characters, when a value holds them literally, are markers too: ``⟨`` is shown as
  ``⟨U+27E8⟩``, ``⟩`` as ``⟨U+27E9⟩`` and ``␠`` as ``⟨U+2420⟩``. So every ``⟨`` on screen opens a
  marker and every ``␠`` is a space: the rendering is one-to-one, and a name that literally reads
  ``Team␠`` or ``⟨U+200B⟩`` cannot pass for ``Team `` or a zero-width space.
* Backslashes are ordinary characters. The notation deliberately avoids Python's ``\x``/``\u``
  escapes, so a name holding the six characters ``\u00a0`` shows them as typed and is never
  confused with a no-break space (``⟨U+00A0⟩``).

Two values that differ only by Unicode normal form (``é`` as one code point, NFC, or as ``e`` and
a combining accent, NFD) render alike, as they should; :func:`invisible_difference` names the
difference (``different Unicode form (NFC → NFD)``). The rendering is for displays only: what is
sent to the server and what data frames hold stay raw. Escape for HTML *after* rendering.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from typing import Literal

__all__ = [
    "LEGEND",
    "ONLY_INVISIBLE",
    "SPACE",
    "fields_note",
    "invisible_difference",
    "is_hidden",
    "marker",
    "quoted",
    "show",
    "show_controls",
]

SPACE = "␠"
"""What a plain space at either end of a value, or next to another space, is shown as."""

LEGEND = f"shown as ⟨U+…⟩, and a space at either end or next to another as {SPACE}"
"""How the notation reads, for prompts that show a name holding invisible characters."""

ONLY_INVISIBLE = "differs only in invisible characters"
"""How every note of :func:`invisible_difference` starts."""

_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"})
_BLANK = frozenset(
    [chr(c) for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0)]
    + [chr(c) for c in range(0x180B, 0x1810)]  # Mongolian free variation selectors and vowel separator
    + [chr(c) for c in range(0xFE00, 0xFE10)]  # variation selectors
    + [chr(c) for c in range(0xE0100, 0xE01F0)]  # variation selectors supplement
)
"""Letters, marks and symbols that draw nothing (default-ignorable or blank), though not ``C*``/``Z*``."""

_MARKERS = frozenset({"⟨", "⟩", SPACE})
_PLAIN = re.compile(r"[!-~]+(?: [!-~]+)*")
"""Text :func:`show` leaves as it is: printable ASCII words, one space between them."""
_NAMES = {"\t": "tab", "\n": "line break", "\r": "carriage return"}
_UNNAMED = {
    "Cc": "control character",
    "Cn": "unassigned character",
    "Co": "private-use character",
    "Cs": "surrogate",
}


def marker(char: str) -> str:
    """The marker of one character, its code point between angle brackets: ``⟨U+200B⟩``."""
    return f"⟨U+{ord(char):04X}⟩"


def is_hidden(char: str) -> bool:
    """Whether a character does not show by itself (and :func:`show` writes it as a marker).

    True for controls, format characters, separators other than the plain space, private-use,
    surrogate and unassigned code points, and the blank letters and marks.
    """
    return char in _BLANK or (char != " " and unicodedata.category(char) in _HIDDEN_CATEGORIES)


def show(text: str) -> str:
    """Render a value so that nothing in it is invisible (see the module for the notation).

    Args:
        text: a value as stored (a name, a description, an email...).

    Returns:
        The text with hidden characters as ``⟨U+XXXX⟩``, hard-to-see spaces as ``␠`` and literal
        marker characters as markers. Not HTML-escaped: escape the result.
    """
    if _PLAIN.fullmatch(text):
        return text  # printable ASCII, single inner spaces: nothing to mark (the common case, fast)
    out: list[str] = []
    last = len(text) - 1
    for index, char in enumerate(text):
        if char == " ":
            lonely = 0 < index < last and text[index - 1] != " " and text[index + 1] != " "
            out.append(" " if lonely else SPACE)
        elif char in _MARKERS or is_hidden(char):
            out.append(marker(char))
        else:
            out.append(char)
    return "".join(out)


def show_controls(text: str) -> str:
    r"""Mark the hidden characters of a message, but its line breaks and tabs (log-injection safe).

    Messages are prose around values: unlike :func:`show` (for values), spaces are left alone.

    Args:
        text: any text.

    Returns:
        The text with ``\x1b``, bidi controls and friends as ``⟨U+001B⟩``; tabs and newlines are kept.
    """
    return "".join(marker(c) if is_hidden(c) and c not in "\t\n\r" else c for c in text)


def quoted(value: str | None) -> str:
    """A value shown (:func:`show`) between curly quotes, ``“Team␠”``, or ``(none)`` for None."""
    return "(none)" if value is None else f"“{show(value)}”"


def _looks(text: str) -> str:
    """Roughly what a reader sees: hidden characters gone, whitespace runs as one space, NFC."""
    kept = [" " if char.isspace() else char for char in text if char.isspace() or not is_hidden(char)]
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def _spaces(text: str) -> Counter[str]:
    """Plain spaces at the start, at the end and inside."""
    leading = len(text) - len(text.lstrip(" "))
    trailing = len(text) - len(text.rstrip(" ")) if leading < len(text) else 0
    inner = text.count(" ") - leading - trailing
    return Counter({"leading space": leading, "trailing space": trailing, "inner space": inner})


def _hidden(text: str) -> Counter[str]:
    """Each hidden character, by name and code point."""
    return Counter(_name(char) for char in text if is_hidden(char))


def _name(char: str) -> str:
    category = unicodedata.category(char)
    name = _NAMES.get(char) or unicodedata.name(char, "").lower() or _UNNAMED.get(category, "character")
    return f"{name} ({marker(char)[1:-1]})"


def _form(text: str) -> str:
    forms: tuple[Literal["NFC", "NFD"], ...] = ("NFC", "NFD")
    return next((form for form in forms if unicodedata.is_normalized(form, text)), "neither NFC nor NFD")


def _counted(label: str, delta: int) -> str:
    times = f" ({abs(delta)} times)" if abs(delta) > 1 else ""
    return f"{label} {'added' if delta > 0 else 'removed'}{times}"


def invisible_difference(before: str | None, after: str | None) -> str | None:
    """How two values that look alike on screen differ, or None when they do not look alike.

    Args:
        before: the value before (None: there is none).
        after: the value after.

    Returns:
        ``"differs only in invisible characters: trailing space added"``, ``"...: zero width
        space (U+200B) removed"``, ``"...: different Unicode form (NFC → NFD)"``; None when the
        values are equal, one is missing, or they differ visibly.
    """
    if before is None or after is None or before == after or _looks(before) != _looks(after):
        return None
    reasons = []
    for counts in (_spaces, _hidden):
        old, new = counts(before), counts(after)
        reasons += [
            _counted(label, new[label] - old[label]) for label in old | new if new[label] != old[label]
        ]
    if _form(before) != _form(after):
        reasons.append(f"different Unicode form ({_form(before)} → {_form(after)})")
    if not reasons:
        same = unicodedata.normalize("NFC", before) == unicodedata.normalize("NFC", after)
        reasons.append("different Unicode form" if same else "invisible characters moved")
    return f"{ONLY_INVISIBLE}: {', '.join(reasons)}"


def fields_note(before: Mapping[str, str | None], after: Mapping[str, str | None]) -> str | None:
    """The :func:`invisible_difference` of every field of a change, in one line, or None.

    ``"name differs only in invisible characters: trailing space added"`` (fields joined with
    ``"; "``), or None when no field differs only invisibly.
    """
    notes = []
    for field in sorted(set(before) | set(after)):
        note = invisible_difference(before.get(field), after.get(field))
        if note is not None:
            notes.append(f"{field} {note}")
    return "; ".join(notes) or None
