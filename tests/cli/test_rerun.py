"""After any ``apply`` (all applied, some failed, interrupted), ``plan FILE`` shows what did not land.

The CLI keeps beside the file what it knows the file's rows became: the export base (updated
with every applied change, creates included) and the record of the organizations its create
rows made. Planning the same file again must neither plan those creates again nor refuse the
re-run as stale; it must still refuse when someone else changed a target on the server.
"""

import signal

import pandas as pd
import requests

from arize_orgs_nb.bulk.apply import Applier
from arize_orgs_nb.bulk.changes import Op
from tests.cli.conftest import KEY, read_text_frame, writes

NEW = ("Made By The Shell A", "Made By The Shell B")


def server_orgs(sb) -> dict[str, dict]:
    return {o["name"]: o for o in sb.state.orgs()}


def export_and_edit(cli, tmp_path) -> pd.DataFrame:
    """Export orgs.csv, then edit it in place: 2 creates, 1 rename, 2 descriptions."""
    assert cli("export", "orgs.csv").code == 0
    orgs = read_text_frame(tmp_path / "orgs.csv")
    orgs.loc[0, "name"] = "Renamed In The File"
    orgs.loc[1, "description"] = "first description"
    orgs.loc[2, "description"] = "second description"
    creates = pd.DataFrame(
        [
            {"id": "", "name": NEW[0], "description": "new one", "created_at": ""},
            {"id": "", "name": NEW[1], "description": "", "created_at": ""},
        ]
    )
    edited = pd.concat([orgs, creates], ignore_index=True)
    edited.to_csv(tmp_path / "orgs.csv", index=False)
    return edited


def assert_nothing_left(cli, sb) -> None:
    again = cli("plan", "orgs.csv")
    assert again.code == 0, again.out + again.err
    assert "organizations: no changes" in again.out
    sent = writes(sb)
    assert cli("apply", "orgs.csv", "--yes").code == 0
    assert writes(sb) == sent


def test_after_a_full_apply_the_file_plans_nothing(cli, sb, tmp_path):
    export_and_edit(cli, tmp_path)
    text = (tmp_path / "orgs.csv").read_bytes()
    applied = cli("apply", "orgs.csv", "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert "organizations: 5 applied" in applied.out
    state = server_orgs(sb)
    assert state[NEW[0]]["description"] == "new one" and NEW[1] in state
    assert_nothing_left(cli, sb)
    assert sum(1 for name in server_orgs(sb) if name in NEW) == 2  # each created once
    assert (tmp_path / "orgs.csv").read_bytes() == text  # the user's file is never rewritten


def test_a_create_row_edited_after_its_create_updates_that_organization(cli, sb, tmp_path):
    edited = export_and_edit(cli, tmp_path)
    assert cli("apply", "orgs.csv", "--yes").code == 0
    made = server_orgs(sb)[NEW[0]]["id"]
    edited.loc[edited["name"] == NEW[0], "description"] = "edited after it was made"
    edited.to_csv(tmp_path / "orgs.csv", index=False)
    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 description to change" in plan.out
    assert cli("apply", "orgs.csv", "--yes").code == 0
    assert server_orgs(sb)[NEW[0]]["id"] == made  # the same organization, updated
    assert server_orgs(sb)[NEW[0]]["description"] == "edited after it was made"
    assert_nothing_left(cli, sb)


def test_a_names_only_file_without_an_export_base_plans_nothing_after_its_creates(cli, sb, tmp_path):
    pd.DataFrame({"name": list(NEW), "description": ["a", ""]}).to_csv(tmp_path / "orgs.csv", index=False)
    applied = cli("apply", "orgs.csv", "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert_nothing_left(cli, sb)


def test_a_failed_row_is_all_that_plans_again_and_the_same_apply_retries_it(cli, sb, tmp_path):
    edited = export_and_edit(cli, tmp_path)
    target = edited.loc[1]
    sb.faults.add(status=403, method="PATCH", path=f"/v2/organizations/{target['id']}")
    first = cli("apply", "orgs.csv", "--yes")
    assert first.code == 1, first.out + first.err
    assert "organizations: 4 applied, 1 failed" in first.out

    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 description to change" in plan.out
    assert "first description" in plan.out and "second description" not in plan.out
    retry = cli("apply", "orgs.csv", "--yes")
    assert retry.code == 0, retry.out + retry.err
    assert "organizations: 1 applied" in retry.out
    assert server_orgs(sb)[target["name"]]["description"] == "first description"
    assert_nothing_left(cli, sb)


def test_a_failed_create_is_all_that_plans_again_and_the_same_apply_retries_it(cli, sb, tmp_path):
    export_and_edit(cli, tmp_path)
    sb.faults.add(status=403, method="POST", path="/v2/organizations")  # the first create (plan order)
    first = cli("apply", "orgs.csv", "--yes", "--workers", "1")
    assert first.code == 1, first.out + first.err
    assert "organizations: 4 applied, 1 failed" in first.out
    assert NEW[0] not in server_orgs(sb) and NEW[1] in server_orgs(sb)

    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 to create" in plan.out
    assert NEW[0] in plan.out and NEW[1] not in plan.out
    retry = cli("apply", "orgs.csv", "--yes", "--workers", "1")
    assert retry.code == 0, retry.out + retry.err
    assert "organizations: 1 applied" in retry.out
    assert_nothing_left(cli, sb)
    assert sum(1 for name in server_orgs(sb) if name in NEW) == 2


def colleague_patches(sb, org_id: str, **fields: str) -> None:
    requests.patch(
        f"{sb.url}/v2/organizations/{org_id}",
        json=fields,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    ).raise_for_status()


def test_a_re_run_is_still_refused_when_a_colleague_changed_the_failed_target(cli, sb, tmp_path):
    edited = export_and_edit(cli, tmp_path)
    target = edited.loc[1]
    sb.faults.add(status=403, method="PATCH", path=f"/v2/organizations/{target['id']}")
    assert cli("apply", "orgs.csv", "--yes").code == 1
    colleague_patches(sb, target["id"], description="the colleague's")
    sent = writes(sb)
    refused = cli("apply", "orgs.csv", "--yes")
    assert refused.code == 1, refused.out + refused.err
    assert "refused" in refused.err and "description changed" in refused.err
    assert writes(sb) == sent
    assert server_orgs(sb)[target["name"]]["description"] == "the colleague's"


def test_an_edit_of_a_created_row_is_refused_when_a_colleague_renamed_that_organization(cli, sb, tmp_path):
    edited = export_and_edit(cli, tmp_path)
    assert cli("apply", "orgs.csv", "--yes").code == 0
    made = server_orgs(sb)[NEW[1]]["id"]
    colleague_patches(sb, made, name="Renamed By A Colleague")
    edited.loc[edited["name"] == NEW[1], "description"] = "mine"
    edited.to_csv(tmp_path / "orgs.csv", index=False)
    sent = writes(sb)
    refused = cli("apply", "orgs.csv", "--yes")
    assert refused.code == 1, refused.out + refused.err
    assert "refused" in refused.err and "renamed to 'Renamed By A Colleague'" in refused.err
    assert writes(sb) == sent


def test_a_create_row_renamed_after_its_create_is_refused_not_created_twice(cli, sb, tmp_path):
    edited = export_and_edit(cli, tmp_path)
    assert cli("apply", "orgs.csv", "--yes").code == 0
    made = server_orgs(sb)[NEW[0]]["id"]
    edited.loc[edited["name"] == NEW[0], "name"] = "Another Name"
    edited.to_csv(tmp_path / "orgs.csv", index=False)
    plan = cli("plan", "orgs.csv")
    assert plan.code == 1, plan.out + plan.err
    assert made in plan.err and "put its id" in plan.err


def interrupt_on_first_describe(monkeypatch, *, hard: bool) -> None:
    """Ctrl-C while the first description call is in flight (hard: a second Ctrl-C, at once)."""
    send = Applier._send
    pressed = []

    def sending(self, change, temp, *rest):
        if change.op is Op.DESCRIBE and not pressed:
            pressed.append(change)
            if hard:
                raise KeyboardInterrupt
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
        return send(self, change, temp, *rest)

    monkeypatch.setattr(Applier, "_send", sending)


def test_after_ctrl_c_the_file_plans_what_was_not_sent(cli, sb, tmp_path, monkeypatch):
    export_and_edit(cli, tmp_path)
    interrupt_on_first_describe(monkeypatch, hard=False)
    stopped = cli("apply", "orgs.csv", "--yes", "--workers", "1")
    assert stopped.code == 130, stopped.out + stopped.err
    assert "organizations: 4 applied, 1 skipped" in stopped.out  # the call in flight finished
    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 description to change" in plan.out
    assert cli("apply", "orgs.csv", "--yes").code == 0
    assert_nothing_left(cli, sb)


def test_after_a_hard_interrupt_the_file_plans_what_did_not_land(cli, sb, tmp_path, monkeypatch):
    export_and_edit(cli, tmp_path)
    interrupt_on_first_describe(monkeypatch, hard=True)
    stopped = cli("apply", "orgs.csv", "--yes", "--workers", "1")
    assert stopped.code == 130, stopped.out + stopped.err
    plan = cli("plan", "orgs.csv")
    assert plan.code == 2, plan.out + plan.err
    assert "organizations: 1 description to change" in plan.out
    assert NEW[0] not in plan.out and "Renamed In The File" not in plan.out
    assert cli("apply", "orgs.csv", "--yes").code == 0
    assert_nothing_left(cli, sb)
