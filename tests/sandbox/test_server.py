"""``serve`` as a real HTTP server on 127.0.0.1: answers, persists writes, drops connections for real."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import SANDBOX_TOKEN, SandboxState
from reconciler.sandbox.server import build_server, load_state, serve

# Request 1 is the readiness probe, 2 a write, 3 is dropped.
_SERVE = """
import sys
from pathlib import Path
from reconciler.sandbox import Faults
from reconciler.sandbox.server import serve
serve(Path(sys.argv[1]), port=int(sys.argv[2]), faults=Faults(drop_connection_on=3), log_level="critical")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    state_path = tmp_path / "sandbox.json"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(state_path), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base_url}/2/zones/example.ch/exists", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sandbox server did not start") from None
                time.sleep(0.05)
        yield base_url, state_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.e2e
def test_serve_answers_persists_and_drops(server):
    base_url, state_path = server
    headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=5) as client:
        created = client.post(
            "/2/zones/example.ch/records",
            json={"source": "srv", "type": "A", "target": "192.0.2.8", "ttl": 300},
        )
        assert created.status_code == 201
        assert created.text.startswith('{"result":"success","data":{"id":')
        saved = SandboxState.load(state_path)
        assert saved.find_record("example.ch", created.json()["data"]["id"]) is not None
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/2/zones/example.ch/records")
        assert client.get("/2/zones/example.ch/records").json()["result"] == "success"


def test_serve_refuses_other_hosts():
    for host in ("0.0.0.0", "localhost", "192.0.2.1"):
        with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
            serve(None, host=host, port=8080)


def test_build_server_binds_localhost():
    server = build_server(None, port=8081)
    assert (server.config.host, server.config.port) == ("127.0.0.1", 8081)


def test_load_state_prefers_the_saved_file(tmp_path):
    path = tmp_path / "state.json"
    assert load_state(path) == SandboxState.demo()
    saved = SandboxState.demo()
    saved.data["tags"] = [{"id": 7}]
    path.write_text(json.dumps(saved.to_json()), encoding="utf-8")
    assert load_state(path).data["tags"] == [{"id": 7}]
