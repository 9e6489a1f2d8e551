"""The layers point one way (docs/DESIGN.md): no upward import, no cycle; the sandbox shares no code."""

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "arize_orgs_nb"

# The layers, lowest first. A module may import its own layer and the layers below; every import
# counts, at module level, in functions and under TYPE_CHECKING alike.
LAYERS = [
    {"_version", "errors", "visible", "wording"},
    {"config"},
    {"models"},
    {"http"},
    {"frames", "rules", "progress", "tables"},
    {"api"},
    {"bulk"},
    {"client"},
    {"widgets", "cli"},
    {"__init__"},
]
# The one documented upward import: Plan.review() builds the review widget, late.
LATE = {("bulk.plan", "widgets")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports (``from pkg import submodule`` counts the submodule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("arize_orgs_nb"):
            folder = PACKAGE.parent.joinpath(*node.module.split("."))
            submodules = [a.name for a in node.names if (folder / f"{a.name}.py").is_file()]
            found |= {f"{node.module}.{name}" for name in submodules} or {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("arize_orgs_nb")}
    return {m.removeprefix("arize_orgs_nb").removeprefix(".") or "__init__" for m in found}


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def core_modules() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name.split(".")[0] == "sandbox":
            continue
        graph[name] = {m for m in imports_of(path) if m.split(".")[0] != "sandbox"}
    return graph


def test_every_module_has_a_layer():
    assert all(isinstance(layer_of(m), int) for m in core_modules())


def test_no_module_imports_a_higher_layer():
    upward = [
        (module, used)
        for module, imports in core_modules().items()
        for used in imports
        if layer_of(used) > layer_of(module) and (module, used.split(".")[0]) not in LATE
    ]
    assert upward == []


def test_there_is_no_import_cycle():
    graph = core_modules()
    edges = {
        m: {u for u in used if u in graph and (m, u.split(".")[0]) not in LATE} for m, used in graph.items()
    }
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_checks_catch_an_upward_import_and_a_cycle():
    graph = {"api.organizations": {"bulk.plan"}, "bulk.plan": {"api.organizations"}}
    assert layer_of("bulk.plan") > layer_of("api.organizations")  # the arrow that used to exist
    assert any(layer_of(u) > layer_of(m) for m, used in graph.items() for u in used)


def test_the_sandbox_shares_no_code_with_the_client():
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        outside = {m for m in imports_of(path) if m.split(".")[0] != "sandbox"}
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


def test_no_two_public_classes_share_a_name():
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                where = str(path.relative_to(PACKAGE))
                if node.name in seen:
                    clashes.append((node.name, seen[node.name], where))
                seen.setdefault(node.name, where)
    assert clashes == []
