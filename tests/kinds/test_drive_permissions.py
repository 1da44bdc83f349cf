"""The drive_permissions kind: file format, normalisation, live side on the simulator, plan, apply, import."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired import load_desired
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import parse_targets
from reconciler.errors import ApiRejected, DesiredStateError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.drive_access import KIND as DRIVE_ACCESS
from reconciler.kinds.drive_permissions import KIND, FolderAccess
from reconciler.kinds.share_links import KIND as SHARE_LINKS
from tests.kinds.helpers import (
    REPO,
    context,
    engine_run,
    lines,
    parse_clean,
    parse_errors,
    plan_once,
    write_state,
)
from tests.kinds.test_live_leniency import round_trip

DRIVE = 140946
FILE = "state/drive/permissions/Demo Drive.yaml"
SCOPE = "Demo Drive"
USERS = f"/2/drive/{DRIVE}/users"
ACCESS = f"/2/drive/{DRIVE}/files/{{}}/access"

pytestmark = pytest.mark.anyio

LIVE_FOLDERS = """\
/Marketing:
  users: {bruno.keller@example.ch: manage}
  teams: {Marketing: write}
/Finance:
  users: {alice.martin@example.ch: read, chloe.rochat@example.ch: manage}
"""


def normalized(document: Any) -> dict[str, Any]:
    return {obj.key[0]: KIND.normalize(obj.spec, SCOPE) for obj in parse_clean(KIND, document, FILE)}


def access(state: Any, file_id: int) -> dict[str, Any]:
    found: dict[str, Any] = state.data["drive_file_access"][str(DRIVE)][str(file_id)]
    return found


def test_registered_with_its_own_folder_next_to_share_links_and_drive_access(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("drive_permissions") is KIND
    assert {t.kind for t in parse_targets(["drive/demo drive"])} >= {"drive_permissions", "share_links"}
    files = {"drive/Demo Drive.yaml": "{}\n", "drive/access/Demo Drive.yaml": "{}\n"}
    write_state(tmp_path, {**files, "drive/permissions/Demo Drive.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {SCOPE: tmp_path / "drive" / "permissions" / "Demo Drive.yaml"}
    assert SHARE_LINKS.scope_files(tmp_path) == {SCOPE: tmp_path / "drive" / "Demo Drive.yaml"}
    assert DRIVE_ACCESS.scope_files(tmp_path) == {SCOPE: tmp_path / "drive" / "access" / "Demo Drive.yaml"}
    assert KIND.apply_order > DRIVE_ACCESS.apply_order


def test_emails_and_paths_normalise_however_written():
    a = normalized(
        {
            "/Finance/": {"teams": {" Support ": "read"}, "users": {"Bruno.Keller@example.ch": "write"}},
        }
    )
    assert a == {
        "/Finance": {"users": {"bruno.keller@example.ch": "write"}, "teams": {"Support": "read"}},
    }


def test_key_is_a_path():
    assert KIND.parse_key("/Marketing//Campaign 2026/") == ("/Marketing/Campaign 2026",)
    assert KIND.parse_key("/") == ("/",)
    with pytest.raises(ValueError, match="keyed by its path"):
        KIND.parse_key("alice@example.ch")


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"/Finance": {"users": {"alice@example.ch": "edit"}}}, "literal_error"),
        ({"/Finance": {}}, "drive-permissions-empty"),
        ({"/Finance/../x": {"teams": {"A": "read"}}}, "drive-permissions-key"),
        ({"alice@example.ch": {"role": "user"}}, "drive-permissions-key"),
        ({"/Finance": "Support"}, "drive-permissions-entry"),
        (["/Finance"], "drive-permissions-document"),
    ],
)
def test_bad_entries_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


async def test_fetch_reads_the_access_of_the_root_and_each_top_folder(sandbox):
    ctx, recorder = context(sandbox)
    objects = await KIND.fetch(ctx, SCOPE)
    assert {obj.key[0]: KIND.normalize(obj.spec, SCOPE) for obj in objects} == normalized(
        load_yaml_text(LIVE_FOLDERS, file=FILE)
    )
    assert [(method, path) for method, path, _ in recorder.calls] == [
        ("GET", "/2/drive"),
        ("GET", f"/3/drive/{DRIVE}/files/1/files"),
        ("GET", USERS),  # the emails behind the user ids, once
        # One request per folder: its users, teams and invitations in one answer.
        *[("GET", ACCESS.format(f)) for f in (1, 13, 11, 10, 12)],
    ]


async def test_round_trip_yaml_to_payload_to_an_equal_live_spec(sandbox):
    (desired,) = parse_clean(KIND, {"/Press": {"teams": {"Support": "read"}}}, FILE)
    ctx, recorder = context(sandbox)
    await KIND.create(ctx, SCOPE, desired)
    assert recorder.writes() == [
        ("POST", ACCESS.format(12) + "/teams", {"right": "read", "team_ids": [81001]})
    ]
    ctx, _ = context(sandbox)
    live = {obj.key: obj for obj in await KIND.fetch(ctx, SCOPE)}
    assert KIND.normalize(live[desired.key].spec, SCOPE) == KIND.normalize(desired.spec, SCOPE)


async def test_create_update_delete_send_the_documented_requests(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, SCOPE)}
    finance, root = parse_clean(
        KIND,
        {
            "/Finance": {
                "users": {"alice.martin@example.ch": "write", "david.meier@example.ch": "read"},
                "teams": {"Support": "read", "Interns 2024": "read"},
            },
            "/": {"teams": {"Support": "write"}},
        },
        FILE,
    )
    await KIND.update(ctx, SCOPE, finance, live["/Finance"])
    await KIND.create(ctx, SCOPE, root)
    await KIND.delete(ctx, SCOPE, live["/Marketing"])
    assert recorder.writes() == [
        ("POST", ACCESS.format(11) + "/users", {"right": "read", "user_ids": [5000105]}),
        ("PUT", ACCESS.format(11) + "/users/5000102", {"right": "write"}),
        ("DELETE", ACCESS.format(11) + "/users/5000104", None),
        ("POST", ACCESS.format(11) + "/teams", {"right": "read", "team_ids": [81001, 81003]}),
        ("POST", ACCESS.format(1) + "/teams", {"right": "write", "team_ids": [81001]}),
        ("DELETE", ACCESS.format(10) + "/users/5000103", None),
        ("DELETE", ACCESS.format(10) + "/teams/81002", None),
    ]
    assert access(sandbox, 11) == {
        "users": {"5000102": "write", "5000105": "read"},
        "teams": {"81001": "read", "81003": "read"},
    }


async def test_an_unknown_right_is_an_api_rejected_error(sandbox):
    ctx, _ = context(sandbox)
    spec = FolderAccess.model_construct(users={"alice.martin@example.ch": "admin"}, teams={})
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(ctx, SCOPE, DesiredObject(("/Press",), spec))
    assert caught.value.status == 422 and caught.value.code == "validation_failed"


def test_risks_in_plain_words():
    assert KIND.risks(
        "create", ("/",), None, {"users": {"a@example.ch": "manage"}, "teams": {"Sales": "write"}}
    ) == [
        "gives team Sales write access to the drive root",
        "gives a@example.ch manage access to the drive root",
    ]
    before = {"users": {"a@example.ch": "read"}, "teams": {"Sales": "read"}}
    assert KIND.risks("update", ("/Finance",), before, {"users": {}, "teams": {"Sales": "read"}}) == [
        "removes the access of a@example.ch to /Finance"
    ]
    assert (
        KIND.risks(
            "update", ("/Finance",), before, {"users": {"a@example.ch": "write"}, "teams": {"Sales": "read"}}
        )
        == []
    )


DESIRED = LIVE_FOLDERS + "/Marketing/Campaign 2026:\n  teams: {Support: write}\n"


async def test_plan_apply_converges(tmp_path, sandbox):
    write_state(tmp_path / "state", {"drive/permissions/Demo Drive.yaml": DESIRED})
    first, report, second = await engine_run(tmp_path, sandbox, ["drive_permissions"])
    assert lines(first, "drive_permissions") == ["create /Marketing/Campaign 2026"]
    assert first.changes[0].risky == ["gives team Support write access to /Marketing/Campaign 2026"]
    assert report is not None and report.converged and second.changes == []


async def test_unknown_users_teams_and_paths_stop_the_plan(tmp_path, sandbox):
    text = "/Finance:\n  users: {ghost@example.ch: read}\n/Nowhere:\n  teams: {Ghosts: read}\n"
    write_state(tmp_path / "state", {"drive/permissions/Demo Drive.yaml": text})
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["drive_permissions"])
    assert [(r.line, r.message) for r in caught.value.reasons] == [
        (1, "ghost@example.ch is not a user of drive 'Demo Drive'; add them with drive_access first"),
        (3, "drive 'Demo Drive' has no /Nowhere; fix the path, or create the folder in kDrive"),
        (3, "team 'Ghosts' does not exist in the account; fix the name, or create the team first"),
    ]


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    assert list(document) == ["/Finance", "/Marketing"]
    write_state(tmp_path / "state", {f"drive/permissions/{scope}.yaml": dump_yaml(document)})
    assert len(load_desired(tmp_path / "state", [KIND]).scopes[0].objects) == 2
    assert (await plan_once(tmp_path, sandbox, ["drive_permissions"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    for bad in ({"alice@example.ch": {"role": "user"}}, {"/x": {"users": {"a@b.ch": "edit"}}}, {"/x": []}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, KIND.file_schema())


def test_upsert_and_remove_keep_comments():
    document = load_yaml_text("# header\n/Finance/:  # the books\n  teams: {Support: read}\n", file=FILE)
    KIND.upsert_entry(document, ("/Finance",), {"teams": {"Support": "write"}})
    assert dump_yaml(document).startswith("# header\n/Finance/:  # the books\n")
    KIND.upsert_entry(document, ("/Press",), {"users": {"a@example.ch": "read"}})
    assert KIND.remove_entry(document, ("/Finance",)) and not KIND.remove_entry(document, ("/Finance",))
    assert list(document) == ["/Press"]
    with pytest.raises(ValueError, match="mapping"):
        KIND.upsert_entry(document, ("/Finance",), ["Support"])
    assert "required" not in FolderAccess.model_json_schema()


# -- live leniency (tests/kinds/test_live_leniency.py's round trip) ------------------------------------------

odd = st.sampled_from(["", " ", "a b", "@", "a@b", "/x", "é", "\x85", "Bob@Example.ch", "bob@example.ch"])
live_users = st.lists(
    st.fixed_dictionaries(
        {"email": odd | st.emails(), "role": st.sampled_from(["admin", "user", "external", "owner", ""])},
        optional={"status": st.sampled_from(["active", "pending", "deleted_kept", "locked"])},
    ),
    max_size=4,
)
access_rows = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 6),
            "name": odd | st.text(max_size=8),
            "right": st.sampled_from(["manage", "write", "read", "none", "owner", None]),
            "status": st.sampled_from(["accepted", "pending", "expired"]),
            "access": st.sampled_from(["user", "team", "invitation"]),
        }
    ),
    max_size=4,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(live_users, access_rows, access_rows)
def test_drive_access_live_values_always_round_trip(
    users: list[dict[str, Any]], user_rows: list[dict[str, Any]], team_rows: list[dict[str, Any]]
) -> None:
    answers = {
        "/2/drive": [{"id": 5, "name": "Demo Drive"}],
        "/2/drive/5/users": [{"id": index + 1, **row} for index, row in enumerate(users)],
        "/3/drive/5/files/1/files": [{"id": 20, "name": "Finance", "type": "dir"}],
        "/2/drive/5/files/1/access": {"users": user_rows, "teams": team_rows, "invitations": []},
        "/2/drive/5/files/20/access": {"users": [], "teams": team_rows[:1], "invitations": []},
    }
    round_trip(KIND, SCOPE, answers)
