"""`arize-orgs-nb export | plan | apply`: the real entry point, as a subprocess, on a served sandbox."""

import os
import pty
import subprocess

import pandas as pd
import pytest

from arize_orgs_nb import ArizeOrgs
from arize_orgs_nb.frames import read_orgs_frame, read_users_frame
from arize_orgs_nb.sandbox import Sandbox
from tests.cli.test_main import entry_point

KEY = "cli-bulk-secret-K7wQ2"


@pytest.fixture
def sb():
    with Sandbox(api_key=KEY, orgs=20, users=8, seed=11) as server:
        server.serve()
        yield server


@pytest.fixture
def env(sb, tmp_path):
    port = sb.url.rsplit(":", 1)[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARIZE_")}
    return {
        **base,
        "ARIZE_API_KEY": KEY,
        "ARIZE_API_HOST": "127.0.0.1",
        "ARIZE_API_PORT": port,
        "ARIZE_API_SCHEME": "http",
        "ARIZE_ORGS_NB_HOME": str(tmp_path / "home"),
    }


@pytest.fixture
def cli(env, tmp_path):
    journal = tmp_path / "journal.sqlite3"

    def run(*args, stdin=subprocess.DEVNULL):
        proc = subprocess.run(
            [*entry_point(), *map(str, args), "--journal", str(journal)],
            env=env,
            cwd=tmp_path,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for stream in (proc.stdout, proc.stderr):
            assert KEY not in stream, "the API key was printed"
        return proc

    return run


def writes(sb) -> int:
    return sum(1 for r in sb.log.records() if r.method != "GET")


def server_orgs(sb) -> dict[str, dict]:
    return {o["name"]: o for o in sb.state.orgs()}


def test_export_edit_plan_apply_then_nothing_left(cli, sb, tmp_path):
    done = cli("export", "orgs.csv")
    assert done.returncode == 0, done.stderr
    assert "wrote 20 organizations" in done.stdout
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    assert list(orgs.columns) == ["id", "name", "description", "created_at"]
    assert len(orgs) == 20

    described = orgs.index[orgs["description"] != ""]
    first, second, third = described[0], described[1], described[2]
    edited = orgs.copy()
    edited.loc[first, "description"] = "Edited from the shell"
    edited.loc[second, "description"] = ""  # clears it
    edited.loc[third, "name"] = "Renamed From The Shell"
    edited.to_csv(tmp_path / "edited.csv", index=False)
    old_name = orgs.loc[third, "name"]

    sb.log.clear()
    plan = cli("plan", "edited.csv")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Edited from the shell" in plan.stdout
    assert "Renamed From The Shell" in plan.stdout and old_name in plan.stdout
    assert "1 to rename, 2 descriptions to change" in plan.stdout
    assert writes(sb) == 0

    applied = cli("apply", "edited.csv", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "organizations: 3 applied" in applied.stdout
    assert applied.stdout.count("applied  ") == 3  # one result row per change
    assert writes(sb) == 3
    state = server_orgs(sb)
    assert state[orgs.loc[first, "name"]]["description"] == "Edited from the shell"
    assert state[orgs.loc[second, "name"]]["description"] == ""
    assert "Renamed From The Shell" in state and old_name not in state

    again = cli("plan", "edited.csv")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no changes" in again.stdout
    nothing = cli("apply", "edited.csv", "--yes")
    assert nothing.returncode == 0
    assert writes(sb) == 3


def test_a_bad_file_lists_every_bad_row_and_sends_nothing(cli, sb, tmp_path):
    assert cli("export", "orgs.csv").returncode == 0
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    bad = orgs.copy()
    bad.loc[3, "name"] = "   "
    bad.loc[5, "name"] = orgs.loc[6, "name"].upper()  # names are unique, case-insensitively
    bad.to_csv(tmp_path / "bad.csv", index=False)

    sb.log.clear()
    for command in (("plan", "bad.csv"), ("apply", "bad.csv", "--yes", "--confirm-all")):
        proc = cli(*command)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "2 problems in bad.csv; nothing was sent" in proc.stderr
        assert "line 5 (row 3)" in proc.stderr and "cannot be empty" in proc.stderr
        assert "line 7 (row 5), name" in proc.stderr and "collides with" in proc.stderr
    assert writes(sb) == 0


def test_a_delete_needs_confirm_by_name(cli, sb, tmp_path):
    assert cli("export", "orgs.csv").returncode == 0
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    victim = orgs.loc[4, "name"]
    edited = orgs.assign(delete="")
    edited.loc[4, "delete"] = "x"
    edited.to_csv(tmp_path / "delete.csv", index=False)

    sb.log.clear()
    plan = cli("plan", "delete.csv")
    assert plan.returncode == 2
    assert "DESTRUCTIVE" in plan.stdout and f"--confirm '{victim}'" in plan.stdout

    refused = cli("apply", "delete.csv", "--yes")
    assert refused.returncode == 1
    assert "refused" in refused.stderr and f"--confirm '{victim}'" in refused.stderr
    wrong = cli("apply", "delete.csv", "--yes", "--confirm", victim.lower())
    assert wrong.returncode == 1  # names are exact
    assert writes(sb) == 0
    assert victim in server_orgs(sb)

    done = cli("apply", "delete.csv", "--yes", "--confirm", victim)
    assert done.returncode == 0, done.stdout + done.stderr
    assert victim not in server_orgs(sb)
    assert writes(sb) == 1
    again = cli("plan", "delete.csv")  # the delete row of a gone org is done, not an error
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already gone" in again.stdout


def test_confirm_all_needs_to_be_explicit_and_stdin_must_answer(cli, sb, tmp_path):
    assert cli("export", "orgs.csv").returncode == 0
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    edited = orgs.assign(delete="")
    edited.loc[[0, 1], "delete"] = "yes"
    edited.to_csv(tmp_path / "delete.csv", index=False)
    describe = orgs.copy()
    describe.loc[7, "description"] = "asked first"
    describe.to_csv(tmp_path / "describe.csv", index=False)

    sb.log.clear()
    no_tty = cli("apply", "describe.csv")  # no --yes, stdin is not a terminal
    assert no_tty.returncode == 1
    assert "not a terminal" in no_tty.stderr
    assert writes(sb) == 0

    done = cli("apply", "delete.csv", "--yes", "--confirm-all")
    assert done.returncode == 0, done.stdout + done.stderr
    assert writes(sb) == 2
    assert not {orgs.loc[0, "name"], orgs.loc[1, "name"]} & set(server_orgs(sb))


@pytest.mark.parametrize(("answer", "code", "sent"), [("n\n", 1, 0), ("y\n", 0, 1)])
def test_without_yes_a_terminal_is_asked(cli, sb, tmp_path, answer, code, sent):
    assert cli("export", "orgs.csv").returncode == 0
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    orgs.loc[7, "description"] = "asked first"
    orgs.to_csv(tmp_path / "describe.csv", index=False)
    sb.log.clear()
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode())
        proc = cli("apply", "describe.csv", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "[y/N]" in proc.stdout
    assert writes(sb) == sent


def test_members_file_by_email(cli, sb, tmp_path):
    assert cli("export", "--users", "users.csv").returncode == 0
    users = pd.read_csv(tmp_path / "users.csv", dtype=str, keep_default_na=False)
    orgs = sorted(server_orgs(sb))
    member = users[users["role_name"] == "MEMBER"].iloc[0]
    annotator = users[users["role_name"] == "ANNOTATOR"].iloc[0]
    pd.DataFrame(
        [
            {"organization": orgs[0], "user": member["email"].upper(), "role": "READ_ONLY"},
            {"organization": orgs[1], "user": annotator["email"], "role": "ANNOTATOR"},
        ]
    ).to_csv(tmp_path / "members.csv", index=False)
    pd.DataFrame(
        [
            {"organization": orgs[0], "user": member["email"], "role": "admin"},
            {"organization": "No Such Org", "user": annotator["email"], "role": "MEMBER"},
        ]
    ).to_csv(tmp_path / "bad_members.csv", index=False)

    sb.log.clear()
    bad = cli("plan", "--members", "bad_members.csv")
    assert bad.returncode == 1
    assert "line 2 (row 0), role" in bad.stderr and "line 3 (row 1), organization" in bad.stderr
    plan = cli("plan", "--members", "members.csv")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "2 roles to set" in plan.stdout and annotator["email"] in plan.stdout
    applied = cli("apply", "--members", "members.csv", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert writes(sb) == 2
    ids = {o["name"]: o["id"] for o in sb.state.orgs()}
    roles = {(m["organization_id"], m["user_id"]): m["role"]["name"] for m in sb.state.memberships()}
    assert roles[(ids[orgs[0]], member["id"])] == "READ_ONLY"
    assert roles[(ids[orgs[1]], annotator["id"])] == "ANNOTATOR"
    again = cli("plan", "--members", "members.csv")  # roles cannot be read back: every row is sent
    assert again.returncode == 2 and "2 roles to set" in again.stdout

    pd.DataFrame([{"organization": orgs[0], "user": member["email"], "remove": "yes"}]).to_csv(
        tmp_path / "remove.csv", index=False
    )
    refused = cli("apply", "--members", "remove.csv", "--yes")
    assert refused.returncode == 1 and "refused" in refused.stderr
    assert writes(sb) == 2
    removed = cli("apply", "--members", "remove.csv", "--yes", "--confirm", orgs[0])
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert (ids[orgs[0]], member["id"]) not in {
        (m["organization_id"], m["user_id"]) for m in sb.state.memberships()
    }


def test_parquet_round_trip_and_a_names_only_file_creates(cli, sb, tmp_path, env):
    done = cli("export", "orgs.parquet", "--users", "users.parquet")
    assert done.returncode == 0, done.stderr
    with ArizeOrgs(
        api_key=KEY, api_host=f"127.0.0.1:{env['ARIZE_API_PORT']}", api_scheme="http", environ={}
    ) as client:
        expected = client.organizations.to_frame(progress=False)
        expected_users = client.users.to_frame(progress=False)
    pd.testing.assert_frame_equal(read_orgs_frame(tmp_path / "orgs.parquet"), expected)
    # read_*_frame, not a bare read_parquet: pandas 3 reads text back Arrow-backed, pandas 2 not.
    pd.testing.assert_frame_equal(read_users_frame(tmp_path / "users.parquet"), expected_users)
    assert cli("plan", "orgs.parquet").returncode == 0

    edited = read_orgs_frame(tmp_path / "orgs.parquet")
    edited.loc[2, "description"] = "via parquet"
    edited.to_parquet(tmp_path / "edited.parquet", index=False)
    assert cli("apply", "edited.parquet", "--yes").returncode == 0
    assert server_orgs(sb)[edited.loc[2, "name"]]["description"] == "via parquet"

    pd.DataFrame({"name": ["Shell Made A", "Shell Made B"], "description": ["first", ""]}).to_csv(
        tmp_path / "new.csv", index=False
    )
    plan = cli("plan", "new.csv")
    assert plan.returncode == 2 and "2 to create" in plan.stdout
    created = cli("apply", "new.csv", "--yes")
    assert created.returncode == 0, created.stdout + created.stderr
    state = server_orgs(sb)
    assert state["Shell Made A"]["description"] == "first"
    assert state["Shell Made B"]["description"] == ""
    assert len(state) == 22


def test_usage_errors_exit_1(cli, env, tmp_path):
    assert cli("plan").returncode == 1
    assert cli("plan", "missing.csv").returncode == 1
    (tmp_path / "orgs.txt").write_text("name\nx\n")
    odd = cli("plan", "orgs.txt")
    assert odd.returncode == 1 and "use .csv or .parquet" in odd.stderr
    (tmp_path / "orgs.csv").write_text("name\nx\n")
    no_key = subprocess.run(
        [*entry_point(), "plan", "orgs.csv"],
        env={k: v for k, v in env.items() if k != "ARIZE_API_KEY"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert no_key.returncode == 1 and "No Arize API key" in no_key.stderr


def test_editing_the_exported_file_keeps_changes_others_made_since(cli, sb, tmp_path):
    assert cli("export", "orgs.csv").returncode == 0
    assert (tmp_path / ".orgs.csv.base.csv").exists()
    orgs = pd.read_csv(tmp_path / "orgs.csv", dtype=str, keep_default_na=False)
    theirs, mine = orgs.loc[0], orgs.loc[1]
    import requests

    requests.patch(
        f"{sb.url}/v2/organizations/{theirs['id']}",
        json={"description": "changed by a colleague"},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    ).raise_for_status()
    orgs.loc[1, "description"] = "mine"
    orgs.to_csv(tmp_path / "orgs.csv", index=False)  # edited in place, row 0 untouched
    applied = cli("apply", "orgs.csv", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    state = {o["id"]: o["description"] for o in sb.state.orgs()}
    assert state[theirs["id"]] == "changed by a colleague"  # not set back to the exported value
    assert state[mine["id"]] == "mine"
    again = cli("plan", "orgs.csv")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no changes" in again.stdout
