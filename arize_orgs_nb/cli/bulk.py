"""``arize-orgs-nb export | plan | apply``: bulk edits from CSV or Parquet files, in the shell.

Layer: on top of the core (the client, plans and frames); used by :mod:`arize_orgs_nb.cli.main`.

The client is built from the environment (``ARIZE_API_KEY``, ``ARIZE_API_HOST``, ...), exactly
as ``ArizeOrgs()`` reads it; the key is never printed. ``plan`` and ``apply`` diff the file
against a fresh drain of the account: the file is the edited frame. A file with the columns of
``export`` (``id``, ``name``, ``description``, ``created_at``, optional ``delete``) is read with
:func:`~arize_orgs_nb.frames.read_orgs_frame`; a file with only ``name`` and ``description`` is
all creates. A members file has ``organization``, ``user`` (id or email), ``role`` and an
optional ``remove`` column.

What the CLI keeps beside a file ``F`` (never in it: the user's file is never rewritten):

* ``.F.base.csv``, written by ``export``: the frame the file started from. ``plan`` and ``apply``
  diff the file against it, so a value a colleague changed on the server since the export is not
  set back, and an apply whose targets changed since is refused as stale. After every apply,
  what landed (creates, renames, descriptions, deletes) is folded into it.
* ``.F.created.csv``, written by ``apply``: one line per organization a create row of the file
  made (``row``, ``name``, ``id``). A create row has no id and the file keeps none, so on the next
  plan an id-less row whose name (case-insensitively: names are unique in the account) is in this
  record is taken as that organization: nothing to do when it is unchanged, an update when it was
  edited since. A create row whose name was changed after its create is refused (put the id in
  the row to rename that organization) rather than created a second time. ``export`` removes it.

So after any apply (all applied, some failed, interrupted), ``plan F`` shows exactly the rows that
did not land, and the same ``apply`` sends just those. Ctrl-C during ``apply`` stops sending (the
calls in flight finish and are recorded); a second Ctrl-C stops at once, and what the journal
records as applied is still folded in (a call that was in flight then is unknown, and shows again).

Saved plans (docs/PLAN_FORMAT.md): ``plan F --out PLAN.json`` also writes the plan it shows;
``apply PLAN.json`` (a ``.json`` name, or a file that starts with ``{``) applies exactly that plan
through ``client.load_plan``: refused, with nothing sent, when the file was edited since, was made
for another API or key (``--allow-other-key`` accepts another key), or its targets changed on the
server; deletes still need ``--confirm``. What it applies is folded beside the edited file when
that file is where the plan says (its ``source``, relative to the plan's folder).

Exit codes: ``plan`` 0 no changes, 2 changes, 1 invalid file or error; ``apply`` 0 everything
applied (or nothing to do), 130 interrupted, 1 otherwise; 2 for a usage error (argparse). Any
file that cannot be read ends as ``error: ...`` with exit code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol, TextIO

import pandas as pd

from arize_orgs_nb.bulk.changes import CASCADE_DELETE, CASCADE_REMOVE, Change, Op
from arize_orgs_nb.cli._output import (
    CSV,
    ERROR_WIDTH,
    PARQUET,
    CliError,
    RefusedError,
    positive_int,
    table,
    yes_or_no,
)
from arize_orgs_nb.cli._output import cell as _cell
from arize_orgs_nb.cli._output import console as _console
from arize_orgs_nb.cli._output import reason as _reason
from arize_orgs_nb.cli._output import say as _say
from arize_orgs_nb.cli._output import suffix_of as _suffix
from arize_orgs_nb.cli._output import write_frame as _write
from arize_orgs_nb.errors import (
    ConfirmationRequiredError,
    Issue,
    OrgsNbError,
    PlanValidationError,
    SavedPlanError,
    StalePlanError,
)
from arize_orgs_nb.frames import ORG_SCHEMA, read_csv_cells, read_orgs_frame
from arize_orgs_nb.rules import is_missing, read_flag, unconfirmed
from arize_orgs_nb.visible import invisible_difference
from arize_orgs_nb.wording import counted

if TYPE_CHECKING:
    from arize_orgs_nb.bulk.apply import ApplyResult
    from arize_orgs_nb.bulk.ledger import JournalEntry
    from arize_orgs_nb.bulk.plan import Plan
    from arize_orgs_nb.client import ArizeOrgs

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "add_commands"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_INTERRUPTED = 130

CREATED_COLUMNS = ("row", "name", "id")


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
        help="edited organizations file (.csv or .parquet): rows of 'export', or name/description only; "
        "for 'apply', also a saved plan (.json)",
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
    plan.add_argument(
        "--out",
        default=None,
        metavar="PLAN.json",
        help="also save the plan to this file, to review and later 'apply PLAN.json' exactly as shown",
    )
    _add_journal(plan)
    plan.set_defaults(handler=run_plan)

    apply = commands.add_parser(
        "apply",
        help="apply an edited file: shows the plan, asks, writes, prints one outcome per row",
        description="Plan, confirm and apply an edited file, or a plan saved by 'plan FILE --out PLAN.json' "
        "(applied exactly as saved). Exit 0 when every change applied, else 1. "
        "Deletes and member removals need --confirm NAME for each organization, or --yes --confirm-all.",
    )
    _add_inputs(apply)
    apply.add_argument(
        "--allow-other-key",
        action="store_true",
        help="apply a saved plan that was made with another API key (the API must be the same)",
    )
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
    apply.add_argument("--workers", type=positive_int, default=8, help="concurrent requests (default 8)")
    apply.add_argument(
        "--force", action="store_true", help="apply even if targets changed on the server since the plan"
    )
    _add_journal(apply)
    apply.set_defaults(handler=run_apply)


# -- commands ------------------------------------------------------------------------------


def _reports_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the errors every command can meet into a message on stderr and ``EXIT_ERROR``."""

    @functools.wraps(run)
    def wrapper(ns: argparse.Namespace) -> int:
        try:
            return run(ns)
        except _InvalidFileError as exc:
            _show_issues(exc)
        except (StalePlanError, ConfirmationRequiredError, SavedPlanError) as exc:
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
            _write(orgs, _base_path(Path(ns.path)))
            _created_path(Path(ns.path)).unlink(missing_ok=True)  # a new file: its rows all have ids
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
    if ns.out is not None and (ns.path is None) == (ns.members is None):
        raise CliError("--out saves one plan: give either an organizations file or --members FILE")
    with _client(ns) as client:
        _say(f"Talking to {client.target}", file=out)
        plans = _make_plans(client, ns)
        for source, plan in plans:
            _show_plan(plan, source, out, hint_confirm=True)
        if ns.out is not None:
            _save_plan(plans[0], Path(ns.out), out)
    return EXIT_CHANGES if any(len(plan) for _, plan in plans) else EXIT_OK


def _save_plan(made: tuple[Path, Plan[ApplyResult]], path: Path, out: TextIO) -> None:
    """Save the plan, recording its edited file relative to the plan's folder (see _edited_file_of)."""
    source, plan = made
    try:
        relative = os.path.relpath(source.resolve(), path.resolve().parent)
    except ValueError:  # another drive
        relative = source.name
    try:
        plan.save(path, source=Path(relative).as_posix())
    except OSError as exc:
        raise CliError(f"{path}: cannot write the plan ({_reason(exc)})") from None
    _say(f"saved the plan to {path}; apply exactly this plan with: arize-orgs-nb apply {path}", file=out)


@_reports_errors
def run_apply(ns: argparse.Namespace) -> int:
    """``arize-orgs-nb apply [PATH | PLAN.json] [--members PATH] [--yes] [--confirm NAME ...] ...``."""
    out = _console()
    saved = ns.path is not None and is_saved_plan(Path(ns.path))
    if saved and ns.members is not None:
        raise CliError("a saved plan is applied on its own: run a second apply for --members")
    if not saved:
        _check_inputs(ns)
    # A saved plan that was applied is stale for what landed: what is left needs a new plan.
    again = (
        "plan the edited file again, save it and apply that plan" if saved else "run the same command again"
    )
    cancel = threading.Event()
    try:
        with _client(ns) as client:
            _say(f"Talking to {client.target}", file=out)
            if saved:
                plan = client.load_plan(ns.path, allow_other_key=ns.allow_other_key)
                edited = _edited_file_of(Path(ns.path))
                plans, keep = [(edited or Path(ns.path), plan)], edited is not None
            else:
                plans, keep = _make_plans(client, ns), True
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
                if cancel.is_set():
                    break
                result = _apply_and_remember(client, source, plan, ns, confirm, cancel, remember=keep)
                _show_result(result, source, client.journal.path, out, again=again)
                ok = ok and result.ok
    except KeyboardInterrupt:
        _say(
            "interrupted: every call sent so far is recorded in the journal, and what was applied is kept "
            f"beside the file: {again} to send what is left (a call that was in flight "
            "may have landed: if the re-run is refused as stale for it, look at that organization)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if cancel.is_set():
        _say(f"interrupted: nothing was sent after Ctrl-C; {again} to send what is left", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if ok else EXIT_ERROR


def _edited_file_of(saved: Path) -> Path | None:
    """The edited file a saved plan was made from, when it is where the plan says (beside it).

    What a saved plan applies is folded into that file's export base, as after ``apply FILE``,
    so ``plan FILE`` then shows only what did not land. The plan's ``source`` is relative to the
    plan's own folder; a plan moved elsewhere (a deployment's checkout) keeps nothing beside it.
    """
    try:
        source = json.loads(saved.read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(source, str) or not source:
        return None
    edited = saved.parent / source
    return edited if edited.suffix.lower() in CSV + PARQUET and edited.is_file() else None


def _apply_and_remember(
    client: ArizeOrgs,
    source: Path,
    plan: Plan[ApplyResult],
    ns: argparse.Namespace,
    confirm: bool | list[str],
    cancel: threading.Event,
    *,
    remember: bool,
) -> ApplyResult:
    """Apply one plan, then keep beside the file what landed, even when a second Ctrl-C stops it.

    ``remember=False`` (a saved plan whose edited file is not beside it) keeps nothing.
    """
    keep = remember and plan.kind == "organizations"
    try:
        with _ctrl_c_stops(cancel):
            result = plan.apply(
                confirm=confirm, workers=ns.workers, force=ns.force, progress=None, cancel=cancel
            )
    except KeyboardInterrupt:
        if keep:
            _remember(source, _journaled(client, plan))
        raise
    if keep:
        _remember(source, result.outcomes)
    return result


@contextlib.contextmanager
def _ctrl_c_stops(cancel: threading.Event) -> Iterator[None]:
    """While applying, a first Ctrl-C stops sending (calls in flight finish); a second stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def stop(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        _say(
            "stopping: the calls in flight finish, nothing more is sent (Ctrl-C again to stop at once)",
            file=sys.stderr,
        )

    signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _journaled(client: ArizeOrgs, plan: Plan[ApplyResult]) -> list[JournalEntry]:
    """The journal's entries of this plan's apply, when it was stopped before it could return them."""
    keys = {c.key for c in plan.changes}
    store = client.journal.store
    for apply_id in reversed(store.unfinished()):
        entries = store.entries(apply_id)
        if {e.change.key for e in entries} == keys:
            return entries
    return []


# -- building plans ------------------------------------------------------------------------


class _InvalidFileError(Exception):
    """A file broke the rules: its issues, and how to point at its rows."""

    def __init__(self, source: Path, error: PlanValidationError) -> None:
        super().__init__(str(error))
        self.source = source
        self.issues: list[Issue] = error.issues


def _client(ns: argparse.Namespace) -> ArizeOrgs:
    from arize_orgs_nb.client import ArizeOrgs

    try:
        return ArizeOrgs(journal=ns.journal)
    except (OSError, sqlite3.Error) as exc:
        raise CliError(
            f"cannot open the journal {ns.journal or '(the default one)'} ({_reason(exc)})"
        ) from None


def is_saved_plan(path: Path) -> bool:
    """Whether ``path`` is a saved plan rather than an edited file: a ``.json`` name, or JSON inside.

    Any other name that is not ``.csv`` or ``.parquet`` is sniffed: a first character ``{`` is a
    plan (an edited table never starts so).
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix in CSV + PARQUET or not path.is_file():
        return False
    try:
        with path.open("rb") as stream:
            start = stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return start.startswith(b"{")


def _check_inputs(ns: argparse.Namespace) -> None:
    if ns.path is None and ns.members is None:
        raise CliError("give an organizations file, --members FILE, or both")
    for path in (ns.path, ns.members):
        if path is not None:
            _suffix(Path(path))
            if Path(path).is_dir():
                raise CliError(f"{path} is a folder, not a file")
            if not Path(path).is_file():
                raise CliError(f"no such file: {path}")


def _make_plans(client: ArizeOrgs, ns: argparse.Namespace) -> list[tuple[Path, Plan[ApplyResult]]]:
    """Plan every given file before anything is sent (all files are checked first)."""
    plans: list[tuple[Path, Plan[ApplyResult]]] = []
    if ns.path is not None:
        source = Path(ns.path)
        edited = read_orgs_edit(source)
        base = _read_base(client, source)
        edited = _drop_done_deletes(edited, base, source)
        edited, issues = _adopt_created(edited, base, source)
        try:
            plans.append((source, client.organizations.plan(edited, base=base)))
        except PlanValidationError as exc:
            raise _InvalidFileError(source, PlanValidationError(issues + exc.issues)) from None
        if issues:
            raise _InvalidFileError(source, PlanValidationError(issues))
    if ns.members is not None:
        source = Path(ns.members)
        members = _read_table(source)
        try:
            plans.append((source, client.memberships.plan(members)))
        except PlanValidationError as exc:
            raise _InvalidFileError(source, exc) from None
    return plans


# -- what the CLI keeps beside a file --------------------------------------------------------


class _Landed(Protocol):
    """How one change of an apply ended: a ``ChangeOutcome`` or a journal row."""

    @property
    def change(self) -> Change: ...

    @property
    def status(self) -> str: ...

    @property
    def result_id(self) -> str | None: ...


def _base_path(source: Path) -> Path:
    """Where ``export`` keeps the frame a file started from: ``.<name>.base.csv`` beside it."""
    return source.with_name(f".{source.name}.base.csv")


def _created_path(source: Path) -> Path:
    """Where ``apply`` records the organizations the file's create rows made: ``.<name>.created.csv``."""
    return source.with_name(f".{source.name}.created.csv")


def _remember(source: Path, landed: Iterable[_Landed]) -> None:
    """Fold what an apply changed into the export base and the record of created organizations."""
    applied = [item for item in landed if item.status == "applied"]
    if not applied:
        return
    base_path = _base_path(source)
    if base_path.exists():
        _write(_merge_applied(_read_base_file(base_path), applied), base_path)
    created = _merge_created(_read_created(source), applied)
    _write(pd.DataFrame(created, columns=list(CREATED_COLUMNS)), _created_path(source))


def _merge_applied(base: pd.DataFrame, applied: Iterable[_Landed]) -> pd.DataFrame:
    """The base with the applied creates, renames, descriptions and deletes folded in.

    A created organization joins without ``created_at`` (its row in the file has none to check).
    """
    merged = base.set_index("id", drop=False)
    created: list[dict[str, object]] = []
    for item in applied:
        change = item.change
        if change.op is Op.CREATE and item.result_id:
            created.append({"id": item.result_id, **change.after, "created_at": None})
        elif change.org_id not in merged.index:
            continue
        elif change.op is Op.DELETE:
            merged = merged.drop(index=change.org_id)
        elif change.op in (Op.RENAME, Op.DESCRIBE):
            for field, value in change.after.items():
                merged.loc[change.org_id, field] = value
    rows: list[dict[str, object]] = [{str(k): v for k, v in row.items()} for row in merged.to_dict("records")]
    return ORG_SCHEMA.from_rows(rows + created)


def _merge_created(created: list[dict[str, str]], applied: Iterable[_Landed]) -> list[dict[str, str]]:
    """The record of created organizations, with this apply's creates, renames and deletes folded in."""
    by_id = {entry["id"]: entry for entry in created}
    for item in applied:
        change = item.change
        if change.op is Op.CREATE and item.result_id:
            by_id[item.result_id] = {
                "row": change.row,
                "name": str(change.after["name"]),
                "id": item.result_id,
            }
        elif change.org_id in by_id and change.op is Op.RENAME:
            by_id[change.org_id] = {**by_id[change.org_id], "name": str(change.after["name"])}
        elif change.org_id in by_id and change.op is Op.DELETE:
            del by_id[change.org_id]
    return list(by_id.values())


def _read_created(source: Path) -> list[dict[str, str]]:
    """The record of the organizations earlier applies created from ``source``'s rows."""
    path = _created_path(source)
    if not path.exists():
        return []
    frame = _read_table(path)
    if list(frame.columns) != list(CREATED_COLUMNS):
        raise CliError(f"{path}: not a record of created organizations; move it away and plan again")
    return [{c: str(row[c]) for c in CREATED_COLUMNS} for row in frame.to_dict("records")]


def _adopt_created(
    edited: pd.DataFrame, base: pd.DataFrame, source: Path
) -> tuple[pd.DataFrame, list[Issue]]:
    """Give each id-less row that an earlier apply created the id of the organization it made.

    A row is recognised by its name (case-insensitively: names are unique in the account), so it
    plans as an edit of that organization: nothing when it is unchanged, an update when it was
    edited since. A row whose name was changed after its create is refused rather than created
    again; so is one whose organization is gone from the server.
    """
    created = _read_created(source)
    if not created or "name" not in edited.columns or not edited.columns.is_unique:
        return edited, []
    cells = edited["id"].tolist() if "id" in edited.columns else [None] * len(edited)
    ids: list[str | None] = [None if _blank(v) else str(v) for v in cells]
    waiting = {e["name"].casefold(): e for e in created if e["id"] not in ids}
    present = {str(i) for i in base["id"]}
    labels = [str(label) for label in edited.index]
    issues: list[Issue] = []
    adopted_any = False
    for position, name in enumerate(edited["name"]):
        entry = (
            waiting.pop(name.casefold(), None) if ids[position] is None and isinstance(name, str) else None
        )
        if entry is None:
            continue
        if entry["id"] in present:
            ids[position], adopted_any = entry["id"], True
        else:
            issues.append(Issue(labels[position], "name", _gone_message(entry, source)))
    for entry in waiting.values():
        if entry["row"] in labels and ids[labels.index(entry["row"])] is None:
            issues.append(Issue(entry["row"], "name", _renamed_message(entry)))
    if not adopted_any:
        return edited, issues
    adopted = edited.copy()
    adopted["id"] = pd.Series(ids, index=edited.index, dtype=object)
    return adopted, issues


def _gone_message(entry: dict[str, str], source: Path) -> str:
    return (
        f"{entry['name']!r} was created by an earlier apply of this file (id {entry['id']}) and is no longer "
        f"on the server: remove the row, or move {_created_path(source).name} away to create it again"
    )


def _renamed_message(entry: dict[str, str]) -> str:
    return (
        f"this row made {entry['name']!r} (id {entry['id']}) in an earlier apply, and its name was changed "
        f"since: to rename that organization put its id {entry['id']} in the row's id column; to make "
        "another one, put the name back and add a new row"
    )


def _read_base_file(path: Path) -> pd.DataFrame:
    try:
        return read_orgs_frame(path)
    except (OSError, TypeError, ValueError) as exc:
        raise CliError(
            f"{path}: cannot read the export base ({_reason(exc)}); export again to start a new file, "
            "or move it away to compare with the server as it is now"
        ) from None


def _read_base(client: ArizeOrgs, source: Path) -> pd.DataFrame:
    """The export's own base when there is one, so apply refuses edits others made since.

    Without it, the file is compared with the server as it is now, and values others changed
    after the export would be set back to the file's (the diff shows them).
    """
    base_path = _base_path(source)
    if base_path.exists():
        return _read_base_file(base_path)
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
        if read_flag(flag) and not _blank(org_id) and str(org_id) not in present
    ]
    for label in done:
        row = edited.loc[label]
        _say(
            f"note: {_where(source, str(label))}: {row.get('name')!r} ({row['id']}) is already gone; "
            "nothing to delete"
        )
    return edited.drop(index=done)


def _blank(value: object) -> bool:
    return is_missing(value) or not str(value).strip()


def _read_table(path: Path) -> pd.DataFrame:
    """Read a file as it is: CSV cells as text (blank is ``""``), Parquet with its own types."""
    try:
        if _suffix(path) in PARQUET:
            return pd.read_parquet(path)
        return read_csv_cells(path, dtype=str)
    except ImportError as exc:
        raise CliError(f"{path}: reading Parquet needs pyarrow ({exc})") from None
    except UnicodeDecodeError as exc:
        utf16 = " (it looks like UTF-16)" if exc.object[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise CliError(
            f"{path}: not UTF-8 text{utf16}: byte {exc.object[exc.start]:#04x} is not UTF-8; "
            "save the file as 'CSV UTF-8'"
        ) from None
    except Exception as exc:  # a file fails to parse in many library-specific ways: all are "cannot read"
        raise CliError(f"{path}: cannot read the file ({_reason(exc)})") from None


def read_orgs_edit(path: Path) -> pd.DataFrame:
    """Read an edited organizations file.

    With every column of ``export`` it is read back with the schema restored; otherwise (only
    ``name`` and ``description``, say) the cells are taken as text, and rows without ``id`` are
    creates. A ``created_at`` that is not ISO 8601 (a spreadsheet's ``11/28/2026 10:03``) is left
    as text: the plan compares it with the base at the precision it shows.

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


# -- confirming ----------------------------------------------------------------------------


def _confirmation(plans: Sequence[Plan[ApplyResult]], ns: argparse.Namespace) -> bool | list[str]:
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
    missing = unconfirmed(destructive, named)
    if missing:
        names = sorted({c.org_name for c in missing})
        flags = " ".join(f"--confirm {_shell_quote(n)}" for n in names)
        raise RefusedError(
            f"{counted(len(missing), 'destructive change')} not confirmed; nothing was sent.\n"
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
    if not yes_or_no(f"Apply {counted(count, 'change')} to {target}? [y/N] "):
        _say("not applied; nothing was sent", file=out)
        return False
    return True


# -- printing ------------------------------------------------------------------------------


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
        f"error: {counted(len(error.issues), 'problem')} in {error.source}; nothing was sent:",
        file=sys.stderr,
    )
    for issue in error.issues:
        column = f", {issue.column}" if issue.column else ""
        _say(f"  {_where(error.source, issue.row)}{column}: {issue.message}", file=sys.stderr)


def _diff_rows(changes: Sequence[Change], source: Path, with_user: bool) -> list[list[str]]:
    """One row per changed field; the last cell says how before and after differ if they look alike."""
    rows = []
    for change in changes:
        fields = change.fields or ["-"]
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


def _show_plan(plan: Plan[ApplyResult], source: Path, out: TextIO, *, hint_confirm: bool) -> None:
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
        _say(f"\nDESTRUCTIVE: {counted(len(destructive), 'change')}.", file=out)
        if Op.DELETE in ops:
            _say(f"  Deleting an organization {CASCADE_DELETE}", file=out)
        if Op.REMOVE_MEMBER in ops:
            _say(f"  Removing a member {CASCADE_REMOVE}.", file=out)
        if hint_confirm:
            names = sorted({c.org_name for c in destructive})
            flags = " ".join(f"--confirm {_shell_quote(n)}" for n in names)
            _say(f"  apply needs: {flags}  (or --yes --confirm-all)", file=out)
    _say(plan.summary(), file=out)
    _say(f"Estimate: {plan.estimate()}", file=out)


def _show_result(
    result: ApplyResult, source: Path, journal: str, out: TextIO, *, again: str = "run the same command again"
) -> None:
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
            f"{counted(left, 'change')} did not apply. To retry them, {again}: "
            "what was applied no longer shows in the diff.",
            file=out,
        )
