"""The bulk commands run in-process through ``main(argv)``, against a served sandbox."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import pytest

from arize_orgs_nb.cli.main import main
from arize_orgs_nb.sandbox import Sandbox

KEY = "cli-inprocess-secret-Q3v8"


@dataclass(frozen=True)
class Run:
    """How one command ended: its exit code and what it printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def sb():
    with Sandbox(api_key=KEY, orgs=8, users=4, seed=3) as server:
        server.serve()
        yield server


@pytest.fixture
def cli(sb, tmp_path, monkeypatch, capsys):
    """``cli("plan", "orgs.csv")``: run a command in tmp_path with a temporary HOME and journal."""
    for name in [n for n in os.environ if n.startswith("ARIZE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ARIZE_ORGS_NB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARIZE_API_KEY", KEY)
    monkeypatch.setenv("ARIZE_API_HOST", "127.0.0.1")
    monkeypatch.setenv("ARIZE_API_PORT", sb.url.rsplit(":", 1)[1])
    monkeypatch.setenv("ARIZE_API_SCHEME", "http")
    monkeypatch.chdir(tmp_path)
    journal = tmp_path / "journal.sqlite3"

    def run(*args: str, journal_file=journal) -> Run:
        """Run one command; ``journal_file=None`` for commands that take no ``--journal``."""
        capsys.readouterr()
        journal_args = [] if journal_file is None else ["--journal", str(journal_file)]
        try:
            code = main([*args, *journal_args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        assert KEY not in out + err, "the API key was printed"
        return Run(code, out, err)

    return run


def writes(sb) -> int:
    """Write requests the sandbox has seen."""
    return sum(1 for r in sb.log.records() if r.method != "GET")


def read_text_frame(path) -> pd.DataFrame:
    """A CSV as a user's editor sees it: every cell text, blanks as ``""``."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
