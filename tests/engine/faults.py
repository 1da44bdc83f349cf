"""Fault injection around the simulator for apply tests: a transport that breaks the Nth write, a kind that
raises, and the checks that an apply's report, audit log and journal tell the truth."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from reconciler.engine import Plan, Session, make_plan
from reconciler.kinds import get_kind
from reconciler.kinds.base import DesiredObject, Kind, LiveObject, RunContext
from reconciler.sandbox import Faults, SandboxState, create_app
from reconciler.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def dns_settings(tmp_path: Path, **env: str) -> Settings:
    """The repo's DNS files against the in-process demo account; retries off unless a test asks."""
    root = tmp_path / "state"
    if not root.exists():
        shutil.copytree(REPO / "state" / "dns", root / "dns")
        shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    return load_settings(
        state_dir=root,
        sandbox=True,
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "INFOMANIAK_RETRY_BUDGET": "0", **env},
        cwd=tmp_path,
    )


class FaultyTransport(httpx.AsyncBaseTransport):
    """The simulator behind faults the simulator itself cannot make on the Nth *write*.

    ``mode`` (armed at write ``at``): ``drop`` / ``drop_after`` (the connection drops before or after the
    simulator handled that write), ``429`` (that write and every later one is rate limited), ``reads``
    (every GET after that write answers 503: the verification fetch fails).
    """

    def __init__(self, state: SandboxState, faults: Faults) -> None:
        self.state = state
        self.faults = faults
        self.inner = httpx.ASGITransport(app=create_app(state, faults=faults))
        self.writes = 0
        self.mode: str | None = None
        self.at = 0

    def clear(self) -> None:
        self.mode = None
        self.faults.fail_on_write = None
        self.faults.drop_connection_on = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method in WRITES:
            self.writes += 1
            if self.mode == "429" and self.writes >= self.at:
                return _error(429, "too_many_requests")
            if self.mode in ("drop", "drop_after") and self.writes == self.at:
                self.faults.drop_after_handling = self.mode == "drop_after"
                self.faults.drop_connection_on = self.faults.requests_seen + 1
        elif self.mode == "reads" and self.writes >= self.at:
            return _error(503, "service_unavailable")
        return await self.inner.handle_async_request(request)


def _error(status: int, code: str) -> httpx.Response:
    body = {"result": "error", "error": {"code": code, "description": code.replace("_", " ")}}
    return httpx.Response(status, json=body, headers={"Retry-After": "1"})


class RaisingKind:
    """A kind that delegates to a real one but raises ``error`` on its Nth create/update/delete."""

    def __init__(self, inner: Kind, *, at: int | None, error: BaseException) -> None:
        self._inner = inner
        self.at = at
        self.error = error
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _tick(self) -> None:
        self.calls += 1
        if self.at is not None and self.calls == self.at:
            raise self.error

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        self._tick()
        await self._inner.create(ctx, scope, desired)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        self._tick()
        await self._inner.update(ctx, scope, desired, live)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        self._tick()
        await self._inner.delete(ctx, scope, live)


def open_session(settings: Settings, transport: FaultyTransport, kind: Any = None) -> Session:
    session = Session(settings, transport=transport, kinds=[kind or get_kind("dns")])
    return session


async def no_sleep(delay: float) -> None:
    """Back-off pauses take no time in these tests."""


def audit_entries(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in settings.audit_file.read_text().splitlines()]


def duplicates(state: SandboxState) -> list[tuple[Any, ...]]:
    """Records stored twice in a zone (same name, type and value): what a repeated create leaves."""
    found = []
    for zone in ("example.ch", "demo-shop.ch"):
        counts = Counter((r["source"], r["type"], json.dumps(r.get("target"))) for r in state.records(zone))
        found += [(zone, *item) for item, count in counts.items() if count > 1]
    return found


def lines_and_addresses(done: dict[str, Any], name: str) -> list[tuple[str, str]]:
    """A report list's lines, each with the address the report keeps for it (never read out of the line)."""
    lines, addresses = done[name], done.get("addresses", {}).get(name, [])
    assert len(addresses) == len(lines), f"{name}: {len(lines)} lines but {len(addresses)} addresses"
    return list(zip(lines, addresses, strict=True))


def check_report_is_true(done: dict[str, Any], total: int, fresh: Plan) -> None:
    """Each change is in exactly one list, and live state agrees with the list it is in."""
    lists = ("applied", "failed", "outcome_unknown", "not_attempted")
    assert sum(len(done[name]) for name in lists) == total, done
    planned = {c.address for c in fresh.changes}
    for label, address in lines_and_addresses(done, "applied"):
        assert address not in planned, f"reported applied but still planned: {label}"
    for label, address in lines_and_addresses(done, "not_attempted"):
        assert address in planned, f"reported not attempted but already in place: {label}"
    for label, address in lines_and_addresses(done, "failed"):
        in_place = "it is in place now" in label
        assert (address not in planned) == in_place, f"failed entry disagrees with live: {label}"
    for label, address in lines_and_addresses(done, "outcome_unknown"):
        took = "it took effect" in label
        if "verification:" in label:
            assert (address not in planned) == took, f"unknown outcome misjudged: {label}"


async def fresh_plan(session: Session) -> Plan:
    session.ctx.cache.clear()
    return await make_plan(session)
