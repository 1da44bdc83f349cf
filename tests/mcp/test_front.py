"""The stdio front's decisions, in process: what it answers, what it leaves to the SDK, and that whatever it
accepts the SDK accepts too (so the SDK never disagrees with an answer already sent)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

from reconciler.mcp.front import MANIFEST, SDK_DISTRIBUTIONS, Answers, Front, installed_versions
from reconciler.mcp.handshake import INTERNAL_ERROR

CLIENT = {"name": "client", "version": "1.0"}


def initialize(ident: Any = 1, version: str = "2025-06-18", **params: Any) -> str:
    body = {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT, **params}
    return json.dumps({"jsonrpc": "2.0", "id": ident, "method": "initialize", "params": body}) + "\n"


def request(ident: Any, method: str, params: Any = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message) + "\n"


INITIALIZED = '{"jsonrpc": "2.0", "method": "notifications/initialized"}\n'


class FakeWire:
    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []

    def write(self, text: str) -> None:
        assert text.endswith("\n") and text.count("\n") == 1
        self.written.append(json.loads(text))


class Harness:
    def __init__(self, *, read_only: bool = False) -> None:
        self.wire = FakeWire()
        self.quiet_eofs = 0
        self.answers = Answers.load(read_only=read_only)
        self.front = Front(self.answers, self.wire, on_quiet_eof=self._quiet)  # type: ignore[arg-type]

    def _quiet(self) -> None:
        self.quiet_eofs += 1

    def feed(self, *lines: str) -> None:
        for line in lines:
            self.front.feed(line)

    def queued(self) -> list[str | None]:
        found = []
        while not self.front.queue.empty():
            found.append(self.front.queue.get_nowait())
        return found


def test_answers_initialize_tools_list_and_ping_from_the_manifest() -> None:
    h = Harness()
    h.feed(initialize(7), INITIALIZED, request(8, "tools/list"), request("p", "ping", {}))
    assert [m["id"] for m in h.wire.written] == [7, 8, "p"]
    init, tools, ping = (m["result"] for m in h.wire.written)
    assert init["protocolVersion"] == "2025-06-18"
    assert init["serverInfo"]["name"] == "infomaniak-gitops"
    assert init == h.answers.result("initialize", "2025-06-18")
    assert "ik_apply" in [tool["name"] for tool in tools["tools"]]
    assert ping == {}
    assert h.front.answered == ["initialize", "tools/list", "ping"]
    # The SDK gets the same initialize under the private id, then the notification; not tools/list or ping.
    replay, notification = h.queued()
    assert replay is not None and json.loads(replay) == {
        **json.loads(initialize(7)),
        "id": h.front.private_id,
    }
    assert notification == INITIALIZED


def test_read_only_lists_no_mutating_tool() -> None:
    h = Harness(read_only=True)
    h.feed(initialize(), request(2, "tools/list"))
    names = {tool["name"] for tool in h.wire.written[1]["result"]["tools"]}
    assert "ik_plan" in names and "ik_apply" not in names and "ik_desired_set" not in names


@pytest.mark.parametrize("asked", [*HANDSHAKE_PROTOCOL_VERSIONS, "1999-01-01", "2026-07-28", ""])
def test_protocol_version_negotiation_is_the_sdks(asked: str) -> None:
    h = Harness()
    h.feed(initialize(1, asked))
    expected = asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
    assert h.wire.written[0]["result"]["protocolVersion"] == expected


def test_tools_list_before_initialize_goes_to_the_sdk_and_so_does_everything_after() -> None:
    h = Harness()
    h.feed(request(1, "tools/list"), initialize(2), request(3, "tools/list"))
    assert h.wire.written == []
    assert h.front.deferred == ["tools/list"]
    assert len(h.queued()) == 3


def test_a_second_initialize_makes_the_front_step_aside() -> None:
    h = Harness()
    h.feed(initialize(1), initialize(2, "2024-11-05"), request(3, "tools/list"))
    assert [m["id"] for m in h.wire.written] == [1]
    assert h.front.deferred == ["initialize"]


@pytest.mark.parametrize(
    "line",
    [
        request(2, "tools/list", {"cursor": "abc"}),
        request(2, "tools/list", {"_meta": {"progressToken": 1}}),
        request(2, "ping", {"x": 1}),
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": null}\n',
        '{"jsonrpc": "2.0", "id": 2.0, "method": "tools/list"}\n',
        '{"jsonrpc": "2.0", "id": true, "method": "tools/list"}\n',
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/list", "extra": 1}\n',
        '{"jsonrpc": "2.0", "id": 2, "id": 3, "method": "tools/list"}\n',
        request(2, "tools/call", {"name": "ik_overview", "arguments": {}}),
        request(2, "resources/list"),
    ],
)
def test_requests_it_is_not_sure_of_go_to_the_sdk(line: str) -> None:
    h = Harness()
    h.feed(initialize(1), line, request(4, "tools/list"))
    assert [m["id"] for m in h.wire.written] == [1, 4]  # and it keeps answering what it is sure of
    assert h.queued()[1] == line


def test_malformed_lines_are_the_sdks_to_judge() -> None:
    h = Harness()
    h.feed(initialize(1), "this is not json\n", "\n", "[1, 2]\n", '{"jsonrpc": "2.0", "method": NaN}\n')
    assert [m["id"] for m in h.wire.written] == [1]
    assert h.queued()[1:] == ["this is not json\n", "\n", "[1, 2]\n", '{"jsonrpc": "2.0", "method": NaN}\n']
    h.front.feed_eof()
    assert h.quiet_eofs == 0  # the SDK reads them first, as it would have without the front


def test_end_of_input_with_nothing_left_for_the_sdk_ends_at_once() -> None:
    h = Harness()
    h.feed(initialize(1), INITIALIZED, request(2, "tools/list"))
    h.front.feed_eof()
    assert h.quiet_eofs == 1
    assert h.queued()[-1] is None


def test_end_of_input_with_a_pending_call_waits_for_the_sdk() -> None:
    h = Harness()
    h.feed(initialize(1), request(2, "tools/call", {"name": "ik_overview", "arguments": {}}))
    h.front.feed_eof()
    assert h.quiet_eofs == 0


def test_after_hand_over_every_line_goes_to_the_sdk() -> None:
    h = Harness()
    h.feed(initialize(1))
    h.front.hand_over()
    h.feed(request(2, "tools/list"), request(3, "ping"))
    h.front.feed_eof()
    assert [m["id"] for m in h.wire.written] == [1]
    assert h.queued()[1:] == [request(2, "tools/list"), request(3, "ping"), None]
    assert h.quiet_eofs == 0


def test_a_failed_start_answers_every_waiting_and_later_request_with_the_error() -> None:
    h = Harness()
    h.feed(initialize(1), INITIALIZED, request(2, "tools/call", {"name": "ik_plan"}))
    h.front.fail("infomaniak-gitops could not start its MCP server: boom")
    h.feed(request("later", "tools/list"), INITIALIZED)
    assert [m["id"] for m in h.wire.written] == [1, 2, "later"]  # never the private id
    for answer in h.wire.written[1:]:
        assert answer["error"] == {
            "code": INTERNAL_ERROR,
            "message": "infomaniak-gitops could not start its MCP server: boom",
        }


def test_installed_versions_are_importlib_metadatas() -> None:
    from importlib.metadata import version

    assert installed_versions() == {name: version(name) for name in SDK_DISTRIBUTIONS}


def test_answers_recorded_with_another_sdk_are_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    same = tmp_path / "same.json"
    same.write_text(json.dumps(manifest), encoding="utf-8")
    assert Answers.for_installed_sdk(read_only=True, path=same) == Answers.load(read_only=True)
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps({**manifest, "sdk": {"mcp": "2.99.0", "mcp-types": "2.3.0"}}), encoding="utf-8"
    )
    with caplog.at_level(logging.WARNING):
        assert Answers.for_installed_sdk(read_only=False, path=other) is None
    assert (
        "was recorded with {'mcp': '2.99.0'" in caplog.text and "the SDK answers every request" in caplog.text
    )
    for broken in ("", "{}", '{"sdk": {"mcp": "2.3.0"}}'):
        other.write_text(broken, encoding="utf-8")
        assert Answers.for_installed_sdk(read_only=False, path=other) is None
    assert Answers.for_installed_sdk(read_only=False, path=tmp_path / "missing.json") is None


class BrokenWire(FakeWire):
    def lines(self) -> Any:
        yield initialize(1)
        raise OSError("stdin went away")


def test_a_failed_read_still_ends_the_input_for_the_sdk() -> None:
    wire = BrokenWire()
    quiet: list[bool] = []
    front = Front(Answers.load(read_only=False), wire, on_quiet_eof=lambda: quiet.append(True))  # type: ignore[arg-type]
    thread = front.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [m["id"] for m in wire.written] == [1]
    lines = [front.queue.get_nowait(), front.queue.get_nowait()]
    assert lines[1] is None and quiet == [True]
