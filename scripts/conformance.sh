#!/usr/bin/env bash
# Run the conformance suite: the official `arize` SDK (pinned) against the
# embedded sandbox, over real HTTP, in its own virtualenv (.venv-conformance).
#
# Usage: bash scripts/conformance.sh [extra pytest args...]
# Idempotent: creates the virtualenv only if missing and reinstalls nothing
# that is already satisfied. Exit code is pytest's; "no tests collected" (5)
# is turned into a failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv-conformance
PY="$VENV/bin/python"
ARIZE_PIN="arize==8.61.0"

if [ ! -x "$PY" ]; then
    echo "conformance: creating $VENV" >&2
    python3 -m venv "$VENV"
fi

# Only touch the network when something is missing or at the wrong version.
need_install=0
"$PY" - "$ARIZE_PIN" <<'PYCHECK' || need_install=1
import sys
from importlib.metadata import PackageNotFoundError, version

want = dict(a.split("==") for a in sys.argv[1:])
try:
    ok = all(version(name) == ver for name, ver in want.items())
    for name in ("pytest", "pytest-timeout", "arize-orgs-nb"):
        version(name)
except PackageNotFoundError:
    ok = False
if ok:
    # The project must be installed from *this* checkout (editable).
    import importlib.util
    import pathlib

    spec = importlib.util.find_spec("arize_orgs_nb")
    ok = spec is not None and spec.origin is not None and pathlib.Path(
        spec.origin
    ).resolve().is_relative_to(pathlib.Path.cwd().resolve())
sys.exit(0 if ok else 1)
PYCHECK

if [ "$need_install" -eq 1 ]; then
    echo "conformance: installing $ARIZE_PIN, pytest and the project into $VENV" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check \
        "$ARIZE_PIN" "pytest>=8" "pytest-timeout>=2.3" -e .
fi

set +e
"$PY" -m pytest tests/conformance -p no:cacheprovider "$@"
rc=$?
set -e

if [ "$rc" -eq 5 ]; then
    echo "conformance: no tests were collected; treating as failure" >&2
    exit 1
fi
exit "$rc"
