"""Saved plans: a reviewed plan written to a JSON file, and read back to apply exactly that plan.

Layer: beside ``plan`` (changes and errors only; it reads and writes one file, never the network).
:meth:`Plan.save() <arize_orgs_nb.bulk.plan.Plan.save>` writes a file with :func:`write_plan`;
``client.load_plan()`` reads it with :func:`read_plan`, which refuses, before anything is sent, a
file whose content no longer matches its checksum (:class:`~arize_orgs_nb.errors.PlanAlteredError`),
one made against another API or with another key (:class:`~arize_orgs_nb.errors.PlanOriginError`;
see docs/DESIGN.md, R36) and one that is not a saved plan of a format this version reads
(:class:`~arize_orgs_nb.errors.SavedPlanError`). The expectations the plan rests on travel with it,
so applying it is stale-checked against the account like any plan (docs/DESIGN.md, R23).

The format is documented for policy checks in docs/PLAN_FORMAT.md. The checksum is the SHA-256 of
the document without its ``checksum`` field, in the RFC 8785 canonical form (keys sorted, no
spaces, UTF-8): re-indenting or re-ordering the file keeps it valid; changing any value does not.
A checksum detects an edit, it does not prove who made the file: keep saved plans where only
reviewers can write them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arize_orgs_nb._version import __version__
from arize_orgs_nb.bulk.changes import Change, Expectation, Op
from arize_orgs_nb.errors import PlanAlteredError, PlanOriginError, SavedPlanError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PlanOrigin",
    "SavedPlan",
    "canonical_checksum",
    "read_plan",
    "write_plan",
]

FORMAT = "arize-orgs-nb/plan"
FORMAT_VERSION = 1
_CHANGE_TEXT = ("key", "row", "org_name", "note")
_CHANGE_OPTIONAL = ("org_id", "user_id", "user_email")
_CHANGE_FIELDS = frozenset(("op", "before", "after", *_CHANGE_TEXT, *_CHANGE_OPTIONAL))
_EXPECTATION_FIELDS = frozenset(("label", "names", "descriptions", "may_be_gone"))


@dataclass(frozen=True)
class PlanOrigin:
    """What a plan is applied with: the API's base URL and the key's fingerprint (never the key).

    Attributes:
        base_url: ``scheme://host[:port]``, e.g. ``https://api.arize.com``.
        key_fingerprint: the first 12 hex digits of the SHA-256 of the key (as in journal names).
    """

    base_url: str
    key_fingerprint: str


@dataclass(frozen=True)
class SavedPlan:
    """A plan as a file holds it.

    Attributes:
        kind: the plan's kind (``organizations``, ``memberships``, ``undo``).
        changes: the changes, in plan order.
        targets: what each organization must still be on the server (the stale check), by id.
        origin: the API and key the plan was made with.
        left_out: what the plan deliberately does not do, and why.
        maybe_done: keys of changes that may already have landed (checked before sending).
        source: the file the plan was made from, if any (for people; never read back as a path).
        created_at: when it was saved (ISO 8601, UTC), once written or read.
        account_size: organizations the account held when the plan was made, if known (its
            estimate counts the stale check's list requests from it).
    """

    kind: str
    changes: tuple[Change, ...]
    targets: Mapping[str, Expectation]
    origin: PlanOrigin
    left_out: tuple[str, ...] = ()
    maybe_done: frozenset[str] = field(default_factory=frozenset)
    source: str | None = None
    created_at: str | None = None
    account_size: int | None = None


def _confirmation_required(changes: tuple[Change, ...]) -> list[dict[str, str | None]]:
    """The destructive changes: what applying the plan will ask to confirm, one entry each."""
    return [
        {"op": c.op.value, "organization": c.org_name, "organization_id": c.org_id, "user": c.user_email}
        for c in changes
        if c.op.destructive
    ]


def _change_dict(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(change.to_json())
    return data


def canonical_checksum(document: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of ``document`` without its ``checksum`` field, in canonical JSON.

    Canonical: keys sorted, no whitespace, strings as UTF-8 with JSON's minimal escapes. For a
    document of strings, booleans, nulls and small integers (all a saved plan holds) this is the
    RFC 8785 (JCS) form, so any JCS implementation gives the same digest.
    """
    body = {k: v for k, v in document.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _document(saved: SavedPlan, created_at: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at,
        "created_by": f"arize-orgs-nb {__version__}",
        "base_url": saved.origin.base_url,
        "key_fingerprint": saved.origin.key_fingerprint,
        "kind": saved.kind,
        "source": saved.source,
        "confirmation_required": _confirmation_required(saved.changes),
        "changes": [_change_dict(c) for c in saved.changes],
        "expectations": {org_id: e.to_json() for org_id, e in sorted(saved.targets.items())},
        "left_out": list(saved.left_out),
        "maybe_done": sorted(saved.maybe_done),
        "account_size": saved.account_size,
    }
    document["checksum"] = canonical_checksum(document)
    return document


def write_plan(path: str | Path, saved: SavedPlan, *, now: datetime | None = None) -> Path:
    """Write ``saved`` to ``path`` as JSON, whole or not at all (a stop half-way leaves the old file).

    Args:
        path: the file to write (``.json`` by convention).
        saved: the plan.
        now: the creation time to record (default: now, UTC).

    Returns:
        The path written.

    Raises:
        OSError: the file cannot be written.
    """
    target = Path(path)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    created_at = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    text = json.dumps(_document(saved, created_at), indent=2, ensure_ascii=False) + "\n"
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8", errors="surrogatepass")
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
    return target


def read_plan(path: str | Path, *, origin: PlanOrigin, allow_other_key: bool = False) -> SavedPlan:
    """Read a saved plan, refusing any file that is not exactly what was saved for ``origin``.

    The checks, in order: the file is JSON and a saved plan of a known format version; its
    checksum matches its content; every field is well formed; it was made against
    ``origin.base_url`` (always required) and with the key of ``origin.key_fingerprint`` (unless
    ``allow_other_key``). Nothing here touches the network.

    Args:
        path: the file.
        origin: the API and key the plan is to be applied with.
        allow_other_key: accept a plan made with another key of the same API (a plan reviewed
            with one key and applied with another, such as a deployment's).

    Returns:
        The plan as saved.

    Raises:
        SavedPlanError: unreadable, not JSON, not a saved plan, an unknown format version, or
            malformed fields (every problem listed).
        PlanAlteredError: the content does not match the checksum.
        PlanOriginError: made against another API, or with another key.
    """
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SavedPlanError(
            where, [f"cannot read the file ({exc.strerror or type(exc).__name__})"]
        ) from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SavedPlanError(where, ["not UTF-8 text"]) from None
    except ValueError as exc:
        raise SavedPlanError(where, [f"not JSON ({exc})"]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SavedPlanError(where, [f"not a saved plan (its 'format' is not {FORMAT!r})"])
    version = document.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise SavedPlanError(
            where,
            [f"format_version {version!r} is not one this version reads ({FORMAT_VERSION}); plan again"],
        )
    stated = document.get("checksum")
    actual = canonical_checksum(document)
    if stated != actual:
        problem = "it has no checksum" if stated is None else "its content does not match its checksum"
        raise PlanAlteredError(where, [f"{problem}: plan again and review the new plan"])
    saved, problems = _parse(document)
    if problems or saved is None:
        raise SavedPlanError(where, problems)
    _check_origin(where, saved.origin, origin, allow_other_key=allow_other_key)
    return saved


def _check_origin(where: str, made: PlanOrigin, now: PlanOrigin, *, allow_other_key: bool) -> None:
    problems = []
    if made.base_url != now.base_url:
        problems.append(f"it was made against {made.base_url}; this client talks to {now.base_url}")
    if made.key_fingerprint != now.key_fingerprint and not allow_other_key:
        problems.append(
            f"it was made with the key of fingerprint {made.key_fingerprint}; this client's key has "
            f"fingerprint {now.key_fingerprint} (pass allow_other_key=True, or --allow-other-key, "
            "to apply it with this key)"
        )
    if problems:
        raise PlanOriginError(where, problems)


def _is_text(value: object, *, optional: bool = False) -> bool:
    return isinstance(value, str) or (optional and value is None)


def _parse(document: Mapping[str, Any]) -> tuple[SavedPlan | None, list[str]]:
    """The plan a document holds, and every problem with its fields (none: it is well formed)."""
    problems: list[str] = []
    for name in ("created_at", "base_url", "key_fingerprint", "kind"):
        if not _is_text(document.get(name)) or not document.get(name):
            problems.append(f"{name!r} must be a non-empty string")
    if not _is_text(document.get("source"), optional=True):
        problems.append("'source' must be a string or null")
    changes = _parse_changes(document.get("changes"), problems)
    targets = _parse_expectations(document.get("expectations"), problems)
    left_out = _strings(document.get("left_out"), "left_out", problems)
    maybe_done = _strings(document.get("maybe_done"), "maybe_done", problems)
    size = document.get("account_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        problems.append("'account_size' must be a whole number of organizations (0 or more) or null")
    keys = {c.key for c in changes}
    problems += [
        f"maybe_done names {k!r}, which is no change of the plan" for k in maybe_done if k not in keys
    ]
    if document.get("confirmation_required") != _confirmation_required(tuple(changes)):
        problems.append("'confirmation_required' does not list exactly the plan's destructive changes")
    if problems:
        return None, problems
    origin = PlanOrigin(str(document["base_url"]), str(document["key_fingerprint"]))
    saved = SavedPlan(
        kind=str(document["kind"]),
        changes=tuple(changes),
        targets=targets,
        origin=origin,
        left_out=tuple(left_out),
        maybe_done=frozenset(maybe_done),
        source=document.get("source"),
        created_at=str(document["created_at"]),
        account_size=size,
    )
    return saved, []


def _strings(value: object, name: str, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{name!r} must be a list of strings")
        return []
    return list(value)


def _parse_changes(value: object, problems: list[str]) -> list[Change]:
    if not isinstance(value, list):
        problems.append("'changes' must be a list")
        return []
    changes: list[Change] = []
    seen: set[str] = set()
    for position, item in enumerate(value):
        where = f"changes[{position}]"
        found = _parse_change(item, where)
        if isinstance(found, list):
            problems += found
            continue
        if found.key in seen:
            problems.append(f"{where}: key {found.key!r} appears more than once")
        seen.add(found.key)
        changes.append(found)
    return changes


def _fields_dict(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    )


def _parse_change(item: object, where: str) -> Change | list[str]:
    """One change, or what is wrong with it."""
    if not isinstance(item, dict):
        return [f"{where}: must be an object"]
    problems = []
    if set(item) != _CHANGE_FIELDS:
        missing, extra = sorted(_CHANGE_FIELDS - set(item)), sorted(set(item) - _CHANGE_FIELDS)
        problems.append(f"{where}: fields differ (missing {missing}, unexpected {extra})")
        return problems
    ops = {op.value: op for op in Op}
    if item["op"] not in ops:
        problems.append(f"{where}: unknown op {item['op']!r} (known: {', '.join(ops)})")
    problems += [f"{where}: {name!r} must be a string" for name in _CHANGE_TEXT if not _is_text(item[name])]
    problems += [
        f"{where}: {name!r} must be a string or null"
        for name in _CHANGE_OPTIONAL
        if not _is_text(item[name], optional=True)
    ]
    problems += [
        f"{where}: {name!r} must map field names to strings or nulls"
        for name in ("before", "after")
        if not _fields_dict(item[name])
    ]
    if problems:
        return problems
    op = ops[item["op"]]
    if op is not Op.CREATE and not item["org_id"]:
        problems.append(f"{where}: a {op.value} needs the organization's id")
    if op in (Op.SET_ROLE, Op.REMOVE_MEMBER) and not item["user_id"]:
        problems.append(f"{where}: a {op.value} needs the user's id")
    if problems:
        return problems
    return Change(**{**item, "op": op})


def _parse_expectations(value: object, problems: list[str]) -> dict[str, Expectation]:
    if not isinstance(value, dict):
        problems.append("'expectations' must be an object keyed by organization id")
        return {}
    targets: dict[str, Expectation] = {}
    for org_id, item in value.items():
        where = f"expectations[{org_id!r}]"
        if not isinstance(item, dict) or set(item) != _EXPECTATION_FIELDS:
            problems.append(f"{where}: must be an object with {', '.join(sorted(_EXPECTATION_FIELDS))}")
            continue
        lists_ok = all(
            item[name] is None
            or (isinstance(item[name], list) and all(isinstance(v, str) for v in item[name]))
            for name in ("names", "descriptions")
        )
        if not _is_text(item["label"]) or not lists_ok or not isinstance(item["may_be_gone"], bool):
            problems.append(
                f"{where}: label is a string, names and descriptions lists of strings or null, "
                "may_be_gone a boolean"
            )
            continue
        targets[org_id] = Expectation.from_json(item)
    return targets
