"""The teams kind: file format, keys, the simulator-backed live side, and plan → apply → converge."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jsonschema
import pytest

from reconciler.api import InfomaniakClient
from reconciler.desired import load_desired
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import parse_targets
from reconciler.errors import ApiNotFound, DesiredStateError, PlanError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind, LiveObject, RunContext
from reconciler.kinds.teams import KIND, Membership, Team, TeamEntry, TeamsKind, from_api, to_api
from reconciler.sandbox import SANDBOX_TOKEN
from tests.kinds.helpers import (
    ACCOUNT,
    REPO,
    FakeSource,
    Recorder,
    context,
    doc_yaml_examples,
    engine_run,
    lines,
    parse_clean,
    parse_errors,
    write_state,
)

FILE = "state/account/teams.yaml"
TEAMS = f"/1/accounts/{ACCOUNT}/teams"
USERS = f"/2/accounts/{ACCOUNT}/users"


# -- file format and normalisation -------------------------------------------------------------------------


def parse(document: Any) -> list[DesiredObject]:
    return parse_clean(TeamsKind(), document, FILE)


def errors_of(document: Any) -> list[tuple[tuple[str | int, ...], str, str]]:
    return parse_errors(TeamsKind(), document, FILE)


def test_kind_is_registered_and_satisfies_the_protocol():
    assert isinstance(KIND, Kind)
    assert get_kind("teams") is KIND
    assert KIND in all_kinds() and (KIND.name, KIND.directory) == ("teams", "account")
    # `account/teams` narrows to the teams kind once files are loaded (tags share the directory).
    assert {(t.kind, t.scope) for t in parse_targets(["account/teams"])} >= {("teams", "teams")}


def test_a_team_becomes_one_object_plus_one_per_member():
    objects = parse({"Support": {"color": 3, "members": ["b@example.ch", "a@example.ch"]}})
    assert [o.key for o in objects] == [
        ("Support",),
        ("Support", "member", "b@example.ch"),
        ("Support", "member", "a@example.ch"),
    ]
    assert [KIND.normalize(o.spec, "teams") for o in objects] == [{"color": 3}, {}, {}]


def test_emails_are_trimmed_and_lowercased_and_names_keep_their_case():
    objects = parse({"  Sales Team ": {"color": 1, "members": ["  Alice.Martin@Example.CH "]}})
    assert [o.key for o in objects] == [("Sales Team",), ("Sales Team", "member", "alice.martin@example.ch")]
    assert [o.key for o in parse({"sales team": {"color": 1}})] == [("sales team",)]


def test_member_order_never_makes_a_diff():
    one = {o.key for o in parse({"T": {"color": 1, "members": ["a@example.ch", "b@example.ch"]}})}
    two = {o.key for o in parse({"T": {"color": 1, "members": ["B@example.ch", "a@example.ch"]}})}
    assert one == two


def test_round_trip_yaml_spec_payload_api_spec():
    entry = TeamEntry.model_validate({"color": 7, "members": ["x@example.ch"]})
    desired = Team(color=entry.color)
    payload = to_api("Support", desired)
    assert payload == {"name": "Support", "color_id": 7}
    # What the API answers for that body (spec `Team`): color_id comes back as sent.
    live = from_api({"id": 1, "name": payload["name"], "color_id": payload["color_id"], "is_sso": False})
    assert KIND.normalize(live, "teams") == KIND.normalize(desired, "teams")


def test_bad_entries_are_reported_with_their_paths():
    errors = errors_of(
        {
            "Support": {"colour": 3},
            "Sales": {"color": True, "members": ["not-an-email", "a@example.ch", "A@example.ch"]},
            "": {"color": 1},
            "Ops": {"color": -1},
        }
    )
    found = {(path, rule) for path, _, rule in errors}
    assert (("Support", "colour"), "extra_forbidden") in found
    assert (("Support", "color"), "missing") in found
    assert (("Sales", "color"), "int_type") in found  # a YAML boolean is not a colour
    assert (("Sales", "members", 0), "email") in found
    assert (("",), "teams-name") in found
    assert (("Ops", "color"), "greater_than_equal") in found
    # The duplicate is only seen once the entry is otherwise valid.
    assert errors_of({"T": {"color": 1, "members": ["a@example.ch", "A@example.ch"]}}) == [
        (("T", "members", 1), "a@example.ch is listed twice in T", "teams-duplicate-member")
    ]


def test_a_document_that_is_not_a_mapping_is_an_error_and_null_is_empty():
    assert errors_of(["Support"])[0][2] == "teams-document"
    assert parse(None) == []


def test_loader_errors_name_file_line_and_field(tmp_path):
    root = write_state(tmp_path / "state", {"account/teams.yaml": "Support:\n  color: 3\n  colour: red\n"})
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [KIND])
    text = str(caught.value)
    assert re.search(
        r"account/teams\.yaml:3:3: Support\.colour: unknown field \(allowed: color, members\)", text
    )


def test_keys_format_and_parse():
    for key in [("Support",), ("R&D member team",), ("Support", "member", "a@example.ch")]:
        assert KIND.parse_key(KIND.format_key(key)) == key
    assert KIND.format_key(("Support", "member", "a@example.ch")) == "Support member a@example.ch"
    assert KIND.parse_key(" Support member A@Example.ch ") == ("Support", "member", "a@example.ch")
    with pytest.raises(ValueError):
        KIND.parse_key("  ")


def test_file_schema_accepts_the_demo_file_and_rejects_mistakes():
    schema = KIND.file_schema()
    document = load_yaml_text((REPO / "state" / "account" / "teams.yaml").read_text(), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), schema)
    for bad in ({"T": {"colour": 1}}, {"T": {"color": "blue"}}, {"T": {"color": 1, "members": "a@b.ch"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_upsert_and_remove_entries_edit_in_place_and_keep_comments():
    document = load_yaml_text(
        "# teams\nSupport:  # first\n  color: 3\n  members:\n    - a@example.ch\n", file=FILE
    )
    KIND.upsert_entry(document, ("Support", "member", "b@example.ch"), None)
    KIND.upsert_entry(document, ("Support", "member", "A@example.ch"), None)  # already there
    KIND.upsert_entry(document, ("Ops",), {"color": 2})
    text = dump_yaml(document)
    assert "# first" in text and "- b@example.ch" in text and text.count("a@example.ch") == 1
    assert "Ops:\n  color: 2" in text
    assert KIND.remove_entry(document, ("Support", "member", "a@example.ch"))
    assert not KIND.remove_entry(document, ("Support", "member", "zz@example.ch"))
    assert KIND.remove_entry(document, ("Ops",)) and not KIND.remove_entry(document, ("Ops",))
    with pytest.raises(ValueError, match="add the team first"):
        KIND.upsert_entry(document, ("Nope", "member", "a@example.ch"), None)
    assert KIND.upsert_entry(None, ("New",), {"color": 1}) == {"New": {"color": 1}}


def test_change_order_teams_before_members_and_members_before_team_deletes():
    changes = [
        ("delete", ("Old",)),
        ("delete", ("Old", "member", "a@example.ch")),
        ("create", ("New", "member", "a@example.ch")),
        ("update", ("Kept",)),
        ("create", ("New",)),
    ]
    ordered = sorted(changes, key=lambda c: KIND.change_order(c[0], c[1], changes))
    assert ordered == [changes[4], changes[3], changes[1], changes[2], changes[0]]


def test_risks_flag_team_deletes_and_member_removals():
    kind = TeamsKind()
    assert kind.risks("delete", ("Ops",), {"color": 1}, None) == [
        "deletes the team: its members lose the product access it grants"
    ]
    assert kind.risks("update", ("Ops",), {"color": 1}, {"color": 2}) == []
    assert kind.risks("delete", ("Ops", "member", "a@example.ch"), {}, None) == [
        "removes a@example.ch from Ops: they lose the access the team grants"
    ]
    assert kind.risks("update", ("Ops",), {"color": 1}, {"color": 2}) == []
    assert kind.risks("create", ("Ops", "member", "a@example.ch"), None, {}) == []  # nothing fetched yet


def test_render_groups_members_under_their_team():
    objects = [
        LiveObject(("B",), Team(color=2)),
        LiveObject(("A", "member", "z@example.ch"), Membership()),
        LiveObject(("A",), Team(color=1)),
        LiveObject(("A", "member", "y@example.ch"), Membership()),
    ]
    assert KIND.render(objects, "teams") == {
        "A": {"color": 1, "members": ["y@example.ch", "z@example.ch"]},
        "B": {"color": 2},
    }


def test_docs_example_parses():
    blocks = doc_yaml_examples("format-account.md", "state/account/teams.yaml")
    assert blocks, "docs/format-account.md has no teams.yaml example"
    for block in blocks:
        assert parse(load_yaml_text(block, file=FILE))


# -- live side against the simulator ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_reads_teams_their_users_and_the_account_users(sandbox):
    ctx, recorder = context(sandbox)
    live = await KIND.fetch(ctx, "teams")
    assert {o.key for o in live} == {
        ("Support",),
        ("Marketing",),
        ("Interns 2024",),
        ("Support", "member", "admin@example.ch"),
        ("Support", "member", "alice.martin@example.ch"),
        ("Marketing", "member", "bruno.keller@example.ch"),
        ("Marketing", "member", "chloe.rochat@example.ch"),
        ("Interns 2024", "member", "david.meier@example.ch"),
    }
    by_key = {o.key: o for o in live}
    assert by_key[("Support",)].spec == Team(color=3) and by_key[("Support",)].native == {"id": 81001}
    assert by_key[("Support", "member", "admin@example.ch")].native == {"team_id": 81001, "user_id": 5000101}
    # Memberships come from the account's users (`with=teams`): two requests, not one more per team.
    assert [(m, p) for m, p, _ in recorder.calls] == [("GET", TEAMS), ("GET", USERS)]


class Tampered(Recorder):
    """The simulator, with the answer to ``GET …/users?with=teams`` replaced by ``edit(status, body)``."""

    def __init__(self, state, edit) -> None:
        super().__init__(state)
        self.edit = edit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path != USERS or "with" not in request.url.params:
            return response
        body = json.loads(await response.aread())
        status, body = self.edit(response.status_code, body)
        return httpx.Response(status, json=body)


def tampered_context(state, edit) -> tuple[RunContext, Tampered]:
    transport = Tampered(state, edit)
    client = InfomaniakClient(
        SANDBOX_TOKEN, base_url="https://sandbox.invalid", transport=transport, requests_per_minute=0
    )
    return RunContext(client=client, account_id=ACCOUNT), transport


@pytest.mark.anyio
async def test_fetch_reads_each_team_when_the_api_refuses_with_teams(sandbox):
    refused = {"result": "error", "error": {"code": "validation_failed", "description": "with is invalid"}}
    ctx, recorder = tampered_context(sandbox, lambda status, body: (422, refused))
    expected = {o.key for o in await KIND.fetch(context(sandbox)[0], "teams")}
    assert {o.key for o in await KIND.fetch(ctx, "teams")} == expected
    assert [p for _, p, _ in recorder.calls] == [
        TEAMS,
        USERS,
        f"{TEAMS}/81001/users",
        f"{TEAMS}/81002/users",
        f"{TEAMS}/81003/users",
    ]


@pytest.mark.anyio
async def test_fetch_reads_a_team_whose_member_count_disagrees(sandbox):
    def drop_bruno(status: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for user in body["data"]:
            if user["email"] == "bruno.keller@example.ch":
                user["teams"] = []  # the users list says nothing of Bruno in Marketing (user_count 2)
        return status, body

    ctx, recorder = tampered_context(sandbox, drop_bruno)
    live = {o.key for o in await KIND.fetch(ctx, "teams")}
    assert ("Marketing", "member", "bruno.keller@example.ch") in live
    assert [p for _, p, _ in recorder.calls] == [TEAMS, USERS, f"{TEAMS}/81002/users"]


@pytest.mark.anyio
async def test_fetch_reads_each_team_when_users_come_back_without_teams(sandbox):
    def strip(status: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for user in body["data"]:
            user.pop("teams", None)
        return status, body

    ctx, recorder = tampered_context(sandbox, strip)
    live = {o.key for o in await KIND.fetch(ctx, "teams")}
    assert ("Interns 2024", "member", "david.meier@example.ch") in live
    assert len([p for _, p, _ in recorder.calls if p.endswith("/users") and p.startswith(TEAMS)]) == 3


@pytest.mark.anyio
async def test_check_after_fetch_costs_no_further_request(sandbox):
    ctx, recorder = context(sandbox)
    live = await KIND.fetch(ctx, "teams")
    joining = DesiredObject(("Support", "member", "nobody@example.ch"), Membership())
    problems = await KIND.check(ctx, "teams", [joining], live)
    assert [message for _, message in problems] == [
        "nobody@example.ch is not a user of account 123456; invite them in the manager or fix it"
    ]
    assert [p for _, p, _ in recorder.calls] == [TEAMS, USERS]


@pytest.mark.anyio
async def test_fetch_skips_the_users_call_of_an_empty_team(sandbox):
    sandbox.data["teams"][str(ACCOUNT)][2]["user_ids"] = []
    ctx, recorder = context(sandbox)
    await KIND.fetch(ctx, "teams")
    assert ("GET", f"{TEAMS}/81003/users", None) not in recorder.calls


@pytest.mark.anyio
async def test_fetch_refuses_an_unknown_scope_and_twin_team_names(sandbox):
    ctx, _ = context(sandbox)
    with pytest.raises(PlanError, match="teams have one scope"):
        await KIND.fetch(ctx, "people")
    sandbox.data["teams"][str(ACCOUNT)][1]["name"] = "Support"
    with pytest.raises(PlanError, match="two live teams are named 'Support'"):
        await KIND.fetch(ctx, "teams")


@pytest.mark.anyio
async def test_discover_is_the_one_teams_scope(sandbox):
    ctx, _ = context(sandbox)
    assert await KIND.discover(ctx) == ["teams"]


@pytest.mark.anyio
async def test_exact_calls_for_each_operation(sandbox):
    ctx, recorder = context(sandbox)
    live = {o.key: o for o in await KIND.fetch(ctx, "teams")}
    recorder.calls.clear()

    await KIND.create(ctx, "teams", DesiredObject(("Security",), Team(color=1)))
    new_id = sandbox.data["next_id"] - 1
    await KIND.create(
        ctx, "teams", DesiredObject(("Security", "member", "chloe.rochat@example.ch"), Membership())
    )
    await KIND.update(ctx, "teams", DesiredObject(("Marketing",), Team(color=6)), live[("Marketing",)])
    await KIND.delete(ctx, "teams", live[("Marketing", "member", "chloe.rochat@example.ch")])
    await KIND.delete(ctx, "teams", live[("Interns 2024",)])

    assert recorder.calls == [
        ("POST", TEAMS, {"name": "Security", "color_id": 1}),
        # The new team's id comes from the POST answer; the account's users were listed by the fetch.
        ("POST", f"{TEAMS}/{new_id}/users", {"user_ids": [5000104]}),
        ("PATCH", f"{TEAMS}/81002", {"color_id": 6}),
        ("DELETE", f"{TEAMS}/81002/users", {"user_ids": [5000104]}),
        ("DELETE", f"{TEAMS}/81003", None),
    ]
    after = {o.key for o in await KIND.fetch(ctx, "teams")}
    assert ("Security", "member", "chloe.rochat@example.ch") in after
    assert ("Marketing", "member", "chloe.rochat@example.ch") not in after and ("Interns 2024",) not in after


@pytest.mark.anyio
async def test_a_member_of_a_team_made_elsewhere_is_resolved_by_listing(sandbox):
    ctx, recorder = context(sandbox)  # nothing fetched: ids come from the API
    await KIND.create(
        ctx, "teams", DesiredObject(("Support", "member", "david.meier@example.ch"), Membership())
    )
    assert recorder.calls == [
        ("GET", TEAMS, None),
        ("GET", USERS, None),
        ("POST", f"{TEAMS}/81001/users", {"user_ids": [5000105]}),
    ]


@pytest.mark.anyio
async def test_unknown_or_pending_member_fails_naming_file_line_and_key(sandbox):
    ctx, recorder = context(sandbox)
    await KIND.fetch(ctx, "teams")
    located = FakeSource(FILE).locate(("Support", "members", 2))
    unknown = DesiredObject(("Support", "member", "typo@example.ch"), Membership(), located)
    with pytest.raises(ApiNotFound) as caught:
        await KIND.create(ctx, "teams", unknown)
    assert str(caught.value).startswith(
        f"{FILE}: Support member typo@example.ch: typo@example.ch is not a user"
    )
    pending = DesiredObject(("Support", "member", "emma.favre@example.ch"), Membership(), located)
    with pytest.raises(ApiNotFound, match="has a pending invitation"):
        await KIND.create(ctx, "teams", pending)
    assert recorder.writes() == []


# -- through the engine -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_demo_state_plans_applies_and_converges(tmp_path, sandbox):
    write_state(
        tmp_path / "state", {"account/teams.yaml": (REPO / "state" / "account" / "teams.yaml").read_text()}
    )
    first, report, second = await engine_run(tmp_path, sandbox, ["teams"])
    assert lines(first, "teams") == [
        "create Security",
        "update Marketing",
        "delete Interns 2024 member david.meier@example.ch",
        "delete Marketing member chloe.rochat@example.ch",
        "create Security member admin@example.ch",
        "create Security member chloe.rochat@example.ch",
        "create Support member david.meier@example.ch",
        "delete Interns 2024",
    ]
    update = next(c for c in first.changes if c.action == "update")
    assert [(f.path, f.before, f.after) for f in update.fields] == [("color", 5, 6)]
    assert report is not None and report.converged and len(report.applied) == 8
    assert second.changes == []


@pytest.mark.anyio
async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox):
    ctx, _ = context(sandbox)
    scopes = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scopes[0]), scopes[0])
    write_state(tmp_path / "state", {"account/teams.yaml": dump_yaml(document)})
    first, _, _ = await engine_run(tmp_path, sandbox, ["account/teams"], apply=False)
    assert first.changes == [] and [s.scope for s in first.scopes] == ["teams"]


@pytest.mark.anyio
async def test_an_unknown_or_pending_member_stops_the_plan_at_its_line(tmp_path, sandbox):
    ctx, _ = context(sandbox)
    document = KIND.render(await KIND.fetch(ctx, "teams"), "teams")
    document["Support"]["members"].append("typo@example.ch")
    document["Support"]["members"].append("emma.favre@example.ch")  # invited, not yet accepted
    text = dump_yaml(document)
    lines_of = text.splitlines()
    write_state(tmp_path / "state", {"account/teams.yaml": text})
    with pytest.raises(DesiredStateError) as caught:
        await engine_run(tmp_path, sandbox, ["teams"], apply=False)
    found = sorted((r.line, r.field, r.message.split(";")[0]) for r in caught.value.reasons)
    assert found == sorted(
        [
            (
                lines_of.index("    - typo@example.ch") + 1,
                "Support member typo@example.ch",
                f"typo@example.ch is not a user of account {ACCOUNT}",
            ),
            (
                lines_of.index("    - emma.favre@example.ch") + 1,
                "Support member emma.favre@example.ch",
                "emma.favre@example.ch has a pending invitation",
            ),
        ]
    )
