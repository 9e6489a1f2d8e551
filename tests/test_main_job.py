"""The README's first command: `make run` serves the sandbox and JupyterLab on loopback."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def wait_closed(port: int, *, deadline: float) -> bool:
    """True once nothing accepts connections on ``port`` (polled until ``deadline``)."""
    while time.monotonic() < deadline:
        with socket.socket() as s:
            try:
                s.connect(("127.0.0.1", port))
            except ConnectionRefusedError:
                return True
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_run_serves_the_sandbox_and_jupyterlab(tmp_path):
    lab_port, sandbox_port = free_port(), free_port()
    command = [
        "make",
        "-s",
        "run",
        f"LAB_PORT={lab_port}",
        f"SANDBOX_PORT={sandbox_port}",
        f"RUN_ARGS=--db {tmp_path / 'demo.db'}",
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
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 150
        lab_url = None
        while time.monotonic() < deadline and lab_url is None:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"JupyterLab: (http://127\.0\.0\.1:\d+/lab\?token=\w+)", line)
            lab_url = match.group(1) if match else None
        assert lab_url, "".join(lines[-30:])
        request = urllib.request.Request(
            f"http://127.0.0.1:{sandbox_port}/v2/organizations?limit=3",
            headers={"Authorization": "Bearer sandbox-key"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            page = json.load(response)
        assert len(page["organizations"]) == 3
        assert page["pagination"]["has_more"] is True
        token = lab_url.split("token=")[1]
        with urllib.request.urlopen(
            f"http://127.0.0.1:{lab_port}/api/contents?token={token}", timeout=10
        ) as r:
            listing = json.load(r)
        assert "00_quickstart.ipynb" in {item["name"] for item in listing["content"]}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
    # `make` exits on SIGTERM at once; our launcher (same group) then stops JupyterLab, which may
    # take a few seconds. Nothing may be left listening once that is done.
    for port in (sandbox_port, lab_port):
        assert wait_closed(port, deadline=time.monotonic() + 45), f"port {port} still listening"
