"""The mail_redirects kind: file format, live side on the simulator, opt-in lag, plan → apply → import."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.errors import ApiRejected, DesiredStateError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import Kind
from reconciler.kinds.mail_redirects import KIND
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
FILE = "state/mail/redirects/example.ch.yaml"
PATH = f"/1/mail_hostings/{HOSTING}/redirections"

pytestmark = pytest.mark.anyio


def stored(sandbox: Any) -> list[dict[str, Any]]:
    redirections: list[dict[str, Any]] = sandbox.data["inventory"]["mail_redirections"][str(HOSTING)]
    return redirections


def test_registered_apart_from_the_inventory_list(tmp_path):
    assert isinstance(KIND, Kind) and KIND in all_kinds() and get_kind("mail_redirects") is KIND
    write_state(tmp_path, {"mail/redirects/example.ch.yaml": "{}\n"})
    assert KIND.scope_files(tmp_path) == {"example.ch": tmp_path / "mail" / "redirects" / "example.ch.yaml"}


def test_targets_are_a_lowercased_set():
    (obj,) = parse_clean(
        KIND, {"Team@Example.ch": {"to": ["B@x.example", "a@x.example", "b@x.example"]}}, FILE
    )
    assert (obj.key, KIND.normalize(obj.spec, "x")) == (
        ("team@example.ch",),
        {"to": ["a@x.example", "b@x.example"]},
    )


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"team@example.ch": {"to": []}}, "too_short"),
        ({"team@example.ch": {"to": [f"u{n}@x.example" for n in range(11)]}}, "too_long"),
        ({"team@example.ch": {"to": ["nobody"]}}, "mail_redirect_to"),
        ({"team@example.ch": {"to": ["team@example.ch"]}}, "mail-redirect-self"),
        ({"team@other.ch": {"to": ["a@x.example"]}}, "mail-domain"),
        ({"team": {"to": ["a@x.example"]}}, "mail-address"),
    ],
)
def test_bad_entries_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


async def test_create_update_delete_send_the_documented_requests(sandbox):
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    new, changed = parse_clean(
        KIND,
        {
            "jobs@example.ch": {"to": ["HR@example.ch"]},
            "team@example.ch": {"to": ["alice.martin@example.ch", "bob.keller@example.ch"]},
        },
        FILE,
    )
    await KIND.create(ctx, "example.ch", new)
    await KIND.update(ctx, "example.ch", changed, live["team@example.ch"])
    assert recorder.writes() == [
        ("POST", PATH, {"name": "jobs", "targets": ["hr@example.ch"]}),
        ("PUT", f"{PATH}/r-1", {"targets": ["alice.martin@example.ch", "bob.keller@example.ch"]}),
    ]
    team = next(r for r in stored(sandbox) if r["id"] == "r-1")
    assert [(t["address"], t["state"]) for t in team["targets"]] == [
        ("alice.martin@example.ch", "ok"),
        ("bob.keller@example.ch", "pending"),
    ]
    again = {
        obj.key[0]: KIND.normalize(obj.spec, "x")
        for obj in await KIND.fetch(context(sandbox)[0], "example.ch")
    }
    assert again == {
        "jobs@example.ch": {"to": ["hr@example.ch"]},
        "team@example.ch": KIND.normalize(changed.spec, "x"),
    }
    ctx, recorder = context(sandbox)
    await KIND.delete(ctx, "example.ch", live["team@example.ch"])
    assert recorder.writes() == [("DELETE", f"{PATH}/r-1", None)]


async def test_an_address_in_use_is_an_api_rejected_error(sandbox):
    (desired,) = parse_clean(KIND, {"info@example.ch": {"to": ["a@x.example"]}}, FILE)
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(context(sandbox)[0], "example.ch", desired)
    assert caught.value.status == 422


async def test_an_address_that_is_a_mailbox_or_an_alias_stops_the_plan(tmp_path, sandbox):
    text = "info@example.ch:\n  to: [a@x.example]\ncontact@example.ch:\n  to: [a@x.example]\n"
    write_state(tmp_path / "state", {"mail/redirects/example.ch.yaml": text})
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["mail_redirects"])
    assert [(r.line, r.message) for r in caught.value.reasons] == [
        (1, "info@example.ch is a mailbox; a redirection needs an address of its own"),
        (3, "contact@example.ch is an alias of info@example.ch; a redirection needs an address of its own"),
    ]


def test_risks_say_the_opt_in_lag_and_mail_leaving_the_domain():
    assert KIND.risks("create", ("jobs@example.ch",), None, {"to": ["hr@gmail.example"]}) == [
        "redirects the mail of jobs@example.ch outside example.ch, to hr@gmail.example",
        "hr@gmail.example receive(s) mail only after confirming Infomaniak's opt-in message; until then the "
        "redirection shows them as pending",
    ]
    assert KIND.risks("delete", ("team@example.ch",), {"to": ["a@example.ch"]}, None) == [
        "deletes the redirection team@example.ch: mail sent there bounces"
    ]


async def test_plan_apply_converges_while_targets_are_pending(tmp_path, sandbox):
    write_state(tmp_path / "state", {"mail/redirects/example.ch.yaml": (REPO / FILE).read_text()})
    first, report, second = await engine_run(tmp_path, sandbox, ["mail_redirects"])
    assert lines(first, "mail_redirects") == ["update team@example.ch", "create jobs@example.ch"]
    assert all("opt-in" in change.risky[-1] for change in first.changes)
    assert report is not None and report.converged and second.changes == []


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    document = KIND.render(await KIND.fetch(ctx, "example.ch"), "example.ch")
    assert document == {"team@example.ch": {"to": ["alice.martin@example.ch"]}}
    write_state(tmp_path / "state", {"mail/redirects/example.ch.yaml": dump_yaml(document)})
    assert (await plan_once(tmp_path, sandbox, ["mail_redirects"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"team@example.ch": {"to": "a@x.example"}}, KIND.file_schema())
