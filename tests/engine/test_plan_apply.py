from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.engine import Plan, Session, apply_plan, make_plan, parse_targets, render_text
from reconciler.engine.lock import apply_lock
from reconciler.errors import ApplyError, LockError, SettingsError, StalePlan, UnsafePlan
from tests.engine.conftest import TOKEN
from tests.engine.fakes import FakeKind

pytestmark = pytest.mark.anyio

DESIRED = "keep: {value: k}\nchange: {value: '2'}\nnew: {value: n}\n"


async def test_plan_lists_changes_and_hash_is_stable(
    make_session: Callable[..., Session], write_items
) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        first = await make_plan(session)
        second = await make_plan(session)
    assert first.counts() == {"create": 1, "update": 1, "delete": 1}
    assert first.plan_hash == second.plan_hash and len(first.plan_hash) == 64
    text = render_text(first)
    assert "+ new" in text and "~ change" in text and "- old" in text
    assert first.plan_hash in text


async def test_plan_json_round_trip_keeps_hash(make_session, write_items) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
    again = Plan.model_validate(json.loads(plan.to_json()))
    assert again.plan_hash == plan.plan_hash
    assert again.changes[0].address == plan.changes[0].address


async def test_labels_are_shown_not_saved_so_saved_plans_and_hashes_stay_as_they_were(
    make_session, write_items
) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
    change = next(c for c in plan.changes if c.action == "create")
    assert change.label == "create items/main: new" and change.address == "items/main/new"
    saved = json.loads(plan.to_json())["changes"][0]
    assert set(saved) == {
        "kind",
        "scope",
        "key",
        "display_key",
        "action",
        "before",
        "after",
        "fields",
        "risky",
        "blocked",
    }
    assert set(change.hash_form()) == {"kind", "scope", "key", "action", "before", "after"}


async def test_apply_converges_and_writes_audit(
    make_session, write_items, fake_kind: FakeKind, tmp_path: Path
) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        after = await make_plan(session)
    assert report.converged and len(report.applied) == 3
    assert not after.has_changes
    assert fake_kind.backend["main"] == {
        "keep": {"value": "k"},
        "change": {"value": "2", "tags": []},
        "new": {"value": "n", "tags": []},
    }
    audit = (tmp_path / "work" / "audit.jsonl").read_text()
    events = [json.loads(line)["event"] for line in audit.splitlines()]
    assert events[0] == "apply_attempt" and events.count("applied") == 3 and events[-1] == "apply_done"
    assert TOKEN not in audit


async def test_stale_plan_is_refused_and_names_what_moved(make_session, write_items, fake_kind) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
        fake_kind.backend["main"]["change"] = {"value": "moved"}
        with pytest.raises(StalePlan) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test", approved=plan)
    message = str(caught.value)
    assert "stale" in message
    assert "live value moved: items/main: change\n" in message
    assert '  value: "1" → "moved"' in message
    assert fake_kind.calls == []


async def test_partial_failure_reports_and_next_plan_shows_the_rest(
    make_session, write_items, fake_kind
) -> None:
    write_items("main", DESIRED)
    fake_kind.fail_on_call = 2
    async with make_session() as session:
        plan = await make_plan(session)
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        error = caught.value
        assert error.applied == ["delete items/main: old"]
        assert len(error.failed) == 1 and error.failed[0].startswith("create items/main: new")
        assert error.not_attempted == ["update items/main: change"]
        fake_kind.fail_on_call = None
        rest = await make_plan(session)
    assert [(c.action, c.display_key) for c in rest.changes] == [("create", "new"), ("update", "change")]


async def test_unsafe_plan_needs_force(make_session, write_items, fake_kind) -> None:
    fake_kind.backend["main"] = {f"r{i}": {"value": "v"} for i in range(10)}
    write_items("main", "r0: {value: v}\n")
    async with make_session() as session:
        plan = await make_plan(session)
        assert plan.unsafe_reasons
        with pytest.raises(UnsafePlan):
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test", force=True)
    assert len(report.applied) == 9


async def test_targets_narrow_the_plan(make_session, write_items, fake_kind) -> None:
    fake_kind.backend["other"] = {}
    write_items("main", DESIRED)
    write_items("other", "x: {value: y}\n")
    async with make_session() as session:
        plan = await make_plan(session, targets=parse_targets(["items/other"], [fake_kind]))
    assert [c.address for c in plan.changes] == ["items/other/x"]
    with pytest.raises(SettingsError, match="unknown target"):
        parse_targets(["nope/x"], [fake_kind])


async def test_second_apply_is_refused_while_the_lock_is_held(make_session, write_items, tmp_path) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
        with apply_lock(session.settings.lock_file), pytest.raises(LockError, match="another apply"):
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")


async def test_live_checks_stop_the_plan_with_file_and_line(make_session, write_items) -> None:
    from reconciler.errors import DesiredStateError

    write_items("main", "keep: {value: k}\nforbidden: {value: x}\n")
    async with make_session() as session:
        with pytest.raises(DesiredStateError) as caught:
            await make_plan(session)
    (reason,) = caught.value.reasons
    assert reason.line == 2 and reason.field == "forbidden" and "fake backend" in reason.message
