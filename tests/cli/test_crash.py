"""kill -9 of a real `apply` at random points, against a slow `sandbox serve` on 127.0.0.1.

Each round starts `apply --auto-approve`, waits until the journal shows the randomly chosen write under way,
and kills the process with SIGKILL. The next `plan` must name the interrupted apply and show what remains;
the final apply converges, and the simulator holds no duplicate record. Bounded: two kills, a fixed seed,
every wait capped.
"""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.audit import verify_chain
from reconciler.engine.journal import read_journal
from tests.cli.conftest import clean_env

pytestmark = pytest.mark.e2e

LATENCY = "0.08"
"""Seconds the simulator waits on every request: a write is under way long enough to be killed in."""
KILLS = 2
WAIT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
        try:
            httpx.get(f"{url}/1/ping", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("sandbox serve did not start")


def _kill_during_write(proc: subprocess.Popen[str], journal: Path, after: str | None, write: int) -> None:
    """SIGKILL ``proc`` once the journal of a new apply (not ``after``) shows intent number ``write``."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"apply ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}"
            )
        state = read_journal(journal)
        if state is not None and state.apply_id != after and len(state.intents) >= write:
            proc.kill()  # SIGKILL: no handler runs, nothing is flushed
            proc.wait(timeout=WAIT)
            return
        time.sleep(0.005)
    proc.kill()
    raise AssertionError("the apply never reached the chosen write")


def _duplicates(sandbox_file: Path) -> list[tuple[str, str, str, str]]:
    if not sandbox_file.exists():
        return []  # nothing written yet: the simulator saves its state after the first write
    data = json.loads(sandbox_file.read_text())
    found = []
    for zone, body in data["zones"].items():
        counts = Counter((r["source"], r["type"], json.dumps(r.get("target"))) for r in body["records"])
        found += [(zone, *key) for key, count in counts.items() if count > 1]
    return found


@contextmanager
def _sandbox_served(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """``sandbox serve`` in its own process (home under ``tmp_path``), as a real account for the CLI.

    Yields the CLI's environment and the server's state file, whose content the tests inspect.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server_home = tmp_path / "server"
    server_home.mkdir()
    server = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port), "--latency", LATENCY],
        cwd=server_home,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_serving(url, server)
        env = clean_env(
            INFOMANIAK_API_URL=url, INFOMANIAK_API_TOKEN="sandbox-token", INFOMANIAK_RATE_LIMIT="0"
        )
        yield env, server_home / ".infomaniak-gitops" / "sandbox.json"
    finally:
        server.terminate()
        server.wait(timeout=WAIT)


def test_kill_9_during_apply_is_reported_and_the_rerun_converges_without_duplicates(
    tmp_path: Path, committed_dns_state: Path
) -> None:
    rng = random.Random(9)
    with _sandbox_served(tmp_path) as (env, live):

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "reconciler", *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=WAIT * 3,
            )

        journal = tmp_path / ".infomaniak-gitops" / "journal.jsonl"
        last_id: str | None = None
        remaining = 5
        for _ in range(KILLS):
            write = rng.randint(1, max(1, remaining - 1))
            proc = subprocess.Popen(
                [sys.executable, "-m", "reconciler", "apply", "--auto-approve"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            _kill_during_write(proc, journal, last_id, write)
            state = read_journal(journal)
            assert state is not None and state.outcome is None  # killed: no end record
            last_id = state.apply_id

            plan = cli("plan", "--detailed-exitcode")
            assert plan.returncode == 2, plan.stderr
            shown = re.search(rf"apply {last_id} was interrupted after (\d+) of (\d+) changes", plan.stdout)
            assert shown, plan.stdout
            assert int(shown.group(1)) < int(shown.group(2)) == len(state.labels)
            # The write in flight when it died is named, and checked against the plan below.
            for label in state.in_flight:
                assert f"outcome unknown (the answer was lost): {label}" in plan.stdout
            counts = re.search(r"Plan: (\d+) to create, (\d+) to update, (\d+) to delete", plan.stdout)
            assert counts, plan.stdout
            remaining = sum(int(n) for n in counts.groups())
            assert _duplicates(live) == []

        final = cli("apply", "--auto-approve")
        assert final.returncode == 0, final.stderr
        assert "Verified: live state now matches the desired state." in final.stdout
        state = read_journal(journal)
        assert state is not None and state.outcome == "converged" and not state.interrupted
        work = tmp_path / ".infomaniak-gitops"
        audit = [json.loads(line) for line in (work / "audit.jsonl").read_text().splitlines()]
        # Each killed apply left no apply_done; the apply after it recorded it from the journal.
        assert sum(1 for entry in audit if entry["event"] == "apply_interrupted") == KILLS
        assert verify_chain(work / "audit.jsonl").ok
        assert _duplicates(live) == []


def test_ctrl_c_during_apply_says_at_once_what_was_applied_and_what_is_unknown(
    tmp_path: Path, committed_dns_state: Path
) -> None:
    with _sandbox_served(tmp_path) as (env, live):
        journal = tmp_path / ".infomaniak-gitops" / "journal.jsonl"
        proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "apply", "--auto-approve"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            state = read_journal(journal)
            if state is not None and len(state.intents) >= 3:  # the third write is under way
                proc.send_signal(signal.SIGINT)
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)
        else:
            proc.kill()
            raise AssertionError("the apply never reached its third write")
        _, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 1, err  # docs/safety.md, failure table: Ctrl-C exits 1
        state = read_journal(journal)
        assert state is not None and state.outcome == "interrupted"
        total = len(state.changes)
        # Said at once, before the generic line: the apply, what was applied, what is unknown, what to do.
        notice = err[err.index(f"warning: apply {state.apply_id} was interrupted") :]
        assert f"was interrupted after {state.done} of {total} changes" in notice
        assert state.done >= 2 and len(state.in_flight) <= 1 and state.not_started
        applied = [
            state.changes[n].label for n, status in sorted(state.results.items()) if status == "applied"
        ]
        for label in applied:
            assert f"  applied: {label}" in notice
        for label in state.in_flight:
            assert f"  outcome unknown (its write was under way): {label}" in notice
        for label in state.not_started:
            assert f"  not started: {label}" in notice
        assert "Next: `plan` shows what remains" in notice
        assert notice.rstrip().endswith("interrupted")
        assert "Traceback" not in err

        work = tmp_path / ".infomaniak-gitops"
        audit = [json.loads(line) for line in (work / "audit.jsonl").read_text().splitlines()]
        (done,) = [e for e in audit if e["event"] == "apply_done" and e["apply_id"] == state.apply_id]
        assert done["outcome"] == "interrupted"
        assert len(done["applied"]) == state.done and len(done["outcome_unknown"]) == len(state.in_flight)
        assert len(done["not_attempted"]) == len(state.not_started)
        assert verify_chain(work / "audit.jsonl").ok

        final = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", "--auto-approve"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=WAIT * 3,
        )
        assert final.returncode == 0, final.stderr
        assert "Verified: live state now matches the desired state." in final.stdout
        assert _duplicates(live) == []
