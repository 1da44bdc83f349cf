"""The apply journal: what the next plan says after a killed apply, a running one, and a settled one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from reconciler.engine import apply_plan, make_plan, parse_targets, settle_interrupted
from reconciler.engine.journal import (
    Journal,
    JournalChange,
    Planned,
    interruption_notice,
    journal_notices,
    read_journal,
)
from reconciler.engine.lock import apply_lock
from reconciler.engine.session import Session
from reconciler.sandbox import SandboxState, create_app
from tests.engine.faults import audit_entries

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "journal"
CHANGES = [
    JournalChange(
        label=f"{action} items/main: {key}",
        action=action,
        kind="items",
        scope="main",
        address=f"items/main/{key}",
    )
    for action, key in (("create", "new"), ("update", "change"), ("delete", "old"))
]


def _killed(path: Path, *, done: int = 1) -> Journal:
    journal = Journal(path)
    journal.begin(apply_id="a-1", plan_hash="0" * 64, started="2026-01-01T00:00:00+00:00", changes=CHANGES)
    for n in range(done):
        journal.intent(n)
        journal.result(n, "applied")
    journal.intent(done)  # killed during this write
    return journal


def test_a_killed_apply_reads_back_with_what_was_under_way(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _killed(path)
    with path.open("a") as handle:
        handle.write('{"type": "res')  # the line the kill cut
    state = read_journal(path)
    assert state is not None and state.interrupted and state.done == 1
    assert state.in_flight == ["update items/main: change"]
    assert state.not_started == ["delete items/main: old"]
    planned = Planned(scopes=frozenset({"items/main"}), addresses=frozenset({"items/main/old"}))
    notices = journal_notices(state, planned)
    assert notices[0].startswith("apply a-1 was interrupted after 1 of 3 changes")
    assert notices[1].endswith("update items/main: change — checked: it took effect (not in this plan)")
    assert notices[2] == "apply a-1: not started: delete items/main: old"
    assert state.summary()["addresses"] == {
        "outcome_unknown": ["items/main/change"],
        "not_attempted": ["items/main/old"],
    }


def test_the_begin_line_keeps_each_address_apart_from_its_label(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _killed(path)
    begin = json.loads(path.read_text().splitlines()[0])
    assert begin["format"] == 2
    assert begin["changes"][1] == {
        "label": "update items/main: change",
        "action": "update",
        "kind": "items",
        "scope": "main",
        "address": "items/main/change",
    }


def test_a_finished_apply_says_nothing(tmp_path: Path) -> None:
    journal = _killed(tmp_path / "journal.jsonl")
    journal.result(1, "applied")
    journal.end("converged")
    assert journal_notices(read_journal(journal.path)) == []


async def test_an_apply_under_way_is_not_called_interrupted(make_session, write_items) -> None:
    write_items("main", "keep: {value: k}\n")
    async with make_session() as session:
        _killed(session.settings.journal_file)
        with apply_lock(session.settings.lock_file):
            plan = await make_plan(session)
    assert plan.warnings[0] == "apply a-1 is running now (1 of 3 changes done)"


async def test_an_apply_with_nothing_left_settles_the_journal(make_session, write_items, fake_kind) -> None:
    write_items("main", "keep: {value: k}\nold: {value: o}\nchange: {value: '1'}\n")
    async with make_session() as session:
        _killed(session.settings.journal_file)
        plan = await make_plan(session)
        assert not plan.has_changes and plan.warnings[0].startswith("apply a-1 was interrupted")
        assert settle_interrupted(session) == "a-1"
        assert (await make_plan(session)).warnings == []
        assert settle_interrupted(session) is None
    (entry,) = audit_entries(session.settings)
    assert entry["event"] == "apply_interrupted" and entry["settled"] is True and entry["applied"] == 1


def test_a_format_1_label_reads_as_today_s_label_with_its_address() -> None:
    old = JournalChange.from_record("create share_links/Demo Drive//Marketing/logo.png")
    assert old == JournalChange(
        label="create share_links/Demo Drive: /Marketing/logo.png",
        action="create",
        kind="share_links",
        scope="Demo Drive",
        address="share_links/Demo Drive//Marketing/logo.png",
    )
    # A DNS key has spaces, no slash: the address still splits at its first two slashes.
    assert (
        JournalChange.from_record("delete dns/example.ch/www CNAME").label
        == "delete dns/example.ch: www CNAME"
    )


async def test_an_apply_interrupted_before_the_upgrade_is_reported_and_converges(
    tmp_path: Path, demo_settings
) -> None:
    """A journal written before format 2 (labels only, ``action address``): the notices, the audit entry
    and the settling all still work from it."""
    settings = demo_settings
    settings.work_dir.mkdir(parents=True)
    shutil.copy(FIXTURES / "format1-interrupted.jsonl", settings.journal_file)
    app = create_app(SandboxState.demo())
    targets = parse_targets(["share_links"])
    async with Session(settings, transport=httpx.ASGITransport(app=app)) as session:
        plan = await make_plan(session, targets=targets)
        assert plan.warnings[:3] == [
            "apply 20260101T000000Z-0a0b0c was interrupted after 1 of 3 changes "
            "(started 2026-01-01T00:00:00+00:00); the plan below shows what remains",
            "apply 20260101T000000Z-0a0b0c: outcome unknown (the answer was lost): "
            "create share_links/Demo Drive: /Marketing/logo.png — still planned below: it did not take "
            "effect, or only partly",
            "apply 20260101T000000Z-0a0b0c: not started: delete share_links/Demo Drive: /Press/press-kit.zip",
        ]
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test", targets=targets)
        assert report.converged
        assert "create share_links/Demo Drive: /Marketing/logo.png" in report.applied
        after = await make_plan(session, targets=targets)
    assert not after.has_changes and after.warnings == []
    interrupted = next(e for e in audit_entries(settings) if e["event"] == "apply_interrupted")
    assert interrupted["apply_id"] == "20260101T000000Z-0a0b0c" and interrupted["applied"] == 1
    assert interrupted["addresses"] == {
        "outcome_unknown": ["share_links/Demo Drive//Marketing/logo.png"],
        "not_attempted": ["share_links/Demo Drive//Press/press-kit.zip"],
    }
    assert read_journal(settings.journal_file).apply_id == report.apply_id


def test_an_interrupt_seen_by_this_process_is_told_at_once_with_what_was_applied(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = _killed(path)
    journal.result(1, "unknown")
    journal.end("interrupted")  # what the run writes on Ctrl-C before the interrupt goes on
    notice = interruption_notice(read_journal(path), since="an-older-apply")
    assert notice[0] == "apply a-1 was interrupted after 1 of 3 changes (started 2026-01-01T00:00:00+00:00)"
    assert notice[1:4] == [
        "  applied: create items/main: new",
        "  outcome unknown (its write was under way): update items/main: change",
        "  not started: delete items/main: old",
    ]
    assert notice[4].startswith("Next: `plan` shows what remains")


def test_an_interrupt_before_the_first_write_or_during_the_verification(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _killed(path, done=2)
    # The journal still holds the previous apply: this one never began.
    assert interruption_notice(read_journal(path), since="a-1") == [
        "the apply was interrupted before its first change: nothing was applied"
    ]
    assert interruption_notice(None, since=None) == interruption_notice(read_journal(path), since="a-1")
    journal = Journal(path)
    journal.result(2, "applied")
    journal.end("interrupted")
    notice = interruption_notice(read_journal(path), since=None)
    assert notice[0].startswith("apply a-1 was interrupted after 3 of 3 changes")
    assert notice[-1].startswith("every change was applied; only the verification was cut short")
