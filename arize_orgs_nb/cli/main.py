"""The ``arize-orgs-nb`` command line.

Layer: on top of the core; starts the sandbox on request.

Commands:
    sandbox   run the embedded stand-in of the Arize API on loopback
    lab       the main job: a seeded sandbox plus JupyterLab on ``notebooks/``, both on loopback
    export    every organization (``--users``: every user) to a .csv or .parquet file
    plan      diff an edited organizations (or ``--members``) file against the account; sends nothing
    apply     the same plan, confirmed, then applied; one outcome per row (or a plan saved by
              ``plan --out PLAN.json``, applied exactly as saved)
    organizations  list | get | create | update | add-user | remove-user | delete, one call at a time

``export``, ``plan`` and ``apply`` live in :mod:`arize_orgs_nb.cli.bulk`, ``organizations`` in
:mod:`arize_orgs_nb.cli.organizations`; all build their client from the ``ARIZE_*`` environment.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

__all__ = ["main"]


def _add_lab_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebooks", default="notebooks", help="folder JupyterLab opens")
    parser.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port (127.0.0.1)")
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
    parser.add_argument("--token", default=None, help="JupyterLab token (default: random)")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent process dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_http(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return True
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error status still means "listening"
                return True
            time.sleep(0.3)
    return False


def _run_lab(ns: argparse.Namespace) -> int:
    """Start the sandbox (unless --real) and JupyterLab; block until Ctrl-C or SIGTERM."""
    env = dict(os.environ)
    server = None
    if not ns.real:
        from arize_orgs_nb.sandbox import Sandbox

        if ns.db:
            Path(ns.db).parent.mkdir(parents=True, exist_ok=True)
        key = "sandbox-key"
        server = Sandbox(api_key=key, orgs=ns.orgs, users=ns.users, seed=ns.seed, db=ns.db or None)
        url = server.serve(host="127.0.0.1", port=ns.sandbox_port)
        port = url.rsplit(":", 1)[1]
        env.update(
            ARIZE_API_KEY=key,
            ARIZE_API_HOST="127.0.0.1",
            ARIZE_API_PORT=port,
            ARIZE_API_SCHEME="http",
        )
        env.pop("ARIZE_REGION", None)
        print(f"sandbox: {url}  (key: {key}; data in {ns.db or 'memory'})", flush=True)

    token = ns.token or secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={ns.lab_port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={Path(ns.notebooks).resolve()}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    # Its own session, so Ctrl-C reaches only us and we stop it cleanly; and it dies with us if we are
    # killed outright (SIGKILL), so no orphaned JupyterLab keeps serving.
    lab = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)  # noqa: S603
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        if _wait_http(f"http://127.0.0.1:{ns.lab_port}/api/status?token={token}", time.monotonic() + 90):
            print(f"JupyterLab: http://127.0.0.1:{ns.lab_port}/lab?token={token}", flush=True)
        while not stop.is_set() and lab.poll() is None:
            stop.wait(0.5)
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)
            try:
                lab.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(lab.pid, signal.SIGKILL)
                lab.wait()
        if server is not None:
            server.stop()
    print("stopped", flush=True)
    return 0 if stop.is_set() or lab.returncode == 0 else lab.returncode


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``arize-orgs-nb``."""
    from arize_orgs_nb.cli import bulk as cli_bulk
    from arize_orgs_nb.cli import organizations as cli_organizations
    from arize_orgs_nb.sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(
        prog="arize-orgs-nb", description="Manage Arize organizations from notebooks and the shell."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="run the stand-in of the Arize API on loopback")
    sandbox_cli.add_arguments(sandbox)
    sandbox.set_defaults(handler=sandbox_cli.run)
    lab = commands.add_parser("lab", help="the sandbox plus JupyterLab on notebooks/")
    _add_lab_arguments(lab)
    lab.set_defaults(handler=_run_lab)
    cli_bulk.add_commands(commands)
    cli_organizations.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    ns = build_parser().parse_args(argv)
    code: int = ns.handler(ns)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
