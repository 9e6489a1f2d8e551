"""`arize-orgs-nb sandbox`: prints where it listens, serves our client, stops cleanly on SIGTERM."""

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from arize_orgs_nb import ArizeOrgs


def entry_point() -> list[str]:
    script = Path(sys.executable).parent / "arize-orgs-nb"
    return [str(script)] if script.exists() else [shutil.which("arize-orgs-nb") or "arize-orgs-nb"]


def test_the_sandbox_command_serves_and_stops_on_sigterm(tmp_path):
    db = tmp_path / "cli.db"
    command = [
        *entry_point(),
        "sandbox",
        "--port",
        "0",
        "--orgs",
        "12",
        "--users",
        "4",
        "--seed",
        "5",
        "--db",
        str(db),
        "--api-key",
        "cli-key",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match, first
        env_line = "".join(proc.stdout.readline() for _ in range(2))
        assert f"ARIZE_API_PORT={match.group(1)}" in env_line
        assert "ARIZE_API_KEY=cli-key" in env_line
        with ArizeOrgs(
            api_key="cli-key", api_host=f"127.0.0.1:{match.group(1)}", api_scheme="http", environ={}
        ) as client:
            assert len(client.organizations.to_frame(progress=False)) == 12
            client.organizations.create(name="Kept Across Restarts")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        rest = proc.stdout.read()
    assert "stopped" in rest.lower()
    # --db keeps the data: a second server on the same file still has the new org, and is not reseeded
    command[command.index("--port") + 1] = "0"
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        port = re.search(r":(\d+)", proc.stdout.readline()).group(1)
        with ArizeOrgs(
            api_key="cli-key", api_host=f"127.0.0.1:{port}", api_scheme="http", environ={}
        ) as client:
            names = client.organizations.to_frame(progress=False)["name"].tolist()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        proc.stdout.read()
    assert len(names) == 13
    assert "Kept Across Restarts" in names
