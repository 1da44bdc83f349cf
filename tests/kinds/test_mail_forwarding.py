"""The mail_forwarding kind: file format, normalisation, live side on the simulator, plan → apply → import."""

from __future__ import annotations

import json
from typing import Any

import anyio
import jsonschema
import pytest

from reconciler.desired import load_desired
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import parse_targets
from reconciler.errors import ApiRejected, DesiredStateError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.mail_forwarding import KIND, MailboxForwarding, from_api, to_api
from reconciler.kinds.mailbox_security import KIND as MAILBOX_SECURITY
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
FILE = "state/mail/forwarding/example.ch.yaml"
MAILBOXES = f"/1/mail_hostings/{HOSTING}/mailboxes"

pytestmark = pytest.mark.anyio


def normalized(document: Any) -> dict[str, Any]:
    return {obj.key[0]: KIND.normalize(obj.spec, "example.ch") for obj in parse_clean(KIND, document, FILE)}


def test_registered_with_its_own_files(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("mail_forwarding") is KIND
    assert "mail_forwarding" in {t.kind for t in parse_targets(["mail/example.ch"])}
    write_state(tmp_path, {"mail/example.ch.yaml": "{}\n", "mail/forwarding/example.ch.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {"example.ch": tmp_path / "mail" / "forwarding" / "example.ch.yaml"}
    assert list(MAILBOX_SECURITY.scope_files(tmp_path)) == ["example.ch"]


def test_targets_are_a_lowercased_set_and_flags_default_to_keeping_a_copy():
    assert normalized({"Sales@Example.ch": {"to": ["B@x.example", "a@x.example", "b@x.example"]}}) == {
        "sales@example.ch": {"to": ["a@x.example", "b@x.example"], "keep_copy": True, "forward_spam": False}
    }


def test_key_is_the_mailbox_address():
    assert KIND.parse_key("CEO@example.ch") == ("ceo@example.ch",)


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"sales@example.ch": {"to": []}}, "too_short"),
        ({"sales@example.ch": {"to": ["nobody"]}}, "mail_forward_to"),
        ({"sales@example.ch": {"to": ["Sales@example.ch"]}}, "mail-forward-self"),
        ({"sales@other.ch": {"to": ["a@x.example"]}}, "mail-domain"),
        ({"sales@example.ch": {"to": ["a@x.example"], "copy": True}}, "extra_forbidden"),
        ({"sales@example.ch": "a@x.example"}, "mail-entry"),
    ],
)
def test_bad_entries_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


def test_from_api_reads_the_spec_answer_with_string_flags():
    answer = {
        "is_enabled": "1",
        "redirect_adresses": [{"email": "A@x.example", "email_idn": "a@x.example"}],
        "has_dont_deliver": "1",
        "has_forward_spam": "0",
    }
    spec = from_api(answer)
    assert spec is not None and normalize_of(spec) == {
        "to": ["a@x.example"],
        "keep_copy": False,
        "forward_spam": False,
    }
    assert (
        from_api({**answer, "is_enabled": "0"}) is None
        and from_api({**answer, "redirect_adresses": []}) is None
    )


def normalize_of(spec: MailboxForwarding) -> dict[str, Any]:
    return KIND.normalize(spec, "example.ch")


async def test_round_trip_yaml_to_payload_to_an_equal_live_spec(sandbox):
    (desired,) = parse_clean(
        KIND,
        {"ceo@example.ch": {"to": ["Assistant@example.ch"], "keep_copy": False, "forward_spam": True}},
        FILE,
    )
    assert to_api(desired.spec) == {
        "is_enabled": True,
        "redirect_addresses": ["assistant@example.ch"],
        "has_dont_deliver": True,
        "has_forward_spam": True,
    }
    ctx, _ = context(sandbox)
    await KIND.create(ctx, "example.ch", desired)
    live = {obj.key: obj for obj in await KIND.fetch(context(sandbox)[0], "example.ch")}
    assert normalize_of(live[desired.key].spec) == normalize_of(desired.spec)


async def test_fetch_reads_only_the_mailboxes_that_forward(sandbox):
    ctx, recorder = context(sandbox)
    objects = await KIND.fetch(ctx, "example.ch")
    assert [(obj.key[0], normalize_of(obj.spec)) for obj in objects] == [
        ("noreply@example.ch", {"to": ["it@example.ch"], "keep_copy": False, "forward_spam": False}),
        ("sales@example.ch", {"to": ["crm@partner.example"], "keep_copy": True, "forward_spam": False}),
    ]
    assert [(method, path) for method, path, _ in recorder.calls] == [
        ("GET", "/1/products"),
        ("GET", MAILBOXES),
        ("GET", f"{MAILBOXES}/noreply/forwarding_addresses"),
        ("GET", f"{MAILBOXES}/sales/forwarding_addresses"),
    ]


async def test_forwardings_are_read_concurrently_and_the_mailbox_list_once_per_run(sandbox, monkeypatch):
    ctx, recorder = context(sandbox)
    both_sent = anyio.Event()
    in_flight: set[str] = set()
    passed_on = recorder.handle_async_request

    async def hold_until_both_are_sent(request):
        # The API has no list of forwardings: each mailbox is one read, and none waits for another.
        if request.url.path.endswith("/forwarding_addresses"):
            in_flight.add(request.url.path)
            if len(in_flight) == 2:
                both_sent.set()
            with anyio.fail_after(5):
                await both_sent.wait()
        return await passed_on(request)

    monkeypatch.setattr(recorder, "handle_async_request", hold_until_both_are_sent)
    forwarding = await KIND.fetch(ctx, "example.ch")
    security = await MAILBOX_SECURITY.fetch(ctx, "example.ch")
    assert [obj.key[0] for obj in forwarding] == ["noreply@example.ch", "sales@example.ch"]
    assert security and [path for _, path, _ in recorder.calls].count(MAILBOXES) == 1


async def test_create_update_delete_send_the_documented_requests(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    new, changed = parse_clean(
        KIND,
        {
            "ceo@example.ch": {"to": ["assistant@example.ch"]},
            "sales@example.ch": {"to": ["crm@partner.example", "archive@example.ch"]},
        },
        FILE,
    )
    await KIND.create(ctx, "example.ch", new)
    await KIND.update(ctx, "example.ch", changed, live["sales@example.ch"])
    await KIND.delete(ctx, "example.ch", live["noreply@example.ch"])
    body = {"is_enabled": True, "has_dont_deliver": False, "has_forward_spam": False}
    assert recorder.writes() == [
        (
            "PUT",
            f"{MAILBOXES}/ceo/forwarding_addresses",
            {**body, "redirect_addresses": ["assistant@example.ch"]},
        ),
        (
            "PUT",
            f"{MAILBOXES}/sales/forwarding_addresses",
            {**body, "redirect_addresses": ["archive@example.ch", "crm@partner.example"]},
        ),
        ("DELETE", f"{MAILBOXES}/noreply/forwarding_addresses", None),
    ]
    assert [obj.key[0] for obj in await KIND.fetch(context(sandbox)[0], "example.ch")] == [
        "ceo@example.ch",
        "sales@example.ch",
    ]


async def test_an_address_the_api_refuses_is_an_api_rejected_error(sandbox):
    # What the file refuses (a mailbox forwarding to itself), the API refuses too.
    spec = MailboxForwarding.model_construct(to=["ceo@example.ch"], keep_copy=True, forward_spam=False)
    ctx, _ = context(sandbox)
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(ctx, "example.ch", DesiredObject(("ceo@example.ch",), spec))
    assert caught.value.status == 422 and caught.value.code == "validation_failed"


def test_risks_in_plain_words():
    keep = {"to": ["assistant@example.ch"], "keep_copy": True, "forward_spam": False}
    out = {"to": ["me@gmail.example"], "keep_copy": False, "forward_spam": True}
    assert KIND.risks("create", ("ceo@example.ch",), None, keep) == []
    assert KIND.risks("update", ("ceo@example.ch",), keep, out) == [
        "forwards all mail of ceo@example.ch outside example.ch, to me@gmail.example",
        "stops keeping a copy in ceo@example.ch: its mail only reaches the forwarding targets",
        "forwards the spam of ceo@example.ch too",
    ]
    assert KIND.risks("delete", ("noreply@example.ch",), out, None) == [
        "stops forwarding noreply@example.ch: its mail stays in the mailbox, which nobody reads"
    ]


async def test_plan_apply_converges_with_the_committed_file(tmp_path, sandbox):
    text = (REPO / FILE).read_text(encoding="utf-8")
    write_state(tmp_path / "state", {"mail/forwarding/example.ch.yaml": text})
    first, report, second = await engine_run(tmp_path, sandbox, ["mail_forwarding"])
    assert lines(first, "mail_forwarding") == ["create ceo@example.ch", "update sales@example.ch"]
    assert first.changes[0].risky == [] and first.changes[1].risky == []
    assert report is not None and report.converged and second.changes == []


async def test_a_missing_mailbox_stops_the_plan_at_its_line(tmp_path, sandbox):
    write_state(
        tmp_path / "state", {"mail/forwarding/example.ch.yaml": "\nghost@example.ch:\n  to: [a@b.example]\n"}
    )
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["mail_forwarding"])
    assert [(r.line, r.field) for r in caught.value.reasons] == [(2, "ghost@example.ch")]


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    write_state(tmp_path / "state", {f"mail/forwarding/{scope}.yaml": dump_yaml(document)})
    assert len(load_desired(tmp_path / "state", [KIND]).scopes[0].objects) == 2
    assert (await plan_once(tmp_path, sandbox, ["mail_forwarding"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"ceo@example.ch": {"to": "a@b.example"}}, KIND.file_schema())
