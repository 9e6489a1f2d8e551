"""The README's first command: `make run` serves the sandbox, JupyterLab and Notebook 7 on loopback.

Checked as a user sees it: the URL to open is the last line printed (after Jupyter's start-up
log), the news prompt is off, the server opens working copies (the tracked notebooks are never
written), Notebook 7 answers on the same server, and nothing is left listening after SIGTERM.
"""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAB_LINE = re.compile(r"^JupyterLab: (http://127\.0\.0\.1:\d+/lab\?token=\w+)$")
NOTEBOOK_LINE = re.compile(r"^Notebook 7: http://127\.0\.0\.1:\d+/tree\?token=\w+$")


def wait_closed(port: int, *, deadline: float) -> bool:
    """True once nothing accepts connections on ``port`` (polled until ``deadline``)."""
    while time.monotonic() < deadline:
        with socket.socket() as s:
            try:
                s.connect(("127.0.0.1", port))
            except (ConnectionRefusedError, ConnectionResetError):  # reset: caught closing its backlog
                return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """Every line the command prints, collected by a thread (so reading never blocks the test)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern, timeout: float) -> int | None:
        """The index of the first line matching ``pattern``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((i for i, line in enumerate(self.lines) if pattern.search(line)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0 or not self._thread.is_alive():
                    return found
                self._changed.wait(min(left, 1.0))

    def close(self, stream):
        self._thread.join(timeout=10)
        stream.close()

    def snapshot(self) -> list[str]:
        with self._changed:
            return list(self.lines)


def get_json(url: str, **headers: str):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return json.load(response)


@pytest.mark.slow
def test_make_run_serves_the_sandbox_jupyterlab_and_notebook_7(tmp_path):
    lab_port, sandbox_port = free_port(), free_port()
    tracked = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    workdir = tmp_path / "notebooks"
    command = [
        "make",
        "-s",
        "run",
        f"LAB_PORT={lab_port}",
        f"SANDBOX_PORT={sandbox_port}",
        f"RUN_ARGS=--db {tmp_path / 'demo.db'} --workdir {workdir}",
    ]
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )
    output = Lines(proc.stdout)
    try:
        ours = output.wait_for(LAB_LINE, timeout=150)
        lines = output.snapshot()
        assert ours is not None, "\n".join(lines[-30:])
        lab_url = LAB_LINE.match(lines[ours]).group(1)
        token = lab_url.split("token=")[1]
        base = f"http://127.0.0.1:{lab_port}"

        # after Jupyter's own start-up log, with the Notebook 7 URL just before it
        running_at = next(i for i, line in enumerate(lines) if "is running at" in line)
        assert running_at < ours
        assert NOTEBOOK_LINE.match(lines[ours - 1]), lines[ours - 1]

        page = get_json(
            f"http://127.0.0.1:{sandbox_port}/v2/organizations?limit=3", Authorization="Bearer sandbox-key"
        )
        assert len(page["organizations"]) == 3
        assert page["pagination"]["has_more"] is True

        # the server opens the working copies, made from the tracked notebooks
        listing = get_json(f"{base}/api/contents?token={token}")
        assert set(tracked) <= {item["name"] for item in listing["content"]}
        assert {p.name: p.read_bytes() for p in workdir.glob("*.ipynb")} == tracked

        # "Would you like to get notified about official Jupyter news?" is not asked: news are off
        notification = get_json(
            f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}"
        )
        assert notification["schema"]["properties"]["fetchNews"]["default"] == "false"
        assert notification["schema"]["properties"]["checkForUpdates"]["default"] is False

        # Notebook 7 on the same server
        for path in ("/tree", "/notebooks/00_quickstart.ipynb"):
            with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=10) as response:
                assert response.status == 200
                assert "Jupyter Notebook" in response.read().decode() or path == "/tree"

        # nothing printed after the URL (the requests above log nothing at the default level)
        assert output.snapshot()[-1] == lines[ours], output.snapshot()[ours:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        output.close(proc.stdout)
    # `make` exits on SIGTERM at once; our launcher (same group) then stops JupyterLab, which may
    # take a few seconds. Nothing may be left listening once that is done.
    for port in (sandbox_port, lab_port):
        assert wait_closed(port, deadline=time.monotonic() + 45), f"port {port} still listening"
    assert {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")} == tracked
