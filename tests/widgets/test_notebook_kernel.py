"""The shipped notebook in a real kernel (nbclient, no browser): the forms work with the default
background-thread runner, and the saved notebook (outputs and widget state) holds no key."""

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_widget_forms.ipynb"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

DRIVE = """\
panel.create.name_input.value = "From nbclient"
panel.create.submit.click()
assert panel.create.wait(60)
print("STATUS:", panel.create.status_text)
print("ROWS:", "From nbclient" in set(panel.table.rows()["name"]))
panel.create.name_input.value = "from NBCLIENT"
print("BLOCKED:", panel.create.submit.disabled)
hostile = panel.snapshot.name_taken_by("<IMG SRC=X ONERROR=ALERT(1)>")
cells = [c["html"] for row in panel.table.grid.rows for c in row["cells"].values()]
print("HOSTILE:", hostile is not None and not any("<img" in html for html in cells))
print("REVIEW READY:", review.apply_button.disabled, len(review.include))
review.confirm_all.value = True
review.apply_button.click()
assert review.wait(60)
print("REVIEW:", review.status_text)
print("JOURNAL:", sorted(client.journal.to_frame()["op"]))
"""


@pytest.mark.notebook
def test_the_notebook_runs_and_its_panel_works_in_a_kernel(tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("ARIZE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARIZE_ORGS_NB_HOME", str(tmp_path / "home"))
    copy = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    nb = nbformat.read(copy, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(DRIVE))
    NotebookClient(
        nb,
        timeout=120,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    nbformat.write(nb, copy)
    views = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if WIDGET_MIME in o.get("data", {})
    ]
    assert len(views) == 5  # the panel, the three forms on their own, and the plan review
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "STATUS: created “From nbclient”" in printed
    assert "ROWS: True" in printed
    assert "BLOCKED: True" in printed
    assert "HOSTILE: True" in printed
    assert "REVIEW READY: True 3" in printed  # the delete is not confirmed yet
    assert "REVIEW: 3 of 3 applied" in printed  # in the background thread of a real kernel
    # every click of the forms and the review went through the journal
    assert "JOURNAL: ['create', 'create', 'create', 'delete', 'describe']" in printed
    assert "application/vnd.jupyter.widget-state+json" in nb.metadata["widgets"]  # state was saved
    text = copy.read_text()
    assert "sandbox-key" not in text  # the sandbox's key is in no output and no saved widget state
    assert "Traceback" not in text
