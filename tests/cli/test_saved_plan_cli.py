"""`arize-orgs-nb plan FILE --out PLAN.json` then `apply PLAN.json`: exactly the reviewed plan."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.bulk.saved import canonical_checksum
from tests.cli.conftest import KEY, read_text_frame, writes


def server_names(sb) -> dict[str, str]:
    return {o["name"]: o["description"] for o in sb.state.orgs()}


@pytest.fixture
def edit(cli, tmp_path):
    """Export, then rename row 0 and mark row 1 for deletion; returns (old name, new name, victim)."""
    assert cli("export", "orgs.csv").code == 0
    orgs = read_text_frame(tmp_path / "orgs.csv")
    edited = orgs.assign(delete="")
    old, victim = orgs.loc[0, "name"], orgs.loc[1, "name"]
    edited.loc[0, "name"] = "Renamed By Plan"
    edited.loc[1, "delete"] = "yes"
    edited.to_csv(tmp_path / "orgs.csv", index=False)
    return old, "Renamed By Plan", victim


def test_plan_out_then_apply_sends_exactly_that_plan_and_the_file_converges(cli, sb, tmp_path, edit):
    old, new, victim = edit
    planned = cli("plan", "orgs.csv", "--out", "plan.json")
    assert planned.code == 2, planned.err
    assert "saved the plan to plan.json" in planned.out
    document = json.loads((tmp_path / "plan.json").read_text())
    assert KEY not in (tmp_path / "plan.json").read_text()
    assert document["source"] == "orgs.csv"
    assert [c["organization"] for c in document["confirmation_required"]] == [victim]

    sb.log.clear()
    refused = cli("apply", "plan.json", "--yes")
    assert refused.code == 1
    assert f"--confirm '{victim}'" in refused.err
    assert writes(sb) == 0

    done = cli("apply", "plan.json", "--yes", "--confirm", victim)
    assert done.code == 0, done.out + done.err
    assert "organizations: 2 applied" in done.out
    assert "\norgs.csv:\n" in done.out  # shown against the edited file the plan was made from
    names = server_names(sb)
    assert new in names and old not in names and victim not in names
    # what landed was folded beside the edited file: it plans nothing now
    again = cli("plan", "orgs.csv")
    assert again.code == 0, again.out + again.err
    # and the saved plan, applied once, is stale now: nothing is sent twice
    written = writes(sb)
    twice = cli("apply", "plan.json", "--yes", "--confirm", victim)
    assert twice.code == 1
    assert "stale" in twice.err
    assert writes(sb) == written


def test_an_altered_saved_plan_is_refused_before_any_request(cli, sb, tmp_path, edit):
    assert cli("plan", "orgs.csv", "--out", "plan.json").code == 2
    document = json.loads((tmp_path / "plan.json").read_text())
    document["changes"][0]["after"]["name"] = "Hijacked"
    (tmp_path / "plan.json").write_text(json.dumps(document))
    sb.log.clear()
    done = cli("apply", "plan.json", "--yes", "--confirm-all")
    assert done.code == 1
    assert "refused: the saved plan plan.json was altered after it was saved" in done.err
    assert sb.log.records() == []


def test_a_saved_plan_of_another_server_is_refused_before_any_request(cli, sb, tmp_path, edit):
    assert cli("plan", "orgs.csv", "--out", "plan.json").code == 2
    document = json.loads((tmp_path / "plan.json").read_text())
    document["base_url"] = "https://api.arize.com"
    document["checksum"] = canonical_checksum(document)
    (tmp_path / "plan.json").write_text(json.dumps(document))
    sb.log.clear()
    done = cli("apply", "plan.json", "--yes", "--confirm-all", "--allow-other-key")
    assert done.code == 1
    assert "was made for another API or key" in done.err
    assert sb.log.records() == []


def test_drift_since_the_plan_was_saved_is_refused_as_stale(cli, sb, tmp_path, edit):
    old, _, _ = edit
    assert cli("plan", "orgs.csv", "--out", "plan.json").code == 2
    target = next(o["id"] for o in sb.state.orgs() if o["name"] == old)
    with ArizeOrgs(
        api_key=KEY, api_host=sb.url.split("://", 1)[1], api_scheme="http", environ={}, journal=":memory:"
    ) as colleague:
        colleague.organizations.update(organization=target, name="Theirs Now")
    sb.log.clear()
    done = cli("apply", "plan.json", "--yes", "--confirm-all")
    assert done.code == 1
    assert "refused: the plan is stale" in done.err and "renamed to 'Theirs Now'" in done.err
    assert writes(sb) == 0


def test_a_saved_members_plan_applies_and_a_removal_still_needs_confirming(cli, sb, tmp_path):
    org = sb.state.orgs()[0]
    user = next(u for u in sb.state.users() if u["role"]["name"] != "ANNOTATOR" and u["status"] == "ACTIVE")
    pd.DataFrame(
        {"organization": [org["name"]], "user": [user["email"]], "role": ["ADMIN"], "remove": [""]}
    ).to_csv(tmp_path / "members.csv", index=False)
    assert cli("plan", "--members", "members.csv", "--out", "members-plan.json").code == 2
    pd.DataFrame(
        {"organization": [org["name"]], "user": [user["email"]], "role": [""], "remove": ["yes"]}
    ).to_csv(tmp_path / "members.csv", index=False)
    assert cli("plan", "--members", "members.csv", "--out", "removal.json").code == 2

    done = cli("apply", "members-plan.json", "--yes")
    assert done.code == 0, done.out + done.err
    roles = {(m["organization_id"], m["user_id"]): m["role"]["name"] for m in sb.state.memberships()}
    assert roles[(org["id"], user["id"])] == "ADMIN"
    refused = cli("apply", "removal.json", "--yes")
    assert refused.code == 1 and "not confirmed" in refused.err
    assert cli("apply", "removal.json", "--yes", "--confirm", org["name"]).code == 0
    assert (org["id"], user["id"]) not in {
        (m["organization_id"], m["user_id"]) for m in sb.state.memberships()
    }


def test_a_plan_file_is_known_by_its_content_whatever_its_name(cli, sb, tmp_path, edit):
    _, new, victim = edit
    assert cli("plan", "orgs.csv", "--out", "reviewed.plan").code == 2
    done = cli("apply", "reviewed.plan", "--yes", "--confirm", victim)
    assert done.code == 0, done.out + done.err
    assert new in server_names(sb)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("plan", "orgs.csv", "--members", "m.csv", "--out", "p.json"), "--out saves one plan"),
        pytest.param(("apply", "plan.json", "--members", "m.csv"), "applied on its own"),
    ],
)
def test_one_plan_per_file(cli, sb, tmp_path, edit, args, message):
    pd.DataFrame({"organization": [], "user": [], "role": []}).to_csv(tmp_path / "m.csv", index=False)
    assert cli("plan", "orgs.csv", "--out", "plan.json").code == 2
    sb.log.clear()
    done = cli(*args)
    assert done.code == 1
    assert message in done.err
    assert writes(sb) == 0
