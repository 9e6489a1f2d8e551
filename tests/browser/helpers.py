"""Page-level helpers: open the notebook in JupyterLab, Run All, reach the panel's tabs and fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from arize_orgs_nb import ArizeOrgs

from .conftest import KERNEL_TIMEOUT_MS, SHOT_DIR

SANDBOX_URL = re.compile(r"the embedded sandbox at (http://127\.0\.0\.1:\d+)")


def lab_open_and_run_all(page: Page, server, nb_name: str, kernel_timeout_ms: int) -> Locator:
    """Open ``nb_name`` in JupyterLab, wait for a live idle kernel, then Run > Run All Cells.

    Returns the notebook's panel. Lab would reopen the notebooks of earlier tests too (its
    workspace is kept on the server) and Run All would run whichever is current: ``reset`` starts
    from an empty workspace, and the Run menu is used only once this notebook's tab is current.
    """
    page.goto(f"{server.url}/lab/tree/{nb_name}?reset&token={server.token}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    panel.wait_for(state="visible")
    # PITFALL: the execution indicator says 'idle' before any kernel exists; the
    # status bar reads '<kernel> | Idle' only once the kernel really answered.
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"^(?!No Kernel).+ \| Idle$"))
    dialog_ok = page.locator(".jp-Dialog .jp-mod-accept")  # a 'Select Kernel' dialog
    expect(kernel_idle.or_(dialog_ok)).to_be_visible(timeout=kernel_timeout_ms)
    if dialog_ok.is_visible():
        dialog_ok.click()
        expect(kernel_idle).to_be_visible(timeout=kernel_timeout_ms)
    current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    expect(current).to_have_text(nb_name)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('#jp-mainmenu-run .lm-Menu-item[data-command="runmenu:run-all"]').click()
    first_prompt = panel.locator(".jp-CodeCell .jp-InputPrompt").first
    expect(first_prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=15_000)
    return panel


@dataclass
class Notebook:
    """The executed notebook: the page, the panel, and a side channel to the notebook's sandbox."""

    page: Page
    panel: Locator
    api: ArizeOrgs  # another client of the SAME sandbox (plays "another admin"; checks the server)

    def tab(self, title: str) -> Locator:
        """Click a panel tab; return the visible tab's form."""
        self.panel.locator(".aonb-tabs .lm-TabBar-tab", has_text=re.compile(f"^{title}$")).click()
        form = self.panel.locator(f".aonb-{_TAB_CLASS[title]}")
        expect(form).to_be_visible()
        return form

    def shot(self, name: str) -> Path:
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOT_DIR / f"{name}.png"
        self.panel.scroll_into_view_if_needed()
        self.panel.screenshot(path=str(path))
        return path


_TAB_CLASS = {"Browse": "table", "Create": "create", "Update": "update", "Members": "members"}


def open_notebook(page: Page, server) -> Notebook:
    """Open 03_widget_forms.ipynb, Run All, wait for the panel and the last cell, connect the side channel."""
    lab_open_and_run_all(page, server, "03_widget_forms.ipynb", KERNEL_TIMEOUT_MS)
    panel = page.locator(".aonb-panel").first
    panel.wait_for(state="visible", timeout=KERNEL_TIMEOUT_MS)  # kernel start + drain + render
    # The last cell creates one org from code; once its output shows, every cell has run.
    printed = page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"]',
        has_text="created “Made from code”",
    )
    expect(printed).to_have_count(1, timeout=KERNEL_TIMEOUT_MS)
    # Run All leaves the view at the last cells (the plan review): bring the panel back, since
    # JupyterLab does not render the content of cells far outside the viewport.
    panel.scroll_into_view_if_needed()
    header = panel.locator(".aonb-panel-header").text_content() or ""
    match = SANDBOX_URL.search(header)
    assert match, header
    host = match.group(1).removeprefix("http://")
    api = ArizeOrgs(api_key="sandbox-key", api_host=host, api_scheme="http", environ={}, journal=":memory:")
    return Notebook(page=page, panel=panel, api=api)


def status(form: Locator) -> Locator:
    return form.locator(".aonb-status").first
