"""Page-level helpers: open a notebook in JupyterLab 4 or Notebook 7, Run All, reach the panel's tabs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from arize_orgs_nb import ArizeOrgs

from .conftest import KERNEL_TIMEOUT_MS, SHOT_DIR
from .servers import LAB, NOTEBOOK7, FrontEnd

SANDBOX_URL = re.compile(r"the embedded sandbox at (http://127\.0\.0\.1:\d+)")
RUN_STARTED = re.compile(r"\[(\*|\d+)\]")
# Raised by Notebook 7.6's own front end, none by a widget: the first on opening any notebook (an
# empty one too: its settings registry misses a plugin's schema), the second from one of its menus.
NOTEBOOK7_OWN_ERRORS = frozenset(
    {
        "Cannot read properties of undefined (reading 'schema')",
        "Command 'filebrowser:open-path' not registered.",
    }
)


def js_errors(page: Page, frontend: FrontEnd) -> list[str]:
    """The page's JavaScript errors, less the ones Notebook 7 raises on its own."""
    return [e for e in page.js_errors if not (frontend is NOTEBOOK7 and e in NOTEBOOK7_OWN_ERRORS)]


def _wait_for_kernel(page: Page, frontend: FrontEnd, kernel_timeout_ms: int) -> None:
    """Wait until the notebook's kernel really answered (not the 'idle' shown before a kernel exists).

    PITFALL: the execution indicator says 'idle' before any kernel exists. JupyterLab's status bar
    reads '<kernel> | Idle' only once the kernel answered. Notebook 7 has no status bar: its toolbar
    names the kernel ('No Kernel' before there is one), and its indicator then goes 'connecting',
    then 'idle'.
    """
    dialog_ok = page.locator(".jp-Dialog .jp-mod-accept")  # a 'Select Kernel' dialog
    if frontend is LAB:
        named = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"^(?!No Kernel).+ \| Idle$"))
    else:
        named = page.locator(".jp-Toolbar-kernelName", has_text=re.compile(r"^(?!No Kernel).+"))
    expect(named.first.or_(dialog_ok)).to_be_visible(timeout=kernel_timeout_ms)
    if dialog_ok.is_visible():
        dialog_ok.click()
        expect(named.first).to_be_visible(timeout=kernel_timeout_ms)
    if frontend is NOTEBOOK7:
        indicator = page.locator(".jp-Notebook-ExecutionIndicator").first
        expect(indicator).to_have_attribute("data-status", "idle", timeout=kernel_timeout_ms)


def open_and_run_all(page: Page, server, frontend: FrontEnd, nb_name: str, kernel_timeout_ms: int) -> Locator:
    """Open ``nb_name`` in the front end, wait for a live idle kernel, then Run > Run All Cells.

    Both front ends have the same Run menu. A Run All that lands before the kernel is connected is
    dropped silently (the first prompt stays ``[ ]``); nothing has run then, so it is clicked once more.
    JupyterLab would also reopen the notebooks earlier tests opened (its workspace is kept on the
    server) and Run All would run whichever tab is current: ``reset`` starts from an empty
    workspace, and the Run menu is used once this notebook's tab is current. Returns its panel.
    """
    page.goto(frontend.url(server, nb_name) + ("&reset" if frontend is LAB else ""))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
    panel.wait_for(state="visible", timeout=kernel_timeout_ms)
    _wait_for_kernel(page, frontend, kernel_timeout_ms)
    if frontend is LAB:
        current = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        expect(current).to_have_text(nb_name)
    first_prompt = panel.locator(".jp-CodeCell .jp-InputPrompt").first
    for attempt in range(2):
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator('#jp-mainmenu-run .lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:
            expect(first_prompt).to_have_text(RUN_STARTED, timeout=10_000)
            return panel
        except AssertionError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


@dataclass
class Notebook:
    """The executed notebook: the page, the panel, and a side channel to the notebook's sandbox."""

    page: Page
    panel: Locator
    api: ArizeOrgs  # another client of the SAME sandbox (plays "another admin"; checks the server)
    prefix: str  # the front end's name, at the start of every screenshot's name

    def tab(self, title: str) -> Locator:
        """Click a panel tab; return the visible tab's form."""
        self.panel.locator(".aonb-tabs .lm-TabBar-tab", has_text=re.compile(f"^{title}$")).click()
        form = self.panel.locator(f".aonb-{_TAB_CLASS[title]}")
        expect(form).to_be_visible()
        return form

    def shot(self, name: str) -> Path:
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SHOT_DIR / f"{self.prefix}-{name}.png"
        self.panel.scroll_into_view_if_needed()
        self.panel.screenshot(path=str(path))
        return path


_TAB_CLASS = {"Browse": "table", "Create": "create", "Update": "update", "Members": "members"}


def open_notebook(page: Page, server, frontend: FrontEnd) -> Notebook:
    """Open 03_widget_forms.ipynb, Run All, wait for the panel and the last cell, connect the side channel."""
    open_and_run_all(page, server, frontend, "03_widget_forms.ipynb", KERNEL_TIMEOUT_MS)
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
    return Notebook(page=page, panel=panel, api=api, prefix=frontend.name)


def status(form: Locator) -> Locator:
    return form.locator(".aonb-status").first
