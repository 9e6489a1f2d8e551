"""Working copies for `make run`: made, refreshed when the tracked notebook changes, edits never lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from arize_orgs_nb.cli.workcopies import MANIFEST, sync_working_copies

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def notebook(*sources: str, outputs: list | None = None) -> str:
    cells = [
        {"cell_type": "code", "source": s, "metadata": {}, "execution_count": None, "outputs": outputs or []}
        for s in sources
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def run_it(copy: Path) -> None:
    """What Lab does when a notebook is run and saved: outputs and counts change, the cells do not."""
    data = json.loads(copy.read_text())
    for cell in data["cells"]:
        cell["execution_count"] = 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    copy.write_text(json.dumps(data))


def test_copies_are_made_once_and_then_left_alone(tmp_path):
    src, dst = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    (src / "a.ipynb").write_text(notebook("print(1)"))
    (src / "notes.txt").write_text("not a notebook")
    assert sync_working_copies(src, dst, now=NOW) == ["copied a.ipynb"]
    assert (dst / "a.ipynb").read_text() == (src / "a.ipynb").read_text()
    assert not (dst / "notes.txt").exists()
    assert (dst / MANIFEST).exists()

    (dst / "a.ipynb").write_text(notebook("print('my edit')"))
    assert sync_working_copies(src, dst, now=NOW) == []
    assert "my edit" in (dst / "a.ipynb").read_text()


def test_a_copy_with_only_outputs_is_refreshed_when_the_tracked_notebook_changes(tmp_path):
    src, dst = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    (src / "a.ipynb").write_text(notebook("print(1)"))
    sync_working_copies(src, dst, now=NOW)
    run_it(dst / "a.ipynb")
    (src / "a.ipynb").write_text(notebook("print(2)"))
    assert sync_working_copies(src, dst, now=NOW) == [
        "updated a.ipynb (a newer version; your copy had no edits)"
    ]
    assert (dst / "a.ipynb").read_text() == (src / "a.ipynb").read_text()
    assert sorted(p.name for p in dst.glob("*.ipynb")) == ["a.ipynb"]


def test_an_edited_copy_is_moved_aside_never_overwritten(tmp_path):
    src, dst = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    (src / "a.ipynb").write_text(notebook("print(1)"))
    sync_working_copies(src, dst, now=NOW)
    mine = notebook("print('my analysis')")
    (dst / "a.ipynb").write_text(mine)
    (src / "a.ipynb").write_text(notebook("print(2)"))
    lines = sync_working_copies(src, dst, now=NOW)
    assert lines == ["updated a.ipynb; your edited copy is kept as a.edited-20260304-050607.ipynb"]
    assert (dst / "a.edited-20260304-050607.ipynb").read_text() == mine
    assert (dst / "a.ipynb").read_text() == (src / "a.ipynb").read_text()

    # the same second again: a second name, the first kept
    (dst / "a.ipynb").write_text(mine)
    (src / "a.ipynb").write_text(notebook("print(3)"))
    assert sync_working_copies(src, dst, now=NOW)[0].endswith("a.edited-20260304-050607-2.ipynb")
    assert (dst / "a.edited-20260304-050607.ipynb").read_text() == mine
    assert sync_working_copies(src, dst, now=NOW) == []  # settled


def test_a_copy_of_unknown_origin_or_unreadable_is_kept_aside(tmp_path):
    src, dst = tmp_path / "notebooks", tmp_path / "work"
    src.mkdir()
    dst.mkdir()
    (src / "a.ipynb").write_text(notebook("print(1)"))
    (src / "b.ipynb").write_text(notebook("print(1)"))
    (dst / "a.ipynb").write_text("{ not json")  # no manifest, and not a notebook
    (dst / "b.ipynb").write_text(notebook("print(1)", outputs=[]))  # no manifest, same cells
    lines = sync_working_copies(src, dst, now=NOW)
    assert lines == ["updated a.ipynb; your edited copy is kept as a.edited-20260304-050607.ipynb"]
    assert (dst / "a.edited-20260304-050607.ipynb").read_text() == "{ not json"
    assert json.loads((dst / MANIFEST).read_text()).keys() == {"a.ipynb", "b.ipynb"}
