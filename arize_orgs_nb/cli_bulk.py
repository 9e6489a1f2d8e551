"""``arize-orgs-nb export | plan | apply``: bulk edits from CSV or Parquet files, in the shell.

Layer: on top of the core (the client, plans and frames); used by :mod:`arize_orgs_nb.cli`.

The client is built from the environment (``ARIZE_API_KEY``, ``ARIZE_API_HOST``, ...), exactly
as ``ArizeOrgs()`` reads it; the key is never printed. ``plan`` and ``apply`` diff the file
against a fresh drain of the account: the file is the edited frame. A file with the columns of
``export`` (``id``, ``name``, ``description``, ``created_at``, optional ``delete``) is read with
:func:`~arize_orgs_nb.frames.read_orgs_frame`; a file with only ``name`` and ``description`` is
all creates. A members file has ``organization``, ``user`` (id or email), ``role`` and an
optional ``remove`` column.

Exit codes: ``plan`` 0 no changes, 2 changes, 1 invalid file or error; ``apply`` 0 everything
applied (or nothing to do), 1 otherwise.
"""

from __future__ import annotations

import argparse
import functools
import io
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pandas as pd

from arize_orgs_nb.changes import (
    CASCADE_DELETE,
    CASCADE_REMOVE,
    Change,
    ConfirmationRequiredError,
    Issue,
    Op,
    PlanValidationError,
    StalePlanError,
)
from arize_orgs_nb.errors import OrgsNbError
from arize_orgs_nb.frames import ORG_SCHEMA, read_orgs_frame
from arize_orgs_nb.plan import _as_flag
from arize_orgs_nb.visible import invisible_difference, show

if TYPE_CHECKING:
    from arize_orgs_nb.apply import ApplyResult
    from arize_orgs_nb.client import ArizeOrgs
    from arize_orgs_nb.plan import Plan

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "add_commands"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130

PARQUET = (".parquet", ".pq")
CSV = (".csv",)
CELL_WIDTH = 48
ERROR_WIDTH = 100


class CliError(Exception):
    """A problem to print as ``error: ...`` with exit code 1 (no traceback)."""

    prefix = "error"


class RefusedError(CliError):
    """The command declined to write (unconfirmed, unanswered, stale); nothing was sent."""

    prefix = "refused"


def _say(*parts: object, file: TextIO | None = None) -> None:
    """Write one line to ``file`` (standard output by default)."""
    stream = sys.stdout if file is None else file
    stream.write(" ".join(str(p) for p in parts) + "\n")
    stream.flush()


# -- the parser ----------------------------------------------------------------------------


def _add_journal(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal",
        default=None,
        metavar="PATH",
        help="journal file (default: $ARIZE_ORGS_NB_HOME/journal/<host>-<key fingerprint>.sqlite3)",
    )


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=None,
        help="edited organizations file (.csv or .parquet): rows of 'export', or name/description only",
    )
    parser.add_argument(
        "--members",
        default=None,
        metavar="PATH",
        help="desired memberships file: organization, user (id or email), role, optional remove",
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export``, ``plan`` and ``apply`` to the ``arize-orgs-nb`` parser.

    Args:
        commands: the sub-parsers of the main parser.
    """
    export = commands.add_parser(
        "export",
        help="write every organization (and optionally user) to .csv or .parquet",
        description="Drain every organization into a file that 'plan' and 'apply' read back.",
    )
    export.add_argument("path", nargs="?", default=None, help="organizations file (.csv or .parquet)")
    export.add_argument("--users", default=None, metavar="PATH", help="also write every user to this file")
    _add_journal(export)
    export.set_defaults(handler=run_export)

    plan = commands.add_parser(
        "plan",
        help="show what applying an edited file would change (exit 2 when it would change something)",
        description="Diff an edited file against the account now. Nothing is sent. "
        "Exit 0: no changes; 2: changes; 1: the file breaks rules (all are listed) or an error.",
    )
    _add_inputs(plan)
    _add_journal(plan)
    plan.set_defaults(handler=run_plan)

    apply = commands.add_parser(
        "apply",
        help="apply an edited file: shows the plan, asks, writes, prints one outcome per row",
        description="Plan, confirm and apply an edited file. Exit 0 when every change applied, else 1. "
        "Deletes and member removals need --confirm NAME for each organization, or --yes --confirm-all.",
    )
    _add_inputs(apply)
    apply.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    apply.add_argument(
        "--confirm",
        action="append",
        default=[],
        metavar="NAME",
        help="confirm the deletion of (or member removal in) this exact organization name or id; repeat",
    )
    apply.add_argument(
        "--confirm-all", action="store_true", help="confirm every destructive change (use with --yes)"
    )
    apply.add_argument("--workers", type=_positive, default=8, help="concurrent requests (default 8)")
    apply.add_argument(
        "--force", action="store_true", help="apply even if targets changed on the server since the plan"
    )
    _add_journal(apply)
    apply.set_defaults(handler=run_apply)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# -- commands ------------------------------------------------------------------------------


def _reports_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the errors every command can meet into a message on stderr and ``EXIT_ERROR``."""

    @functools.wraps(run)
    def wrapper(ns: argparse.Namespace) -> int:
        try:
            return run(ns)
        except _InvalidFileError as exc:
            _show_issues(exc)
        except (StalePlanError, ConfirmationRequiredError) as exc:
            _say(f"refused: {exc}", file=sys.stderr)
        except CliError as exc:
            _say(f"{exc.prefix}: {exc}", file=sys.stderr)
        except OrgsNbError as exc:
            _say(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR

    return wrapper


@_reports_errors
def run_export(ns: argparse.Namespace) -> int:
    """``arize-orgs-nb export [PATH] [--users PATH]``."""
    out = _console()
    if ns.path is None and ns.users is None:
        _say("error: give an organizations file, --users FILE, or both", file=sys.stderr)
        return EXIT_ERROR
    targets = [Path(p) for p in (ns.path, ns.users) if p is not None]
    for target in targets:
        _suffix(target)
    with _client(ns) as client:
        _say(f"Talking to {client.target}", file=out)
        if ns.path is not None:
            orgs = client.organizations.to_frame()
            _write(orgs, Path(ns.path))
            _write_base(orgs, Path(ns.path))
            _say(f"wrote {len(orgs)} organizations to {ns.path}", file=out)
        if ns.users is not None:
            users = client.users.to_frame()
            _write(users, Path(ns.users))
            _say(f"wrote {len(users)} users to {ns.users}", file=out)
    return EXIT_OK


@_reports_errors
def run_plan(ns: argparse.Namespace) -> int:
    """``arize-orgs-nb plan [PATH] [--members PATH]``."""
    out = _console()
    _check_inputs(ns)
    with _client(ns) as client:
        _say(f"Talking to {client.target}", file=out)
        plans = _make_plans(client, ns)
        for source, plan in plans:
            _show_plan(plan, source, out, hint_confirm=True)
    return EXIT_CHANGES if any(len(plan) for _, plan in plans) else EXIT_OK


@_reports_errors
def run_apply(ns: argparse.Namespace) -> int:
    """``arize-orgs-nb apply [PATH] [--members PATH] [--yes] [--confirm NAME ...] ...``."""
    out = _console()
    _check_inputs(ns)
    try:
        with _client(ns) as client:
            _say(f"Talking to {client.target}", file=out)
            plans = _make_plans(client, ns)
            for source, plan in plans:
                _show_plan(plan, source, out, hint_confirm=False)
            todo = [(source, plan) for source, plan in plans if len(plan)]
            if not todo:
                return EXIT_OK
            confirm = _confirmation([plan for _, plan in todo], ns)
            if not ns.yes and not _ask(sum(len(p) for _, p in todo), client.target, out):
                return EXIT_ERROR
            ok = True
            for source, plan in todo:
                result = plan.apply(confirm=confirm, workers=ns.workers, force=ns.force, progress=None)
                _show_result(result, source, client.journal.path, out)
                ok = ok and result.ok
                if plan.kind == "organizations" and _base_path(source).exists():
                    # what was applied joins the base: planning the file again shows only what is left
                    _write_base(_merge_applied(read_orgs_frame(_base_path(source)), result), source)
    except KeyboardInterrupt:
        _say(
            "interrupted: every call sent so far is recorded in the journal; run the same command again "
            "to finish (what was applied no longer shows in the diff)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_OK if ok else EXIT_ERROR


# -- building plans ------------------------------------------------------------------------


class _InvalidFileError(Exception):
    """A file broke the rules: its issues, and how to point at its rows."""

    def __init__(self, source: Path, error: PlanValidationError) -> None:
        super().__init__(str(error))
        self.source = source
        self.issues: list[Issue] = error.issues


def _console() -> TextIO:
    """Standard output, made safe for names in any script on any terminal encoding."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    if isinstance(sys.stderr, io.TextIOWrapper):
        sys.stderr.reconfigure(errors="replace")
    return sys.stdout


def _client(ns: argparse.Namespace) -> ArizeOrgs:
    from arize_orgs_nb.client import ArizeOrgs

    return ArizeOrgs(journal=ns.journal)


def _check_inputs(ns: argparse.Namespace) -> None:
    if ns.path is None and ns.members is None:
        raise CliError("give an organizations file, --members FILE, or both")
    for path in (ns.path, ns.members):
        if path is not None:
            _suffix(Path(path))
            if not Path(path).is_file():
                raise CliError(f"no such file: {path}")


def _make_plans(client: ArizeOrgs, ns: argparse.Namespace) -> list[tuple[Path, Plan]]:
    """Plan every given file before anything is sent (all files are checked first)."""
    plans: list[tuple[Path, Plan]] = []
    if ns.path is not None:
        source = Path(ns.path)
        edited = read_orgs_edit(source)
        base = _read_base(client, source)
        edited = _drop_done_deletes(edited, base, source)
        try:
            plans.append((source, client.organizations.plan(edited, base=base)))
        except PlanValidationError as exc:
            raise _InvalidFileError(source, exc) from None
    if ns.members is not None:
        source = Path(ns.members)
        members = _read_table(source)
        try:
            plans.append((source, client.memberships.plan(members)))
        except PlanValidationError as exc:
            raise _InvalidFileError(source, exc) from None
    return plans


def _base_path(source: Path) -> Path:
    """Where ``export`` keeps the frame a file started from: ``.<name>.base.csv`` beside it."""
    return source.with_name(f".{source.name}.base.csv")


def _write_base(orgs: pd.DataFrame, source: Path) -> None:
    orgs.to_csv(_base_path(source), index=False)


def _merge_applied(base: pd.DataFrame, result: ApplyResult) -> pd.DataFrame:
    """The base with the applied renames, descriptions and deletes of ``result`` folded in."""
    merged = base.set_index("id", drop=False)
    for outcome in result.outcomes:
        change = outcome.change
        if outcome.status != "applied" or change.org_id not in merged.index:
            continue
        if change.op is Op.DELETE:
            merged = merged.drop(index=change.org_id)
        elif change.op in (Op.RENAME, Op.DESCRIBE):
            for field, value in change.after.items():
                merged.loc[change.org_id, field] = value
    return merged.reset_index(drop=True)


def _read_base(client: ArizeOrgs, source: Path) -> pd.DataFrame:
    """The export's own base when there is one, so apply refuses edits others made since.

    Without it, the file is compared with the server as it is now, and values others changed
    after the export would be set back to the file's (the diff shows them).
    """
    base_path = _base_path(source)
    if base_path.exists():
        return read_orgs_frame(base_path)
    _say(
        f"note: no export base ({base_path.name}) beside {source.name}: comparing with the server as it "
        "is now, so values changed by others since the file was made would be set back",
        file=sys.stderr,
    )
    return client.organizations.to_frame(progress=False)


def _drop_done_deletes(edited: pd.DataFrame, base: pd.DataFrame, source: Path) -> pd.DataFrame:
    """Leave out rows marked ``delete`` whose organization is already gone (a re-run after an apply)."""
    if "delete" not in edited.columns or "id" not in edited.columns:
        return edited
    present = {str(i) for i in base["id"]}
    done = [
        label
        for label, org_id, flag in zip(edited.index, edited["id"], edited["delete"], strict=True)
        if _as_flag(flag) and not _blank(org_id) and str(org_id) not in present
    ]
    for label in done:
        row = edited.loc[label]
        _say(
            f"note: {_where(source, str(label))}: {row.get('name')!r} ({row['id']}) is already gone; "
            "nothing to delete"
        )
    return edited.drop(index=done)


def _blank(value: object) -> bool:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return True
    return not str(value).strip()


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in CSV + PARQUET:
        raise CliError(f"{path}: unknown file type {suffix or '(none)'!r}; use .csv or .parquet")
    return suffix


def _read_table(path: Path) -> pd.DataFrame:
    """Read a file as it is: CSV cells as text (blank is ``""``), Parquet with its own types."""
    try:
        if _suffix(path) in PARQUET:
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except ImportError as exc:
        raise CliError(f"{path}: reading Parquet needs pyarrow ({exc})") from None
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: cannot read the file ({exc})") from None


def read_orgs_edit(path: Path) -> pd.DataFrame:
    """Read an edited organizations file.

    With every column of ``export`` it is read back with the schema restored; otherwise (only
    ``name`` and ``description``, say) the cells are taken as text, and rows without ``id`` are
    creates. A ``created_at`` that does not parse is left as text, so the plan reports its rows.

    Args:
        path: a ``.csv`` or ``.parquet`` file.

    Returns:
        The edited frame; its index labels the rows in messages (0 is the first data row).
    """
    raw = _read_table(path)
    if set(ORG_SCHEMA.names) <= set(raw.columns):
        try:
            return read_orgs_frame(path)
        except (TypeError, ValueError):
            return raw
    return raw


def _write(frame: pd.DataFrame, path: Path) -> None:
    try:
        if _suffix(path) in PARQUET:
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    except ImportError as exc:
        raise CliError(f"{path}: writing Parquet needs pyarrow ({exc})") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot write the file ({exc})") from None


# -- confirming ----------------------------------------------------------------------------


def _confirmation(plans: Sequence[Plan], ns: argparse.Namespace) -> bool | list[str]:
    """What to pass as ``confirm=``; refuse (before anything is sent) when something is unconfirmed."""
    destructive = [c for plan in plans for c in plan.destructive]
    named = list(ns.confirm)
    if ns.confirm_all:
        if destructive and not ns.yes:
            _say("note: --confirm-all confirms every destructive change listed above", file=sys.stderr)
        return True
    unused = [n for n in named if not any(n in (c.org_name, c.org_id) for c in destructive)]
    for name in unused:
        _say(f"warning: --confirm {name!r} matches no delete or member removal in the plan", file=sys.stderr)
    missing = [c for c in destructive if c.org_name not in named and c.org_id not in named]
    if missing:
        names = sorted({c.org_name for c in missing})
        flags = " ".join(f"--confirm {_shell_quote(n)}" for n in names)
        raise RefusedError(
            f"{len(missing)} destructive change(s) are not confirmed; nothing was sent.\n"
            f"  Confirm each organization by its exact name: {flags}\n"
            "  or confirm them all with: --yes --confirm-all"
        )
    return named


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _ask(count: int, target: str, out: TextIO) -> bool:
    """Ask y/N on a terminal; refuse when stdin is not one."""
    if not sys.stdin.isatty():
        raise RefusedError(
            "stdin is not a terminal, so nobody can answer y/N: pass --yes to apply; nothing was sent"
        )
    try:
        answer = input(f"Apply {count} change(s) to {target}? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        _say("not applied; nothing was sent", file=out)
        return False
    return True


# -- printing ------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Terminal columns: wide characters take 2, combining marks (an NFD accent) none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        for ch in text
    )


def _cell(value: object, limit: int = CELL_WIDTH) -> str:
    """A value for a table cell: in the :mod:`~arize_orgs_nb.visible` notation, cut to ``limit``."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = show(str(value))
    if isinstance(value, str) and value == "":
        return '""'
    if _width(text) > limit:
        cut = ""
        for ch in text:
            if _width(cut + ch) > limit - 1:
                break
            cut += ch
        text = cut + "…"
    return text


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain text table: a header, a rule, one line per row, columns padded by display width."""
    body = [list(r) for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in body]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in body)])


def _where(source: Path, row: str | None) -> str:
    """Point at a row of the file: CSV line numbers count the header as line 1."""
    if row is None:
        return f"{source.name}"
    if row.isdigit() and source.suffix.lower() in CSV:
        return f"{source.name} line {int(row) + 2} (row {row})"
    return f"{source.name} row {row}"


def _line(source: Path, row: str) -> str:
    if row.isdigit() and source.suffix.lower() in CSV:
        return str(int(row) + 2)
    return row


def _show_issues(error: _InvalidFileError) -> None:
    _say(
        f"error: {len(error.issues)} problem(s) in {error.source}; nothing was sent:",
        file=sys.stderr,
    )
    for issue in error.issues:
        column = f", {issue.column}" if issue.column else ""
        _say(f"  {_where(error.source, issue.row)}{column}: {issue.message}", file=sys.stderr)


def _diff_rows(changes: Sequence[Change], source: Path, with_user: bool) -> list[list[str]]:
    """One row per changed field; the last cell says how before and after differ if they look alike."""
    rows = []
    for change in changes:
        fields = sorted(set(change.before) | set(change.after)) or ["-"]
        for name in fields:
            before, after = change.before.get(name), change.after.get(name)
            cells = [change.op.marker, change.op.value, _cell(change.org_name)]
            if with_user:
                cells.append(_cell(change.user_email or change.user_id))
            cells += [
                name,
                _cell(before),
                _cell(after),
                _line(source, change.row),
                invisible_difference(before, after) or "",
            ]
            rows.append(cells)
    return rows


def _show_plan(plan: Plan, source: Path, out: TextIO, *, hint_confirm: bool) -> None:
    _say(f"\n{source}:", file=out)
    if not len(plan):
        _say(f"{plan.summary()} (the server already matches the file)", file=out)
        return
    with_user = any(c.user_id for c in plan.changes)
    headers = ["", "op", "organization", *(["user"] if with_user else []), "field", "before", "after", "line"]
    rows = _diff_rows(plan.changes, source, with_user)
    if any(row[-1] for row in rows):
        headers.append("note")
    else:
        rows = [row[:-1] for row in rows]
    _say(table(headers, rows), file=out)
    destructive = plan.destructive
    if destructive:
        ops = {c.op for c in destructive}
        _say(f"\nDESTRUCTIVE: {len(destructive)} change(s).", file=out)
        if Op.DELETE in ops:
            _say(f"  Deleting an organization {CASCADE_DELETE}", file=out)
        if Op.REMOVE_MEMBER in ops:
            _say(f"  Removing a member {CASCADE_REMOVE}.", file=out)
        if hint_confirm:
            names = sorted({c.org_name for c in destructive})
            flags = " ".join(f"--confirm {_shell_quote(n)}" for n in names)
            _say(f"  apply needs: {flags}  (or --yes --confirm-all)", file=out)
    _say(plan.summary(), file=out)


def _show_result(result: ApplyResult, source: Path, journal: str, out: TextIO) -> None:
    with_user = any(o.change.user_id for o in result.outcomes)
    headers = ["status", "op", "organization", *(["user"] if with_user else []), "change", "http", "error"]
    headers.append("line")
    rows = []
    for o in result.outcomes:
        change = ", ".join(
            f"{k}={'(none)' if v is None else _cell(v, 40)}" for k, v in sorted(o.change.after.items())
        )
        cells = [o.status, o.change.op.value, _cell(o.change.org_name)]
        if with_user:
            cells.append(_cell(o.change.user_email or o.change.user_id))
        cells += [
            change,
            str(o.http_status or ""),
            _cell(o.error, ERROR_WIDTH),
            _line(source, o.change.row),
        ]
        rows.append(cells)
    _say(f"\nresults for {source}:", file=out)
    _say(table(headers, rows), file=out)
    _say(result.summary(), file=out)
    _say(f"journal: {journal} (apply id {result.apply_id})", file=out)
    if not result.ok:
        left = len(result.failed())
        _say(
            f"{left} change(s) did not apply. Run the same command again to retry them: "
            "what was applied no longer shows in the diff.",
            file=out,
        )
