"""``sandbox serve`` fault flags: parsed into the simulator's Faults, and live on a served simulator."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reconciler.cli import build_parser, main
from reconciler.cli.sandbox_faults import describe_faults, faults_from_args
from reconciler.errors import SettingsError
from reconciler.sandbox import SANDBOX_TOKEN, Faults
from tests.cli.conftest import clean_env


def parse(*flags: str) -> Faults:
    return faults_from_args(build_parser().parse_args(["sandbox", "serve", *flags]))


def test_no_flag_means_no_fault():
    assert parse() == Faults()
    assert describe_faults(Faults()) == []


def test_every_flag_reaches_the_faults():
    faults = parse(
        "--latency", "0.2",
        "--rate-limit", "40",
        "--retry-after", "5",
        "--fail-on-write", "3",
        "--fail-status", "503",
        "--drop-connection-on", "7",
        "--drop-after-handling",
    )  # fmt: skip
    assert faults == Faults(
        latency_seconds=0.2,
        rate_limit_per_minute=40,
        retry_after_seconds=5.0,
        fail_on_write=3,
        fail_status=503,
        drop_connection_on=7,
        drop_after_handling=True,
    )
    assert describe_faults(faults) == [
        "latency 0.2 s per request",
        "rate limit 40 requests per sliding 60 s (429, Retry-After: 5)",
        "write #3 fails with HTTP 503",
        "request #7 is dropped after carrying it out",
    ]


@pytest.mark.parametrize(
    ("flags", "needs"),
    [(["--fail-status", "503"], "--fail-on-write"), (["--drop-after-handling"], "--drop-connection-on")],
)
def test_a_flag_without_the_one_it_refines_is_refused(flags, needs, capsys):
    with pytest.raises(SettingsError, match=needs):
        parse(*flags)
    assert main(["sandbox", "serve", *flags]) == 1
    assert needs in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags", [["--rate-limit", "0"], ["--fail-status", "200"], ["--latency", "-1"], ["--fail-on-write", "x"]]
)
def test_bad_values_are_usage_errors(flags):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["sandbox", "serve", *flags])
    assert info.value.code == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.e2e
def test_served_simulator_enforces_the_flags(tmp_path: Path) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(port)]
    command += ["--rate-limit", "3", "--retry-after", "7", "--fail-on-write", "1", "--fail-status", "503"]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=clean_env(INFOMANIAK_GITOPS_HOME=str(tmp_path / "home")),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("sandbox serve did not start")
                time.sleep(0.1)
        with httpx.Client(base_url=url, headers=headers, timeout=5) as client:
            record = {"source": "x", "type": "A", "target": "192.0.2.1", "ttl": 300}
            failed = client.post("/2/zones/example.ch/records", json=record)
            answers = [client.get("/2/zones/example.ch/records") for _ in range(3)]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert failed.status_code == 503
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "7"
    assert "fault: rate limit 3 requests per sliding 60 s (429, Retry-After: 7)" in output
    assert "fault: write #1 fails with HTTP 503" in output
