from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SERVED_TOKEN = "tk-" + "Zq81vXp0Lm4RtY7uWc2NbHs9KdFg3Je6" * 2
"""The token `server` accepts: the CLI runs in real mode (no --sandbox) against it."""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: no inherited Infomaniak settings, plus ``extra``."""
    # The per-test lock folder (tests/conftest.py) is kept: it is not a setting under test.
    keep = {"INFOMANIAK_GITOPS_LOCK_DIR"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOMANIAK") or k in keep}
    env.update(extra)
    return env


@pytest.fixture
def dns_state(tmp_path: Path) -> Path:
    """A copy of the repo's account file and DNS zones (the DNS part of the sandbox demo)."""
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    for zone in (REPO / "state" / "dns").glob("*.yaml"):
        shutil.copy(zone, root / "dns" / zone.name)
    return root


@pytest.fixture
def committed_dns_state(tmp_path: Path, dns_state: Path) -> Path:
    """``dns_state`` committed in a git repository at ``tmp_path``: what a real-account apply needs."""
    env = {**clean_env(), "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for args in (["init", "-q"], ["add", "state"], ["-c", "commit.gpgsign=false", "commit", "-qm", "state"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    return dns_state


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=tmp_path,
            env=env or clean_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`sandbox serve` on 127.0.0.1 (the demo account) as a real API; its URL. Stopped after the test."""
    port = _free_port()
    home = tmp_path / "server-home"
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(INFOMANIAK_API_TOKEN=SERVED_TOKEN, INFOMANIAK_GITOPS_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/1/accounts", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("sandbox serve did not start")
        yield url
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
        assert SERVED_TOKEN not in output
