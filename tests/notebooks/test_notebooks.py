"""The notebooks: tracked without outputs, and every cell runs, on their own sandbox and on a `make run` one.

The `make run` case is the real one: the sandbox is another process (``arize-orgs-nb sandbox``,
the server ``make run`` starts, seeded the same way), reached only over HTTP, so the demos that
need it (the partial failure of 02) must go through ``client.sandbox_control``. Outputs are
asserted cell by cell: what each demo is there to show really happened.
"""

import base64
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from arize_orgs_nb import ArizeOrgs
from tests.sandbox_process import start_sandbox_process

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CANARY = "nb-canary-key-Q3vX9"
WIDGET = "application/vnd.jupyter.widget-view+json"


def execute(path: Path, workdir: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    copy = workdir / path.name
    shutil.copy(path, copy)
    nb = nbformat.read(copy, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        NotebookClient(
            nb,
            timeout=300,
            startup_timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(workdir)}},
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nbformat.write(nb, copy)
    return nb


def cell_text(cell) -> str:
    """Everything a cell showed: its streams and every representation of its displays, as text.

    Consecutive chunks of one stream are joined as printed: a kernel may send one ``print`` in
    several stream messages (``"...started:"`` then ``" True"``).
    """
    parts: list[str] = []
    stream = None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = str(out.get("text", ""))
            if stream == out.get("name") and parts:
                parts[-1] += text
            else:
                parts.append(text)
            stream = out.get("name")
            continue
        stream = None
        parts += [
            value if isinstance(value, str) else json.dumps(value) for value in out.get("data", {}).values()
        ]
    return "\n".join(parts)


def outputs_text(nb) -> str:
    return "\n".join(cell_text(cell) for cell in nb.cells if cell.cell_type == "code")


def cell_of(nb, starts: str):
    """The code cell whose source contains ``starts``."""
    return next(c for c in nb.cells if c.cell_type == "code" and starts in c.source)


def stderr_of(nb) -> list[str]:
    """Every stderr output (a warning, a traceback printed by a thread, ...)."""
    return [
        out["text"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIZE_")}
    env["ARIZE_ORGS_NB_HOME"] = str(home)  # the journal goes to the test's folder, not ~
    scratch = home.parent / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(scratch)  # what a notebook leaves in the temporary folder stays visible here
    return env


def test_tracked_notebooks_have_no_outputs():
    assert len(NOTEBOOKS) == 4
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} cell {index} has outputs"
                assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
        assert "widgets" not in nb.metadata, f"{path.name} keeps widget state"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_on_its_own_sandbox(path, tmp_path):
    nb = execute(path, tmp_path, clean_env(tmp_path / "home"))
    text = outputs_text(nb)
    assert list((tmp_path / "tmp").iterdir()) == []  # it removes its scratch files and folders
    assert "Talking to the embedded sandbox" in text
    assert "Traceback" not in text
    assert stderr_of(nb) == []
    shown = {  # the sandbox demos run on the notebook's own sandbox too
        "02_bulk_edit.ipynb": ["organizations: 8 applied, 2 failed", "changes to retry: 2", "started: True"],
        "03_widget_forms.ipynb": ["created “Made from code”"],
    }
    for expected in shown.get(path.name, []):
        assert expected in text


# --------------------------------------------------------------------------- a `make run` sandbox


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sandbox as `make run` serves it (seeded 250/60/7, kept in a file), in its own process."""
    folder = tmp_path_factory.mktemp("make-run")
    sandbox = start_sandbox_process(folder / "sandbox.db", CANARY)
    try:
        env = {**clean_env(folder / "home"), **sandbox.env}
        side = ArizeOrgs(api_key=CANARY, api_host=f"127.0.0.1:{sandbox.port}", api_scheme="http", environ={})
        with side:
            yield env, side, folder
    finally:
        sandbox.stop()


def run_served(served, path: Path, run: str) -> nbformat.NotebookNode:
    env, _, folder = served
    workdir = folder / run
    workdir.mkdir(exist_ok=True)
    nb = execute(path, workdir, env)
    text = outputs_text(nb)
    assert "Talking to a local server at http://127.0.0.1" in text
    assert "Traceback" not in text
    assert stderr_of(nb) == []
    saved = (workdir / path.name).read_text()
    for form in (CANARY, base64.b64encode(CANARY.encode()).decode()):
        assert form not in saved
    return nb


def org_names(side: ArizeOrgs) -> list[str]:
    return side.organizations.to_frame(progress=False)["name"].tolist()


def check_quickstart(nb, side, before):
    assert "250 organizations" in cell_text(cell_of(nb, "orgs = list("))
    assert "18 with 'team' in the name" in cell_text(cell_of(nb, 'name="TEAM"'))
    assert "As expected:" in outputs_text(nb) and "cleaned up" in outputs_text(nb)
    assert org_names(side) == before  # created, renamed, deleted again


def check_explore(nb, side, before):
    assert f"{len(before)} organizations" in outputs_text(nb)
    assert "18 with 'team' in the name;" in cell_text(cell_of(nb, 'name="team"'))
    chart = cell_of(nb, "per_month = ")
    assert any("image/png" in out.get("data", {}) for out in chart.outputs)
    assert "round trip exact" in outputs_text(nb)


def check_bulk_edit(nb, side, before):
    injected = cell_text(cell_of(nb, "control.add_fault"))
    failing = re.search(r"injected: 503 on every attempt for \[(.+)\]", injected)
    assert failing, injected
    first = cell_text(cell_of(nb, "result = plan.apply("))
    assert re.search(r"\b2 failed\b", first), first
    # the two injected, each after every attempt the policy allows (4), answered 503 by the server
    failed = re.findall(r"<td>failed</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", first)
    assert failed == [("503", "4"), ("503", "4")], first
    retried = cell_text(cell_of(nb, "retry = result.failed()"))
    assert "changes to retry: 2" in retried
    assert re.search(r"organizations: 2 applied$", retried, re.MULTILINE), retried
    assert "organizations back to where they started: True" in outputs_text(nb)
    assert org_names(side) == before


def check_widget_forms(nb, side, before, made="Made from code"):
    assert f"created “{made}”" in cell_text(cell_of(nb, "create.submit.click()"))
    review = cell_of(nb, "plan.review()")
    assert any(WIDGET in out.get("data", {}) for out in review.outputs), review.outputs
    names = org_names(side)
    assert made in names
    assert names.count("<img src=x onerror=alert(1)>") == 1


CHECKS = {
    "00_quickstart.ipynb": check_quickstart,
    "01_explore_orgs.ipynb": check_explore,
    "02_bulk_edit.ipynb": check_bulk_edit,
    "03_widget_forms.ipynb": check_widget_forms,
}


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_on_a_make_run_sandbox_process(served, path):
    side = served[1]
    before = org_names(side)
    nb = run_served(served, path, "first")
    CHECKS[path.name](nb, side, before)


@pytest.mark.notebook
def test_bulk_edit_and_forms_run_again_on_the_kept_data(served):
    """`make run` keeps its data: a second run of the writing demos works as well as the first."""
    side = served[1]
    by_name = {p.name: p for p in NOTEBOOKS}
    before = org_names(side)
    check_bulk_edit(run_served(served, by_name["02_bulk_edit.ipynb"], "again"), side, before)
    made = "Made from code (2)" if "Made from code" in org_names(side) else "Made from code"
    before = org_names(side)
    check_widget_forms(run_served(served, by_name["03_widget_forms.ipynb"], "again"), side, before, made)
    status = json.dumps(side.sandbox_control.status())
    assert '"faults": []' in status  # every injected fault was used up
