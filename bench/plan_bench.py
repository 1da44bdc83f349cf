"""Benchmark: plan and apply of large zones against the in-process simulator (a quick, single-process probe).

Prints API calls, client CPU, wall time, and (in a separate run) peak Python memory for:
  1. a plan of N zones x R records with no changes (the steady state CI runs on every PR);
  2. a plan + apply where 10 % of the records change (creates, updates, deletes).

The simulator runs in this process, so its CPU is measured apart (around every call into the app) and
subtracted: the figures are the client's. ``tracemalloc`` slows Python down several times, so memory comes
from a run of its own, never from a timed one. ``bench/run`` gives the reference figures (separate processes,
octoDNS side by side).

Usage: python bench/plan_bench.py [--zones 5] [--records 1000]
Not run by the test suite (timing is never asserted in tests).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

from reconciler.desired import write_yaml_file
from reconciler.engine import Session, apply_plan, make_plan
from reconciler.kinds import get_kind
from reconciler.sandbox import SandboxState, create_app
from reconciler.settings import load_settings


def build_state(zones: int, records: int) -> SandboxState:
    state = SandboxState.demo()
    state.data["zones"] = {}
    for z in range(zones):
        fqdn = f"bench{z}.example"
        rows: list[dict[str, Any]] = []
        for r in range(records):
            kind = r % 4
            source = f"host{r}"
            if kind == 0:
                row = {"type": "A", "target": f"198.51.{r // 250 % 250}.{r % 250 + 1}"}
            elif kind == 1:
                row = {"type": "AAAA", "target": f"2001:db8::{r:x}"}
            elif kind == 2:
                row = {"type": "TXT", "target": f'"v=spf1 include:_spf{r}.example -all"'}
            else:
                row = {"type": "MX", "target": f"10 mx{r}.example"}
            rows.append({"id": state.new_id(), "source": source, **row, "ttl": 3600, "updated_at": 1})
        state.data["zones"][fqdn] = {
            "id": state.new_id(),
            "fqdn": fqdn,
            "dnssec": {"is_enabled": False},
            "nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"],
            "skel": "",
            "records": rows,
        }
    return state


class TimedApp:
    """The simulator's ASGI app, adding up the CPU spent inside it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cpu = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.cpu += time.process_time() - start


async def run(zones: int, records: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        state = build_state(zones, records)
        app = TimedApp(create_app(state))
        settings = load_settings(
            state_dir=work / "state",
            sandbox=True,
            env={"INFOMANIAK_GITOPS_HOME": str(work / "home")},
            cwd=work,
        )
        dns = get_kind("dns")
        async with Session(settings, transport=httpx.ASGITransport(app=app), kinds=[dns]) as session:
            for fqdn in state.data["zones"]:
                live = await dns.fetch(session.ctx, fqdn)
                write_yaml_file(dns.path_for(settings.state_dir, fqdn), dns.render(live, fqdn))
            total = zones * records
            print(f"{zones} zone(s) x {records} records = {total} records")

            calls = session.client.call_count
            server, cpu, wall = app.cpu, time.process_time(), time.perf_counter()
            plan = await make_plan(session)
            cpu, wall = time.process_time() - cpu - (app.cpu - server), time.perf_counter() - wall
            tracemalloc.start()
            await make_plan(session)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"steady-state plan: {len(plan.changes)} changes, "
                f"{session.client.call_count - calls} API calls, "
                f"client cpu {cpu:.2f}s, wall {wall:.2f}s (simulator included), "
                f"peak {peak / 2**20:.1f} MiB (separate run)"
            )

            # Change 10 % of each zone: drop every 20th name, retarget every 20th+10.
            for fqdn in state.data["zones"]:
                path = dns.path_for(settings.state_dir, fqdn)
                text = path.read_text().splitlines(keepends=True)
                edited = "".join(text).replace("v=spf1 include:_spf1", "v=spf1 include:_spf9")
                path.write_text(edited)
            calls = session.client.call_count
            server, cpu, wall = app.cpu, time.process_time(), time.perf_counter()
            plan = await make_plan(session)
            report = await apply_plan(session, expected_hash=plan.plan_hash, approval="bench", force=True)
            cpu, wall = time.process_time() - cpu - (app.cpu - server), time.perf_counter() - wall
            print(
                f"plan+apply+verify: {len(report.applied)} changes applied, "
                f"{session.client.call_count - calls} API calls, client cpu {cpu:.2f}s, wall {wall:.2f}s, "
                f"converged={report.converged}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--zones", type=int, default=5)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(run(args.zones, args.records))


if __name__ == "__main__":
    main()
