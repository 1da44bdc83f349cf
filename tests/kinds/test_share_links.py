"""The share_links kind: file format, the password rule, the simulator-backed live side, plan → apply.

The harness (recording transport, engine runs) comes from ``test_mailbox_security.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from reconciler.desired import load_config, parse_document
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.engine import (
    Session,
    apply_plan,
    parse_targets,
    render_json,
    render_markdown,
    render_text,
)
from reconciler.errors import ApiNotFound, ApplyError, DesiredStateError, PlanError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import Kind, LiveObject, RunContext
from reconciler.kinds.share_links import (
    KEPT,
    KIND,
    LiveShareLink,
    ShareLinkEntry,
    fingerprint,
    fingerprint_key,
    from_api,
)
from reconciler.sandbox import SandboxState, create_app
from tests.kinds.helpers import (
    REPO,
    context,
    engine_run,
    lines,
    plan_once,
    settings_for,
    write_state,
)

DRIVE = 140946
SCOPE = "Demo Drive"
# Fingerprints are salted with the lowercased drive name (the scope before it kept its case).
SALT_SCOPE = "demo drive"
FILE = "state/drive/Demo Drive.yaml"
LINK = f"/2/drive/{DRIVE}/files/{{}}/link"
SECRET = "correct-horse-battery-staple-42"


def parse_text(text: str, file: str = FILE) -> tuple[list[Any], list[str]]:
    objects, reasons = parse_document(KIND, load_yaml_text(text, file=file), file=file)
    return objects, [str(reason) for reason in reasons]


def one(text: str) -> ShareLinkEntry:
    (obj,), errors = parse_text(text)
    assert errors == []
    assert isinstance(obj.spec, ShareLinkEntry)
    return obj.spec


def normalized(text: str) -> dict[str, Any]:
    return KIND.normalize(one(text), SCOPE)


def test_kind_is_registered_and_satisfies_the_protocol():
    assert isinstance(KIND, Kind)
    assert get_kind("share_links") is KIND and get_kind("drive") is KIND
    assert KIND in all_kinds()
    assert (KIND.name, KIND.directory, KIND.sensitive_fields) == (
        "share_links",
        "drive",
        frozenset({"password"}),
    )
    assert parse_targets(["drive/Demo Drive"])[0].scope == SCOPE


# -- file format and normalisation ---------------------------------------------------------------------------


def test_omitted_capabilities_take_the_documented_defaults():
    assert normalized("/Marketing/logo.png: {right: inherit}\n") == {
        "right": "inherit",
        "can_download": True,
        "can_see_info": True,
        "can_comment": False,
        "can_edit": False,
        "can_see_stats": False,
        "can_request_access": False,
        "valid_until": None,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2030-06-30", "2030-06-30T00:00:00Z"),
        ("'2030-06-30'", "2030-06-30T00:00:00Z"),
        ("2030-06-30 12:00:00", "2030-06-30T12:00:00Z"),
        ("2030-06-30T12:00:00+02:00", "2030-06-30T10:00:00Z"),
        ("'2030-06-30T12:00:00Z'", "2030-06-30T12:00:00Z"),
        ("null", None),
    ],
)
def test_valid_until_is_a_date_or_datetime_compared_in_utc(raw, expected):
    assert normalized(f"/a.pdf:\n  right: public\n  valid_until: {raw}\n")["valid_until"] == expected


def test_paths_are_normalised_the_same_in_files_keys_and_the_api():
    decomposed = unicodedata.normalize("NFD", "/Présentations//été.pdf/")
    (obj,), _ = parse_text(f"'{decomposed}': {{right: public}}\n")
    assert obj.key == ("/Présentations/été.pdf",) == KIND.parse_key("/Présentations/été.pdf")
    for bad, message in (
        ("Marketing/a.pdf", "starts with '/'"),
        ("/", "root cannot be shared"),
        ("/a/../b.pdf", "'..'"),
    ):
        with pytest.raises(ValueError, match=message):
            KIND.parse_key(bad)


def test_a_literal_password_is_refused_without_repeating_it():
    _, errors = parse_text(f"/a.pdf:\n  right: password\n  password: {SECRET}\n")
    assert len(errors) == 1
    assert errors[0].startswith(f"{FILE}:3:")
    assert "never write a password in the file: write `password: {env: NAME}`" in errors[0]
    assert SECRET not in errors[0]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{right: password}", "needs `password: {env: NAME}`"),
        ("{right: public, password: {env: X}}", "only used with `right: password`"),
        ("{right: password, password: {env: X, keep: true}}", "exactly one of `env: NAME` or `keep: true`"),
        ("{right: password, password: {}}", "exactly one of"),
        ("{right: password, password: {env: 'not a name'}}", "should match pattern"),
        ("{right: password, password: {keep: true}, rotate: true}", "`rotate: true` needs a password"),
        ("{right: everyone}", "'public', 'password' or 'inherit'"),
        ("{right: public, valid_until: 1900000000}", "write a date"),
        ("{right: public, valid_until: soon}", "is not a date"),
        ("{right: public, can_share: true}", "unknown field"),
        ("public", "give the link as a mapping"),
    ],
)
def test_bad_entries_are_reported_with_file_and_line(entry, expected):
    _, errors = parse_text(f"/a.pdf: {entry}\n")
    assert len(errors) == 1 and errors[0].startswith(f"{FILE}:1:") and expected in errors[0], errors


def test_the_password_becomes_a_salted_fingerprint(monkeypatch):
    monkeypatch.setenv("LINK_PW", SECRET)
    entry = "{right: password, password: {env: LINK_PW}}"
    text = f"/a.pdf: {entry}\n/b.pdf: {entry}\n"
    objects, _ = parse_text(text)
    first, second = (KIND.normalize(obj.spec, SCOPE)["password"] for obj in objects)
    assert first == fingerprint(SALT_SCOPE, "/a.pdf", SECRET) and first.startswith("pbkdf2-sha256:")
    # Salted per link and per drive: equal passwords do not show as equal fingerprints.
    assert first != second != fingerprint("other drive", "/b.pdf", SECRET)
    assert SECRET not in first
    assert fingerprint_key(SCOPE, "/a.pdf") == "share_links/Demo Drive//a.pdf/password"
    # The salt is the lowercased drive name, so any spelling of the drive (and fingerprints recorded
    # before scopes kept the drive's case) gives the same fingerprint.
    assert KIND.normalize(objects[0].spec, "demo drive")["password"] == first


def test_keep_is_the_kept_state_and_a_rotate_mark_is_folded_into_the_fingerprint(monkeypatch):
    assert normalized("/a.pdf: {right: password, password: {keep: true}}\n")["password"] == KEPT
    monkeypatch.setenv("LINK_PW", SECRET)
    plain = normalized("/a.pdf: {right: password, password: {env: LINK_PW}}\n")
    marks = ["true", "2", "2026-12-01", "'2026-12-01'", "false"]
    prints = [
        normalized(f"/a.pdf: {{right: password, password: {{env: LINK_PW}}, rotate: {mark}}}\n")
        for mark in marks
    ]
    assert all("rotate" not in value for value in [plain, *prints])
    # A mark changes the fingerprint; the same mark (a date or its text) gives the same one; false is none.
    assert prints[0]["password"] != plain["password"] != prints[1]["password"] != prints[2]["password"]
    assert prints[2]["password"] == prints[3]["password"]
    assert prints[4]["password"] == plain["password"]


def test_a_missing_password_variable_is_a_plan_error_naming_it_file_and_key(monkeypatch):
    monkeypatch.delenv("MISSING_LINK_PW", raising=False)
    spec = one("# links\n/Finance/q3.xlsx:\n  right: password\n  password: {env: MISSING_LINK_PW}\n")
    with pytest.raises(PlanError) as caught:
        KIND.normalize(spec, SCOPE)
    assert str(caught.value).splitlines() == [
        f"share_links /Finance/q3.xlsx ({FILE}:2): environment variable MISSING_LINK_PW is not set or empty",
        "  export MISSING_LINK_PW with the link's password before planning and applying",
        "  or write `password: {keep: true}` to leave the live password alone",
    ]


def test_from_api_and_render_round_trip_to_the_same_normal_form():
    link = {
        "right": "password",
        "valid_until": 1924905600,
        "capabilities": {"can_download": False, "can_see_info": True, "can_edit": True, "can_comment": True},
    }
    live = from_api(link, password=KEPT)
    entry = KIND.render([_live("/f.xlsx", live)], SCOPE)["/f.xlsx"]
    assert entry["password"] == {"keep": True} and str(entry["valid_until"]) == "2030-12-31"
    again = one(dump_yaml({"/f.xlsx": entry}))
    assert KIND.normalize(again, SCOPE) == KIND.normalize(live, SCOPE)


def _live(path: str, spec: LiveShareLink) -> Any:
    return LiveObject(key=(path,), spec=spec)


# -- live side -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_reads_the_inventory_in_two_calls_and_skips_trashed_files():
    ctx, recorder = context(SandboxState.demo())
    objects = await KIND.fetch(ctx, "Demo Drive")
    assert [obj.key[0] for obj in objects] == [
        "/Finance/q3-report.xlsx",
        "/Marketing/Campaign 2026",
        "/Marketing/brochure.pdf",
        "/Press/press-kit.zip",
    ]
    assert [(m, p) for m, p, _ in recorder.calls] == [
        ("GET", "/2/drive"),
        ("GET", f"/3/drive/{DRIVE}/files/links"),
    ]
    report = KIND.normalize(objects[0].spec, SCOPE)
    assert report["password"] == KEPT and report["valid_until"] == "2030-12-31T00:00:00Z"


@pytest.mark.anyio
async def test_fetch_reports_the_fingerprint_recorded_at_the_last_apply():
    recorded = {fingerprint_key(SCOPE, "/Finance/q3-report.xlsx"): "pbkdf2-sha256:abc"}
    ctx, _ = context(SandboxState.demo(), fingerprints=recorded)
    objects = {obj.key[0]: obj for obj in await KIND.fetch(ctx, SCOPE)}
    assert KIND.normalize(objects["/Finance/q3-report.xlsx"].spec, SCOPE)["password"] == "pbkdf2-sha256:abc"
    assert "password" not in KIND.normalize(objects["/Marketing/brochure.pdf"].spec, SCOPE)


class LinksWithoutSharelink:
    """A client whose link inventory rows lack ``sharelink``: the kind reads each link itself."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def get_all(self, path: str, *, params: Any = None) -> list[Any]:
        self.calls.append(path)
        return [{"id": DRIVE, "name": "Demo Drive"}]

    async def get_all_cursor(self, path: str, *, params: Any = None) -> list[Any]:
        self.calls.append(path)
        return [{"id": 7, "name": "a.pdf", "path": "/a.pdf", "type": "file", "parent_id": 1}]

    async def get(self, path: str, *, params: Any = None) -> Any:
        self.calls.append(path)
        return {"right": "inherit", "capabilities": {"can_download": True}, "valid_until": None}


@pytest.mark.anyio
async def test_fetch_reads_a_link_itself_when_the_inventory_row_lacks_it():
    client = LinksWithoutSharelink()
    (obj,) = await KIND.fetch(RunContext(client=client, account_id=1), SCOPE)  # type: ignore[arg-type]
    assert obj.spec.right == "inherit"
    assert client.calls == ["/2/drive", f"/3/drive/{DRIVE}/files/links", LINK.format(7)]


@pytest.mark.anyio
async def test_create_lists_only_the_missing_folder_then_posts_every_field():
    (desired,), _ = parse_text("/Marketing/logo.png: {right: public, valid_until: 2030-06-30}\n")
    ctx, recorder = context(SandboxState.demo())
    await KIND.fetch(ctx, SCOPE)
    recorder.calls.clear()
    await KIND.create(ctx, SCOPE, desired)
    assert recorder.calls == [
        ("GET", f"/3/drive/{DRIVE}/files/10/files", None),
        (
            "POST",
            LINK.format(102),
            {
                "right": "public",
                "can_download": True,
                "can_see_info": True,
                "can_comment": False,
                "can_edit": False,
                "can_see_stats": False,
                "can_request_access": False,
                "valid_until": 1909008000,
            },
        ),
    ]


@pytest.mark.anyio
async def test_update_puts_changed_fields_and_can_comment_travels_with_can_edit():
    (desired,), _ = parse_text(
        "/Marketing/brochure.pdf: {right: public, can_edit: true, valid_until: 2030-06-30}\n"
    )
    ctx, recorder = context(SandboxState.demo())
    live = {obj.key: obj for obj in await KIND.fetch(ctx, SCOPE)}
    await KIND.update(ctx, SCOPE, desired, live[desired.key])
    assert recorder.writes() == [
        ("PUT", LINK.format(101), {"can_edit": True, "can_comment": False, "valid_until": 1909008000})
    ]
    again = {obj.key: obj for obj in await KIND.fetch(ctx, SCOPE)}
    assert KIND.normalize(again[desired.key].spec, SCOPE) == KIND.normalize(desired.spec, SCOPE)


@pytest.mark.anyio
async def test_delete_is_one_delete_of_the_link():
    ctx, recorder = context(SandboxState.demo())
    live = {obj.key: obj for obj in await KIND.fetch(ctx, SCOPE)}
    await KIND.delete(ctx, SCOPE, live[("/Press/press-kit.zip",)])
    assert recorder.writes() == [("DELETE", LINK.format(121), None)]


@pytest.mark.anyio
async def test_an_unknown_path_names_the_entry_and_suggests_close_names():
    (desired,), _ = parse_text("# links\n/Marketing/logo.pgn: {right: public}\n")
    ctx, recorder = context(SandboxState.demo())
    with pytest.raises(ApiNotFound) as caught:
        await KIND.create(ctx, SCOPE, desired)
    assert str(caught.value).splitlines() == [
        f"share_links /Marketing/logo.pgn ({FILE}:2): drive 'Demo Drive' has no 'logo.pgn' in /Marketing; "
        "did you mean 'logo.png'?",
        "  fix the path in the file, or create the file in kDrive first",
    ]
    assert recorder.writes() == []


# -- through the engine --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_demo_like_plan_creates_updates_deletes_and_converges(tmp_path):
    text = (REPO / FILE).read_text(encoding="utf-8")
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": text})
    first, report, second = await engine_run(tmp_path, SandboxState.demo(), ["share_links"])
    assert lines(first, "share_links") == [
        "create /Marketing/logo.png",
        "update /Marketing/brochure.pdf",
        "delete /Press/press-kit.zip",
    ]
    create, update, _ = first.changes
    assert create.risky == ["makes /Marketing/logo.png public: anyone with the URL can open it"]
    assert [(f.path, f.before, f.after) for f in update.fields] == [
        ("can_download", True, False),
        ("valid_until", None, "2030-06-30T00:00:00Z"),
    ]
    assert report.converged and second.changes == []


BUDGET = "/Finance/budget-2026.xlsx:\n  right: password\n  password: {env: BUDGET_LINK_PW}\n"


@pytest.mark.anyio
async def test_password_rule_through_the_engine_and_the_secret_never_leaks(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("BUDGET_LINK_PW", SECRET)
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": BUDGET})
    state = SandboxState.demo()
    targets = ["share_links"]

    # 1. a new password link: created, its fingerprint recorded, the next plan is empty.
    first, report, second = await engine_run(tmp_path, state, targets)
    assert [c.action for c in first.changes if c.display_key == "/Finance/budget-2026.xlsx"] == ["create"]
    assert report.converged and [c for c in second.changes if c.action != "delete"] == []
    # (the demo's other links are not in this file: they are deleted by the same apply)
    last_apply = json.loads((tmp_path / "work" / "last-apply.json").read_text())
    key = fingerprint_key(SCOPE, "/Finance/budget-2026.xlsx")
    assert last_apply["secret_fingerprints"][key] == fingerprint(
        SALT_SCOPE, "/Finance/budget-2026.xlsx", SECRET
    )

    # 2. the same value again: nothing to do. A new value: exactly one password update.
    monkeypatch.setenv("BUDGET_LINK_PW", SECRET + "-rotated")
    changed, report, after = await engine_run(tmp_path, state, targets)
    (change,) = changed.changes
    assert (change.action, [(f.path, f.before, f.after) for f in change.fields]) == (
        "update",
        [("password", "(sensitive)", "(sensitive)")],
    )
    assert report.converged and after.changes == []
    stored = next(f for f in state.data["drive_files"][str(DRIVE)] if f["id"] == 112)["sharelink"]
    assert "password" not in stored and len(stored["password_hash"]) == 64

    # 3. rotate is one-shot: a new mark re-sends the unchanged password once, then the plan is clean.
    for mark in ("true", "2"):
        write_state(tmp_path / "state", {"drive/Demo Drive.yaml": BUDGET + f"  rotate: {mark}\n"})
        rotating, report, still = await engine_run(tmp_path, state, targets)
        (change,) = rotating.changes
        assert [(f.path, f.before, f.after) for f in change.fields] == [
            ("password", "(sensitive)", "(sensitive)")
        ]
        assert report.converged and report.remaining == [] and still.changes == []

    # The secret appears in no render, no audit entry, no record, no log line and not in the sandbox.
    for plan in (first, changed, rotating):
        for text in (render_text(plan), render_json(plan), render_markdown(plan)):
            assert SECRET not in text
    for name in ("audit.jsonl", "last-apply.json"):
        assert SECRET not in (tmp_path / "work" / name).read_text()
    assert SECRET not in caplog.text
    assert SECRET not in json.dumps(state.data)


@pytest.mark.anyio
async def test_keeping_a_password_that_does_not_exist_stops_the_plan(tmp_path):
    write_state(
        tmp_path / "state",
        {"drive/Demo Drive.yaml": "/Marketing/logo.png: {right: password, password: {keep: true}}\n"},
    )
    with pytest.raises(PlanError, match=r"keeps the live link's password, but there is no live link"):
        await plan_once(tmp_path, SandboxState.demo(), ["share_links"])
    write_state(
        tmp_path / "state",
        {"drive/Demo Drive.yaml": "/Marketing/brochure.pdf: {right: password, password: {keep: true}}\n"},
    )
    with pytest.raises(PlanError, match=r"the live link has none"):
        await plan_once(tmp_path, SandboxState.demo(), ["share_links"])


@pytest.mark.anyio
async def test_an_unknown_path_fails_the_apply_before_updates_and_deletes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files are named relative to the working directory, as on the CLI
    text = (REPO / FILE).read_text(encoding="utf-8") + "/Marketing/missing.pdf: {right: inherit}\n"
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": text})
    state = SandboxState.demo()
    plan = await plan_once(tmp_path, state, ["share_links"])
    settings = settings_for(tmp_path)
    transport = httpx.ASGITransport(app=create_app(state))
    async with Session(settings, load_config(settings.state_dir), transport=transport) as session:
        with pytest.raises(ApplyError) as caught:
            await apply_plan(
                session, expected_hash=plan.plan_hash, approval="test", targets=parse_targets(["share_links"])
            )
    error = caught.value
    assert error.applied == ["create share_links/Demo Drive: /Marketing/logo.png"]
    assert len(error.failed) == 1
    assert "share_links /Marketing/missing.pdf (state/drive/Demo Drive.yaml:" in error.failed[0]
    assert "has no 'missing.pdf' in /Marketing" in error.failed[0]
    assert len(error.not_attempted) == 2


@pytest.mark.anyio
async def test_an_unknown_drive_stops_the_plan_naming_the_file(tmp_path):
    write_state(tmp_path / "state", {"drive/Archive.yaml": "/a.pdf: {right: inherit}\n"})
    with pytest.raises(PlanError) as caught:
        await plan_once(tmp_path, SandboxState.demo(), ["share_links"])
    assert str(caught.value).splitlines() == [
        "kDrive 'Archive' does not exist in the account (state/drive/Archive.yaml)",
        "  drives the token sees: 'Demo Drive'",
        "  name the file after one of them (case does not matter), or remove it",
    ]


@pytest.mark.anyio
async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path):
    state = SandboxState.demo()
    ctx, _ = context(state)
    (scope,) = await KIND.discover(ctx)
    document = KIND.render(await KIND.fetch(ctx, scope), scope)
    assert document["/Finance/q3-report.xlsx"]["password"] == {"keep": True}
    write_state(tmp_path / "state", {f"drive/{scope}.yaml": dump_yaml(document)})
    plan = await plan_once(tmp_path, state, ["share_links"])
    assert plan.changes == []


def test_risks_name_what_a_reviewer_must_check():
    public = KIND.normalize(LiveShareLink(right="public", **_caps(), valid_until=None), SCOPE)
    protected = KIND.normalize(
        LiveShareLink(right="password", **_caps(), valid_until=1924905600, password="pbkdf2-sha256:x"), SCOPE
    )
    assert KIND.risks("update", ("/f.pdf",), protected, public) == [
        "makes /f.pdf public: anyone with the URL can open it",
        "removes the password of the link to /f.pdf",
        "removes the expiry of the link to /f.pdf: it stays valid forever",
    ]
    editable = {**public, "can_edit": True}
    assert KIND.risks("update", ("/f.pdf",), public, editable) == ["lets anyone with the link edit /f.pdf"]
    assert KIND.risks("delete", ("/f.pdf",), public, None) == []


def _caps() -> dict[str, bool]:
    return {
        "can_download": True,
        "can_see_info": True,
        "can_comment": False,
        "can_edit": False,
        "can_see_stats": False,
        "can_request_access": False,
    }


def test_the_committed_state_file_matches_the_json_schema():
    document = load_yaml_text((REPO / FILE).read_text(encoding="utf-8"), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document, default=str)), KIND.file_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"/a.pdf": {"right": "everyone"}}, KIND.file_schema())


def test_upsert_and_remove_edit_in_place_and_keep_comments():
    document = load_yaml_text("# header\n/Marketing//a.pdf:  # the flyer\n  right: public\n", file=FILE)
    KIND.upsert_entry(document, ("/Marketing/a.pdf",), {"right": "inherit"})
    KIND.upsert_entry(document, ("/b.pdf",), {"right": "public"})
    assert dump_yaml(document).startswith("# header\n/Marketing//a.pdf:  # the flyer\n  right: inherit\n")
    assert KIND.remove_entry(document, ("/Marketing/a.pdf",)) is True
    assert KIND.remove_entry(document, ("/Marketing/a.pdf",)) is False
    assert list(document) == ["/b.pdf"]


def test_the_documented_example_is_valid():
    text = (REPO / "docs" / "format-drive.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    objects, errors = parse_text(example)
    assert errors == [] and len(objects) == 4


@examples(max_examples=60, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_an_expiry_is_the_same_moment_in_any_offset_and_survives_import(moment, offset_minutes):
    moment = moment.replace(microsecond=0)
    utc = moment.replace(tzinfo=UTC)
    local = utc.astimezone(timezone(timedelta(minutes=offset_minutes)))
    in_utc = normalized(f"/a.pdf:\n  right: public\n  valid_until: '{utc.isoformat()}'\n")
    in_local = normalized(f"/a.pdf:\n  right: public\n  valid_until: '{local.isoformat()}'\n")
    assert in_utc == in_local
    live = LiveShareLink(right="public", **_caps(), valid_until=int(utc.timestamp()))
    imported = one(dump_yaml(KIND.render([_live("/a.pdf", live)], SCOPE)))
    assert KIND.normalize(imported, SCOPE) == KIND.normalize(live, SCOPE) == in_utc


@pytest.mark.anyio
async def test_taking_over_a_password_and_handing_it_back_both_converge(tmp_path, monkeypatch):
    monkeypatch.setenv("Q3_PW", SECRET)
    keep = (REPO / FILE).read_text(encoding="utf-8")
    managed = keep.replace("password: {keep: true}", "password: {env: Q3_PW}")
    state = SandboxState.demo()
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": keep})
    await engine_run(tmp_path, state, ["share_links"])

    # keep → env: the tool cannot know the live password, so it sets it once.
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": managed})
    taken, report, after = await engine_run(tmp_path, state, ["share_links"])
    assert [(c.display_key, [f.path for f in c.fields]) for c in taken.changes] == [
        ("/Finance/q3-report.xlsx", ["password"])
    ]
    assert report.converged and after.changes == []

    link = next(f for f in state.data["drive_files"][str(DRIVE)] if f["id"] == 111)["sharelink"]
    taken_hash = link["password_hash"]
    assert taken_hash == hashlib.sha256(SECRET.encode()).hexdigest()

    # env → keep: no call changes the password; the record moves to "kept" and the next plan is empty.
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": keep})
    handed, report, after = await engine_run(tmp_path, state, ["share_links"])
    assert [c.display_key for c in handed.changes] == ["/Finance/q3-report.xlsx"]
    assert report.converged and after.changes == []
    link = next(f for f in state.data["drive_files"][str(DRIVE)] if f["id"] == 111)["sharelink"]
    assert link["password_hash"] == taken_hash


# -- the drive's name as the account spells it ------------------------------------------------------------


@pytest.mark.anyio
async def test_a_drive_scope_is_its_name_as_the_account_spells_it(tmp_path):
    state = SandboxState.demo()
    ctx, _ = context(state)
    assert await KIND.discover(ctx) == ["Demo Drive"]
    # import in an empty state directory names the file as the drive is spelled
    assert KIND.path_for(tmp_path, "Demo Drive") == tmp_path / "drive" / "Demo Drive.yaml"
    write_state(tmp_path / "state", {"drive/Demo Drive.yaml": "/Marketing/logo.png: {right: inherit}\n"})
    # a target typed in another case still selects the file, and the plan keeps the drive's spelling
    plan = await plan_once(tmp_path, state, ["share_links/demo drive"])
    assert {change.scope for change in plan.changes} == {"Demo Drive"}
    assert render_text(plan).splitlines()[0].startswith("share_links/Demo Drive  (")


@pytest.mark.anyio
async def test_a_fingerprint_recorded_under_the_lowercase_scope_still_matches():
    # last-apply files written before scopes kept the drive's case record `share_links/demo drive/…`
    recorded = {"share_links/demo drive//Finance/q3-report.xlsx/password": "pbkdf2-sha256:abc"}
    ctx, _ = context(SandboxState.demo(), fingerprints=recorded)
    objects = {obj.key[0]: obj for obj in await KIND.fetch(ctx, SCOPE)}
    assert KIND.normalize(objects["/Finance/q3-report.xlsx"].spec, SCOPE)["password"] == "pbkdf2-sha256:abc"


@pytest.mark.anyio
async def test_two_drives_whose_names_differ_only_by_case_are_an_error():
    ctx, _ = context(SandboxState.demo())
    ctx.cache["share_links/drives"] = [{"id": 1, "name": "Demo Drive"}, {"id": 2, "name": "demo drive"}]
    with pytest.raises(PlanError) as caught:
        await KIND.fetch(ctx, "Demo Drive")
    message = str(caught.value)
    assert "2 drives match 'Demo Drive'" in message
    assert "'Demo Drive' (id 1), 'demo drive' (id 2)" in message
    assert "differ by more than case" in message


def test_two_files_for_one_drive_in_different_case_are_refused(tmp_path):
    write_state(tmp_path, {"drive/Demo Drive.yaml": "{}\n", "drive/demo drive.yaml": "{}\n"})
    with pytest.raises(DesiredStateError, match="two files hold drive"):
        KIND.scope_files(tmp_path)
    assert KIND.path_for(tmp_path / "other", "demo drive") == tmp_path / "other" / "drive" / "demo drive.yaml"
