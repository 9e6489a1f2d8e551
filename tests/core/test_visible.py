"""The one notation for invisible characters (``arize_orgs_nb.visible``): properties and examples."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arize_orgs_nb.visible import SPACE, fields_note, invisible_difference, quoted, show

# Characters that draw nothing or pass for a plain space, listed by hand (not taken from the module).
INVISIBLE = [
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\u00a0",
    "\u00ad",
    "\u034f",
    "\u115f",
    "\u180e",
    "\u2000",
    "\u2007",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u202e",
    "\u2028",
    "\u2060",
    "\u2066",
    "\u2800",
    "\u3000",
    "\u3164",
    "\ufe0f",
    "\ufeff",
    "\U000e0041",
    "\ue000",
]
TRICKY = [" ", *INVISIBLE, "\u0301", "e", "é", "⟨", "⟩", SPACE, "\\", "u", "U", "+", "0", "A"]
TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(TRICKY)), max_size=16)
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"}


def looks_visible(char: str) -> bool:
    """An independent oracle: no control, format, separator (but the space) or unassigned character."""
    if char == " ":
        return True
    return unicodedata.category(char) not in INVISIBLE_CATEGORIES and char not in INVISIBLE


def seen(text: str) -> str:
    """What a reader sees of a text: its visible characters, NFC, whitespace runs as one space."""
    drawn = "".join(c for c in unicodedata.normalize("NFC", text) if looks_visible(c))
    return " ".join(drawn.split())


@st.composite
def pairs(draw):
    """Two different strings, often look-alikes (one edited invisibly from the other)."""
    text = draw(TEXT)
    edit = draw(st.sampled_from(["other", "append", "prepend", "insert", "nfd", "nfc"]))
    if edit == "other":
        other = draw(TEXT)
    elif edit == "nfd":
        text += draw(st.sampled_from(["é", "Å", "ñ", "\u212b", "한"]))
        other = unicodedata.normalize("NFD", text)
    elif edit == "nfc":
        other = unicodedata.normalize("NFC", text)
    else:
        char = draw(st.sampled_from(TRICKY))
        at = {"append": len(text), "prepend": 0}.get(edit, draw(st.integers(0, len(text))))
        other = text[:at] + char + text[at:]
    return text, other


@settings(max_examples=600, deadline=None)
@given(text=TEXT)
def test_a_rendering_holds_no_invisible_character(text):
    shown = show(text)
    assert all(looks_visible(c) for c in shown), shown
    assert not shown.startswith(" ") and not shown.endswith(" ") and "  " not in shown


def ascii_oracle(text: str) -> str:
    """Printable ASCII: only spaces can hide (at an edge, or next to another space)."""
    last = len(text) - 1
    return "".join(
        SPACE if c == " " and (i in (0, last) or text[i - 1] == " " or text[i + 1] == " ") else c
        for i, c in enumerate(text)
    )


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=24))
def test_printable_ascii_takes_the_fast_path_to_the_same_rendering(text):
    assert show(text) == ascii_oracle(text)


@settings(max_examples=1000, deadline=None)
@given(pair=pairs())
def test_two_different_strings_render_differently_or_get_a_note(pair):
    before, after = pair
    if before == after:
        return
    assert seen(show(before)) != seen(show(after)) or invisible_difference(before, after)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Team ", "Team␠"),
        (" Team", "␠Team"),
        ("a  b", "a␠␠b"),
        ("a b", "a b"),
        (" ", "␠"),
        ("", ""),
        ("a\u200bb\u202ec\u00a0d e", "a⟨U+200B⟩b⟨U+202E⟩c⟨U+00A0⟩d e"),
        ("one\ntwo\tthree", "one⟨U+000A⟩two⟨U+0009⟩three"),
        ("Team␠", "Team⟨U+2420⟩"),
        ("⟨U+200B⟩", "⟨U+27E8⟩U+200B⟨U+27E9⟩"),
        ("\\u00a0", "\\u00a0"),
        ("x\ufe0f\u2060\ufeff", "x⟨U+FE0F⟩⟨U+2060⟩⟨U+FEFF⟩"),
    ],
)
def test_the_notation(text, shown):
    assert show(text) == shown


@pytest.mark.parametrize(
    ("before", "after", "note"),
    [
        ("Team", "Team ", "trailing space added"),
        ("Team  ", "Team", "trailing space removed (2 times)"),
        ("Team", " Team", "leading space added"),
        ("a b", "a  b", "inner space added"),
        ("Team", "Team\u00a0", "no-break space (U+00A0) added"),
        ("Te\u200bam", "Team", "zero width space (U+200B) removed"),
        ("Team", "Team\t", "tab (U+0009) added"),
        ("Café", unicodedata.normalize("NFD", "Café"), "different Unicode form (NFC → NFD)"),
        ("a\u200bb", "ab\u200b", "invisible characters moved"),
    ],
)
def test_the_note_says_what_differs(before, after, note):
    assert invisible_difference(before, after) == f"differs only in invisible characters: {note}"


@pytest.mark.parametrize(
    ("before", "after"), [("Team", "Team"), ("Team", "Teams"), ("team", "Team"), (None, "Team"), ("a", None)]
)
def test_no_note_when_the_difference_shows(before, after):
    assert invisible_difference(before, after) is None


def test_fields_note_and_quoted():
    assert fields_note({"name": "Team"}, {"name": "Team "}) == (
        "name differs only in invisible characters: trailing space added"
    )
    assert fields_note({"name": "A"}, {"name": "B"}) is None
    assert quoted("Team ") == "“Team␠”" and quoted(None) == "(none)"
