"""`arize-orgs-nb sandbox reset`: reseeds the running sandbox, or removes its database file when none runs."""

from __future__ import annotations

import argparse
import socket
import sqlite3

from arize_orgs_nb.sandbox import Sandbox
from arize_orgs_nb.sandbox.cli import add_arguments, run


def reset(*args: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(["reset", *args]))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_reset_reseeds_the_running_sandbox(tmp_path, capsys):
    with Sandbox(api_key="demo-key", orgs=8, users=3, seed=4, db=str(tmp_path / "d.db")) as server:
        port = server.serve().rsplit(":", 1)[1]
        seeded = [o["name"] for o in server.state.orgs()]
        server.state.create_org("Added In The Demo")
        server.faults.add(status=503)
        assert reset("--port", port, "--api-key", "demo-key") == 0
        assert [o["name"] for o in server.state.orgs()] == seeded
        assert server.faults.pending() == []
    assert "8 organizations and 3 users seeded again (seed 4" in capsys.readouterr().out


def test_reset_with_the_wrong_key_is_refused_and_changes_nothing(capsys):
    with Sandbox(api_key="demo-key", orgs=2) as server:
        port = server.serve().rsplit(":", 1)[1]
        server.state.create_org("Kept")
        assert reset("--port", port, "--api-key", "not-the-key") == 2
        assert "Kept" in {o["name"] for o in server.state.orgs()}
    assert "refused the reset (401)" in capsys.readouterr().err


def test_with_no_sandbox_running_the_database_file_is_removed_and_seeded_afresh_next_time(tmp_path, capsys):
    db = tmp_path / "demo.db"
    with Sandbox(orgs=5, seed=1, db=str(db)) as server:
        server.state.create_org("Added In The Demo")
    assert reset("--port", str(closed_port()), "--db", str(db)) == 0
    assert not db.exists()
    assert "the next start seeds it afresh" in capsys.readouterr().out
    with Sandbox(orgs=5, seed=1, db=str(db)) as again:
        assert "Added In The Demo" not in {o["name"] for o in again.state.orgs()}
        assert len(again.state.orgs()) == 5
    assert reset("--port", str(closed_port()), "--db", str(tmp_path / "never.db")) == 0
    assert "nothing to reset" in capsys.readouterr().out


def test_a_file_that_is_not_a_sandbox_database_is_never_removed(tmp_path, capsys):
    notes = tmp_path / "notes.db"
    with sqlite3.connect(notes) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    for path in (notes, text):
        assert reset("--port", str(closed_port()), "--db", str(path)) == 2
        assert path.exists()
    assert "is not a sandbox database" in capsys.readouterr().err
    assert reset("--port", str(closed_port())) == 1  # nothing answers, no file named
    assert reset("--host", "0.0.0.0", "--port", "1") == 2
