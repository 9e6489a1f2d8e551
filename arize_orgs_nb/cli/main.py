"""The ``arize-orgs-nb`` command line.

Layer: on top of the core; starts the sandbox on request.

Commands:
    sandbox   run the embedded stand-in of the Arize API on loopback (``sandbox reset``: its demo data)
    lab       the main job: a seeded sandbox plus JupyterLab and Notebook 7 on working copies of
              ``notebooks/``, all on loopback (:mod:`arize_orgs_nb.cli.lab`)
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
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``arize-orgs-nb``."""
    from arize_orgs_nb.cli import bulk as cli_bulk
    from arize_orgs_nb.cli import lab as cli_lab
    from arize_orgs_nb.cli import organizations as cli_organizations
    from arize_orgs_nb.sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(
        prog="arize-orgs-nb", description="Manage Arize organizations from notebooks and the shell."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser(
        "sandbox", help="run the stand-in of the Arize API on loopback, or reset its demo data"
    )
    sandbox_cli.add_arguments(sandbox)
    sandbox.set_defaults(handler=sandbox_cli.run)
    lab = commands.add_parser("lab", help="the sandbox plus JupyterLab on working copies of notebooks/")
    cli_lab.add_arguments(lab)
    lab.set_defaults(handler=cli_lab.run)
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
