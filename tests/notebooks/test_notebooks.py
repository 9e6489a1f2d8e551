"""Every notebook runs top to bottom: against its own sandbox, and against a served one with a canary key."""

import base64
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from arize_orgs_nb.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CANARY = "nb-canary-key-Q3vX9"


def execute(path: Path, workdir: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    copy = workdir / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=300, startup_timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nbformat.write(nb, copy)
    return nb


def outputs_text(nb) -> str:
    return "\n".join(
        str(out.get("text", "")) + str(out.get("data", {}))
        for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIZE_")}
    env["ARIZE_ORGS_NB_HOME"] = str(home)  # the journal goes to the test's folder, not ~
    return env


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_on_its_own_sandbox(path, tmp_path):
    nb = execute(path, tmp_path, clean_env(tmp_path / "home"))
    text = outputs_text(nb)
    assert "Talking to the embedded sandbox" in text or path.name != "00_quickstart.ipynb"
    assert "Traceback" not in text


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_on_a_served_api_never_saves_the_key(path, tmp_path):
    with Sandbox(api_key=CANARY, orgs=30, users=12, seed=3) as server:
        port = server.serve().rsplit(":", 1)[1]
        env = {**clean_env(tmp_path / "home"), "ARIZE_API_KEY": CANARY, "ARIZE_API_HOST": "127.0.0.1",
               "ARIZE_API_PORT": port, "ARIZE_API_SCHEME": "http"}
        nb = execute(path, tmp_path, env)
        assert server.log.count() > 0, "the notebook did not talk to the served API"
    assert "a local server at http://127.0.0.1" in outputs_text(nb) or path.name != "00_quickstart.ipynb"
    saved = (tmp_path / path.name).read_text()
    for form in (CANARY, base64.b64encode(CANARY.encode()).decode()):
        assert form not in saved
