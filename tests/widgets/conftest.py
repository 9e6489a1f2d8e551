"""Headless widget fixtures: a seeded in-process sandbox, instant retries, HTML inspection helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import ipywidgets as widgets
import pytest

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.widgets import SyncRunner
from arize_orgs_nb.widgets._base import STYLE_HTML
from arize_orgs_nb.widgets.grid import OrgGrid
from tests.conftest import FakeClock, make_client

XSS = "<img src=x onerror=alert(1)>"
ORGS = "/v2/organizations"


@pytest.fixture
def wclient(clock: FakeClock) -> Iterator[ArizeOrgs]:
    """A client on an in-process sandbox with 12 orgs and 8 users; retries never sleep."""
    with make_client(clock, orgs=12, users=8, seed=5, journal=":memory:") as client:
        yield client


@pytest.fixture
def sync() -> SyncRunner:
    return SyncRunner()


class DeferredRunner:
    """Holds submitted jobs until the test runs them: 'the request is in flight' made deterministic."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def submit(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)

    def run_all(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()


@pytest.fixture
def deferred() -> DeferredRunner:
    return DeferredRunner()


def post_count(client: ArizeOrgs, path: str = ORGS) -> int:
    return sum(1 for r in client.local_sandbox.log if r.method == "POST" and r.path == path)


def writes(client: ArizeOrgs) -> list:
    """Every request of the sandbox log that is not a read (POST, PATCH, DELETE), in order."""
    return [r for r in client.local_sandbox.log if r.method != "GET"]


def org_names(client: ArizeOrgs) -> list[str]:
    return [o["name"] for o in client.local_sandbox.state.orgs()]


def tree(widget) -> Iterator[widgets.Widget]:
    """Every widget under ``widget`` (children of boxes and tabs), itself included."""
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from tree(child)


def is_style_sheet(widget) -> bool:
    """The forms' own constant style sheet (a <style> element; it holds no data)."""
    return "aonb-style" in widget._dom_classes and widget.value == STYLE_HTML


def html_values(root) -> list[str]:
    """Every HTML string rendered as markup under ``root`` (grid cells too; not the style sheet)."""
    found = [
        w.value
        for w in tree(root)
        if isinstance(w, widgets.HTML | widgets.HTMLMath) and not is_style_sheet(w)
    ]
    found += [grid_html(w) for w in tree(root) if isinstance(w, OrgGrid)]
    for w in tree(root):
        if isinstance(w, widgets.Output):
            for out in w.outputs:
                found.extend(str(v) for k, v in out.get("data", {}).items() if k == "text/html")
    return found


def grid_html(grid: OrgGrid) -> str:
    """The markup the grid's page puts into the browser (its cells' ``html``; all else is text)."""
    return "".join(c["html"] for row in grid.rows for c in row["cells"].values())


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


def dangerous_elements(markup: str) -> list[str]:
    """Elements or attributes a payload could have injected: img/script/iframe/svg, on*, href, src."""
    bad = []
    for tag, attrs in parse_html(markup).tags:
        if tag in {"img", "script", "iframe", "svg", "object", "embed", "a", "style", "link"}:
            bad.append(tag)
        bad.extend(f"{tag}[{name}]" for name, _ in attrs if name.startswith("on") or name in {"href", "src"})
    return bad


def visible_text(markup: str) -> str:
    return "".join(parse_html(markup).text)


def states_json(root) -> str:
    """The synced state of every widget under ``root`` (what reaches the browser and the .ipynb)."""
    states = []
    for w in tree(root):
        states.append(w.get_state())
        for sub in ("layout", "style"):
            if getattr(w, sub, None) is not None and isinstance(getattr(w, sub), widgets.Widget):
                states.append(getattr(w, sub).get_state())
    return json.dumps(states, default=str)


def status_history(form) -> list[str]:
    """Start recording every status line the form shows."""
    seen: list[str] = []
    form.status.observe(lambda change: seen.append(visible_text(change["new"])), "value")
    return seen


def press_enter(text) -> None:
    """What the browser sends on Enter in a ``Text``: the custom message ``{"event": "submit"}``."""
    text._handle_custom_msg({"event": "submit"}, [])


_MARKS = {"error": "✖ ", "warn": "⚠ ", "todo": ""}


def hint_marks(hint) -> dict[str, list[str]]:
    """A hint's lines by kind, marks checked and removed: ``error`` (✖), ``warn`` (⚠), ``todo`` (none)."""
    found: dict[str, list[str]] = {"error": [], "warn": [], "todo": []}
    parser = _Lines()
    parser.feed(hint.value)
    for kind, text in parser.lines:
        mark = _MARKS[kind]
        assert text.startswith(mark), text
        assert kind != "todo" or not text.startswith(("✖", "⚠")), text
        found[kind].append(text.removeprefix(mark))
    return found


class _Lines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[str, str]] = []
        self._kind: str | None = None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        for kind in ("error", "warn", "todo"):
            if f"aonb-hint-{kind}" in classes:
                self._kind = kind
                self.lines.append((kind, ""))

    def handle_endtag(self, tag):
        self._kind = None

    def handle_data(self, data):
        if self._kind is not None:
            kind, text = self.lines[-1]
            self.lines[-1] = (kind, text + data)
