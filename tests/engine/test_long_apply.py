"""A long apply (well over 60 writes) against a simulator enforcing a per-minute limit, on virtual time.

The client and the simulator share one fake clock: the minutes of rate limiting happen in milliseconds,
and nothing here asserts how long anything took in real time.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from reconciler.api import SlidingWindowLimiter
from reconciler.engine import Session, apply_plan, make_plan
from reconciler.kinds import get_kind
from reconciler.sandbox import Faults, SandboxState, create_app
from reconciler.settings import load_settings
from tests.api.helpers import FakeClock, max_in_window

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
WRITES = 130


@pytest.fixture
def settings(tmp_path: Path):
    root = tmp_path / "state"
    shutil.copytree(REPO / "state" / "dns", root / "dns")
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    zone = root / "dns" / "example.ch.yaml"
    bulk = "".join(
        f"bulk-{i:03d}:\n  type: A\n  ttl: 300\n  value: 198.51.100.{i + 1}\n" for i in range(WRITES)
    )
    zone.write_text(zone.read_text(encoding="utf-8") + bulk, encoding="utf-8")
    return load_settings(
        state_dir=root, sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")}, cwd=tmp_path
    )


class Recorder:
    """ASGI wrapper noting (virtual time, status) of every answer of the simulator."""

    def __init__(self, app: Any, clock: FakeClock) -> None:
        self.app, self.clock = app, clock
        self.answers: list[tuple[float, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.answers.append((self.clock.now, message["status"]))
            await send(message)

        await self.app(scope, receive, noting)


@pytest.mark.parametrize(
    ("client_limit", "server_limit", "retry_after"),
    [
        pytest.param(60, 60, None, id="client-and-server-at-60"),
        pytest.param(60, 40, None, id="stricter-server-no-retry-after"),
        pytest.param(60, 40, 5.0, id="stricter-server-retry-after-5"),
        pytest.param(0, 60, None, id="no-client-limit-backs-off"),
    ],
)
async def test_long_apply_under_a_rate_limit_completes(settings, client_limit, server_limit, retry_after):
    clock = FakeClock()
    faults = Faults(rate_limit_per_minute=server_limit, retry_after_seconds=retry_after)
    recorder = Recorder(create_app(SandboxState.demo(), faults=faults, clock=clock), clock)
    options = {
        "limiter": SlidingWindowLimiter(client_limit, clock=clock, sleep=clock.sleep),
        "clock": clock,
        "sleep": clock.sleep,
    }

    def session() -> Session:
        transport = httpx.ASGITransport(app=recorder)
        return Session(settings, transport=transport, kinds=[get_kind("dns")], client_options=options)

    start = clock.now
    async with session() as opened:
        plan = await make_plan(opened)
        assert sum(c.action == "create" for c in plan.changes) >= WRITES
        report = await apply_plan(opened, expected_hash=plan.plan_hash, approval="test")
    assert len(report.applied) == len(plan.changes)
    assert report.failed == [] and report.not_attempted == []
    assert report.converged
    async with session() as opened:
        assert (await make_plan(opened)).changes == []

    accepted = [at for at, status in recorder.answers if status != 429]
    refused = [at for at, status in recorder.answers if status == 429]
    assert max_in_window(accepted) <= server_limit
    # More requests than one window allows: the limit really was in play, for minutes of virtual time.
    assert len(accepted) > server_limit
    assert clock.now - start >= 60.0
    if client_limit == server_limit:
        assert refused == []  # the client's own window kept it under the server's: no 429 at all
    else:
        assert refused  # the server was stricter than the client believed; retries carried the apply


async def test_concurrent_fetches_of_many_scopes_fill_the_window_without_a_429(tmp_path: Path):
    # 30 zones, fetched 8 at a time, through a client allowed 10 a minute against a server enforcing 10.
    state = SandboxState.demo()
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    template = state.data["zones"]["example.ch"]
    for index in range(30):
        zone = f"zone{index:02d}.ch"
        state.data["zones"][zone] = {**copy.deepcopy(template), "id": 900000 + index, "fqdn": zone}
        (root / "dns" / f"{zone}.yaml").write_text("www:\n  type: A\n  value: 192.0.2.1\n", encoding="utf-8")
    settings = load_settings(
        state_dir=root, sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")}, cwd=tmp_path
    )
    clock = FakeClock()
    recorder = Recorder(create_app(state, faults=Faults(rate_limit_per_minute=10), clock=clock), clock)
    limiter = SlidingWindowLimiter(10, clock=clock, sleep=clock.sleep)
    options = {"limiter": limiter, "clock": clock, "sleep": clock.sleep}
    transport = httpx.ASGITransport(app=recorder)
    async with Session(
        settings, transport=transport, kinds=[get_kind("dns")], client_options=options
    ) as session:
        plan = await make_plan(session)
    assert len(plan.scopes) == 30
    times = [at for at, _ in recorder.answers]
    assert [status for _, status in recorder.answers] == [200] * 30
    assert max_in_window(times) == 10  # every window was filled, never crossed:
    assert max(times) - min(times) == pytest.approx(120.0)  # 30 requests at 10 a minute: at 0, 60 and 120 s
    assert limiter.waits > 0
