"""The domains kind: registrar nameservers and DNSSEC, guarded (need --force or a committed rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
import httpx
import jsonschema
import pytest

from reconciler.desired import load_config
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import Session, apply_plan, make_plan, parse_targets
from reconciler.errors import ApiRejected, DesiredStateError, PlanError, UnsafePlan
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import GuardsChanges, Kind
from reconciler.kinds.domains import KIND, DomainSetting, to_api
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

FILE = "state/domains/example.ch.yaml"

pytestmark = pytest.mark.anyio


def normalized(document: Any) -> dict[str, Any]:
    return {obj.key[0]: KIND.normalize(obj.spec, "example.ch") for obj in parse_clean(KIND, document, FILE)}


def test_registered_first_in_apply_order_and_guarding():
    assert isinstance(KIND, Kind) and isinstance(KIND, GuardsChanges) and get_kind("domains") is KIND
    assert all_kinds()[0] is KIND
    assert [(t.kind, t.scope) for t in parse_targets(["domains/Example.CH."])] == [("domains", "example.ch")]


def test_each_setting_is_one_entry_and_nameservers_are_a_set():
    assert normalized({"nameservers": ["NS2.example.net.", "ns1.example.net"], "dnssec": False}) == {
        "nameservers": {"nameservers": ["ns1.example.net", "ns2.example.net"]},
        "dnssec": {"dnssec": False},
    }
    assert KIND.parse_key(" DNSSEC ") == ("dnssec",)
    with pytest.raises(ValueError, match="nameservers and dnssec"):
        KIND.parse_key("ttl")


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ({"nameservers": ["ns1.example.net"]}, "too_short"),
        ({"nameservers": ["not a host", "ns2.example.net"]}, "domains_host"),
        ({"dnssec": "maybe"}, "bool_parsing"),
        ({"dnssec": None}, "domains-empty"),
        ({"registrar": "x"}, "domains-key"),
        (["dnssec"], "domains-document"),
    ],
)
def test_bad_files_are_reported_with_a_rule(document, rule):
    assert [error[2] for error in parse_errors(KIND, document, FILE)] == [rule]


def test_guard_names_what_each_change_risks():
    ours = {"nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"]}
    theirs = {"nameservers": ["ns1.other.example", "ns2.other.example"]}
    assert KIND.guard("update", ("nameservers",), ours, theirs) == (
        "changing nameservers moves the whole domain's DNS away from Infomaniak"
    )
    assert KIND.guard("update", ("dnssec",), {"dnssec": True}, {"dnssec": False}) == (
        "disabling DNSSEC: resolvers stop checking the domain's signatures"
    )
    assert KIND.guard("update", ("dnssec",), {"dnssec": False}, {"dnssec": True}).startswith(
        "enabling DNSSEC"
    )


async def test_fetch_reads_the_base_zone_and_the_dnssec_check(sandbox):
    ctx, recorder = context(sandbox)
    objects = await KIND.fetch(ctx, "example.ch")
    assert [(obj.key[0], KIND.normalize(obj.spec, "x")) for obj in objects] == [
        ("nameservers", {"nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"]}),
        ("dnssec", {"dnssec": False}),
    ]
    assert recorder.calls == [
        ("GET", "/2/domains/example.ch/zones", None),
        ("GET", "/2/domains/example.ch/dnssec/check", None),
    ]


async def test_an_unregistered_domain_stops_the_plan_naming_the_file(sandbox):
    ctx, _ = context(sandbox)
    with pytest.raises(PlanError, match=r"domain 'example.org' is not registered in the account"):
        await KIND.fetch(ctx, "example.org")


async def test_writes_send_the_documented_requests_and_read_back_equal(sandbox):
    desired = parse_clean(
        KIND, {"dnssec": True, "nameservers": ["ns2.other.example", "NS1.other.example"]}, FILE
    )
    ctx, recorder = context(sandbox)
    live = {obj.key[0]: obj for obj in await KIND.fetch(ctx, "example.ch")}
    for obj in desired:
        await KIND.update(ctx, "example.ch", obj, live[obj.key[0]])
    assert to_api(desired[1].spec) == {"nameservers": ["ns1.other.example", "ns2.other.example"]}
    assert recorder.writes() == [
        ("POST", "/2/domains/example.ch/dnssec/enable", None),
        (
            "PUT",
            "/2/domains/example.ch/nameservers",
            {"nameservers": ["ns1.other.example", "ns2.other.example"]},
        ),
    ]
    again = {
        obj.key[0]: KIND.normalize(obj.spec, "x")
        for obj in await KIND.fetch(context(sandbox)[0], "example.ch")
    }
    assert again == {obj.key[0]: KIND.normalize(obj.spec, "x") for obj in desired}
    disable = DomainSetting(dnssec=False)
    ctx, recorder = context(sandbox)
    await KIND.update(ctx, "example.ch", parse_clean(KIND, {"dnssec": False}, FILE)[0], live["dnssec"])
    assert recorder.writes() == [("POST", "/2/domains/example.ch/dnssec/disable", None)]
    assert KIND.normalize(disable, "x") == {"dnssec": False}


async def test_enabling_dnssec_the_api_refuses_is_an_api_rejected_error(sandbox):
    sandbox.zones["example.ch"]["nameservers"] = ["ns1.other.example", "ns2.other.example"]
    ctx, _ = context(sandbox)
    (desired,) = parse_clean(KIND, {"dnssec": True}, FILE)
    with pytest.raises(ApiRejected) as caught:
        await KIND.create(ctx, "example.ch", desired)
    assert caught.value.status == 422


async def test_enabling_dnssec_on_foreign_nameservers_stops_the_plan_at_its_line(tmp_path, sandbox):
    sandbox.zones["example.ch"]["nameservers"] = ["ns1.other.example", "ns2.other.example"]
    write_state(tmp_path / "state", {"domains/example.ch.yaml": "# x\ndnssec: true\n"})
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, sandbox, ["domains"])
    ((line, message),) = [(r.line, r.message) for r in caught.value.reasons]
    assert line == 2 and message.startswith(
        "DNSSEC cannot be enabled here while example.ch uses other nameservers"
    )


DESIRED = "nameservers: [ns1.other.example, ns2.other.example]\ndnssec: false\n"


async def test_a_guarded_change_is_shown_first_and_refused_without_force(tmp_path, sandbox):
    sandbox.zones["example.ch"]["dnssec"] = {"is_enabled": True}
    write_state(tmp_path / "state", {"domains/example.ch.yaml": DESIRED, "mail/aliases/example.ch.yaml": ""})
    plan = await plan_once(tmp_path, sandbox, [])
    assert [f"{c.action} {c.address}" for c in plan.changes[:2]] == [
        "update domains/example.ch/dnssec",
        "update domains/example.ch/nameservers",
    ]
    assert plan.changes[1].risky == ["changing nameservers moves the whole domain's DNS away from Infomaniak"]
    (unsafe,) = plan.unsafe_reasons
    assert unsafe.startswith("domains/example.ch: guarded change(s): dnssec (disabling DNSSEC")
    assert unsafe.endswith("re-run with --force, or commit an `allow` rule for it in infomaniak.yaml")
    with pytest.raises(UnsafePlan):
        await engine_run(tmp_path, sandbox, ["domains"])
    assert sandbox.zones["example.ch"]["dnssec"] == {"is_enabled": True}


async def test_force_applies_and_converges(tmp_path, sandbox):
    write_state(tmp_path / "state", {"domains/example.ch.yaml": DESIRED})
    settings = settings_for(tmp_path)
    async with Session(
        settings, load_config(settings.state_dir), transport=httpx.ASGITransport(app=create_app(sandbox))
    ) as session:
        plan = await make_plan(session, targets=parse_targets(["domains"]))
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test", force=True)
    assert report.converged and report.remaining == []
    assert sandbox.zones["example.ch"]["nameservers"] == ["ns1.other.example", "ns2.other.example"]


def commit_state(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "T")
        config.set_value("user", "email", "t@example.invalid")
    repo.git.add("state")
    repo.git.commit("-m", "state")


async def test_a_committed_allow_rule_lets_it_apply_and_an_uncommitted_one_does_not(tmp_path, sandbox):
    write_state(tmp_path / "state", {"domains/example.ch.yaml": "dnssec: true\n"})
    (tmp_path / "state" / "infomaniak.yaml").write_text("account: 123456\nallow: ['domains/*/dnssec']\n")
    uncommitted = await plan_once(tmp_path, sandbox, ["domains"])
    assert uncommitted.unsafe_reasons and uncommitted.changes[0].risky[0].startswith("enabling DNSSEC")
    commit_state(tmp_path)
    first, report, second = await engine_run(tmp_path, sandbox, ["domains"])
    assert first.unsafe_reasons == [] and lines(first, "domains") == ["update dnssec"]
    assert report is not None and report.converged and second.changes == []


async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ctx, _ = context(sandbox)
    assert await KIND.discover(ctx) == ["demo-shop.ch", "example.ch"]
    document = KIND.render(await KIND.fetch(ctx, "example.ch"), "example.ch")
    assert document == {"nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"], "dnssec": False}
    write_state(tmp_path / "state", {"domains/example.ch.yaml": dump_yaml(document)})
    assert (await plan_once(tmp_path, sandbox, ["domains"])).changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    for bad in ({"dnssec": "yes"}, {"nameservers": ["ns1.example.net"]}, {"ttl": 3600}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, KIND.file_schema())


def test_upsert_and_remove_keep_the_other_setting_and_comments():
    document = load_yaml_text("# header\ndnssec: false  # for now\n", file=FILE)
    KIND.upsert_entry(document, ("nameservers",), {"nameservers": ["a.example.net", "b.example.net"]})
    KIND.upsert_entry(document, ("dnssec",), {"dnssec": True})
    text = dump_yaml(document)
    assert text.startswith("# header\ndnssec: true") and "# for now\nnameservers:" in text
    assert KIND.remove_entry(document, ("nameservers",)) and not KIND.remove_entry(document, ("nameservers",))
    with pytest.raises(ValueError, match="one field, dnssec"):
        KIND.upsert_entry(document, ("dnssec",), {"nameservers": []})
