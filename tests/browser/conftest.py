"""Browser fixtures: a Jupyter server on a free port serving a TEMP COPY of the notebook, Debian's chromium.

One server serves both front ends, JupyterLab 4 (/lab) and Notebook 7 (/notebooks, /tree): a test
that takes the ``frontend`` fixture runs once under each. ``make_run_server`` is a second server
whose kernels talk to a sandbox in another process, as under `make run`.

Adapted from a JupyterLab + Playwright browser-test example. Env knobs:
  CHROMIUM_PATH             browser binary (default /usr/bin/chromium)
  WIDGET_TIMEOUT_MS         default Playwright action/expect timeout (30000)
  WIDGET_KERNEL_TIMEOUT_MS  kernel start + first widget render (120000)
  WIDGET_SHOT_DIR           screenshots (default <repo>/test-artifacts/browser)
  CI / WIDGET_REQUIRE_BROWSER  when set, a missing chromium FAILS instead of skipping
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from tests.sandbox_process import start_sandbox_process

from . import servers
from .servers import LAB, NOTEBOOK7

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_widget_forms.ipynb"
SHOT_DIR = Path(os.environ.get("WIDGET_SHOT_DIR", ROOT / "test-artifacts" / "browser"))
DEFAULT_TIMEOUT_MS = int(os.environ.get("WIDGET_TIMEOUT_MS", "30000"))
KERNEL_TIMEOUT_MS = int(os.environ.get("WIDGET_KERNEL_TIMEOUT_MS", "120000"))


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("WIDGET_REQUIRE_BROWSER"))


@pytest.fixture(scope="session")
def nb_dir(tmp_path_factory) -> Path:
    """A temp root holding a copy of the notebook (Lab autosaves: never serve the repo's file)."""
    directory = tmp_path_factory.mktemp("notebooks")
    shutil.copy(NOTEBOOK, directory / NOTEBOOK.name)
    return directory


@pytest.fixture(scope="session")
def browser():
    if not Path(servers.CHROMIUM).exists():
        message = f"{servers.CHROMIUM} missing: run scripts/install_browser.sh (apt-get install -y chromium)"
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=servers.CHROMIUM, headless=True, args=servers.CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def lab_server(browser, nb_dir, tmp_path_factory):
    """JupyterLab on a free 127.0.0.1 port; always stopped with its kernels (its own process group).

    Depends on ``browser`` so that a missing chromium skips before a server is started.
    """
    server = servers.start_lab(
        nb_dir, tmp_path_factory.mktemp("lab-home"), kernel_timeout_s=KERNEL_TIMEOUT_MS // 1000
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=[LAB, NOTEBOOK7], ids=lambda f: f.name)
def frontend(request):
    """Each test that takes it runs under JupyterLab 4 and under Notebook 7 (the same server)."""
    if request.param is NOTEBOOK7 and importlib.util.find_spec("notebook") is None:
        message = "Notebook 7 is not installed (pip install 'notebook>=7')"
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    return request.param


def _end_sessions(server) -> None:
    """Delete every kernel session, so the next test gets a fresh kernel."""
    base, token = server.url, server.token
    with contextlib.suppress(OSError, ValueError):
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as response:
            sessions = json.load(response)
        for session in sessions:
            request = urllib.request.Request(
                f"{base}/api/sessions/{session['id']}?token={token}", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def lab(lab_server):
    """The Jupyter server, per test: afterwards every kernel session is deleted."""
    yield lab_server
    _end_sessions(lab_server)


@pytest.fixture(scope="session")
def make_run_server(browser, tmp_path_factory):
    """As under `make run`: the sandbox in a process of its own, seeded 250/60/7 and kept in a file,
    and a Jupyter server whose kernels reach it through ARIZE_* only. Yields (server, sandbox)."""
    home = tmp_path_factory.mktemp("make-run")
    directory = home / "notebooks"
    directory.mkdir()
    shutil.copy(NOTEBOOK, directory / NOTEBOOK.name)
    sandbox = start_sandbox_process(home / "sandbox.db", "sandbox-key")
    try:
        server = servers.start_lab(
            directory, home / "jupyter", kernel_timeout_s=KERNEL_TIMEOUT_MS // 1000, extra_env=sandbox.env
        )
        try:
            yield server, sandbox
        finally:
            server.stop()
    finally:
        sandbox.stop()


@pytest.fixture
def make_run(make_run_server):
    yield make_run_server
    _end_sessions(make_run_server[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    """A fresh context and page per test. Records JS errors and dialogs; full-page PNG on failure."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    pg.on("pageerror", lambda error: errors.append(str(error)))
    pg.on("dialog", on_dialog)
    pg.js_errors = errors
    pg.dialogs = dialogs
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(SHOT_DIR / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def nb(lab, page, frontend):
    """03_widget_forms.ipynb opened in the front end, every cell run, the panel ready; no JS error after."""
    from .helpers import js_errors, open_notebook  # helpers imports this module's settings

    started = time.monotonic()
    notebook = open_notebook(page, lab, frontend)
    print(f"{frontend.name}: open + run all + panel ready: {time.monotonic() - started:.1f}s")
    try:
        yield notebook
    finally:
        notebook.api.close()
    assert js_errors(page, frontend) == []
