"""The stdio front as clients meet it: a real ``infomaniak-gitops mcp`` subprocess spoken to with raw JSON-RPC
lines and with the official client, each answer compared with the SDK-only path (``--no-fast-start``)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from reconciler.mcp import ToolName

pytestmark = pytest.mark.e2e

TIMEOUT = 90  # generous: the SDK loads in a second or two, slower on a busy machine; never a timing assert
FAST: tuple[str, ...] = ()
SDK_ONLY = ("--no-fast-start",)


def initialize(ident: int = 1, version: str = "2025-06-18") -> dict[str, Any]:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
    return {"jsonrpc": "2.0", "id": ident, "method": "initialize", "params": params}


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def request(ident: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    return message


def call(ident: int, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return request(ident, "tools/call", {"name": tool, "arguments": arguments or {}})


class Server:
    """``infomaniak-gitops -v --sandbox --state DIR mcp``, its stdout read line by line on a thread."""

    def __init__(
        self, tmp_path: Path, state_dir: Path, *flags: str, env: dict[str, str] | None = None
    ) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        environ = {"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "PATH": "/usr/bin:/bin", **(env or {})}
        argv = [
            sys.executable,
            "-m",
            "reconciler",
            "-v",
            "--sandbox",
            "--state",
            str(state_dir),
            "mcp",
            *flags,
        ]
        self.proc = subprocess.Popen(
            argv,
            cwd=tmp_path,
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.raw: list[bytes] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, *messages: dict[str, Any] | str) -> None:
        assert self.proc.stdin is not None
        data = "".join(m if isinstance(m, str) else json.dumps(m) + "\n" for m in messages)
        self.proc.stdin.write(data.encode())
        self.proc.stdin.flush()

    def answer(self, ident: Any) -> bytes:
        """The raw line answering ``ident`` (every stdout line read meanwhile must be JSON-RPC)."""
        for line in self.raw:
            if json.loads(line).get("id") == ident:
                return line
        while True:
            line = self.lines.get(timeout=TIMEOUT)
            message = json.loads(line)
            assert message["jsonrpc"] == "2.0", line
            self.raw.append(line)
            if message.get("id") == ident:
                return line

    def close(self) -> tuple[int, str]:
        """Close stdin; the exit code and stderr once it ended (every line left on stdout is read too)."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=TIMEOUT)
        stderr = self.proc.stderr.read().decode()
        self.proc.stderr.close()
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:
                break
            assert json.loads(line)["jsonrpc"] == "2.0", line
            self.raw.append(line)
        return code, stderr

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def result(line: bytes) -> Any:
    return json.loads(line)["result"]


def run(tmp_path: Path, state_dir: Path, flags: tuple[str, ...], script: list[list[Any]]) -> dict[str, Any]:
    """Send each step's messages, wait for the answers to its request ids; return answers, exit, stderr."""
    server = Server(tmp_path / ("fast" if not flags else "sdk"), state_dir, *flags)
    try:
        answers: dict[Any, bytes] = {}
        for step in script:
            server.send(*step)
            for message in step:
                if isinstance(message, dict) and "id" in message and message["method"] != "ignored":
                    answers[message["id"]] = server.answer(message["id"])
        code, stderr = server.close()
        return {"answers": answers, "code": code, "stderr": stderr, "raw": server.raw}
    finally:
        server.kill()


def test_handshake_tools_list_and_a_call_answer_as_the_sdk_does(tmp_path: Path, state_dir: Path) -> None:
    script = [
        [initialize(1)],
        [INITIALIZED, request(2, "tools/list"), request(3, "ping")],
        [call(4, ToolName.OVERVIEW.value)],
        ["this is not JSON\n", request(5, "tools/list")],
    ]
    fast = run(tmp_path, state_dir, FAST, script)
    sdk = run(tmp_path, state_dir, SDK_ONLY, script)
    for ident in (1, 2, 3, 5):
        assert fast["answers"][ident] == sdk["answers"][ident], ident  # byte for byte
    overview = result(fast["answers"][4])["structuredContent"]
    assert overview["account_id"] == 123456 and overview["sandbox"] is True
    assert overview == result(sdk["answers"][4])["structuredContent"]
    # The malformed line got no answer on either path, and every line on stdout is an answer.
    assert len(fast["raw"]) == len(sdk["raw"]) == 5
    assert fast["code"] == sdk["code"] == 0
    assert "the front answered initialize, tools/list, ping and queued 1 request(s)" in fast["stderr"]


def test_a_call_sent_before_the_sdk_is_loaded_is_answered_by_it(tmp_path: Path, state_dir: Path) -> None:
    # All at once, at spawn: the SDK takes a second or more to load, the front answers in milliseconds.
    script = [[initialize(1), INITIALIZED, call(2, ToolName.OVERVIEW.value), request(3, "tools/list")]]
    fast = run(tmp_path, state_dir, FAST, script)
    assert "queued 1 request(s) for it: tools/call" in fast["stderr"]
    assert result(fast["answers"][2])["structuredContent"]["account_id"] == 123456
    assert ToolName.OVERVIEW.value in {tool["name"] for tool in result(fast["answers"][3])["tools"]}


def test_an_unsupported_protocol_version_gets_the_latest(tmp_path: Path, state_dir: Path) -> None:
    script = [[initialize(1, "1999-01-01")], [INITIALIZED, request(2, "tools/list")]]
    fast = run(tmp_path, state_dir, FAST, script)
    sdk = run(tmp_path, state_dir, SDK_ONLY, script)
    assert result(fast["answers"][1])["protocolVersion"] == LATEST_HANDSHAKE_VERSION
    assert fast["answers"] == sdk["answers"]


def test_tools_list_before_initialize_is_refused_as_the_sdk_refuses_it(
    tmp_path: Path, state_dir: Path
) -> None:
    script = [[request(1, "tools/list")], [initialize(2)], [INITIALIZED, request(3, "tools/list")]]
    fast = run(tmp_path, state_dir, FAST, script)
    sdk = run(tmp_path, state_dir, SDK_ONLY, script)
    assert "error" in json.loads(fast["answers"][1])
    assert fast["answers"] == sdk["answers"]
    assert "the front answered nothing" in fast["stderr"]


def test_stdin_closed_early_ends_the_server_cleanly(tmp_path: Path, state_dir: Path) -> None:
    # Right after the handshake: nothing is left to answer, so the front ends without loading the SDK.
    fast = run(tmp_path, state_dir, FAST, [[initialize(1)]])
    assert fast["code"] == 0 and list(fast["answers"]) == [1]
    assert "takes over" not in fast["stderr"]
    # Before anything at all.
    silent = Server(tmp_path / "silent", state_dir)
    try:
        assert silent.close()[0] == 0 and silent.raw == []
    finally:
        silent.kill()
    # With a call in flight the front leaves the end to the SDK, which loads and reads the call first. The
    # SDK cancels what is still running at end of input, so the call may or may not get its answer (on
    # either path): the process ends cleanly either way.
    script = [[initialize(1), INITIALIZED, call(2, ToolName.CATALOG.value)]]
    for flags in (FAST, SDK_ONLY):
        server = Server(tmp_path / f"pending{len(flags)}", state_dir, *flags)
        try:
            server.send(*script[0])
            code, stderr = server.close()
        finally:
            server.kill()
        assert code == 0
        assert [json.loads(line)["id"] for line in server.raw] in ([1], [1, 2]), flags
        assert ("takes over" in stderr) is (flags == FAST)


def test_a_server_that_cannot_start_says_why_to_the_client_and_on_stderr(
    tmp_path: Path, state_dir: Path
) -> None:
    (state_dir / "infomaniak.yaml").write_text("account: 123456\napproval:\n  mode: yolo\n", encoding="utf-8")
    script = [[initialize(1), INITIALIZED, call(2, ToolName.OVERVIEW.value)]]
    fast = run(tmp_path, state_dir, FAST, script)
    error = json.loads(fast["answers"][2])["error"]
    assert error["code"] == -32603
    assert error["message"].startswith("infomaniak-gitops could not start its MCP server: ")
    assert "infomaniak.yaml" in error["message"]
    assert fast["code"] == 1
    sdk = Server(tmp_path / "sdk", state_dir, *SDK_ONLY)
    try:
        code, stderr = sdk.close()
    finally:
        sdk.kill()
    assert code == 1 and sdk.raw == []
    # The same error line on stderr as the SDK-only path prints.
    (line,) = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert line in fast["stderr"].splitlines()


def test_an_sdk_that_fails_to_load_is_an_error_for_the_client_not_a_hang(
    tmp_path: Path, state_dir: Path
) -> None:
    broken = tmp_path / "broken" / "mcp"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise ImportError("the MCP SDK is broken here")\n', encoding="utf-8")
    server = Server(tmp_path / "fast", state_dir, env={"PYTHONPATH": str(broken.parent)})
    try:
        server.send(initialize(1), INITIALIZED, call(2, ToolName.OVERVIEW.value))
        init = json.loads(server.answer(1))  # the front needs no SDK
        error = json.loads(server.answer(2))["error"]
        code, stderr = server.close()
    finally:
        server.kill()
    assert init["result"]["serverInfo"]["name"] == "infomaniak-gitops"
    assert error["code"] == -32603
    assert "could not start its MCP server: ImportError: the MCP SDK is broken here" in error["message"]
    assert code == 1
    assert "ImportError: the MCP SDK is broken here" in stderr


def test_a_bad_launch_mode_is_refused_before_anything_is_answered(tmp_path: Path, state_dir: Path) -> None:
    for flags in (FAST, SDK_ONLY):
        server = Server(
            tmp_path / f"bad{len(flags)}", state_dir, *flags, env={"INFOMANIAK_APPROVAL_MODE": "yolo"}
        )
        try:
            server.send(initialize(1))
            code, stderr = server.close()
        finally:
            server.kill()
        assert code == 1 and server.raw == []
        assert "INFOMANIAK_APPROVAL_MODE='yolo' is not an approval mode" in stderr


def test_read_only_lists_and_refuses_as_the_sdk_does(tmp_path: Path, state_dir: Path) -> None:
    script = [
        [initialize(1)],
        [INITIALIZED, request(2, "tools/list"), call(3, ToolName.DESIRED_SET.value, {"kind": "dns"})],
    ]
    fast = run(tmp_path, state_dir, ("--read-only",), script)
    sdk = run(tmp_path, state_dir, ("--read-only", *SDK_ONLY), script)
    assert fast["answers"] == sdk["answers"]
    names = [tool["name"] for tool in result(fast["answers"][2])["tools"]]
    assert ToolName.PLAN.value in names and ToolName.DESIRED_SET.value not in names
    assert "read-only" in result(fast["answers"][3])["content"][0]["text"]


async def _official_client(tmp_path: Path, state_dir: Path, flags: tuple[str, ...]) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reconciler", "-v", "--sandbox", "--state", str(state_dir), "mcp", *flags],
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work" / str(len(flags)))},
        cwd=tmp_path,
    )
    log = (tmp_path / f"stderr{len(flags)}.log").open("w")
    try:
        with anyio.fail_after(TIMEOUT):
            async with (
                stdio_client(params, errlog=log) as (read, write),
                ClientSession(read, write) as session,
            ):
                init = await session.initialize()
                tools = await session.list_tools()
                overview = await session.call_tool(ToolName.OVERVIEW.value, {})
                await session.send_ping()
    finally:
        log.close()
    return {
        "init": init.model_dump(),
        "tools": tools.model_dump(),
        "overview": overview.structured_content,
        "stderr": (tmp_path / f"stderr{len(flags)}.log").read_text(),
    }


@pytest.mark.anyio
async def test_the_official_client_sees_the_same_server(tmp_path: Path, state_dir: Path) -> None:
    fast = await _official_client(tmp_path, state_dir, FAST)
    sdk = await _official_client(tmp_path, state_dir, SDK_ONLY)
    assert fast["init"] == sdk["init"]
    assert fast["tools"] == sdk["tools"]
    assert fast["overview"] == sdk["overview"] and fast["overview"]["account_id"] == 123456
    assert "the front answered initialize, tools/list" in fast["stderr"]
