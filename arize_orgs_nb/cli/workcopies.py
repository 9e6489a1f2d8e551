"""Working copies of the tracked notebooks, so that ``make run`` never writes into ``notebooks/``.

Layer: command line. JupyterLab saves outputs into the notebooks it opens (autosave, Ctrl-S), so
the main job serves copies. Each run syncs the copies with the tracked notebooks:

* a notebook with no copy yet is copied;
* when the tracked notebook changed since it was copied, a copy whose cells are as they were
  copied (outputs aside) is replaced by the new version; a copy whose cells you edited is
  **moved aside** first, to ``NAME.edited-YYYYMMDD-HHMMSS.ipynb`` in the same folder, never
  overwritten, and the sync says so;
* otherwise the copy is left as it is, edits and outputs included.

What was copied is remembered in ``.tracked.json`` in the copies' folder (a hash of each
notebook's cells). Delete a copy to get the tracked version again on the next run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["MANIFEST", "cells_digest", "sync_working_copies"]

MANIFEST = ".tracked.json"


def cells_digest(path: Path) -> str | None:
    """A hash of a notebook's cells (type and source), outputs and metadata left out.

    Args:
        path: the notebook.

    Returns:
        The hex digest, or ``None`` when the file is not a readable notebook.
    """
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        parts = [
            [
                cell["cell_type"],
                "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"],
            ]
            for cell in cells
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _aside(copy: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    target = copy.with_name(f"{copy.stem}.edited-{stamp}{copy.suffix}")
    counter = 1
    while target.exists():
        counter += 1
        target = copy.with_name(f"{copy.stem}.edited-{stamp}-{counter}{copy.suffix}")
    copy.rename(target)
    return target


def sync_working_copies(source: Path, target: Path, *, now: datetime | None = None) -> list[str]:
    """Bring the working copies in ``target`` up to date with the notebooks in ``source``.

    A copy whose cells were edited is never overwritten: it is moved aside (see the module
    docstring) before the new version takes its name.

    Args:
        source: the folder of the tracked notebooks (only ``*.ipynb`` directly in it).
        target: the folder of the copies (created if missing).
        now: the time used in the name of a moved-aside copy (default: now, local time).

    Returns:
        One line per copy made, refreshed or moved aside (nothing for copies left as they were).
    """
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / MANIFEST
    manifest = _read_manifest(manifest_path)
    moment = now or datetime.now(UTC).astimezone()
    lines: list[str] = []
    for tracked in sorted(source.glob("*.ipynb")):
        name = tracked.name
        digest = cells_digest(tracked)
        if digest is None:
            continue
        copy = target / name
        if not copy.exists():
            lines.append(f"copied {name}")
        elif manifest.get(name) == digest:
            continue  # nothing new upstream: the copy is the user's, as it is
        else:
            current = cells_digest(copy)
            if current == digest:
                manifest[name] = digest  # already the new cells (e.g. a copy made by hand)
                continue
            if current is not None and current == manifest.get(name):
                lines.append(f"updated {name} (a newer version; your copy had no edits)")
            else:
                kept = _aside(copy, moment)
                lines.append(f"updated {name}; your edited copy is kept as {kept.name}")
        shutil.copyfile(tracked, copy)
        manifest[name] = digest
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return lines
