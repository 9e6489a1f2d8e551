"""Start and stop a Jupyter server for the browser tests.

One server serves both front ends: JupyterLab 4 under /lab and Notebook 7 under /notebooks and
/tree (:data:`LAB`, :data:`NOTEBOOK7`).

Stdlib plus the main job's own Jupyter command (:func:`arize_orgs_nb.cli.lab.jupyter_command`). Every server:
  * listens on 127.0.0.1 on a free port, with a known token;
  * gets its own config/runtime/data/settings dirs (nothing read from or written to ~), and its own
    ``ARIZE_ORGS_NB_HOME`` (the journal), with every ``ARIZE_*`` variable of the caller removed, so
    the notebook uses its own embedded sandbox;
  * runs in its own process group, so ``stop()`` also kills its kernels (by its own pid, never by name).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arize_orgs_nb.cli.lab import jupyter_command

TOKEN = "widget-test-token"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # required as root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is small in many containers
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# NB: never pass --user-data-dir to chromium.launch(): Playwright rejects it and already uses a
# fresh temporary profile per launch.


@dataclass(frozen=True)
class FrontEnd:
    """A Jupyter front end served by the same server: JupyterLab 4 or Notebook 7."""

    name: str
    prefix: str  # where a notebook opens: <url><prefix><name>?token=...

    def url(self, server, nb_name: str) -> str:
        return f"{server.url}{self.prefix}{nb_name}?token={server.token}"


LAB = FrontEnd("lab", "/lab/tree/")
NOTEBOOK7 = FrontEnd("notebook7", "/notebooks/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen
    url: str  # base url, e.g. http://127.0.0.1:PORT
    token: str
    log_path: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "<no log>"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the server's process group (server + its kernels), then SIGKILL, then reap."""
        pgid = self.proc.pid  # start_new_session=True => pgid == pid
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Kernels may outlive a server that died; sweep the group either way.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)


def isolated_env(home: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment that keeps Jupyter state out of ~ and the caller's Arize settings out of the kernel."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARIZE_")}
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),  # kernelspecs/labextensions are still found in sys.prefix
        ("JUPYTERLAB_SETTINGS_DIR", "lab-settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("ARIZE_ORGS_NB_HOME", "arize-orgs-nb"),
    ]:
        path = home / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # Lab user settings: no news toast, no update check (they pop up over the notebook).
    notif = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notif.mkdir(parents=True, exist_ok=True)
    (notif / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env.update(extra_env or {})
    return env


def _wait_ready(server: Server, probe_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.url + probe_path
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited early (rc={server.proc.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError) as error:  # not up yet
            last = error
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"server not ready after {timeout}s ({last}):\n{server.log_tail()}")


def _spawn(cmd: list[str], cwd: Path, home: Path, log_name: str, extra_env: dict[str, str] | None):
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / log_name
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=isolated_env(home, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group -> killpg() gets the kernels too
        )
    return proc, log_path


def _start(
    make_cmd: Callable[[int], list[str]],
    cwd: Path,
    home: Path,
    token: str,
    timeout: float,
    extra_env: dict[str, str] | None,
) -> Server:
    # free_port() can race with another process; the server runs with port retries off, so on an
    # early "already in use" exit try a new port (3 attempts).
    for attempt in range(3):
        port = free_port()
        proc, log = _spawn(make_cmd(port), cwd, home, "jupyterlab.log", extra_env)
        server = Server(proc, f"http://127.0.0.1:{port}", token, log)
        try:
            _wait_ready(server, f"/api/status?token={token}", timeout)
            return server
        except RuntimeError:
            server.stop()
            if attempt == 2 or "already in use" not in server.log_tail():
                raise
    raise AssertionError("unreachable")


def start_lab(
    root_dir: Path,
    home: Path,
    *,
    token: str = TOKEN,
    timeout: float = 60,
    kernel_timeout_s: int = 120,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """JupyterLab serving root_dir; open notebooks at <url>/lab/tree/NAME?token=TOKEN."""

    def cmd(port: int) -> list[str]:  # the main job's own command (news off), plus test-only limits
        return [
            *jupyter_command(port=port, token=token, root_dir=root_dir),
            "--ServerApp.terminals_enabled=False",
            f"--MappingKernelManager.kernel_info_timeout={kernel_timeout_s}",
        ]

    return _start(cmd, root_dir, home, token, timeout, extra_env)
