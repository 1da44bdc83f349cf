"""The run's progress counters: every fetched scope counted, requests and rate-limit waits read live."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import httpx
import pytest

from reconciler.api import SlidingWindowLimiter
from reconciler.engine import Session, make_plan, progress_text
from reconciler.sandbox import SandboxState, create_app
from reconciler.settings import load_settings
from tests.api.helpers import FakeClock, GatedSleep

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


async def test_a_wait_for_the_rate_limit_is_on_the_line_while_it_lasts(tmp_path: Path) -> None:
    clock = FakeClock()
    sleep = GatedSleep(clock)
    limiter = SlidingWindowLimiter(60, clock=clock, sleep=sleep)
    settings = load_settings(
        state_dir=tmp_path / "state", sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "w")}
    )
    transport = httpx.ASGITransport(app=create_app(SandboxState.demo()))
    async with Session(settings, transport=transport, client_options={"limiter": limiter}) as session:
        for _ in range(60):
            await limiter.acquire()
        clock.now += 19.0
        async with anyio.create_task_group() as tg:
            tg.start_soon(limiter.acquire)
            await sleep.asleep.wait()
            assert progress_text(session) == (
                "scopes 0/0 fetched · 0 requests · waiting 41 s for the rate limit "
                "(60 requests/min, INFOMANIAK_RATE_LIMIT)"
            )
            clock.now += 0.5
            assert "waiting 41 s" in progress_text(session)  # whole seconds, rounded up
            sleep.gate.set()
        assert progress_text(session).endswith("0 requests · 1 waits for the rate limit")
        limiter.hold(12.0)  # after a 429 the client sleeps out the Retry-After; the line says so too
        assert progress_text(session).endswith(
            "waiting 12 s for the rate limit (60 requests/min, INFOMANIAK_RATE_LIMIT)"
        )
