"""The drive_access kind: a kDrive's users and roles, live side on the simulator, plan → apply → import."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.errors import ApiRejected, DesiredStateError, PlanError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.drive_access import KIND, DriveUser
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

DRIVE = 140946
FILE = "state/drive/access/Demo Drive.yaml"
USERS = f"/2/drive/{DRIVE}/users"

pytestmark = pytest.mark.anyio


def stored(sandbox: Any) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in sandbox.data["inventory"]["drive_users"][str(DRIVE)]}


def test_registered_next_to_share_links(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("drive_access") is KIND
    assert get_kind("drive") is SHARE_LINKS
    write_state(tmp_path, {"drive/Demo Drive.yaml": "{}\n", "drive/access/Demo Drive.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {"Demo Drive": tmp_path / "drive" / "access" / "Demo Drive.yaml"}
    assert list(SHARE_LINKS.scope_files(tmp_path)) == ["Demo Drive"]


def test_key_is_the_email_lowercased_and_roles_are_checked():
    (obj,) = parse_clean(KIND, {"Alice.Martin@Example.ch": {"role": "admin"}}, FILE)
    assert (obj.key, KIND.normalize(obj.spec, "x")) == (("alice.martin@example.ch",), {"role": "admin"})
    assert [e[2] for e in parse_errors(KIND, {"a@example.ch": {"role": "owner"}}, FILE)] == ["literal_error"]
    assert [e[2] for e in parse_errors(KIND, {"alice": {"role": "user"}}, FILE)] == ["drive-access-email"]
    assert [e[2] for e in parse_errors(KIND, {"a@example.ch": "user"}, FILE)] == ["drive-entry"]


async def test_fetch_is_one_list_and_writes_send_the_documented_requests(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "Demo Drive")}
    assert [(m, p) for m, p, _ in recorder.calls] == [("GET", "/2/drive"), ("GET", USERS)]
    new, changed = parse_clean(
        KIND,
        {"eva.brun@partner.example": {"role": "external"}, "bruno.keller@example.ch": {"role": "admin"}},
        FILE,
    )
    await KIND.create(ctx, "demo drive", new)
    await KIND.update(ctx, "demo drive", changed, live["bruno.keller@example.ch"])
    await KIND.delete(ctx, "demo drive", live["david.meier@example.ch"])
    bruno = live["bruno.keller@example.ch"].native["id"]
    david = live["david.meier@example.ch"].native["id"]
    assert recorder.writes() == [
        ("POST", USERS, {"emails": ["eva.brun@partner.example"], "role": "external", "send_email": True}),
        ("PUT", f"{USERS}/{bruno}", {"role": "admin"}),
        ("DELETE", f"{USERS}/{david}", None),
    ]
    users = stored(sandbox)
    assert (users["eva.brun@partner.example"]["status"], users["bruno.keller@example.ch"]["role"]) == (
        "pending",
        "admin",
    )
    assert "david.meier@example.ch" not in users


async def test_a_refused_role_change_is_an_api_rejected_error(sandbox):
    ctx, _ = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "demo drive")}
    desired = DesiredObject(("alice.martin@example.ch",), DriveUser.model_construct(role="external"))
    with pytest.raises(ApiRejected) as caught:
        await KIND.update(ctx, "demo drive", desired, live["alice.martin@example.ch"])
    assert caught.value.status == 422


async def test_moving_a_user_between_member_and_external_stops_the_plan(tmp_path, sandbox):
    write_state(
        tmp_path / "state", {"drive/access/Demo Drive.yaml": "alice.martin@example.ch: {role: external}\n"}
    )
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["drive_access"])
    assert caught.value.reasons[0].message.startswith("alice.martin@example.ch is user on the drive")


async def test_an_unknown_drive_names_the_file(sandbox):
    with pytest.raises(PlanError, match="kDrive 'archive' does not exist"):
        await KIND.fetch(context(sandbox)[0], "archive")


def test_risks_in_plain_words():
    assert KIND.risks("update", ("b@example.ch",), {"role": "user"}, {"role": "admin"}) == [
        "makes b@example.ch an admin of the drive: they manage its users and every file"
    ]
    assert KIND.risks("delete", ("d@example.ch",), {"role": "user"}, None) == [
        "removes d@example.ch from the drive: they lose access to its files"
    ]
    assert KIND.risks("create", ("e@partner.example",), None, {"role": "external"}) == [
        "gives e@partner.example, from outside the organisation, access to the drive"
    ]


async def test_plan_apply_converges_with_the_committed_file(tmp_path, sandbox):
    write_state(tmp_path / "state", {"drive/access/Demo Drive.yaml": (REPO / FILE).read_text()})
    first, report, second = await engine_run(tmp_path, sandbox, ["drive_access"])
    assert lines(first, "drive_access") == [
        "create eva.brun@partner.example",
        "update bruno.keller@example.ch",
    ]
    assert report is not None and report.converged and second.changes == []


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    write_state(tmp_path / "state", {"drive/access/Demo Drive.yaml": dump_yaml(document)})
    assert (await plan_once(tmp_path, sandbox, ["drive_access"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"a@example.ch": {"role": "owner"}}, KIND.file_schema())
