"""The mailbox_security kind: file format, normalisation, the simulator-backed live side, plan → apply."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from reconciler.desired import load_desired, parse_document
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import parse_targets
from reconciler.errors import DesiredStateError, PlanError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import Kind, LiveObject, RunContext
from reconciler.kinds.mailbox_security import KIND, LiveMailbox, MailboxSecurity, from_api, to_api
from reconciler.sandbox import SandboxState
from tests.kinds.helpers import (
    REPO,
    context,
    engine_run,
    lines,
    plan_once,
    write_state,
)

HOSTING = 2300101
FILE = "state/mail/example.ch.yaml"
MAILBOXES = f"/1/mail_hostings/{HOSTING}/mailboxes"


# -- file format and normalisation ---------------------------------------------------------------------------


def parse_text(text: str, file: str = FILE) -> tuple[list[Any], list[str]]:
    objects, reasons = parse_document(KIND, load_yaml_text(text, file=file), file=file)
    return objects, [str(reason) for reason in reasons]


def normalized(text: str) -> dict[str, Any]:
    objects, errors = parse_text(text)
    assert errors == []
    return {obj.key[0]: KIND.normalize(obj.spec, "example.ch") for obj in objects}


def test_kind_is_registered_and_satisfies_the_protocol():
    assert isinstance(KIND, Kind)
    assert get_kind("mailbox_security") is KIND and get_kind("mail") is KIND
    assert KIND in all_kinds()
    assert (KIND.name, KIND.directory, KIND.sensitive_fields) == ("mailbox_security", "mail", frozenset())
    assert parse_targets(["mail/example.ch"])[0].kind == "mailbox_security"


def test_sender_lists_are_sets_lowercased_and_at_domain_means_the_domain():
    a = normalized("Info@Example.CH:\n  blocked_senders: [B@Bad.example, '@Spam.example']\n")
    b = normalized("info@example.ch:\n  blocked_senders: [spam.example, b@bad.example]\n")
    assert a == b
    assert a["info@example.ch"]["blocked_senders"] == ["b@bad.example", "spam.example"]


def test_omitted_fields_take_the_documented_defaults():
    assert normalized("info@example.ch: {}\n")["info@example.ch"] == {
        "authorized_senders": [],
        "blocked_senders": [],
        "move_spam": True,
        "smart_filtering": {"enabled": False},
    }


def test_folders_only_matter_while_smart_filtering_is_on():
    off = "info@example.ch:\n  smart_filtering: {enabled: false, commercial_folder: Promo}\n"
    assert normalized(off)["info@example.ch"]["smart_filtering"] == {"enabled": False}
    on = "info@example.ch:\n  smart_filtering: {enabled: true}\n"
    assert normalized(on)["info@example.ch"]["smart_filtering"] == {
        "enabled": True,
        "commercial_folder": "Commercial",
        "social_networks_folder": "Social",
    }


@pytest.mark.parametrize(
    ("item", "locked"),
    [
        ("Boss@Partner.example", False),
        ({"email": "Boss@Partner.example", "locked": "0"}, False),
        ({"email": "boss@partner.example", "locked": False}, False),
        ({"email": "boss@partner.example", "locked": "1"}, True),
        ({"email": "boss@partner.example", "locked": True}, True),
    ],
)
def test_from_api_accepts_both_sender_list_shapes(item, locked):
    spec, native = from_api({"mailbox_name": "info", "authorized_senders": [item]}, HOSTING)
    assert spec.authorized_senders == ([] if locked else ["boss@partner.example"])
    assert native.locked_authorized == (("boss@partner.example",) if locked else ())


def test_to_api_sends_changed_fields_only_with_api_names_and_locked_entries_kept():
    desired = KIND.normalize(
        MailboxSecurity(blocked_senders=["a.example"], move_spam=False, smart_filtering={"enabled": True}),
        "x",
    )
    live = KIND.normalize(MailboxSecurity(blocked_senders=["b.example"]), "x")
    native = LiveMailbox(HOSTING, "info", locked_blocked=("hosting-wide.example",))
    assert to_api(desired, live, native) == {
        "blocked_senders": ["a.example", "hosting-wide.example"],
        "has_move_spam": False,
        "has_mail_filtering": True,
        "mail_filtering_folder_commercials": "Commercial",
        "mail_filtering_folder_social_networks": "Social",
    }
    assert to_api(live, live, native) == {}


@pytest.mark.anyio
async def test_round_trip_yaml_to_payload_to_an_equal_live_spec():
    text = (
        "sales@example.ch:\n"
        "  authorized_senders: [Friend@Partner.example, trusted.example]\n"
        "  blocked_senders: ['@junk.example']\n"
        "  move_spam: false\n"
        "  smart_filtering: {enabled: true, commercial_folder: Promotions, social_networks_folder: Social}\n"
    )
    (desired,), errors = parse_text(text)
    assert errors == []
    state = SandboxState.demo()
    ctx, _ = context(state)
    live = {obj.key: obj for obj in await KIND.fetch(ctx, "example.ch")}
    await KIND.update(ctx, "example.ch", desired, live[desired.key])
    ctx, _ = context(state)  # a new run: a run's context keeps the mailbox lists it has read
    again = {obj.key: obj for obj in await KIND.fetch(ctx, "example.ch")}
    assert KIND.normalize(again[desired.key].spec, "example.ch") == KIND.normalize(desired.spec, "example.ch")


def test_key_is_the_full_address_lowercased():
    assert KIND.parse_key(" Info@Example.CH ") == ("info@example.ch",)
    assert KIND.format_key(("info@example.ch",)) == "info@example.ch"
    for bad in ("info", "info@", "@example.ch", "a b@example.ch"):
        with pytest.raises(ValueError, match="full address"):
            KIND.parse_key(bad)


def test_unknown_field_names_file_line_and_allowed_fields():
    _, errors = parse_text("info@example.ch:\n  move_spam: true\n  spam_filter: true\n")
    assert errors == [
        f"{FILE}:3:3: info@example.ch.spam_filter: unknown field "
        "(allowed: authorized_senders, blocked_senders, move_spam, smart_filtering)"
    ]


def test_a_sender_both_authorized_and_blocked_is_an_error_at_its_line():
    text = (
        "info@example.ch:\n  authorized_senders: [a@x.example]\n"
        "  blocked_senders:\n    - b@x.example\n    - A@X.example\n"
    )
    _, errors = parse_text(text)
    assert errors == [
        f"{FILE}:5:7: info@example.ch.blocked_senders[1]: a@x.example is both authorized and blocked; "
        "keep it in one list"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("info@example.ch:\n  blocked_senders: [a.example, A.example]\n", "a.example is listed twice"),
        (
            "info@example.ch:\n  blocked_senders: ['not an address']\n",
            "neither an email address nor a domain",
        ),
        ("info@other.ch:\n  move_spam: true\n", "is not a mailbox of example.ch"),
        ("info:\n  move_spam: true\n", "keyed by its full address"),
        ("info@example.ch:\n", "give the mailbox's settings as a mapping"),
        ("info@example.ch:\n  move_spam: maybe\n", "valid boolean"),
        ("- info@example.ch\n", "maps mailbox addresses to their settings"),
    ],
)
def test_bad_input_is_reported_with_its_file(text, expected):
    _, errors = parse_text(text)
    assert len(errors) == 1 and errors[0].startswith(FILE) and expected in errors[0], errors


# -- live side -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_reads_every_mailbox_with_one_list_call():
    ctx, recorder = context(SandboxState.demo())
    objects = await KIND.fetch(ctx, "example.ch")
    assert [obj.key[0] for obj in objects] == [
        "ceo@example.ch",
        "info@example.ch",
        "noreply@example.ch",
        "sales@example.ch",
        "support@example.ch",
    ]
    assert [(method, path) for method, path, _ in recorder.calls] == [
        ("GET", "/1/products"),
        ("GET", MAILBOXES),
    ]
    sales = KIND.normalize(objects[3].spec, "example.ch")
    assert sales == {
        "authorized_senders": ["partner.example"],
        "blocked_senders": ["cheap-leads.example", "old-supplier@vendor.example"],
        "move_spam": False,
        "smart_filtering": {
            "enabled": True,
            "commercial_folder": "Commercial",
            "social_networks_folder": "Social",
        },
    }


@pytest.mark.anyio
async def test_fetch_is_the_same_whether_the_api_sends_strings_or_objects():
    objects_form = await KIND.fetch(context(SandboxState.demo())[0], "example.ch")
    state = SandboxState.demo()
    state.data["mail_settings"]["sender_list_form"] = "strings"
    strings_form = await KIND.fetch(context(state)[0], "example.ch")
    assert [KIND.normalize(o.spec, "x") for o in objects_form] == [
        KIND.normalize(o.spec, "x") for o in strings_form
    ]


class ListWithoutSettings:
    """A client whose mailbox list rows lack the settings (older API behaviour) but whose GET has them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def get_all(self, path: str, *, params: Any = None) -> list[Any]:
        self.calls.append(("GET", path))
        if path == "/1/products":
            return [{"id": HOSTING, "customer_name": "example.ch"}]
        return [{"mailbox_name": "info", "mailbox": "info@example.ch"}]

    async def get(self, path: str, *, params: Any = None) -> Any:
        self.calls.append(("GET", path))
        return {
            "mailbox_name": "info",
            "mailbox": "info@example.ch",
            "authorized_senders": ["a.example"],
            "blocked_senders": [],
            "has_move_spam": True,
            "has_mail_filtering": False,
        }


@pytest.mark.anyio
async def test_fetch_reads_a_mailbox_itself_when_the_list_row_lacks_its_settings():
    client = ListWithoutSettings()
    (obj,) = await KIND.fetch(RunContext(client=client), "example.ch")  # type: ignore[arg-type]
    assert obj.spec.authorized_senders == ["a.example"]
    assert client.calls == [("GET", "/1/products"), ("GET", MAILBOXES), ("GET", f"{MAILBOXES}/info")]


@pytest.mark.anyio
async def test_update_is_one_patch_of_the_changed_fields():
    (desired,), _ = parse_text(
        "info@example.ch:\n  authorized_senders: [boss@partner.example]\n"
        "  blocked_senders: [spam@bad.example, phish@bad.example]\n"
    )
    ctx, recorder = context(SandboxState.demo())
    live = {obj.key: obj for obj in await KIND.fetch(ctx, "example.ch")}
    await KIND.update(ctx, "example.ch", desired, live[desired.key])
    assert recorder.writes() == [
        ("PATCH", f"{MAILBOXES}/info", {"blocked_senders": ["phish@bad.example", "spam@bad.example"]})
    ]


@pytest.mark.anyio
async def test_locked_senders_stay_out_of_the_diff_and_survive_a_patch():
    state = SandboxState.demo()
    info = next(m for m in state.data["mailboxes"][str(HOSTING)] if m["mailbox_name"] == "info")
    info["blocked_senders"] = [{"email": "hosting-wide.example", "locked": True}, "spam@bad.example"]
    (desired,), _ = parse_text("info@example.ch:\n  authorized_senders: [boss@partner.example]\n")
    ctx, recorder = context(state)
    live = {obj.key: obj for obj in await KIND.fetch(ctx, "example.ch")}
    assert KIND.normalize(live[desired.key].spec, "x")["blocked_senders"] == ["spam@bad.example"]
    await KIND.update(ctx, "example.ch", desired, live[desired.key])
    assert recorder.writes() == [
        ("PATCH", f"{MAILBOXES}/info", {"blocked_senders": ["hosting-wide.example"]})
    ]
    assert info["blocked_senders"] == [{"email": "hosting-wide.example", "locked": True}]


@pytest.mark.anyio
async def test_create_and_delete_never_reach_the_api():
    (desired,), _ = parse_text("new@example.ch:\n  move_spam: true\n")
    ctx, recorder = context(SandboxState.demo())
    with pytest.raises(RuntimeError, match="never creates"):
        await KIND.create(ctx, "example.ch", desired)
    with pytest.raises(RuntimeError, match="never deletes"):
        await KIND.delete(ctx, "example.ch", LiveObject(key=desired.key, spec=desired.spec))
    assert recorder.calls == []


# -- through the engine --------------------------------------------------------------------------------------


DESIRED = """\
info@example.ch:
  authorized_senders: [boss@partner.example]
  blocked_senders: [spam@bad.example, phish@bad.example]
sales@example.ch:
  authorized_senders: [partner.example, new-partner.example]
  blocked_senders: [cheap-leads.example]
  move_spam: false
  smart_filtering: {enabled: true}
"""


@pytest.mark.anyio
async def test_plan_apply_converges_and_never_deletes_a_mailbox(tmp_path):
    write_state(tmp_path / "state", {"mail/example.ch.yaml": DESIRED})
    state = SandboxState.demo()
    first, report, second = await engine_run(tmp_path, state, ["mailbox_security"])
    assert lines(first, "mailbox_security") == ["update info@example.ch", "update sales@example.ch"]
    (scope,) = first.scopes
    assert (scope.live_count, scope.kept_unmanaged, scope.delete) == (5, 3, 0)
    sales = first.changes[1]
    assert [(f.path, f.added, f.removed) for f in sales.fields] == [
        ("authorized_senders", ["new-partner.example"], []),
        ("blocked_senders", [], ["old-supplier@vendor.example"]),
    ]
    assert sales.risky == [
        "unblocks old-supplier@vendor.example: their mail reaches sales@example.ch again",
        "authorizes new-partner.example: their mail skips the spam filter",
    ]
    assert report.converged and second.changes == []
    mailboxes = {m["mailbox_name"]: m for m in state.data["mailboxes"][str(HOSTING)]}
    assert set(mailboxes) == {"ceo", "info", "noreply", "sales", "support"}


@pytest.mark.anyio
async def test_turning_spam_handling_off_is_flagged():
    before = KIND.normalize(MailboxSecurity(), "x")
    after = KIND.normalize(MailboxSecurity(move_spam=False), "x")
    assert KIND.risks("update", ("info@example.ch",), before, after) == [
        "stops moving spam out of the inbox of info@example.ch"
    ]


@pytest.mark.anyio
async def test_a_mailbox_that_does_not_exist_stops_the_plan(tmp_path):
    write_state(tmp_path / "state", {"mail/example.ch.yaml": "ghost@example.ch:\n  move_spam: true\n"})
    with pytest.raises(DesiredStateError) as caught:
        await plan_once(tmp_path, SandboxState.demo(), ["mailbox_security"])
    (reason,) = caught.value.reasons
    assert reason.file.endswith("mail/example.ch.yaml") and reason.line == 1
    assert reason.message.startswith("mailbox ghost@example.ch does not exist in the mail hosting example.ch")
    assert "run `infomaniak-gitops plan` again" in str(caught.value)


@pytest.mark.anyio
async def test_an_unknown_mail_hosting_stops_the_plan_naming_the_file(tmp_path):
    write_state(tmp_path / "state", {"mail/example.org.yaml": "info@example.org: {}\n"})
    with pytest.raises(PlanError) as caught:
        await plan_once(tmp_path, SandboxState.demo(), ["mailbox_security"])
    assert str(caught.value).splitlines() == [
        "mail hosting 'example.org' does not exist in the account (state/mail/example.org.yaml)",
        "  mail hostings the token sees: example.ch",
        "  rename the file after one of them, or remove it",
    ]


@pytest.mark.anyio
async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = SandboxState.demo()
    ctx, _ = context(state)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    write_state(tmp_path / "state", {f"mail/{scope}.yaml": dump_yaml(document)})
    assert len(load_desired(tmp_path / "state", [KIND]).scopes[0].objects) == 5
    plan = await plan_once(tmp_path, state, ["mailbox_security"])
    assert plan.changes == []


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"info@example.ch": {"move_spam": "yes"}}, KIND.file_schema())


def test_upsert_and_remove_edit_in_place_and_keep_comments():
    document = load_yaml_text("# header\nInfo@Example.ch:  # the front desk\n  move_spam: true\n", file=FILE)
    KIND.upsert_entry(document, ("info@example.ch",), {"move_spam": False})
    KIND.upsert_entry(document, ("ceo@example.ch",), {"blocked_senders": ["x.example"]})
    text = dump_yaml(document)
    assert text.startswith("# header\nInfo@Example.ch:  # the front desk\n  move_spam: false\n")
    assert "ceo@example.ch:" in text
    assert KIND.remove_entry(document, ("info@example.ch",)) is True
    assert KIND.remove_entry(document, ("info@example.ch",)) is False
    assert list(document) == ["ceo@example.ch"]
    with pytest.raises(ValueError, match="mapping"):
        KIND.upsert_entry(document, ("ceo@example.ch",), "blocked")


def test_the_documented_example_is_valid():
    text = (REPO / "docs" / "format-mail.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    objects, errors = parse_text(example)
    assert errors == [] and len(objects) == 3


_SENDERS = st.lists(
    st.from_regex(r"[a-z0-9]{1,8}(@[a-z0-9]{1,8})?\.[a-z]{2,4}", fullmatch=True), max_size=6, unique=True
)


@examples(max_examples=60, deadline=None)
@given(senders=_SENDERS, data=st.data())
def test_sender_sets_never_diff_on_order_or_case(senders, data):
    shuffled = data.draw(st.permutations(senders))
    shouted = [s.upper() if data.draw(st.booleans()) else s for s in shuffled]
    as_api = [{"email": s, "locked": "0"} for s in shouted]
    desired = KIND.normalize(MailboxSecurity(authorized_senders=senders), "x")
    live, _ = from_api({"mailbox_name": "info", "authorized_senders": as_api, "has_move_spam": True}, HOSTING)
    assert KIND.normalize(live, "x") == desired
