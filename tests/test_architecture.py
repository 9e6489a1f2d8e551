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
    "http.pacing": set(),
    "http.budget": set(),
    "config": {"errors", "http.pacing"},
    "models": set(),
    "http.retry": {"config"},
    "http.transport": {"config", "errors", "models", "http.pacing", "http.budget", "http.retry"},
    "api.pagination": {"errors", "models"},
    "api.resolve": {"errors", "models"},
    "frames": {"models"},
    "api.drain": {"errors", "frames", "api.pagination", "http.transport"},
    "bulk.changes": {"errors"},
    "bulk.plan": {"bulk.apply", "bulk.changes", "frames", "models", "visible", "widgets"},
    "bulk.ledger": {"bulk.changes"},
    "bulk.apply": {
        "bulk.changes",
        "errors",
        "bulk.ledger",
        "api.organizations",
        "bulk.plan",
        "http.transport",
        "visible",
    },
    "bulk.members": {"bulk.ledger", "api.organizations", "bulk.plan", "api.users"},
    "bulk.journal": {"bulk.apply", "bulk.changes", "bulk.ledger", "bulk.plan"},
    "api.organizations": {
        "api.drain",
        "errors",
        "frames",
        "models",
        "api.pagination",
        "bulk.plan",
        "api.resolve",
        "http.retry",
        "http.transport",
    },
    "api.users": {
        "api.drain",
        "errors",
        "frames",
        "models",
        "api.organizations",
        "api.pagination",
        "api.resolve",
        "http.transport",
    },
    "client": {
        "bulk.journal",
        "bulk.apply",
        "config",
        "bulk.ledger",
        "bulk.members",
        "api.organizations",
        "http.pacing",
        "api.resolve",
        "http.transport",
        "api.users",
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
        path = PACKAGE.joinpath(*name.split(".")).with_suffix(".py")
        used = {m.removeprefix("arize_orgs_nb.") for m in imports_of(path) if m.count(".") >= 1}
        used = {u if u.split(".")[0] in ("http", "api", "bulk", "cli") else u.split(".")[0] for u in used}
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
