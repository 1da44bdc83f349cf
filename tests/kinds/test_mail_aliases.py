"""The mail_aliases kind: file format, normalisation, live side on the simulator, plan → apply → import."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from reconciler.desired import load_config, load_desired
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import Session, apply_plan, make_plan, parse_targets
from reconciler.errors import ApiRejected, DesiredStateError, StalePlan
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import Kind
from reconciler.kinds.mail_aliases import KIND, MailboxAliases, to_api
from reconciler.kinds.mailbox_security import KIND as MAILBOX_SECURITY
from reconciler.sandbox import create_app
from tests.kinds.helpers import (
    REPO,
    context,
    engine_run,
    lines,
    parse_clean,
    parse_errors,
    plan_once,
    settings_for,
    write_state,
)

HOSTING = 2300101
FILE = "state/mail/aliases/example.ch.yaml"
MAILBOXES = f"/1/mail_hostings/{HOSTING}/mailboxes"

pytestmark = pytest.mark.anyio


def stored(state: Any, name: str) -> dict[str, Any]:
    mailbox: dict[str, Any] = next(
        m for m in state.data["mailboxes"][str(HOSTING)] if m["mailbox_name"] == name
    )
    return mailbox


def normalized(document: Any) -> dict[str, Any]:
    return {obj.key[0]: KIND.normalize(obj.spec, "example.ch") for obj in parse_clean(KIND, document, FILE)}


def test_registered_with_its_own_files_next_to_mailbox_security(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("mail_aliases") is KIND
    assert {t.kind for t in parse_targets(["mail/example.ch"])} >= {"mail_aliases", "mailbox_security"}
    write_state(tmp_path, {"mail/example.ch.yaml": "{}\n", "mail/aliases/example.ch.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {"example.ch": tmp_path / "mail" / "aliases" / "example.ch.yaml"}
    assert MAILBOX_SECURITY.scope_files(tmp_path) == {"example.ch": tmp_path / "mail" / "example.ch.yaml"}
    assert KIND.path_for(tmp_path, "Example.CH") == tmp_path / "mail" / "aliases" / "example.ch.yaml"


def test_aliases_are_a_set_of_local_parts_however_written():
    a = normalized({"Info@Example.ch": {"aliases": ["Hello", "contact@example.ch"]}})
    b = normalized({"info@example.ch": {"aliases": ["contact", "hello"]}})
    assert a == b == {"info@example.ch": {"aliases": ["contact", "hello"]}}


def test_key_is_the_mailbox_address():
    assert KIND.parse_key(" Info@Example.CH ") == ("info@example.ch",)
    with pytest.raises(ValueError, match="full address"):
        KIND.parse_key("info")


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"info@example.ch": {"aliases": ["contact@other.ch"]}}, "mail-alias-domain"),
        ({"info@example.ch": {"aliases": ["info"]}}, "mail-alias-self"),
        (
            {"info@example.ch": {"aliases": ["a"]}, "sales@example.ch": {"aliases": ["A"]}},
            "mail-alias-duplicate",
        ),
        ({"info@example.ch": {"aliases": ["not ok"]}}, "mail_alias"),
        ({"info@example.ch": {"aliases": []}}, "too_short"),
        ({"info@other.ch": {"aliases": ["a"]}}, "mail-domain"),
        ({"info@example.ch": ["a"]}, "mail-entry"),
        (["info@example.ch"], "mail-aliases-document"),
    ],
)
def test_bad_entries_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


async def test_round_trip_yaml_to_payload_to_an_equal_live_spec(sandbox):
    (desired,) = parse_clean(KIND, {"sales@example.ch": {"aliases": ["Orders", "quotes@example.ch"]}}, FILE)
    assert to_api(desired.spec) == {"aliases": ["orders", "quotes"]}
    ctx, _ = context(sandbox)
    await KIND.create(ctx, "example.ch", desired)
    ctx, _ = context(sandbox)
    live = {obj.key: obj for obj in await KIND.fetch(ctx, "example.ch")}
    assert KIND.normalize(live[desired.key].spec, "x") == KIND.normalize(desired.spec, "x")


async def test_fetch_reads_every_mailbox_with_one_list_call(sandbox):
    ctx, recorder = context(sandbox)
    objects = await KIND.fetch(ctx, "example.ch")
    assert [(obj.key[0], KIND.normalize(obj.spec, "x")) for obj in objects] == [
        ("info@example.ch", {"aliases": ["contact"]}),
        ("support@example.ch", {"aliases": ["help"]}),
    ]
    assert [(method, path) for method, path, _ in recorder.calls] == [
        ("GET", "/1/products"),
        ("GET", MAILBOXES),
    ]


async def test_create_update_delete_send_the_documented_requests(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    (new, changed) = parse_clean(
        KIND,
        {"sales@example.ch": {"aliases": ["orders"]}, "info@example.ch": {"aliases": ["contact", "hello"]}},
        FILE,
    )
    await KIND.create(ctx, "example.ch", new)
    await KIND.update(ctx, "example.ch", changed, live["info@example.ch"])
    await KIND.delete(ctx, "example.ch", live["support@example.ch"])
    assert recorder.writes() == [
        ("PUT", f"{MAILBOXES}/sales/aliases", {"aliases": ["orders"]}),
        ("PUT", f"{MAILBOXES}/info/aliases", {"aliases": ["contact", "hello"]}),
        ("DELETE", f"{MAILBOXES}/support/aliases/help", None),
    ]
    assert [stored(sandbox, name)["aliases"] for name in ("sales", "info", "support")] == [
        ["orders"],
        ["contact", "hello"],
        [],
    ]


async def test_an_alias_the_api_refuses_is_an_api_rejected_error(sandbox):
    (desired,) = parse_clean(KIND, {"sales@example.ch": {"aliases": ["ceo"]}}, FILE)  # ceo is a mailbox
    ctx, _ = context(sandbox)
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(ctx, "example.ch", desired)
    assert caught.value.status == 422 and caught.value.code == "validation_failed"


def test_removing_an_alias_is_risky():
    before, after = {"aliases": ["contact", "hello"]}, {"aliases": ["hello"]}
    assert KIND.risks("update", ("info@example.ch",), before, after) == [
        "removes contact@example.ch from info@example.ch: mail sent there bounces"
    ]
    assert KIND.risks("create", ("info@example.ch",), None, after) == []


DESIRED = """\
info@example.ch:
  aliases: [contact, hello]
sales@example.ch:
  aliases: [orders]
"""


async def test_plan_apply_converges(tmp_path, sandbox):
    write_state(tmp_path / "state", {"mail/aliases/example.ch.yaml": DESIRED})
    first, report, second = await engine_run(tmp_path, sandbox, ["mail_aliases"])
    assert lines(first, "mail_aliases") == [
        "delete support@example.ch",
        "update info@example.ch",
        "create sales@example.ch",
    ]
    assert first.changes[0].risky == [
        "removes help@example.ch from support@example.ch: mail sent there bounces"
    ]
    assert report is not None and report.converged and second.changes == []


async def test_a_missing_mailbox_or_an_alias_that_is_a_mailbox_stops_the_plan(tmp_path, sandbox):
    text = "ghost@example.ch:\n  aliases: [boo]\ninfo@example.ch:\n  aliases: [sales]\n"
    write_state(tmp_path / "state", {"mail/aliases/example.ch.yaml": text})
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["mail_aliases"])
    assert [(r.line, r.message) for r in caught.value.reasons] == [
        (
            1,
            "mailbox ghost@example.ch does not exist in the mail hosting example.ch; create it in the "
            "Infomaniak manager, or remove the entry",
        ),
        (3, "sales@example.ch is a mailbox, so it cannot be an alias of info@example.ch"),
    ]


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    assert document == {
        "info@example.ch": {"aliases": ["contact"]},
        "support@example.ch": {"aliases": ["help"]},
    }
    write_state(tmp_path / "state", {f"mail/aliases/{scope}.yaml": dump_yaml(document)})
    assert len(load_desired(tmp_path / "state", [KIND]).scopes[0].objects) == 2
    assert (await plan_once(tmp_path, sandbox, ["mail_aliases"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"info@example.ch": {"aliases": "contact"}}, KIND.file_schema())


def test_upsert_and_remove_keep_comments():
    document = load_yaml_text("# header\nInfo@Example.ch:  # front desk\n  aliases: [contact]\n", file=FILE)
    KIND.upsert_entry(document, ("info@example.ch",), {"aliases": ["hello"]})
    assert dump_yaml(document).startswith("# header\nInfo@Example.ch:  # front desk\n")
    assert KIND.remove_entry(document, ("info@example.ch",)) and not KIND.remove_entry(
        document, ("info@example.ch",)
    )
    with pytest.raises(ValueError, match="mapping"):
        KIND.upsert_entry(document, ("info@example.ch",), ["hello"])
    assert MailboxAliases.model_json_schema()["required"] == ["aliases"]


async def test_an_alias_moved_between_mailboxes_is_released_first(sandbox):
    (info,) = parse_clean(KIND, {"info@example.ch": {"aliases": ["contact", "help"]}}, FILE)
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    await KIND.update(ctx, "example.ch", info, live["info@example.ch"])
    await KIND.delete(ctx, "example.ch", live["support@example.ch"])  # help already went to info@
    assert recorder.writes() == [
        ("DELETE", f"{MAILBOXES}/support/aliases/help", None),
        ("PUT", f"{MAILBOXES}/info/aliases", {"aliases": ["contact", "help"]}),
    ]


async def test_apply_after_a_plan_in_the_same_session_sees_what_moved_live(tmp_path, sandbox):
    """The mailbox list is cached per run; apply's re-plan must not reuse the earlier plan's copy."""
    write_state(tmp_path / "state", {"mail/aliases/example.ch.yaml": DESIRED})
    settings = settings_for(tmp_path)
    transport = httpx.ASGITransport(app=create_app(sandbox))
    async with Session(settings, load_config(settings.state_dir), transport=transport) as session:
        plan = await make_plan(session, targets=parse_targets(["mail_aliases"]))
        stored(sandbox, "support")["aliases"] = ["help", "assist"]  # someone edits live meanwhile
        with pytest.raises(StalePlan):
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
