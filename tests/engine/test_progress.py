"""The run's progress counters: every fetched scope counted, requests and rate-limit waits read live."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from reconciler.engine import Session, make_plan, progress_text
from reconciler.sandbox import SandboxState, create_app
from reconciler.settings import load_settings

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


async def test_a_plan_counts_each_scope_it_fetches(tmp_path: Path) -> None:
    shutil.copytree(REPO / "state", tmp_path / "state")
    settings = load_settings(
        state_dir=tmp_path / "state", sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "w")}
    )
    session = Session(settings, transport=httpx.ASGITransport(app=create_app(SandboxState.demo())))
    assert progress_text(session) == "scopes 0/0"
    async with session:
        await make_plan(session)
        scopes = session.progress.scopes_total
        assert scopes >= 5 and session.progress.scopes_done == scopes
        requests = session.client.call_count
        assert progress_text(session) == f"scopes {scopes}/{scopes} fetched · {requests} requests"
        session.client.limiter.waits = 3
        assert progress_text(session).endswith(" · 3 waits for the rate limit")
