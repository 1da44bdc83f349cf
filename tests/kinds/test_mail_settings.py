"""The mail_settings kind: one resource per setting, live side on the simulator, plan → apply → import."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.errors import ApiRejected
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.mail_settings import KIND, MailPreference, to_api
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

HOSTING = 2300101
FILE = "state/mail/settings/example.ch.yaml"
PATH = f"/1/mail_hostings/{HOSTING}/preferences"

pytestmark = pytest.mark.anyio


def normalized(document: Any) -> dict[str, Any]:
    return {obj.key[0]: KIND.normalize(obj.spec, "example.ch") for obj in parse_clean(KIND, document, FILE)}


def stored(sandbox: Any) -> dict[str, Any]:
    preferences: dict[str, Any] = sandbox.data["inventory"]["mail_preferences"][str(HOSTING)]
    return preferences


def test_registered_in_the_mail_folder(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("mail_settings") is KIND
    write_state(tmp_path, {"mail/example.ch.yaml": "{}\n", "mail/settings/example.ch.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {"example.ch": tmp_path / "mail" / "settings" / "example.ch.yaml"}


def test_each_setting_is_one_entry_and_lists_are_sets():
    assert normalized(
        {"spam_filter": False, "blocked_senders": ["B.example", "@a.example", "b.example"]}
    ) == {
        "spam_filter": {"spam_filter": False},
        "blocked_senders": {"blocked_senders": ["a.example", "b.example"]},
    }
    permissions = normalized({"default_permissions": {"can_manage_redirections": False}})[
        "default_permissions"
    ]
    assert permissions["default_permissions"]["can_manage_redirections"] is False
    assert permissions["default_permissions"]["can_access_logs"] is True
    assert KIND.parse_key("Spam_Filter") == ("spam_filter",)


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"spam": True}, "mail-prefs-key"),
        ({"spam_filter": None}, "mail-prefs-empty"),
        ({"spam_filter": "sometimes"}, "bool_parsing"),
        ({"blocked_senders": ["not a sender"]}, "mail_sender"),
        ({"default_permissions": {"can_fly": True}}, "extra_forbidden"),
        (["spam_filter"], "mail-prefs"),
    ],
)
def test_bad_files_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


def test_to_api_uses_the_api_names():
    assert to_api(MailPreference(spam_filter=False)) == {"spam_filter_enabled": False}
    assert to_api(MailPreference(authorized_senders=["B.example", "a.example"])) == {
        "authorized_senders": ["a.example", "b.example"]
    }


async def test_fetch_is_one_call_and_a_patch_reads_back_equal(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    assert list(live) == [
        "spam_filter",
        "promotion_filter",
        "external_mail_flag",
        "authorized_senders",
        "blocked_senders",
        "default_permissions",
    ]
    assert [(m, p) for m, p, _ in recorder.calls] == [("GET", "/1/products"), ("GET", PATH)]
    desired = parse_clean(
        KIND, {"promotion_filter": False, "default_permissions": {"can_manage_redirections": False}}, FILE
    )
    for obj in desired:
        await KIND.update(ctx, "example.ch", obj, live[obj.key[0]])
    permissions = KIND.normalize(desired[1].spec, "x")["default_permissions"]
    assert recorder.writes() == [
        ("PATCH", PATH, {"promotion_filter_enabled": False}),
        ("PATCH", PATH, {"default_permissions": permissions}),
    ]
    again = {obj.key[0]: obj for obj in await KIND.fetch(context(sandbox)[0], "example.ch")}
    for obj in desired:
        assert KIND.normalize(again[obj.key[0]].spec, "x") == KIND.normalize(obj.spec, "x")


async def test_a_sender_in_both_lists_is_an_api_rejected_error(sandbox):
    stored(sandbox)["authorized_senders"] = ["x.example"]
    ctx, _ = context(sandbox)
    spec = MailPreference(blocked_senders=["x.example"])
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(ctx, "example.ch", DesiredObject(("blocked_senders",), spec))
    assert caught.value.status == 422


def test_risks_in_plain_words():
    assert KIND.risks("update", ("spam_filter",), {"spam_filter": True}, {"spam_filter": False}) == [
        "turns the spam filter off for every mailbox of the hosting"
    ]
    before, after = {"authorized_senders": []}, {"authorized_senders": ["x.example"]}
    assert KIND.risks("update", ("authorized_senders",), before, after) == [
        "authorizes x.example for every mailbox: their mail skips the spam filter"
    ]


async def test_plan_apply_converges_with_the_committed_file(tmp_path, sandbox):
    write_state(tmp_path / "state", {"mail/settings/example.ch.yaml": (REPO / FILE).read_text()})
    first, report, second = await engine_run(tmp_path, sandbox, ["mail_settings"])
    assert lines(first, "mail_settings") == [
        "update blocked_senders",
        "update default_permissions",
        "update promotion_filter",
    ]
    assert report is not None and report.converged and second.changes == []
    assert stored(sandbox)["blocked_senders"] == ["spam-domain.example"]


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    document = KIND.render(await KIND.fetch(ctx, "example.ch"), "example.ch")
    write_state(tmp_path / "state", {"mail/settings/example.ch.yaml": dump_yaml(document)})
    assert (await plan_once(tmp_path, sandbox, ["mail_settings"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    for bad in ({"spam_filter": "yes"}, {"default_permissions": {"can_fly": True}}, {"spam": True}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, KIND.file_schema())
