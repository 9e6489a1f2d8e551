"""``arize-orgs-nb lab`` (``make run``): a seeded sandbox plus JupyterLab and Notebook 7, on loopback.

Layer: command line; starts the sandbox (which shares no code with the client) and a Jupyter
server in a child process. What it does, in order:

1. syncs the working copies of ``notebooks/`` into ``--workdir`` (:mod:`.workcopies`): the
   server opens the copies, so the tracked notebooks never get outputs;
2. serves the sandbox (unless ``--real``) and points the kernels at it with ``ARIZE_*``;
3. starts one Jupyter server (JupyterLab at ``/lab``, Notebook 7 at ``/tree`` when installed) with
   the "official Jupyter news?" prompt off by default (an app-settings override that a setting
   of your own still wins over), no update check and no browser;
4. relays the server's log, and once the server answers and its start-up log has gone quiet,
   prints the URLs, JupyterLab's last.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING

from arize_orgs_nb.cli.workcopies import sync_working_copies

if TYPE_CHECKING:
    from arize_orgs_nb.sandbox import Sandbox

__all__ = ["add_arguments", "run"]

SANDBOX_KEY = "sandbox-key"
# The announcements plugin asks "Would you like to get notified about official Jupyter news?"
# while this setting is unset; "false" means never fetch news, without asking.
NEWS_OFF = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
READY_TIMEOUT_S = 90.0
QUIET_S = 1.5  # the start-up log is over once the server has been silent this long ...
QUIET_CAP_S = 15.0  # ... or this long after it first answered


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``arize-orgs-nb lab``.

    Args:
        parser: the sub-parser.
    """
    parser.add_argument("--notebooks", default="notebooks", help="the tracked notebooks")
    parser.add_argument(
        "--workdir",
        default=".demo/notebooks",
        help="where the working copies live; the server opens this folder",
    )
    parser.add_argument("--lab-port", type=int, default=8888, help="Jupyter server port (127.0.0.1)")
    parser.add_argument("--sandbox-port", type=int, default=8765, help="sandbox port (127.0.0.1)")
    parser.add_argument("--orgs", type=int, default=250, help="organizations to seed")
    parser.add_argument("--users", type=int, default=60, help="users to seed")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo data")
    parser.add_argument(
        "--db",
        default=".demo/sandbox.db",
        help="SQLite file that keeps the sandbox data across restarts ('' for memory)",
    )
    parser.add_argument(
        "--real",
        action="store_true",
        help="no sandbox: the notebooks use ARIZE_API_KEY and friends from your environment",
    )
    parser.add_argument("--token", default=None, help="Jupyter server token (default: random)")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent process dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_http(url: str, deadline: float, alive: threading.Event) -> bool:
    while time.monotonic() < deadline and alive.is_set():
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return True
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status still means "listening"
                return True
            time.sleep(0.3)
    return False


class _Relay:
    """Copies the server's output to ours, line by line, and notes when the last line came."""

    def __init__(self, stream: IO[bytes], out: IO[str]) -> None:
        self._stream = stream
        self._out = out
        self.lock = threading.Lock()
        self.last_line = time.monotonic()
        self.open = threading.Event()
        self.open.set()
        self._thread = threading.Thread(target=self._pump, name="lab-log", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for raw in iter(self._stream.readline, b""):
                with self.lock:
                    self._out.write(raw.decode("utf-8", errors="replace"))
                    self._out.flush()
                    self.last_line = time.monotonic()
        finally:
            self.open.clear()

    def print(self, text: str) -> None:
        """Write our own line, never in the middle of one of the server's."""
        with self.lock:
            print(text, file=self._out, flush=True)

    def wait_quiet(self, quiet: float, cap: float) -> None:
        """Return once no line came for ``quiet`` seconds (at most ``cap`` seconds from now)."""
        give_up = time.monotonic() + cap
        while self.open.is_set():
            now = time.monotonic()
            with self.lock:
                silent = now - self.last_line
            if silent >= quiet or now >= give_up:
                return
            time.sleep(min(quiet - silent, give_up - now, 0.2))

    def join(self, timeout: float) -> None:
        """Wait for the server's output to end."""
        self._thread.join(timeout)


def _app_settings(workdir: Path) -> Path:
    """An application-settings folder: the installed one's files plus an override turning news off.

    The override sits in ``overrides.d``, which ranks below the installation's ``overrides.json``
    and below user settings, so a choice made there or in Settings still wins.
    """
    folder = workdir / ".app-settings"
    installed = Path(os.environ.get("JUPYTERLAB_DIR") or Path(sys.prefix, "share", "jupyter", "lab"))
    shutil.rmtree(folder, ignore_errors=True)
    if (installed / "settings").is_dir():
        shutil.copytree(installed / "settings", folder)
    (folder / "overrides.d").mkdir(parents=True, exist_ok=True)
    (folder / "overrides.d" / "arize-orgs-nb.json").write_text(json.dumps(NEWS_OFF, indent=1) + "\n")
    return folder


def _start_sandbox(ns: argparse.Namespace, env: dict[str, str]) -> Sandbox:
    """Serve the seeded sandbox on loopback and point ``env`` (the kernels') at it."""
    from arize_orgs_nb.sandbox import Sandbox

    if ns.db:
        Path(ns.db).parent.mkdir(parents=True, exist_ok=True)
    server = Sandbox(api_key=SANDBOX_KEY, orgs=ns.orgs, users=ns.users, seed=ns.seed, db=ns.db or None)
    url = server.serve(host="127.0.0.1", port=ns.sandbox_port)
    env.update(
        ARIZE_API_KEY=SANDBOX_KEY,
        ARIZE_API_HOST="127.0.0.1",
        ARIZE_API_PORT=url.rsplit(":", 1)[1],
        ARIZE_API_SCHEME="http",
    )
    env.pop("ARIZE_REGION", None)
    print(f"sandbox: {url}  (key: {SANDBOX_KEY}; data in {ns.db or 'memory'})", flush=True)
    return server


def jupyter_command(*, port: int, token: str, root_dir: Path) -> list[str]:
    """The command that serves ``root_dir`` in JupyterLab 4 and Notebook 7 on 127.0.0.1:``port``.

    News and update checks are off; the application settings live in ``root_dir/.app-settings``
    (rewritten on each call). The browser tests start Jupyter with this same command.
    """
    settings = _app_settings(root_dir)
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.app_settings_dir={settings}",
        f"--JupyterNotebookApp.app_settings_dir={settings}",
    ]


def _stop(lab: subprocess.Popen[bytes]) -> None:
    if lab.poll() is None:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def run(ns: argparse.Namespace) -> int:
    """Sync the working copies, start the sandbox (unless --real) and Jupyter; block until Ctrl-C or SIGTERM.

    Args:
        ns: the parsed options.

    Returns:
        The exit code (0 after Ctrl-C or SIGTERM, else the server's).
    """
    workdir = Path(ns.workdir).resolve()
    for line in sync_working_copies(Path(ns.notebooks), workdir):
        print(f"notebooks: {line}", flush=True)
    print(f"notebooks: working copies in {workdir} (notebooks/ itself is never written)", flush=True)
    env = dict(os.environ)
    server = None if ns.real else _start_sandbox(ns, env)
    token = ns.token or secrets.token_hex(16)
    # Its own session, so Ctrl-C reaches only us and we stop it cleanly; and it dies with us if we are
    # killed outright (SIGKILL), so no orphaned server keeps serving.
    lab = subprocess.Popen(  # noqa: S603
        jupyter_command(port=ns.lab_port, token=token, root_dir=workdir),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    assert lab.stdout is not None  # noqa: S101 - stdout=PIPE
    relay = _Relay(lab.stdout, sys.stdout)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    base = f"http://127.0.0.1:{ns.lab_port}"
    try:
        if _wait_http(f"{base}/api/status?token={token}", time.monotonic() + READY_TIMEOUT_S, relay.open):
            relay.wait_quiet(QUIET_S, QUIET_CAP_S)
            if importlib.util.find_spec("notebook") is not None:
                relay.print(f"Notebook 7: {base}/tree?token={token}")
            relay.print(f"JupyterLab: {base}/lab?token={token}")
        while not stop.is_set() and lab.poll() is None:
            stop.wait(0.5)
    finally:
        _stop(lab)
        relay.join(5)
        if server is not None:
            server.stop()
    print("stopped", flush=True)
    return 0 if stop.is_set() or lab.returncode == 0 else lab.returncode
