"""`arize-orgs-nb organizations ...`: every verb, every output format, exit codes 0/1/2/4, by name
and by id, and the --force / prompt rules of the destructive verbs, against a served sandbox."""

from __future__ import annotations

import io
import json
import re
import sys

import pandas as pd
import pytest

from arize_orgs_nb.sandbox import Sandbox
from tests.cli.conftest import KEY, writes

ORGS = 105  # more than one page of 100


@pytest.fixture
def sb():
    with Sandbox(api_key=KEY, orgs=ORGS, users=0, seed=5) as server:
        server.serve()
        server.state.create_org("Acme", "the one with a description")
        server.state.create_user("Ana", "ana@example.com")
        server.state.create_user("Ann Notator", "ann@example.com", role="ANNOTATOR")
        yield server


@pytest.fixture
def orgs(cli):
    """``orgs("list", "-o", "json")`` runs ``arize-orgs-nb organizations list -o json``."""
    return lambda *args: cli("organizations", *args, journal_file=None)


class Terminal(io.StringIO):
    """A stdin that is a terminal."""

    def isatty(self) -> bool:
        return True


class Typist:
    """Answers every prompt with ``text``, keeping the prompts it was asked."""

    def __init__(self) -> None:
        self.text = ""
        self.asked: list[str] = []

    def answer(self, text: str) -> None:
        self.text = text

    def __call__(self, prompt: str = "") -> str:
        self.asked.append(prompt)
        return self.text


@pytest.fixture
def terminal(monkeypatch) -> Typist:
    """Stdin is a terminal, and a typist answers at it."""
    typist = Typist()
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", typist)
    return typist


def requests(sb) -> int:
    return len(sb.log.records())


def org_id(sb, name: str) -> str:
    return next(o["id"] for o in sb.state.orgs() if o["name"] == name)


def user_id(sb, email: str) -> str:
    return next(u["id"] for u in sb.state.users() if u["email"] == email)


def members(sb) -> dict[tuple[str, str], str]:
    return {(m["organization_id"], m["user_id"]): m["role"]["name"] for m in sb.state.memberships()}


# -- list ----------------------------------------------------------------------------------


def test_list_reads_every_page_by_default(orgs, sb):
    done = orgs("list", "-o", "json")
    assert done.code == 0, done.err
    listed = json.loads(done.out)
    assert len(listed) == ORGS + 1
    assert {o["name"] for o in listed} == {o["name"] for o in sb.state.orgs()}
    pages = [r for r in sb.log.records() if r.method == "GET" and r.path == "/v2/organizations"]
    assert len(pages) == 2


def test_list_filters_by_name_and_stops_at_the_limit(orgs):
    acme = json.loads(orgs("list", "--name", "ACME", "-o", "json").out)
    assert [o["name"] for o in acme] == ["Acme"]
    assert len(json.loads(orgs("list", "--limit", "3", "-o", "json").out)) == 3


@pytest.mark.parametrize("output", ["table", "json", "csv", "parquet"])
def test_list_in_every_format(orgs, sb, tmp_path, output):
    args = ["--out", "orgs.parquet"] if output == "parquet" else []
    done = orgs("list", "-o", output, *args)
    assert done.code == 0, done.err
    if output == "table":
        lines = done.out.splitlines()
        assert lines[0].split() == ["id", "name", "description", "created_at"]
        assert len(lines) == 2 + ORGS + 1
        assert any("Acme" in line and "the one with a description" in line for line in lines)
        return
    if output == "json":
        frame = pd.DataFrame(json.loads(done.out))
    elif output == "csv":
        frame = pd.read_csv(io.StringIO(done.out), dtype=str, keep_default_na=False)
    else:
        assert "wrote 106 organizations to orgs.parquet" in done.out
        frame = pd.read_parquet(tmp_path / "orgs.parquet")
    assert list(frame.columns) == ["id", "name", "description", "created_at"]
    assert sorted(frame["id"]) == sorted(o["id"] for o in sb.state.orgs())


def test_a_file_named_by_o_or_out_gets_its_format_from_the_name(orgs, tmp_path):
    assert orgs("list", "-o", "orgs.json").code == 0
    assert len(json.loads((tmp_path / "orgs.json").read_text())) == ORGS + 1
    assert orgs("list", "--out", "orgs.csv").code == 0
    assert len(pd.read_csv(tmp_path / "orgs.csv")) == ORGS + 1


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["-o", "parquet"], id="parquet to stdout"),
        pytest.param(["-o", "parquet", "--out", "orgs.csv"], id="parquet to a .csv"),
        pytest.param(["-o", "yaml"], id="unknown format"),
        pytest.param(["-o", "orgs.json", "--out", "x.json"], id="two files"),
        pytest.param(["--limit", "0"], id="limit 0"),
    ],
)
def test_output_usage_errors_exit_2_before_any_request(orgs, sb, args):
    done = orgs("list", *args)
    assert done.code == 2, done.err
    assert requests(sb) == 0


# -- every verb, every format ----------------------------------------------------------------


def prepare(sb, verb: str, output: str) -> tuple[list[str], str, str]:
    """The arguments of ``verb``, and a column and value its output must show."""
    tag = f"{verb}-{output}"
    if verb == "list":
        return ["list", "--name", "Acme"], "name", "Acme"
    if verb == "get":
        return ["get", "Acme"], "description", "the one with a description"
    if verb == "create":
        return ["create", "--name", f"New {tag}", "--description", "d"], "name", f"New {tag}"
    if verb == "update":
        return ["update", "Acme", "--description", tag], "description", tag
    if verb == "add-user":
        return (
            ["add-user", "Acme", "--user", "ana@example.com", "--role", "ADMIN"],
            "user_id",
            user_id(sb, "ana@example.com"),
        )
    if verb == "remove-user":  # the test adds the member first
        return ["remove-user", "Acme", "--user", "ana@example.com", "--force"], "status", "removed"
    sb.state.create_org(f"Doomed {tag}")
    return ["delete", f"Doomed {tag}", "--force"], "status", "deleted"


def shown(done, output: str, tmp_path) -> dict[str, str]:
    """The first record a command showed, whatever its format."""
    if output == "json":
        data = json.loads(done.out)
        return data[0] if isinstance(data, list) else data
    if output == "csv":
        return pd.read_csv(io.StringIO(done.out), dtype=str, keep_default_na=False).iloc[0].to_dict()
    if output == "parquet":
        return pd.read_parquet(tmp_path / "out.parquet").astype(str).iloc[0].to_dict()
    header, rule, first = done.out.splitlines()[:3]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
    return {header[a:b].strip(): first[a:b].strip() for a, b in spans}


VERBS = ["list", "get", "create", "update", "add-user", "remove-user", "delete"]


@pytest.mark.parametrize("output", ["table", "json", "csv", "parquet"])
@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_in_every_format(orgs, sb, tmp_path, verb, output):
    if verb == "remove-user":
        assert orgs("add-user", "Acme", "--user", "ana@example.com", "--role", "MEMBER").code == 0
    args, column, value = prepare(sb, verb, output)
    extra = ["--out", "out.parquet"] if output == "parquet" else []
    done = orgs(*args, "-o", output, *extra)
    assert done.code == 0, done.err
    assert shown(done, output, tmp_path)[column] == value


# -- by name and by id ---------------------------------------------------------------------


@pytest.mark.parametrize("by", ["name", "id"])
def test_get_by_name_or_id(orgs, sb, by):
    reference = "Acme" if by == "name" else org_id(sb, "Acme")
    done = orgs("get", reference, "-o", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out) == {
        "id": org_id(sb, "Acme"),
        "name": "Acme",
        "description": "the one with a description",
        "created_at": next(o["created_at"] for o in sb.state.orgs() if o["name"] == "Acme"),
    }


def test_a_name_means_the_organization_that_bears_it_now(orgs, sb):
    first = org_id(sb, "Acme")
    assert orgs("update", "Acme", "--name", "Acme (old)").code == 0
    sb.state.create_org("Acme", "a new one")
    done = orgs("get", "Acme", "-o", "json")
    assert json.loads(done.out)["id"] not in (first, None)
    assert json.loads(done.out)["description"] == "a new one"


# -- update sends only what is given ----------------------------------------------------------


def test_update_name_keeps_the_description(orgs, sb):
    done = orgs("update", "Acme", "--name", "Acme Renamed", "-o", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["description"] == "the one with a description"
    server = {o["name"]: o["description"] for o in sb.state.orgs()}
    assert server["Acme Renamed"] == "the one with a description"
    patches = [r.json for r in sb.log.records() if r.method == "PATCH"]
    assert patches == [{"name": "Acme Renamed"}]


def test_update_an_empty_description_clears_it(orgs, sb):
    assert orgs("update", org_id(sb, "Acme"), "--description", "").code == 0
    assert {o["name"]: o["description"] for o in sb.state.orgs()}["Acme"] == ""
    assert [r.json for r in sb.log.records() if r.method == "PATCH"] == [{"description": ""}]


def test_update_with_nothing_to_change_is_a_usage_error(orgs, sb):
    done = orgs("update", "Acme")
    assert done.code == 2
    assert "--name, --description" in done.err
    assert requests(sb) == 0


# -- create --------------------------------------------------------------------------------


def test_create_checks_the_name_before_any_request(orgs, sb):
    done = orgs("create", "--name", "   ")
    assert done.code == 2
    assert "name" in done.err
    assert requests(sb) == 0


def test_create_a_taken_name_is_an_api_error(orgs, sb):
    done = orgs("create", "--name", "acme")
    assert done.code == 4
    assert "409" in done.err
    assert len(sb.state.orgs()) == ORGS + 1


# -- add-user ------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["email", "id"])
def test_add_user_by_email_or_id_with_a_role(orgs, sb, by):
    user = "Ana@Example.com" if by == "email" else user_id(sb, "ana@example.com")
    done = orgs("add-user", org_id(sb, "Acme"), "--user", user, "--role", "READ_ONLY", "-o", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["role"] == {"type": "PREDEFINED", "name": "READ_ONLY"}
    assert members(sb) == {(org_id(sb, "Acme"), user_id(sb, "ana@example.com")): "READ_ONLY"}


@pytest.mark.parametrize(
    ("user", "role", "message"),
    [
        pytest.param("ana@example.com", "admin", "roles are upper case", id="lower-case role"),
        pytest.param(
            "ana@example.com", "OWNER", "expected one of ADMIN, MEMBER, READ_ONLY, ANNOTATOR", id="unknown"
        ),
        pytest.param("ann@example.com", "MEMBER", "ANNOTATOR", id="the annotator rule"),
    ],
)
def test_add_user_refuses_a_bad_role_before_writing(orgs, sb, user, role, message):
    done = orgs("add-user", "Acme", "--user", user, "--role", role)
    assert done.code == 2, done.err
    assert message in done.err
    assert writes(sb) == 0


def test_add_user_with_an_unknown_user_is_an_api_error(orgs, sb):
    done = orgs("add-user", "Acme", "--user", "nobody@example.com", "--role", "MEMBER")
    assert done.code == 4
    assert "nobody@example.com" in done.err
    assert writes(sb) == 0


# -- API errors and usage errors ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["get", "No Such Org"], id="unknown name"),
        pytest.param(["get", "T3JnYW5pemF0aW9uOjk5OTk6eHh4eA=="], id="unknown id"),
        pytest.param(["delete", "No Such Org", "--force"], id="delete an unknown name"),
        pytest.param(["update", "No Such Org", "--name", "x"], id="update an unknown name"),
    ],
)
def test_api_errors_exit_4(orgs, sb, args):
    done = orgs(*args)
    assert done.code == 4, done.err
    assert done.err.startswith("error: ")
    assert writes(sb) == 0


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["add-user", "Acme", "--user", "ana@example.com"], id="no --role"),
        pytest.param(["create"], id="no --name"),
        pytest.param(["rename", "Acme"], id="unknown verb"),
        pytest.param([], id="no verb"),
    ],
)
def test_argument_errors_exit_2(orgs, sb, args):
    assert orgs(*args).code == 2
    assert requests(sb) == 0


def test_no_key_is_a_usage_error(orgs, sb, monkeypatch):
    monkeypatch.delenv("ARIZE_API_KEY")
    done = orgs("list")
    assert done.code == 2
    assert "ARIZE_API_KEY" in done.err
    assert requests(sb) == 0


# -- destructive verbs: --force or a prompt ----------------------------------------------------


def destructive(sb, verb: str, by: str) -> list[str]:
    acme = "Acme" if by == "name" else org_id(sb, "Acme")
    if verb == "delete":
        return ["delete", acme]
    ana = "ana@example.com" if by == "name" else user_id(sb, "ana@example.com")
    return ["remove-user", acme, "--user", ana]


def gone(sb, verb: str) -> bool:
    if verb == "delete":
        return "Acme" not in {o["name"] for o in sb.state.orgs()}
    return members(sb) == {}


@pytest.fixture
def member(orgs):
    assert orgs("add-user", "Acme", "--user", "ana@example.com", "--role", "MEMBER").code == 0


@pytest.mark.parametrize("verb", ["delete", "remove-user"])
def test_without_a_terminal_a_destructive_verb_needs_force(orgs, sb, member, verb):
    before = requests(sb)
    done = orgs(*destructive(sb, verb, "name"))
    assert done.code == 2
    assert "pass --force" in done.err and "nothing was sent" in done.err
    assert requests(sb) == before, "a request was sent before refusing"
    assert not gone(sb, verb)


@pytest.mark.parametrize("by", ["name", "id"])
@pytest.mark.parametrize("verb", ["delete", "remove-user"])
def test_force_does_it_without_asking(orgs, sb, member, terminal, verb, by):
    done = orgs(*destructive(sb, verb, by), "--force")
    assert done.code == 0, done.err
    assert terminal.asked == []
    assert gone(sb, verb)


@pytest.mark.parametrize("verb", ["delete", "remove-user"])
def test_on_a_terminal_yes_does_it_after_naming_what_and_the_cascade(orgs, sb, member, terminal, verb):
    terminal.answer("y")
    acme = org_id(sb, "Acme")
    done = orgs(*destructive(sb, verb, "id"))
    assert done.code == 0, done.err
    [prompt] = terminal.asked
    assert "Acme" in prompt and acme in prompt
    assert ("EVERYTHING" if verb == "delete" else "every space") in prompt
    assert gone(sb, verb)


@pytest.mark.parametrize("answer", ["", "n", "no", "yes please"])
@pytest.mark.parametrize("verb", ["delete", "remove-user"])
def test_on_a_terminal_anything_but_yes_sends_nothing(orgs, sb, member, terminal, verb, answer):
    terminal.answer(answer)
    done = orgs(*destructive(sb, verb, "name"))
    assert done.code == 1
    assert "nothing was sent" in done.err
    assert [r for r in sb.log.records() if r.method == "DELETE"] == []
    assert not gone(sb, verb)
