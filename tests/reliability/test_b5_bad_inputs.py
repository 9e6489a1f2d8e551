"""B5 of docs/RELIABILITY.md: bad inputs are refused before any I/O; odd-but-legal ones are sent as typed.

Every bulk edit goes through a plan, which checks every rule before a request is sent; these tests
count the requests the sandbox saw (zero) and record how many bad inputs were tried and refused.
"""

from __future__ import annotations

import base64
import unicodedata

import pandas as pd
import pytest

from arize_orgs_nb import BadRequestError, NameNotFoundError, NotFoundError
from arize_orgs_nb.errors import PlanValidationError
from tests.reliability._support import inproc_client, writes

REJECT = {
    "empty": "",
    "blank": "   ",
    "nbsp-only": "\u00a0\u00a0",
    "too-long-256": "a" * 256,
    "emoji-256-code-points": "👍🏽" * 128,
    "nul": "a\x00b",
    "tab": "a\tb",
    "newline": "a\nb",
    "escape": "a\x1b[31mb",
    "zero-width-space": "Prod\u200b",
    "rtl-override": "abc\u202edef",
    "bom": "\ufeffProd",
    "zw-only": "\u200b",
}
ACCEPT_AS_TYPED = {
    "edge-whitespace": "  Edge  ",
    "double-inner-space": "Two  Spaces",
    "max-255": "b" * 255,
    "emoji-254-code-points": "👎🏽" * 127,
    "nfd": "Cafe\u0301",
    "nbsp-inside": "No\u00a0Break",
    "full-width": "\uff30\uff52\uff4f\uff44",  # full-width "Prod"
    "greek-rho-lookalike": "\u03a1rod",
    "mixed-script": "P\u0430ypal",  # Cyrillic a
}


def test_v1_bad_names_are_refused_before_any_request(figures):
    with inproc_client() as client:
        server = client.local_sandbox
        server.state.create_org("Prod")
        server.state.create_org("STRASSE")
        base = client.organizations.to_frame(progress=False)
        server.log.clear()
        rows = [{"name": name, "description": ""} for name in REJECT.values()]
        edited = pd.concat([base, pd.DataFrame(rows)], ignore_index=True)
        with pytest.raises(PlanValidationError) as info:
            client.organizations.plan(edited, base=base)
        flagged = {issue.row for issue in info.value.issues}
        assert flagged == {str(i) for i in range(2, 2 + len(REJECT))}
        # renames too: every bad name on an existing row
        for name in REJECT.values():
            renamed = base.copy()
            renamed.loc[0, "name"] = name
            with pytest.raises(PlanValidationError):
                client.organizations.plan(renamed, base=base)
        casefold_dupe = pd.concat([base, pd.DataFrame([{"name": "Straße"}])], ignore_index=True)
        with pytest.raises(PlanValidationError, match="collides"):
            client.organizations.plan(casefold_dupe, base=base)
        assert len(server.log) == 0
        for kind in REJECT:
            figures.add("bad_inputs_tried", 2, row="V1", kind=kind)
            figures.add("bad_inputs_rejected_before_io", 2, row="V1", kind=kind)
        figures.add("bad_inputs_tried", 1, row="V1", kind="casefold-duplicate")
        figures.add("bad_inputs_rejected_before_io", 1, row="V1", kind="casefold-duplicate")


def test_v1_odd_but_legal_names_are_sent_exactly_as_typed(figures):
    """The server stores names as sent: silently normalising would cause permanent diffs."""
    with inproc_client() as client:
        server = client.local_sandbox
        server.state.create_org("Prod")
        base = client.organizations.to_frame(progress=False)
        rows = [{"name": name, "description": kind} for kind, name in ACCEPT_AS_TYPED.items()]
        edited = pd.concat([base, pd.DataFrame(rows)], ignore_index=True)
        plan = client.organizations.plan(edited, base=base)
        assert [c.after["name"] for c in plan] == list(ACCEPT_AS_TYPED.values())
        assert plan.apply(progress=False).ok
        stored = {o["description"]: o["name"] for o in server.state.orgs() if o["name"] != "Prod"}
        assert stored == dict(ACCEPT_AS_TYPED)
        assert unicodedata.is_normalized("NFD", stored["nfd"])
        assert len(client.organizations.plan(client.organizations.to_frame(progress=False))) == 0
        figures.add("v1_sent_as_typed", len(ACCEPT_AS_TYPED))


def test_v2_descriptions(figures):
    with inproc_client(orgs=4, seed=2) as client:
        server = client.local_sandbox
        for index, text in ((0, "keep me"), (2, "clear me")):
            org_id = server.state.orgs()[index]["id"]
            client.transport.request("PATCH", f"/v2/organizations/{org_id}", body={"description": text})
        base = client.organizations.to_frame(progress=False)
        server.log.clear()
        bad = {"1001-chars": "d" * 1001, "nul": "x\x00y", "zero-width": "x\u200by", "bell": "x\x07"}
        for value in bad.values():
            edited = base.copy()
            edited.loc[1, "description"] = value
            with pytest.raises(PlanValidationError):
                client.organizations.plan(edited, base=base)
        assert len(server.log) == 0
        edited = base.copy()
        edited["description"] = edited["description"].astype(object)
        edited.loc[0, "description"] = float("nan")  # NaN: no change
        edited.loc[1, "description"] = None  # None in a frame: no change
        edited.loc[2, "description"] = ""  # "": clears
        edited.loc[3, "description"] = "e" * 1000 + ""  # the limit is inclusive
        plan = client.organizations.plan(edited, base=base)
        assert sorted((c.org_id, c.after["description"]) for c in plan) == sorted(
            [(base.loc[2, "id"], ""), (base.loc[3, "id"], "e" * 1000)]
        )
        assert plan.apply(progress=False).ok
        after = {o["id"]: o["description"] for o in server.state.orgs()}
        assert after[base.loc[0, "id"]] == "keep me"
        assert after[base.loc[2, "id"]] == ""
        assert after[base.loc[3, "id"]] == "e" * 1000
        newline_ok = base.copy()
        newline_ok.loc[1, "description"] = "line one\nline two\ttabbed"
        assert len(client.organizations.plan(newline_ok, base=base)) == 1
        figures.add("bad_inputs_tried", len(bad), row="V2")
        figures.add("bad_inputs_rejected_before_io", len(bad), row="V2")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_v3_odd_ids_are_encoded_and_never_written_through(figures):
    with inproc_client(orgs=1, users=1, seed=1) as client:
        server = client.local_sandbox
        user_id = server.state.users()[0]["id"]
        org_id = server.state.orgs()[0]["id"]
        tried = 0
        for ref in ("!!!not-base64", "../../v2/users", "%2F..%2F", "a/b", "T3Jn==", "x?y#z"):
            tried += 1
            with pytest.raises((NameNotFoundError, NotFoundError, BadRequestError, ValueError)):
                client.organizations.update(organization=ref, name="Hijacked")
        for ref in (user_id, _b64("Organization:999999:zzzz")):  # a User id as an org id; unknown org
            tried += 1
            with pytest.raises((NotFoundError, BadRequestError)):
                client.organizations.update(organization=ref, name="Hijacked")
        patches = [r for r in server.log.records() if r.method == "PATCH"]
        assert len(patches) == 2  # only the two id-shaped refs reached a PATCH ...
        assert {r.status for r in patches} <= {400, 404}  # ... and the server refused both
        assert [o["name"] for o in server.state.orgs()] != ["Hijacked"]
        for record in patches:
            segment = record.raw_path.split("/")[3]
            assert "=" not in segment and "/" not in record.raw_path[len("/v2/organizations/") :]
        client.organizations.get(organization=org_id)
        assert server.log.records()[-1].path == f"/v2/organizations/{org_id}"
        figures.add("bad_inputs_tried", tried, row="V3")
        figures.add("bad_inputs_rejected_before_io", tried - len(patches), row="V3")
        figures.add("bad_inputs_refused_by_server", len(patches), row="V3")  # id-shaped: sent, refused


def test_v4_roles_are_checked_before_any_request(figures):
    with inproc_client(orgs=1, users=6, seed=4) as client:
        server = client.local_sandbox
        org = server.state.orgs()[0]
        users = client.users.to_frame(progress=False)
        member = users.loc[users.role_name != "ANNOTATOR", "email"].iloc[0]
        annotator = users.loc[users.role_name == "ANNOTATOR", "email"].iloc[0]
        orgs = client.organizations.to_frame(progress=False)
        server.log.clear()
        user_id = users.loc[users.email == member, "id"].iloc[0]
        direct = ["member", "Admin", "CUSTOM", "OWNER", "", " MEMBER"]
        for role in direct:
            with pytest.raises(ValueError):
                client.organizations.add_user(organization=org["id"], user_id=user_id, role=role)
        with pytest.raises(TypeError):
            client.organizations.add_user(organization=org["id"], user_id=user_id, role=5)  # type: ignore[arg-type]
        planned = [
            (member, "member"),
            (member, "CUSTOM"),
            (member, None),
            (member, "ANNOTATOR"),
            (annotator, "ADMIN"),
        ]
        frame = pd.DataFrame(
            {
                "organization": [org["name"]] * len(planned),
                "user": [u for u, _ in planned],
                "role": [r for _, r in planned],
            }
        )
        with pytest.raises(PlanValidationError) as info:
            client.memberships.plan(frame, orgs=orgs, users=users)
        assert {i.row for i in info.value.issues} == {str(i) for i in range(len(planned))}
        assert len(server.log) == 0
        tried = len(direct) + 1 + len(planned)
        figures.add("bad_inputs_tried", tried, row="V4")
        figures.add("bad_inputs_rejected_before_io", tried, row="V4")


def test_v5_frame_shapes_are_checked_before_any_request(figures):
    with inproc_client(orgs=4, seed=5) as client:
        server = client.local_sandbox
        base = client.organizations.to_frame(progress=False)
        server.log.clear()
        duplicate_ids = base.copy()
        duplicate_ids.loc[1, "id"] = duplicate_ids.loc[0, "id"]
        unknown_id = base.copy()
        unknown_id.loc[2, "id"] = _b64("Organization:424242:abcd")
        int_names = base.assign(name=[1, 2, 3, 4])
        nan_id_taken = base.copy()
        nan_id_taken.loc[3, "id"] = None  # a create of a name the account already has
        cases = {
            "missing-name-column": base.drop(columns="name"),
            "extra-column": base.assign(owner="me"),
            "reset-index": base.reset_index(),
            "int-names": int_names,
            "duplicate-ids": duplicate_ids,
            "unknown-id": unknown_id,
            "nan-id-taken-name": nan_id_taken,
            "changed-created-at": base.assign(created_at=pd.Timestamp("2001-01-01", tz="UTC")),
            "unreadable-delete": base.assign(delete=["maybe", None, None, None]),
        }
        for name, frame in cases.items():
            with pytest.raises(PlanValidationError) as info:
                client.organizations.plan(frame, base=base)
            assert info.value.issues, name
        members = [
            pd.DataFrame({"user": ["x@example.com"], "role": ["ADMIN"]}),
            pd.DataFrame({"organization": ["?"], "user": ["x@example.com"], "role": ["ADMIN"], "extra": [1]}),
        ]
        for frame in members:
            with pytest.raises(PlanValidationError):
                client.memberships.plan(frame, orgs=base, users=client.users.to_frame(progress=False))
        assert writes(server) == 0
        tried = len(cases) + len(members)
        figures.add("bad_inputs_tried", tried, row="V5")
        figures.add("bad_inputs_rejected_before_io", tried, row="V5")
