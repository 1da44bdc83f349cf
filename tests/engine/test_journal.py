"""The apply journal: what the next plan says after a killed apply, a running one, and a settled one."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import make_plan, settle_interrupted
from reconciler.engine.journal import Journal, Planned, journal_notices, read_journal
from reconciler.engine.lock import apply_lock
from tests.engine.faults import audit_entries

pytestmark = pytest.mark.anyio

LABELS = ["create items/main/new", "update items/main/change", "delete items/main/old"]


def _killed(path: Path, *, done: int = 1) -> Journal:
    journal = Journal(path)
    journal.begin(apply_id="a-1", plan_hash="0" * 64, started="2026-01-01T00:00:00+00:00", labels=LABELS)
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
    assert state.in_flight == ["update items/main/change"]
    assert state.not_started == ["delete items/main/old"]
    planned = Planned(scopes=frozenset({"items/main"}), addresses=frozenset({"items/main/old"}))
    notices = journal_notices(state, planned)
    assert notices[0].startswith("apply a-1 was interrupted after 1 of 3 changes")
    assert notices[1].endswith("update items/main/change — checked: it took effect (not in this plan)")
    assert notices[2] == "apply a-1: not started: delete items/main/old"


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
