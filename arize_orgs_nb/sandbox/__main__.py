"""``python -m arize_orgs_nb.sandbox``: run the sandbox HTTP server."""

from __future__ import annotations

import argparse
import sys

from arize_orgs_nb.sandbox.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the server, return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m arize_orgs_nb.sandbox",
        description="Run a local stand-in of the Arize Organizations REST API.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
