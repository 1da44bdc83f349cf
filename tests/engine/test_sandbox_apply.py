"""The engine against the simulator: partial failure, dropped connections, convergence."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from reconciler.api import REQUIRED_SCOPES
from reconciler.desired import load_config
from reconciler.engine import Session, apply_plan, make_plan
from reconciler.errors import ApiForbidden, ApplyError
from reconciler.kinds import all_kinds, get_kind
from reconciler.sandbox import SANDBOX_TOKEN, Faults, SandboxState, create_app
from reconciler.settings import load_settings

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(tmp_path: Path):
    root = tmp_path / "state"
    shutil.copytree(REPO / "state" / "dns", root / "dns")
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    return load_settings(
        state_dir=root, sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")}, cwd=tmp_path
    )


def _session(settings, app) -> Session:
    return Session(settings, transport=httpx.ASGITransport(app=app), kinds=[get_kind("dns")])


async def test_failure_on_the_nth_write_reports_exactly_and_next_plan_shows_the_rest(settings) -> None:
    faults = Faults(fail_on_write=3)
    app = create_app(SandboxState.demo(), faults=faults)
    async with _session(settings, app) as session:
        plan = await make_plan(session)
        assert len(plan.changes) == 5
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        error = caught.value
        assert error.applied == ["create dns/demo-shop.ch: shop A"]
        assert len(error.failed) == 1 and error.failed[0].startswith("create dns/example.ch: blog CNAME")
        assert "HTTP 500" in error.failed[0]
        assert error.not_attempted == [
            "update dns/example.ch: _dmarc TXT",
            "update dns/example.ch: www CNAME",
            "delete dns/example.ch: app A",
        ]
        faults.fail_on_write = None
        rest = await make_plan(session)
        assert [c.label for c in rest.changes] == [
            "create dns/example.ch: blog CNAME",
            *error.not_attempted,
        ]
        report = await apply_plan(session, expected_hash=rest.plan_hash, approval="test")
        assert report.converged
        assert not (await make_plan(session)).has_changes


async def test_a_write_whose_answer_was_lost_is_seen_by_the_verification(settings) -> None:
    # The connection drops after the simulator applied the write: the client cannot know it happened.
    faults = Faults(drop_connection_on=None, drop_after_handling=True)
    app = create_app(SandboxState.demo(), faults=faults)
    async with _session(settings, app) as session:
        plan = await make_plan(session)
        # The apply re-reads both zones (two GETs) before its first write.
        faults.drop_connection_on = faults.requests_seen + 3
        with pytest.raises(ApplyError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        assert caught.value.applied == []
        faults.drop_connection_on = None
        rest = await make_plan(session)
    # The first value of `shop A` was created before the drop: the plan now only completes the set.
    first = rest.changes[0]
    assert first.address == "dns/demo-shop.ch/shop A" and first.action == "update"
    assert first.fields[0].added == ["198.51.100.31"]


def _scoped_app(scopes: list[str]):
    return create_app(SandboxState.demo(), tokens=(), token_scopes={SANDBOX_TOKEN: scopes})


async def test_a_token_with_the_required_scopes_plans_and_applies_every_kind(demo_settings) -> None:
    app = _scoped_app(REQUIRED_SCOPES.split())
    config = load_config(demo_settings.state_dir)
    async with Session(demo_settings, config, transport=httpx.ASGITransport(app=app)) as session:
        plan = await make_plan(session)
        assert {change.kind for change in plan.changes} == {kind.name for kind in all_kinds()}
        # The demo's DNSSEC change is guarded, and its `allow` rule counts only once committed (this copy
        # is no git checkout): --force stands in for it.
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test", force=True)
        assert report.converged


@pytest.mark.parametrize("missing", REQUIRED_SCOPES.split())
async def test_each_required_scope_is_needed(demo_settings, missing: str) -> None:
    app = _scoped_app([scope for scope in REQUIRED_SCOPES.split() if scope != missing])
    config = load_config(demo_settings.state_dir)
    async with Session(demo_settings, config, transport=httpx.ASGITransport(app=app)) as session:
        # Reads fail while planning; a missing write scope fails the first write of the apply.
        with pytest.raises((ApiForbidden, ApplyError)) as caught:
            plan = await make_plan(session)
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test", force=True)
    assert f"this token lacks the scope {missing}" in str(caught.value)
