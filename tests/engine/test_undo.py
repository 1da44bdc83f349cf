"""Undo: an ordinary plan restoring an apply's before-values; changed-since and secret values refused."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.desired import load_config
from reconciler.engine import Session, apply_plan, make_plan, plan_undo, undo_source
from reconciler.errors import PlanError, StalePlan
from reconciler.sandbox import Faults, SandboxState, create_app
from reconciler.settings import load_settings
from tests.engine.faults import REPO, FaultyTransport, audit_entries, dns_settings, open_session

pytestmark = pytest.mark.anyio


def _records(state: SandboxState) -> set[tuple[str, str, str, Any]]:
    return {
        (zone, r["source"], r["type"], (r["target"], r["ttl"]))
        for zone in ("example.ch", "demo-shop.ch")
        for r in state.records(zone)
    }


async def test_undo_restores_an_applied_change_set(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    state = SandboxState.demo()
    original = _records(state)
    async with open_session(settings, FaultyTransport(state, Faults())) as session:
        plan = await make_plan(session)
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        assert _records(state) != original

        undo = await plan_undo(session, report.apply_id)
        assert undo.undo_of == report.apply_id
        assert sorted(f"{c.action} {c.address}" for c in undo.changes) == sorted(
            [
                "delete dns/demo-shop.ch/shop A",
                "delete dns/example.ch/blog CNAME",
                "update dns/example.ch/_dmarc TXT",
                "update dns/example.ch/www CNAME",
                "create dns/example.ch/app A",
            ]
        )
        # Recomputing gives the same plan: the hash an approval names is stable.
        assert (await plan_undo(session, report.apply_id)).plan_hash == undo.plan_hash
        done = await apply_plan(
            session,
            expected_hash=undo.plan_hash,
            approval="test",
            source=undo_source(report.apply_id),
            undo_of=report.apply_id,
        )
        assert done.converged and len(done.applied) == 5
        assert not (await plan_undo(session, report.apply_id)).has_changes
        # The desired files still ask for the change: a normal plan shows it again.
        assert len((await make_plan(session)).changes) == 5
    assert _records(state) == original
    attempt = next(e for e in audit_entries(settings) if e.get("undo_of") == report.apply_id)
    assert attempt["event"] == "apply_attempt" and attempt["apply_id"] == done.apply_id


async def test_undo_refuses_what_changed_since_and_a_stale_undo_plan(tmp_path: Path) -> None:
    settings = dns_settings(tmp_path)
    state = SandboxState.demo()
    async with open_session(settings, FaultyTransport(state, Faults())) as session:
        plan = await make_plan(session)
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        undo = await plan_undo(session, report.apply_id)
        # Someone edits www CNAME after the apply: undo must leave it alone.
        www = next(r for r in state.records("example.ch") if r["source"] == "www")
        www["target"] = "elsewhere.example.net"
        session.ctx.cache.clear()
        again = await plan_undo(session, report.apply_id)
        assert "dns/example.ch/www CNAME" not in {c.address for c in again.changes}
        refused = [w for w in again.warnings if "www CNAME" in w]
        assert refused and "REFUSED, changed since" in refused[0]
        with pytest.raises(StalePlan):
            await apply_plan(
                session, expected_hash=undo.plan_hash, approval="test", source=undo_source(report.apply_id)
            )


async def test_undo_of_an_unknown_apply_is_a_clear_error(tmp_path: Path) -> None:
    transport = FaultyTransport(SandboxState.demo(), Faults())
    async with open_session(dns_settings(tmp_path), transport) as session:
        with pytest.raises(PlanError, match="no apply 'nope' in the audit log"):
            await plan_undo(session, "nope", entries=[])


async def test_undo_refuses_a_secret_it_only_has_a_fingerprint_of(make_session, write_items) -> None:
    write_items("main", "keep: {value: k}\nchange: {value: '2'}\nold: {value: o}\n")
    async with make_session() as session:
        entries: list[dict[str, Any]] = [
            {"event": "apply_attempt", "apply_id": "a1"},
            {
                "event": "applied",
                "apply_id": "a1",
                "kind": "items",
                "scope": "main",
                "key": ["change"],
                "action": "update",
                "before": {"value": "1", "tags": [], "secret": "(sensitive)"},
                "after": {"value": "1", "tags": []},
                "before_spec": {"value": "1", "tags": [], "secret": "(sensitive)"},
            },
        ]
        plan = await plan_undo(session, "a1", entries=entries)
    assert not plan.has_changes
    (refusal,) = [w for w in plan.warnings if "REFUSED" in w]
    assert "items/main: change" in refusal and "secret is a secret" in refusal
    assert "only a fingerprint" in refusal


async def test_undo_of_the_whole_demo_state_restores_every_kind(tmp_path: Path) -> None:
    # Every kind's render → parse path rebuilds its before-values, team members inside their team included.
    root = tmp_path / "state"
    shutil.copytree(REPO / "state", root)
    settings = load_settings(
        state_dir=root, sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")}, cwd=tmp_path
    )
    state = SandboxState.demo()
    transport = httpx.ASGITransport(app=create_app(state))
    async with Session(settings, load_config(root), transport=transport) as session:
        plan = await make_plan(session)
        assert {c.kind for c in plan.changes} >= {"dns", "teams", "share_links", "mailbox_security"}
        # force: the demo enables DNSSEC, a guarded change (and so is its undo).
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test", force=True)
        undo = await plan_undo(session, report.apply_id)
        assert [w for w in undo.warnings if "REFUSED" in w] == []
        assert len(undo.changes) == len(plan.changes)
        done = await apply_plan(
            session,
            expected_hash=undo.plan_hash,
            approval="test",
            source=undo_source(report.apply_id),
            force=True,
        )
        assert done.converged
        session.ctx.cache.clear()
        # Live state is the demo account again: the same plan as before the first apply.
        assert (await make_plan(session)).plan_hash == plan.plan_hash
