"""What every command prints and writes: lines, plain-text tables, frames to files, a y/N prompt.

Layer: the command line's own toolbox (frames, rules and the visible notation only). Server text
reaches a terminal in the :mod:`~arize_orgs_nb.visible` notation, so a hidden character or an
escape code in a name shows instead of acting; a file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pandas as pd

from arize_orgs_nb.frames import CSV_TIME_FORMAT
from arize_orgs_nb.tables import CELL_WIDTH
from arize_orgs_nb.tables import text_cell as cell
from arize_orgs_nb.tables import text_table as table

__all__ = [
    "CELL_WIDTH",
    "CSV",
    "ERROR_WIDTH",
    "PARQUET",
    "CliError",
    "RefusedError",
    "cell",
    "console",
    "positive_int",
    "reason",
    "say",
    "suffix_of",
    "table",
    "write_frame",
    "write_text",
    "yes_or_no",
]

PARQUET = (".parquet", ".pq")
CSV = (".csv",)
ERROR_WIDTH = 100


class CliError(Exception):
    """A problem to print as ``error: ...`` with exit code 1 (no traceback)."""

    prefix = "error"


class RefusedError(CliError):
    """The command declined to write (unconfirmed, unanswered, stale); nothing was sent."""

    prefix = "refused"


def say(*parts: object, file: TextIO | None = None) -> None:
    """Write one line to ``file`` (standard output by default)."""
    stream = sys.stdout if file is None else file
    stream.write(" ".join(str(p) for p in parts) + "\n")
    stream.flush()


def console() -> TextIO:
    """Standard output, made safe for names in any script on any terminal encoding."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(errors="replace")
    return sys.stdout


def yes_or_no(question: str) -> bool:
    """Ask ``question`` on the terminal; only ``y`` or ``yes`` is yes (end of input is no)."""
    try:
        answer = input(question)
    except (EOFError, KeyboardInterrupt):
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def reason(exc: BaseException) -> str:
    """An exception's message on one short line (library errors can run to many)."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= ERROR_WIDTH else first[: ERROR_WIDTH - 1] + "…"


def suffix_of(path: Path) -> str:
    """The file's type, ``.csv`` or ``.parquet`` (``.pq``); anything else is refused."""
    suffix = path.suffix.lower()
    if suffix not in CSV + PARQUET:
        raise CliError(f"{path}: unknown file type {suffix or '(none)'!r}; use .csv or .parquet")
    return suffix


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Run ``write`` on a partial file beside ``path``, then move it over ``path`` at once."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        write(partial)
        os.replace(partial, path)
    except ImportError as exc:
        raise CliError(f"{path}: writing Parquet needs pyarrow ({exc})") from None
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise CliError(f"{path}: cannot write the file ({reason(exc)})") from None


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write a frame to ``.csv`` or ``.parquet``, whole or not at all (a stop leaves the old file)."""
    if suffix_of(path) in PARQUET:
        _replace(path, lambda partial: frame.to_parquet(partial, index=False))
    else:
        # Every time with its microseconds: the same bytes under pandas 2 and 3.
        _replace(path, lambda partial: frame.to_csv(partial, index=False, date_format=CSV_TIME_FORMAT))


def write_text(text: str, path: Path) -> None:
    """Write text (UTF-8), whole or not at all."""
    _replace(path, lambda partial: partial.write_text(text, encoding="utf-8"))
