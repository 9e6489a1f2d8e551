"""The import rules of DESIGN §3: layers point one way; the sandbox shares no code."""

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "arize_orgs_nb"

# module -> package modules it may import (module level). Lower layers first.
ALLOWED = {
    "_version": set(),
    "errors": set(),
    "visible": set(),
    "pacing": set(),
    "retry_budget": set(),
    "config": {"errors", "pacing"},
    "models": set(),
    "connections": set(),
    "transport": {"config", "connections", "errors", "models", "pacing", "retry_budget"},
    "pagination": {"errors", "models"},
    "resolve": {"errors", "models"},
    "frames": {"models"},
    "drain": {"errors", "frames", "pagination", "transport"},
    "changes": {"errors"},
    # apply: typing only; widgets: review()
    "plan": {"apply", "changes", "frames", "models", "visible", "widgets"},
    "journal": {"changes"},
    "apply": {"changes", "errors", "journal", "organizations", "plan", "transport", "visible"},
    "memberships": {"journal", "organizations", "plan", "users"},
    "activity": {"apply", "changes", "journal", "plan"},
    "organizations": {"drain", "errors", "frames", "models", "pagination", "plan", "resolve", "transport"},
    "users": {"drain", "errors", "frames", "models", "organizations", "pagination", "resolve", "transport"},
    "client": {
        "activity",
        "apply",
        "config",
        "journal",
        "memberships",
        "organizations",
        "pacing",
        "resolve",
        "transport",
        "users",
        "sandbox",
    },
}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("arize_orgs_nb"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("arize_orgs_nb")}
    return found


def test_core_modules_import_only_lower_layers():
    for name, allowed in ALLOWED.items():
        used = {m.split(".")[1] for m in imports_of(PACKAGE / f"{name}.py") if m.count(".") >= 1}
        assert used <= allowed, f"{name} imports {used - allowed}"


def test_the_sandbox_shares_no_code_with_the_client():
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        outside = {m for m in imports_of(path) if not m.startswith("arize_orgs_nb.sandbox")}
        assert outside == set(), f"{path.name} imports {outside}"


def test_only_the_widgets_package_imports_ipywidgets():
    for path in PACKAGE.rglob("*.py"):
        if "widgets" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(n.split(".")[0] == "ipywidgets" for n in names), path


PROBE = r"""
import json, os, sys

class Watching(dict):
    reads = []
    def __getitem__(self, key):
        Watching.reads.append(key); return super().__getitem__(key)
    def get(self, key, default=None):
        Watching.reads.append(key); return super().get(key, default)
    def __contains__(self, key):
        Watching.reads.append(key); return super().__contains__(key)

os.environ = Watching(os.environ)
import socket
real_connect = socket.socket.connect
def refuse(*a, **k):
    raise AssertionError("network touched at import")
socket.socket.connect = refuse
import arize_orgs_nb
print(json.dumps({
    "arize_reads": [k for k in Watching.reads if k.startswith("ARIZE")],
    "ipywidgets": "ipywidgets" in sys.modules,
    "sandbox": "arize_orgs_nb.sandbox" in sys.modules,
}))
"""


def test_import_reads_no_environment_touches_no_network_and_skips_ipywidgets():
    env = {"ARIZE_API_KEY": "should-not-be-read", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"arize_reads": [], "ipywidgets": False, "sandbox": False}


def test_public_surface_is_pinned():
    import arize_orgs_nb

    assert {
        "ArizeOrgs",
        "Organization",
        "ApiError",
        "NotFoundError",
        "ConflictError",
        "RateLimitError",
        "OrganizationRole",
        "User",
        "RetryPolicy",
    } <= set(arize_orgs_nb.__all__)
    for name in arize_orgs_nb.__all__:
        assert hasattr(arize_orgs_nb, name), name
