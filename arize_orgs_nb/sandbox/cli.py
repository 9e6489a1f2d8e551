"""Command line: run the sandbox as a local HTTP server until interrupted, or reset its demo data."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from arize_orgs_nb.sandbox.core import Sandbox
from arize_orgs_nb.sandbox.schema import is_sandbox_database
from arize_orgs_nb.sandbox.server import check_loopback


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to a parser.

    Args:
        parser: The parser (or sub-parser) to extend.
    """
    parser.add_argument(
        "action",
        nargs="?",
        choices=("serve", "reset"),
        default="serve",
        help="serve (default), or reset: put the seeded data back in the sandbox on --port "
        "(when none answers there, remove the --db file so that the next start seeds it afresh)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--api-key", default="sandbox-key", help="bearer key accepted (admin)")
    parser.add_argument("--read-only-key", default=None, help="optional key that may read but not write")
    parser.add_argument("--orgs", type=int, default=0, help="number of seeded organizations")
    parser.add_argument("--users", type=int, default=0, help="number of seeded users")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument(
        "--db", default=None, help="SQLite file to keep data across restarts (default: memory)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sleep per request")
    parser.add_argument("--rate-limit-share", type=float, default=0.0, help="share of requests answered 429")
    parser.add_argument("--error-share", type=float, default=0.0, help="share of requests answered 5xx")
    parser.add_argument(
        "--write-rate",
        type=float,
        default=0.0,
        metavar="N",
        help="POST/PATCH/DELETE per second allowed per API key; over it, 429 with Retry-After (0: no limit)",
    )
    parser.add_argument(
        "--read-rate",
        type=float,
        default=0.0,
        metavar="N",
        help="GET requests per second allowed per API key; over it, 429 with Retry-After (0: no limit)",
    )
    parser.add_argument(
        "--drop-share",
        type=float,
        default=0.0,
        help="share of writes that commit, then drop the connection",
    )


def run(ns: argparse.Namespace) -> int:
    """Start the server, print how to reach it, and block until SIGINT or SIGTERM (or ``reset``).

    Args:
        ns: Parsed options from :func:`add_arguments`.

    Returns:
        The exit status (0 after a clean stop, 2 on bad options).
    """
    if getattr(ns, "action", "serve") == "reset":
        return reset(ns)
    try:
        sandbox = Sandbox(
            api_key=ns.api_key,
            read_only_key=ns.read_only_key,
            orgs=ns.orgs,
            users=ns.users,
            seed=ns.seed,
            db=ns.db,
            latency_ms=ns.latency_ms,
            rate_limit_share=ns.rate_limit_share,
            error_share=ns.error_share,
            drop_share=ns.drop_share,
            write_rate=ns.write_rate,
            read_rate=ns.read_rate,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        url = sandbox.serve(ns.host, ns.port)
    except (ValueError, OSError) as exc:
        sandbox.stop()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    port = url.rsplit(":", 1)[1]
    host = url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
    print(f"Arize Organizations sandbox listening on {url}")
    print("Point a client at it with:")
    print(
        f"  export ARIZE_API_HOST={host} ARIZE_API_PORT={port} "
        f"ARIZE_API_SCHEME=http ARIZE_API_KEY={ns.api_key}"
    )
    if ns.read_only_key:
        print(f"Read-only key: {ns.read_only_key}")
    print("Press Ctrl+C to stop.")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("Sandbox stopped.")
    sys.stdout.flush()
    return 0


def reset(ns: argparse.Namespace) -> int:
    """Put the demo data back: dangerous, every change made since the seed is lost.

    Asks the sandbox on ``--host``/``--port`` (``POST /_sandbox/reset`` with ``--api-key``) to
    seed its data again. When nothing answers there and ``--db`` names a sandbox database, that
    file is removed instead, so the next start seeds it afresh; a file that is not a sandbox
    database is never removed.

    Args:
        ns: Parsed options from :func:`add_arguments`.

    Returns:
        0 when reset (or nothing to reset), 1 when no sandbox answers and there is no file to
        remove, 2 on a refusal or bad options.
    """
    try:
        check_loopback(ns.host)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = f"[{ns.host}]" if ":" in ns.host else ns.host
    url = f"http://{shown}:{ns.port}"
    request = urllib.request.Request(  # noqa: S310 - a loopback URL built here
        f"{url}/_sandbox/reset", data=b"", method="POST", headers={"Authorization": f"Bearer {ns.api_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            seeded = json.load(answer)
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("detail", exc.reason)
        print(f"error: the server on {url} refused the reset ({exc.code}): {detail}", file=sys.stderr)
        return 2
    except OSError:
        return _remove_database(ns.db, url)
    print(
        f"Reset the sandbox on {url}: {seeded['orgs']} organizations and {seeded['users']} users "
        f"seeded again (seed {seeded['seed']}, new ids); no scheduled faults; knobs as started."
    )
    return 0


def _remove_database(db: str | None, url: str) -> int:
    """The offline reset: remove a sandbox database file (and its WAL files) so it is seeded afresh."""
    if not db:
        print(f"error: no sandbox answers on {url} (and no --db file to remove)", file=sys.stderr)
        return 1
    path = Path(db)
    if not path.exists():
        print(f"No sandbox answers on {url}, and {db} does not exist: nothing to reset.")
        return 0
    if not is_sandbox_database(path):
        print(f"error: {db} is not a sandbox database; it was left alone", file=sys.stderr)
        return 2
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"No sandbox answers on {url}: removed {db}; the next start seeds it afresh.")
    return 0
