"""``arize-orgs-nb organizations list|get|create|update|add-user|remove-user|delete``.

Layer: on top of the core (the client); used by :mod:`arize_orgs_nb.cli.main`.

The verbs of the official ``ax organizations``, on this client: the client is built from the
environment (``ARIZE_API_KEY``, ``ARIZE_API_HOST``, ...) exactly as ``ArizeOrgs()`` reads it, and
the key is never printed. An organization is named by id or exact name everywhere; a name means
the organization that bears it now (looked up on the server at the call, docs/DESIGN.md, R22).
A user is named by id or email. ``list`` reads every page (``--limit N`` stops after N).

Output: ``-o table`` (the default: a plain-text table, server text in the
:mod:`~arize_orgs_nb.visible` notation), ``json`` (what the API returns: an object for one
organization, an array for ``list``), ``csv`` or ``parquet``; to standard output, or to
``--out FILE`` (Parquet needs a file). ``-o FILE.json`` (or ``.csv``, ``.parquet``) picks the
format from the name and writes the file, as ``ax`` does.

``delete`` (IRREVERSIBLE: it cascades to every space of the organization) and ``remove-user``
(it cascades to every space of the organization too) ask y/N on a terminal, naming what they are
about to change; ``--force`` skips the question. With no terminal to ask on and no ``--force``
they refuse before any request (exit 2).

Exit codes: 0 done; 1 not done (declined at the prompt, or ``--out`` cannot be written); 2 a
usage error (argparse, a value that breaks a rule, checked before any request, no ``--force``
without a terminal, missing or invalid settings); 4 an API error (the server refused or could not
be reached, or no organization or user has that name, id or email); 130 interrupted.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE
from arize_orgs_nb.cli._output import (
    PARQUET,
    CliError,
    cell,
    console,
    positive_int,
    say,
    table,
    write_frame,
    write_text,
    yes_or_no,
)
from arize_orgs_nb.errors import (
    ApiError,
    ConfigError,
    DrainInterruptedError,
    OrgsNbError,
    ProtocolError,
    ResolutionError,
    TransportError,
)
from arize_orgs_nb.frames import CSV_TIME_FORMAT, ORG_SCHEMA, TEXT, org_row, user_row
from arize_orgs_nb.rules import ROLES, annotator_problem, role_problem
from arize_orgs_nb.wording import counted

if TYPE_CHECKING:
    from arize_orgs_nb.client import ArizeOrgs
    from arize_orgs_nb.models import Organization, User

__all__ = ["EXIT_API", "EXIT_NOT_DONE", "EXIT_OK", "EXIT_USAGE", "add_commands"]

EXIT_OK = 0
EXIT_NOT_DONE = 1
EXIT_USAGE = 2
EXIT_API = 4
EXIT_INTERRUPTED = 130

FORMATS = ("table", "json", "csv", "parquet")
_BY_SUFFIX = {".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".txt": "table"}


class UsageError(CliError):
    """A command line that cannot run as given (exit 2); nothing was sent."""


@dataclass(frozen=True)
class _Shown:
    """What a verb has to show: JSON-ready records, the same as a frame, and whether it is one."""

    records: list[dict[str, Any]]
    frame: pd.DataFrame
    single: bool


# -- the parser ----------------------------------------------------------------------------


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FORMAT|FILE",
        help=f"{', '.join(FORMATS)} (default table), or a file whose name says the format (orgs.json)",
    )
    parser.add_argument(
        "--out", default=None, metavar="FILE", help="write the output to FILE instead of standard output"
    )


def _add_user(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", "--user-id", dest="user", required=True, metavar="USER", help="the user's id or email"
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``organizations`` and its verbs to the ``arize-orgs-nb`` parser.

    Args:
        commands: the sub-parsers of the main parser.
    """
    parser = commands.add_parser(
        "organizations",
        help="the organization calls one at a time: list, get, create, update, add-user, remove-user, delete",
        description="Organization calls, as the official 'ax organizations'. Exit 0 done, 1 not done "
        "(declined), 2 usage error, 4 API error.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    listing = _verb(verbs, "list", "every organization (all pages)", run_list, named=False)
    listing.add_argument("-n", "--name", default=None, help="case-insensitive substring of the name")
    listing.add_argument(
        "-l", "--limit", type=positive_int, default=None, help="stop after this many (default: all)"
    )
    _verb(verbs, "get", "one organization, by id or name", run_get)
    create = _verb(verbs, "create", "create an organization (names are unique)", run_create, named=False)
    create.add_argument("-n", "--name", required=True, help="its name (1 to 255 characters)")
    create.add_argument("--description", default=None, help="its description (up to 1000 characters)")
    update = _verb(verbs, "update", "rename and/or re-describe; only the options given are sent", run_update)
    update.add_argument("-n", "--name", default=None, help="the new name")
    update.add_argument("--description", default=None, help="the new description ('' clears it)")
    add_user = _verb(
        verbs, "add-user", "give a user a role (an upsert: replaces any current role)", run_add_user
    )
    _add_user(add_user)
    add_user.add_argument("-r", "--role", required=True, help=f"one of {', '.join(ROLES)}")
    remove_user = _verb(
        verbs, "remove-user", "remove a user from an organization AND every space in it", run_remove_user
    )
    _add_user(remove_user)
    remove_user.add_argument("--force", action="store_true", help="remove without asking")
    delete = _verb(verbs, "delete", "delete an organization and EVERYTHING in it; irreversible", run_delete)
    delete.add_argument("--force", action="store_true", help="delete without asking")


def _verb(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    text: str,
    run: Callable[[argparse.Namespace], int],
    *,
    named: bool = True,
) -> argparse.ArgumentParser:
    """One verb: its ``ORGANIZATION`` argument (unless not ``named``), the output options, its handler."""
    parser = verbs.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
    if named:
        parser.add_argument(
            "organization",
            metavar="ORGANIZATION",
            help="its id, or its exact name (the one that bears it now)",
        )
    _add_output(parser)
    parser.set_defaults(handler=run)
    return parser


# -- running -------------------------------------------------------------------------------


def _reports_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Map every error to its message on stderr and its exit code (see the module's table)."""

    @functools.wraps(run)
    def wrapper(ns: argparse.Namespace) -> int:
        console()
        try:
            return run(ns)
        except UsageError as exc:
            say(f"usage error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except ConfigError as exc:
            say(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except (ApiError, TransportError, ProtocolError, ResolutionError, DrainInterruptedError) as exc:
            say(f"error: {exc}", file=sys.stderr)
            return EXIT_API
        except ValueError as exc:  # the client's checks of a value, before any request
            say(f"usage error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except (CliError, OrgsNbError) as exc:
            say(f"error: {exc}", file=sys.stderr)
            return EXIT_NOT_DONE
        except KeyboardInterrupt:
            say("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED

    return wrapper


def _client() -> ArizeOrgs:
    from arize_orgs_nb.client import ArizeOrgs

    return ArizeOrgs(journal=":memory:")  # single calls are not journaled


def _destination(ns: argparse.Namespace) -> tuple[str, Path | None]:
    """The output format and file (``None``: standard output), checked before any request."""
    output, out = ns.output, None if ns.out is None else Path(ns.out)
    if output is not None and output.lower() not in FORMATS:
        if out is not None:
            raise UsageError(
                f"-o {output!r} is not a format ({', '.join(FORMATS)}); with --out give a format"
            )
        out = Path(output)
        output = _BY_SUFFIX.get(out.suffix.lower())
        if output is None:
            raise UsageError(
                f"-o {out}: not a format ({', '.join(FORMATS)}) nor a file ending in "
                f"{', '.join(sorted(_BY_SUFFIX))}"
            )
    elif output is None:
        output = "table" if out is None else _BY_SUFFIX.get(out.suffix.lower(), "table")
    output = output.lower()
    if output == "parquet" and (out is None or out.suffix.lower() not in PARQUET):
        raise UsageError("Parquet is binary: write it to a file with --out FILE.parquet")
    return output, out


def _emit(shown: _Shown, output: str, path: Path | None, what: str) -> None:
    """Print or write ``shown`` in ``output`` format."""
    if path is None:
        sys.stdout.write(_render(shown, output))
        sys.stdout.flush()
        return
    if output == "parquet":
        write_frame(shown.frame, path)
    else:
        write_text(_render(shown, output), path)
    say(f"wrote {what} to {path}")


def _render(shown: _Shown, output: str) -> str:
    if output == "json":
        data: object = shown.records[0] if shown.single else shown.records
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output == "csv":
        return str(shown.frame.to_csv(index=False, date_format=CSV_TIME_FORMAT))
    headers = [str(c) for c in shown.frame.columns]
    rows = [[cell(_text(v)) for v in row] for row in shown.frame.itertuples(index=False)]
    return table(headers, rows) + "\n"


def _text(value: object) -> object:
    return value.isoformat() if isinstance(value, pd.Timestamp) else value


def _orgs(orgs: Sequence[Organization], *, single: bool) -> _Shown:
    return _Shown([o.to_dict() for o in orgs], ORG_SCHEMA.from_rows([org_row(o) for o in orgs]), single)


def _one(record: dict[str, str]) -> _Shown:
    return _Shown([record], pd.DataFrame([record], dtype=TEXT), True)  # not left to pandas' version


def _refuse_without_terminal(ns: argparse.Namespace, verb: str) -> None:
    """No question can be answered without a terminal: refuse before any request."""
    if not ns.force and not sys.stdin.isatty():
        raise UsageError(
            f"stdin is not a terminal, so nobody can answer y/N: pass --force to {verb}; nothing was sent"
        )


def _confirmed(ns: argparse.Namespace, question: str) -> bool:
    return bool(ns.force) or yes_or_no(question)


@_reports_errors
def run_list(ns: argparse.Namespace) -> int:
    """``organizations list [--name TEXT] [--limit N]``: every page unless ``--limit``."""
    output, path = _destination(ns)
    with _client() as client:
        orgs = list(client.organizations.iter(name=ns.name, max_items=ns.limit))
    _emit(_orgs(orgs, single=False), output, path, counted(len(orgs), "organization"))
    return EXIT_OK


@_reports_errors
def run_get(ns: argparse.Namespace) -> int:
    """``organizations get ORGANIZATION``."""
    output, path = _destination(ns)
    with _client() as client:
        org = client.organizations.get(organization=ns.organization)
    _emit(_orgs([org], single=True), output, path, "the organization")
    return EXIT_OK


@_reports_errors
def run_create(ns: argparse.Namespace) -> int:
    """``organizations create --name NAME [--description TEXT]``."""
    output, path = _destination(ns)
    with _client() as client:
        org = client.organizations.create(name=ns.name, description=ns.description)
    _emit(_orgs([org], single=True), output, path, "the new organization")
    return EXIT_OK


@_reports_errors
def run_update(ns: argparse.Namespace) -> int:
    """``organizations update ORGANIZATION [--name NAME] [--description TEXT]``: only what is given."""
    output, path = _destination(ns)
    if ns.name is None and ns.description is None:
        raise UsageError("give --name, --description, or both (--description '' clears it)")
    with _client() as client:
        org = client.organizations.update(
            organization=ns.organization, name=ns.name, description=ns.description
        )
    _emit(_orgs([org], single=True), output, path, "the organization")
    return EXIT_OK


def _user(client: ArizeOrgs, reference: str) -> User:
    return client.users.get(user=reference.strip())


@_reports_errors
def run_add_user(ns: argparse.Namespace) -> int:
    """``organizations add-user ORGANIZATION --user USER --role ROLE``: an upsert."""
    output, path = _destination(ns)
    problem = role_problem(ns.role)
    if problem:
        raise UsageError(problem)
    with _client() as client:
        user = _user(client, ns.user)
        problem = annotator_problem(str(user_row(user)["role_name"]), ns.role, who=user.email)
        if problem:
            raise UsageError(f"{problem}; nothing was sent")
        membership = client.organizations.add_user(
            organization=ns.organization, user_id=user.id, role=ns.role
        )
    record = membership.to_dict()
    frame = pd.DataFrame(
        [
            {
                "organization_id": membership.organization_id,
                "user_id": membership.user_id,
                "user": user.email,
                "role": str(membership.role),
            }
        ],
        dtype=TEXT,
    )
    _emit(_Shown([record], frame, True), output, path, "the membership")
    return EXIT_OK


@_reports_errors
def run_remove_user(ns: argparse.Namespace) -> int:
    """``organizations remove-user ORGANIZATION --user USER [--force]``: asks first on a terminal."""
    output, path = _destination(ns)
    _refuse_without_terminal(ns, "remove the user")
    with _client() as client:
        org = client.organizations.get(organization=ns.organization)
        user = _user(client, ns.user)
        question = (
            f"Remove {cell(user.email)} from {cell(org.name)} ({org.id})? This {CASCADE_REMOVE}. [y/N] "
        )
        if not _confirmed(ns, question):
            say("not removed; nothing was sent", file=sys.stderr)
            return EXIT_NOT_DONE
        client.organizations.remove_user(organization=org.id, user_id=user.id)
    record = {
        "organization_id": org.id,
        "organization": org.name,
        "user_id": user.id,
        "user": user.email,
        "status": "removed",
    }
    _emit(_one(record), output, path, "the removal")
    return EXIT_OK


@_reports_errors
def run_delete(ns: argparse.Namespace) -> int:
    """``organizations delete ORGANIZATION [--force]``: IRREVERSIBLE; asks first on a terminal.

    The organization is found first (by id, or the one that bears the name now), and that one,
    by its id, is what is asked about and deleted.
    """
    output, path = _destination(ns)
    _refuse_without_terminal(ns, "delete")
    with _client() as client:
        org = client.organizations.get(organization=ns.organization)
        question = f"Delete {cell(org.name)} ({org.id})? This {CASCADE_DELETE} [y/N] "
        if not _confirmed(ns, question):
            say("not deleted; nothing was sent", file=sys.stderr)
            return EXIT_NOT_DONE
        client.organizations.delete(organization=org.id)
    _emit(
        _one({"organization_id": org.id, "organization": org.name, "status": "deleted"}),
        output,
        path,
        "the deletion",
    )
    return EXIT_OK
