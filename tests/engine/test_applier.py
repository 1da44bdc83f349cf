"""Every exit path of apply keeps the promise: the fault matrix against the simulator.

Each fault × early / middle / last step: the report and the audit log say exactly what happened, the
journal ends with the outcome, the last-apply record covers the apply, and the next plan + apply converges
with no duplicate record. The demo DNS plan has 5 changes made of 7 writes (shop A is two POSTs, app A two
DELETEs).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import apply_plan, make_plan
from reconciler.engine.journal import read_journal
from reconciler.engine.session import load_last_apply
from reconciler.errors import ApplyError, PlanError, UnverifiedApply
from reconciler.kinds import get_kind
from reconciler.sandbox import Faults, SandboxState
from tests.engine.faults import (
    FaultyTransport,
    RaisingKind,
    audit_entries,
    check_report_is_true,
    dns_settings,
    duplicates,
    fresh_plan,
    no_sleep,
    open_session,
)

pytestmark = pytest.mark.anyio

CHANGES = 5
WRITE_STEPS = {"early": 1, "middle": 3, "last": 7}
CHANGE_STEPS = {"early": 1, "middle": 3, "last": 5}
FAULTS = ["500", "503", "429", "drop", "drop_after", "reads", "bug"]


def _arm(fault: str, step: str, transport: FaultyTransport, faults: Faults) -> None:
    at = WRITE_STEPS[step]
    if fault in ("500", "503"):
        faults.fail_on_write, faults.fail_status = at, int(fault)
    elif fault != "bug":
        transport.mode, transport.at = fault, at


@pytest.mark.parametrize("step", list(WRITE_STEPS))
@pytest.mark.parametrize("fault", FAULTS)
async def test_fault_matrix_report_and_audit_are_true_and_the_rerun_converges(
    tmp_path: Path, fault: str, step: str
) -> None:
    settings = dns_settings(tmp_path)
    state = SandboxState.demo()
    faults = Faults()
    transport = FaultyTransport(state, faults)
    kind = RaisingKind(
        get_kind("dns"),
        at=CHANGE_STEPS[step] if fault == "bug" else None,
        error=RuntimeError("kind bug: unexpected shape"),
    )
    async with open_session(settings, transport, kind) as session:
        session.client._sleep = no_sleep  # type: ignore[method-assign]
        plan = await make_plan(session)
        assert len(plan.changes) == CHANGES
        _arm(fault, step, transport, faults)
        raised: BaseException | None = None
        try:
            report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        except ApplyError as exc:
            raised = exc
        transport.clear()
        kind.at = None

        entries = audit_entries(settings)
        done = entries[-1]
        assert done["event"] == "apply_done"
        apply_id = done["apply_id"]
        mine = [e for e in entries if e.get("apply_id") == apply_id]
        assert [e["event"] for e in mine].count("apply_attempt") == 1
        direct = [e for e in mine if e["event"] == "applied" and "confirmed_by" not in e]
        assert len(direct) == len(done["applied"])
        assert sum(1 for e in mine if e["event"] == "failed") == len(done["failed"])
        if raised is None:
            assert report.applied == done["applied"] and done["outcome"] in ("converged", "not_converged")
        else:
            assert isinstance(raised, ApplyError)
            assert raised.applied == done["applied"] and raised.failed == done["failed"]
            assert raised.not_attempted == done["not_attempted"]
            assert raised.outcome_unknown == done["outcome_unknown"]
            assert raised.apply_id == apply_id
        if fault == "reads":
            assert done["verification_error"] and "HTTP 503" in done["verification_error"]
            assert isinstance(raised, UnverifiedApply) or done["failed"]
        if fault == "bug":
            assert any("RuntimeError: kind bug" in line for line in done["failed"])

        journal = read_journal(settings.journal_file)
        assert journal is not None and journal.apply_id == apply_id and journal.outcome == done["outcome"]
        record = load_last_apply(settings.last_apply_file)
        assert record["apply_id"] == apply_id and record["applied"] == len(done["applied"])
        assert record["verified"] == (done["verification_error"] is None)

        rest = await fresh_plan(session)
        check_report_is_true(done, CHANGES, rest)
        if done["outcome_unknown"]:
            assert any("outcome unknown" in warning for warning in rest.warnings), rest.warnings
        if rest.has_changes:
            again = await apply_plan(session, expected_hash=rest.plan_hash, approval="test")
            assert again.converged, again
        assert not (await fresh_plan(session)).has_changes
    assert duplicates(state) == []


async def test_a_lost_answer_is_outcome_unknown_and_the_verification_settles_it(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    state, faults = SandboxState.demo(), Faults()
    transport = FaultyTransport(state, faults)
    async with open_session(settings, transport) as session:
        plan = await make_plan(session)
        transport.mode, transport.at = "drop_after", 3  # the POST of blog CNAME runs, its answer is lost
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
    error = caught.value
    assert error.applied == ["create dns/demo-shop.ch: shop A"]
    assert error.failed == []
    (unknown,) = error.outcome_unknown
    assert unknown.startswith("create dns/example.ch: blog CNAME") and "it took effect" in unknown
    assert "outcome unknown (the answer was lost)" in str(error)
    events = [(e["event"], e.get("change")) for e in audit_entries(settings)]
    assert ("outcome_unknown", "dns/example.ch/blog CNAME") in events
    # Confirmed by the verification: recorded as applied too, so undo and drift know of it.
    assert ("applied", "dns/example.ch/blog CNAME") in events


async def test_a_write_dropped_before_it_ran_is_reported_as_not_taking_effect(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    state, faults = SandboxState.demo(), Faults()
    transport = FaultyTransport(state, faults)
    async with open_session(settings, transport) as session:
        plan = await make_plan(session)
        transport.mode, transport.at = "drop", 3
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        transport.clear()
        rest = await fresh_plan(session)
    (unknown,) = caught.value.outcome_unknown
    assert "it did not take effect" in unknown
    header = [w for w in rest.warnings if "outcome unknown" in w]
    assert header and "create dns/example.ch: blog CNAME" in header[0] and "still planned below" in header[0]


async def test_verification_failure_after_every_change_is_reported_as_such(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    state, faults = SandboxState.demo(), Faults()
    transport = FaultyTransport(state, faults)
    consumed: list[str] = []
    async with open_session(settings, transport) as session:
        session.client._sleep = no_sleep  # type: ignore[method-assign]
        plan = await make_plan(session)
        transport.mode, transport.at = "reads", 7
        with pytest.raises(UnverifiedApply) as caught:
            await apply_plan(
                session,
                expected_hash=plan.plan_hash,
                approval="test",
                on_first_write=lambda: consumed.append("spent"),
            )
    error = caught.value
    assert len(error.applied) == CHANGES and error.failed == [] and error.not_attempted == []
    assert "the verification could not run" in str(error) and "stay applied" in str(error)
    assert consumed == ["spent"]
    record = load_last_apply(settings.last_apply_file)
    assert record["outcome"] == "unverified" and record["applied"] == CHANGES and record["verified"] is False
    done = audit_entries(settings)[-1]
    assert done["event"] == "apply_done" and done["outcome"] == "unverified"


async def test_a_plan_error_raised_by_a_kind_is_reported_not_leaked(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    transport = FaultyTransport(SandboxState.demo(), Faults())
    kind = RaisingKind(get_kind("dns"), at=2, error=PlanError("share link path vanished"))
    async with open_session(settings, transport, kind) as session:
        plan = await make_plan(session)
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
    assert caught.value.failed == ["create dns/example.ch: blog CNAME: share link path vanished"]
    assert len(caught.value.not_attempted) == 3


@pytest.mark.parametrize("signal", [KeyboardInterrupt(), asyncio.CancelledError()])
async def test_an_interrupt_is_recorded_then_re_raised_and_the_next_plan_names_it(
    tmp_path: Path, signal: BaseException
) -> None:
    settings = dns_settings(tmp_path)
    transport = FaultyTransport(SandboxState.demo(), Faults())
    kind = RaisingKind(get_kind("dns"), at=3, error=signal)
    async with open_session(settings, transport, kind) as session:
        plan = await make_plan(session)
        with pytest.raises(type(signal)):
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        kind.at = None
        rest = await fresh_plan(session)
        done = audit_entries(settings)[-1]
        assert done["event"] == "apply_done" and done["outcome"] == "interrupted"
        assert len(done["applied"]) == 2 and len(done["outcome_unknown"]) == 1
        assert len(done["not_attempted"]) == 2
        assert rest.warnings[0].startswith(f"apply {done['apply_id']} was interrupted after 2 of 5 changes")
        again = await apply_plan(session, expected_hash=rest.plan_hash, approval="test")
        assert again.converged
    events = [e["event"] for e in audit_entries(settings)]
    assert "apply_interrupted" in events
    # The re-run replaced the journal: the next plan no longer reports the interruption.
    journal = read_journal(settings.journal_file)
    assert journal is not None and not journal.interrupted


def test_the_journal_is_on_disk_before_each_write(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    transport = FaultyTransport(SandboxState.demo(), Faults())
    seen: list[list[Any]] = []
    original = transport.handle_async_request

    async def spy(request: Any) -> Any:
        if request.method != "GET":
            lines = settings.journal_file.read_text().splitlines()
            seen.append([json.loads(line)["type"] for line in lines])
        return await original(request)

    transport.handle_async_request = spy  # type: ignore[method-assign]

    async def run() -> None:
        async with open_session(settings, transport) as session:
            plan = await make_plan(session)
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")

    asyncio.run(run())
    # Before the first write: the begin record and that change's intent.
    assert seen[0] == ["begin", "intent"]
    # Before every write, the journal's last record is the intent of the change being written.
    assert len(seen) == 7
    assert all(types[-1] == "intent" and types.count("intent") == types.count("result") + 1 for types in seen)
