"""Saved plans: `plan.save(path)` then `client.load_plan(path)` applies exactly what was reviewed.

Every refusal is checked on the sandbox's request log: a file that was altered, made for another
API or another key, or malformed sends no request at all; a plan whose targets drifted since it
was saved sends no write; deletes still need confirmation.
"""

from __future__ import annotations

import json
import pickle
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from arize_orgs_nb import (
    ArizeOrgs,
    ConfirmationRequiredError,
    PlanAlteredError,
    PlanOriginError,
    SavedPlanError,
    StalePlanError,
)
from arize_orgs_nb.bulk.plan import Plan
from arize_orgs_nb.bulk.saved import FORMAT, PlanOrigin, canonical_checksum, read_plan
from tests.conftest import FakeClock, colleague_of

KEY = "saved-plan-secret-Zr81"
WRITES = ("POST", "PATCH", "DELETE")
NEWER = json.dumps({"format": FORMAT, "format_version": 9}).encode()
DOC = Path(__file__).resolve().parents[2] / "docs" / "PLAN_FORMAT.md"


def make(*, in_process: bool = True, key: str = KEY, orgs: int = 0) -> ArizeOrgs:
    clock = FakeClock()
    return ArizeOrgs.sandbox(
        orgs=orgs,
        users=0,
        api_key=key,
        in_process=in_process,
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(1),
    )


@pytest.fixture(params=["in-process", "http"])
def client(request) -> Iterator[ArizeOrgs]:
    with make(in_process=request.param == "in-process") as c:
        for name, description in [("Alpha", "a"), ("Beta", "b"), ("Gamma", "g"), ("Old Team", "old")]:
            c.local_sandbox.state.create_org(name, description)
        yield c


def requests_seen(client: ArizeOrgs) -> int:
    return len(client.local_sandbox.log.records())


def writes(client: ArizeOrgs) -> int:
    return sum(1 for r in client.local_sandbox.log.records() if r.method in WRITES)


def server(client: ArizeOrgs) -> dict[str, str]:
    return {o["name"]: o["description"] for o in client.local_sandbox.state.orgs()}


def edited_plan(client: ArizeOrgs) -> Plan:
    """A create, a rename, a description change and a delete."""
    base = client.organizations.to_frame(progress=False)
    edited = base.copy()
    edited["delete"] = edited["name"] == "Old Team"
    edited.loc[edited["name"] == "Alpha", "name"] = "Alpha Prime"
    edited.loc[edited["name"] == "Beta", "description"] = "beta, described"
    new = pd.DataFrame([{"name": "Delta", "description": "new", "delete": False}])
    return client.organizations.plan(pd.concat([edited, new], ignore_index=True), base=base)


def rewrite(path: Path, change) -> None:
    """Edit the saved file's JSON with ``change(document)``; keep its checksum as it was."""
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def forge(path: Path, change) -> None:
    """Edit the file and recompute its checksum, as a tool that knows the format could."""

    def edit(document) -> None:
        change(document)
        document["checksum"] = canonical_checksum(document)

    rewrite(path, edit)


def test_round_trip_applies_exactly_the_reviewed_plan(client, tmp_path):
    plan = edited_plan(client)
    path = plan.save(tmp_path / "plan.json", source="orgs.csv")
    text = path.read_text()
    assert KEY not in text, "the key was saved"
    document = json.loads(text)
    assert document["format"] == FORMAT
    assert document["base_url"] == client.base_url
    assert document["key_fingerprint"] == client.settings.api_key.fingerprint
    assert document["source"] == "orgs.csv"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["created_at"])
    assert [c["organization"] for c in document["confirmation_required"]] == ["Old Team"]

    before = requests_seen(client)
    loaded = client.load_plan(path)
    assert requests_seen(client) == before, "loading a plan sent a request"
    assert (loaded.kind, loaded.changes, loaded.targets) == (plan.kind, plan.changes, plan.targets)
    assert loaded.summary() == plan.summary()

    result = loaded.apply(confirm=["Old Team"], progress=False)
    assert result.ok, result.to_frame()
    assert server(client) == {
        "Alpha Prime": "a",
        "Beta": "beta, described",
        "Gamma": "g",
        "Delta": "new",
    }


def test_a_reformatted_file_still_loads_the_checksum_is_over_the_content(client, tmp_path):
    path = edited_plan(client).save(tmp_path / "plan.json")
    document = json.loads(path.read_text())
    reordered = dict(reversed(list(document.items())))
    path.write_text(json.dumps(reordered, indent=4, sort_keys=True, ensure_ascii=True))
    assert len(client.load_plan(path)) == 4


def test_a_saved_delete_still_needs_confirmation(client, tmp_path):
    loaded = client.load_plan(edited_plan(client).save(tmp_path / "plan.json"))
    with pytest.raises(ConfirmationRequiredError, match="Old Team"):
        loaded.apply(progress=False)
    assert writes(client) == 0
    assert "Old Team" in server(client)
    assert loaded.apply(confirm=True, progress=False).ok


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda d: d["changes"][0]["after"].update(name="Hijacked"), id="a new name"),
        pytest.param(lambda d: d["changes"].pop(), id="a change dropped"),
        pytest.param(lambda d: d["expectations"].clear(), id="no stale check"),
        pytest.param(lambda d: d["confirmation_required"].clear(), id="confirmation list emptied"),
        pytest.param(lambda d: d.pop("checksum"), id="no checksum"),
    ],
)
def test_an_altered_file_is_refused_and_nothing_is_sent(client, tmp_path, alter):
    path = edited_plan(client).save(tmp_path / "plan.json")
    rewrite(path, alter)
    before = requests_seen(client)
    with pytest.raises(PlanAlteredError, match="altered"):
        client.load_plan(path)
    assert requests_seen(client) == before


def test_a_plan_made_for_another_api_is_refused_and_nothing_is_sent(client, tmp_path):
    path = edited_plan(client).save(tmp_path / "plan.json")
    with make(in_process=False) as elsewhere:  # another server: another base URL
        elsewhere.local_sandbox.state.create_org("Alpha", "a")
        before_here, before_there = requests_seen(client), requests_seen(elsewhere)
        with pytest.raises(PlanOriginError, match="made against") as refused:
            elsewhere.load_plan(path, allow_other_key=True)  # never overrides the API
        assert client.base_url in str(refused.value) and elsewhere.base_url in str(refused.value)
        assert (requests_seen(client), requests_seen(elsewhere)) == (before_here, before_there)
        assert [o["name"] for o in elsewhere.local_sandbox.state.orgs()] == ["Alpha"]


def test_a_plan_made_with_another_key_is_refused_unless_allowed(client, tmp_path):
    path = edited_plan(client).save(tmp_path / "plan.json")
    other = ArizeOrgs(api_key="another-key", api_host="example.invalid", environ={}, journal=":memory:")
    forge(path, lambda d: d.update(key_fingerprint=other.settings.api_key.fingerprint))
    other.close()
    before = requests_seen(client)
    with pytest.raises(PlanOriginError, match="allow_other_key") as refused:
        client.load_plan(path)
    assert "another-key" not in str(refused.value) and KEY not in str(refused.value)
    assert requests_seen(client) == before
    assert client.load_plan(path, allow_other_key=True).apply(confirm=True, progress=False).ok


def test_drift_since_saving_is_refused_as_stale_and_nothing_is_written(client, tmp_path):
    path = edited_plan(client).save(tmp_path / "plan.json")
    with colleague_of(client) as colleague:
        colleague.organizations.update(organization="Alpha", name="Alpha (theirs)")
    written = writes(client)
    loaded = client.load_plan(path)
    with pytest.raises(StalePlanError, match=r"'Alpha'.*renamed to 'Alpha \(theirs\)'"):
        loaded.apply(confirm=True, progress=False)
    assert writes(client) == written
    assert server(client)["Old Team"] == "old"


def test_a_members_plan_round_trips_with_its_removal_confirmation(client, tmp_path):
    state = client.local_sandbox.state
    ana = state.create_user("Ana", "ana@example.com")
    bo = state.create_user("Bo", "bo@example.com")
    alpha = next(o["id"] for o in state.orgs() if o["name"] == "Alpha")
    client.organizations.add_user(organization=alpha, user_id=bo["id"], role="MEMBER")
    members = pd.DataFrame(
        {
            "organization": ["Alpha", alpha],
            "user": ["ana@example.com", "bo@example.com"],
            "role": ["ADMIN", None],
            "remove": [False, True],
        }
    )
    plan = client.memberships.plan(members)
    loaded = client.load_plan(plan.save(tmp_path / "members.json"))
    assert (loaded.kind, loaded.changes, loaded.targets) == ("memberships", plan.changes, plan.targets)
    written = writes(client)
    with pytest.raises(ConfirmationRequiredError):
        loaded.apply(progress=False)
    assert writes(client) == written
    assert loaded.apply(confirm=["Alpha"], progress=False).ok
    roles = {(m["organization_id"], m["user_id"]): m["role"]["name"] for m in state.memberships()}
    assert roles == {(alpha, ana["id"]): "ADMIN"}


def test_what_may_have_landed_and_what_was_left_out_are_kept(client, tmp_path):
    plan = edited_plan(client)
    create = next(c for c in plan if c.op.value == "create")
    plan.maybe_done = frozenset({create.key})
    plan.left_out = ["row 7: not undoable"]
    loaded = client.load_plan(plan.save(tmp_path / "plan.json"))
    assert loaded.maybe_done == {create.key}
    assert loaded.left_out == ["row 7: not undoable"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"id,name\n1,x\n", "not JSON", id="a CSV"),
        pytest.param(b"\xff\xfe{", "not UTF-8", id="not UTF-8"),
        pytest.param(b'{"name": "x"}', "not a saved plan", id="another JSON"),
        pytest.param(
            json.dumps({"format": FORMAT, "format_version": 9}).encode(), "format_version 9", id="newer"
        ),
    ],
)
def test_a_file_that_is_no_saved_plan_is_refused_with_why(client, tmp_path, content, message):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    before = requests_seen(client)
    with pytest.raises(SavedPlanError, match=message):
        client.load_plan(path)
    with pytest.raises(SavedPlanError, match="cannot read"):
        client.load_plan(tmp_path / "missing.json")
    assert requests_seen(client) == before


def test_a_well_checksummed_but_malformed_plan_lists_every_problem(client, tmp_path):
    path = edited_plan(client).save(tmp_path / "plan.json")

    def break_it(document) -> None:
        document["changes"][0]["op"] = "explode"
        document["changes"][1]["org_id"] = None
        document["expectations"]["x"] = {"label": 3}
        document["maybe_done"] = ["no-such-key"]
        document["confirmation_required"] = []  # would hide the delete from a policy check
        document["account_size"] = "many"

    forge(path, break_it)
    with pytest.raises(SavedPlanError) as refused:
        client.load_plan(path)
    problems = "\n".join(refused.value.problems)
    assert "unknown op 'explode'" in problems
    assert "needs the organization's id" in problems
    assert "expectations['x']" in problems
    assert "no-such-key" in problems
    assert "'confirmation_required' does not list exactly" in problems
    assert "'account_size' must be a whole number" in problems
    assert not isinstance(refused.value, PlanAlteredError | PlanOriginError)


def test_a_loaded_plan_estimates_the_stale_check_of_the_account_it_was_made_from(tmp_path):
    with make(orgs=250) as c:
        plan = edited_plan(c)
        assert plan.account_size == 250
        path = plan.save(tmp_path / "plan.json")
        assert json.loads(path.read_text())["account_size"] == 250
        loaded = c.load_plan(path)
        assert loaded.account_size == 250
        assert loaded.estimate().calls == plan.estimate().calls == len(plan) + 3  # 3 pages of 100
        assert "after 3 list requests of the stale check" in str(loaded.estimate())

        def unknown(document) -> None:  # a file from before the field: the size is unknown
            del document["account_size"]

        forge(path, unknown)
        assert c.load_plan(path).account_size is None


def test_a_read_only_plan_cannot_be_saved(tmp_path):
    with pytest.raises(RuntimeError, match="read-only"):
        Plan("organizations", []).save(tmp_path / "plan.json")
    assert not (tmp_path / "plan.json").exists()


def test_the_documented_example_is_a_valid_plan(tmp_path):
    block = re.search(r"```json\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/PLAN_FORMAT.md has no JSON example"
    document = json.loads(block.group(1))
    assert document["checksum"] == canonical_checksum(document)
    example = tmp_path / "example.json"
    example.write_text(block.group(1))
    saved = read_plan(example, origin=PlanOrigin(document["base_url"], document["key_fingerprint"]))
    assert [c.op.value for c in saved.changes] == [c["op"] for c in document["changes"]]
    assert [c["organization"] for c in document["confirmation_required"]] == [
        c.org_name for c in saved.changes if c.op.destructive
    ]


@pytest.mark.parametrize("error", [SavedPlanError, PlanAlteredError, PlanOriginError])
def test_the_refusals_survive_pickling(error):
    refused = error("plan.json", ["its content does not match its checksum"])
    again = pickle.loads(pickle.dumps(refused))
    assert type(again) is error
    assert (str(again), again.problems, again.path) == (str(refused), refused.problems, "plan.json")
