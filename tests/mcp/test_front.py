"""The stdio front's decisions, in process: what it answers, what it leaves to the SDK, and that whatever it
accepts the SDK accepts too (so the SDK never disagrees with an answer already sent)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from mcp_types import InitializeRequestParams, JSONRPCRequest, jsonrpc_message_adapter
from mcp_types import methods as sdk_methods
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION
from pydantic import ValidationError

from reconciler.mcp.front import (
    INTERNAL_ERROR,
    Answers,
    Front,
    handshake_version,
    parse,
    request_of,
)

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


# -- whatever the front accepts, the SDK accepts -------------------------------------------------------

CAPABILITY_VALUES: dict[str, list[Any]] = {
    "roots": [{}, {"listChanged": True}, {"listChanged": "yes"}, {"listChanged": None}, None, [], "x"],
    "sampling": [{}, {"context": {}, "tools": {}}, {"tools": True}, {"context": None}, None, 3],
    "elicitation": [{}, {"form": {}}, {"url": {}}, {"form": {}, "url": {}}, {"form": 1}, None, True],
    "experimental": [{}, {"x": {}}, {"x": {"a": 1}}, {"x": 1}, {"x": None}, None, []],
    "extensions": [{}, {"io.example/x": {}}, {"io.example/x": 2}, None],
    "tasks": [{}, {"list": {}, "cancel": {}}, {"requests": {"sampling": {"createMessage": {}}}}, {"list": 1}],
    "vendor": [{}, 1, None, "anything"],
}
CLIENT_INFOS: list[Any] = [
    CLIENT,
    {"name": "c", "version": "1", "title": "C", "description": "d", "websiteUrl": "https://c.example"},
    {"name": "c", "version": "1", "icons": [{"src": "https://c.example/i.png"}]},
    {"name": "c"},
    {"name": "c", "version": 1},
    {"name": "c", "version": "1", "title": None},
    {"name": "c", "version": "1", "extra": [1]},
    "client",
    None,
]


def _sdk_accepts(params: Any) -> bool:
    try:
        sdk_methods.validate_client_request("initialize", LATEST_HANDSHAKE_VERSION, params)
        InitializeRequestParams.model_validate(params, by_name=False)
    except (ValidationError, TypeError, AttributeError):
        return False
    return True


def _cases() -> list[Any]:
    cases: list[Any] = []
    for name, values in CAPABILITY_VALUES.items():
        cases += [
            {"protocolVersion": "2025-06-18", "capabilities": {name: v}, "clientInfo": CLIENT} for v in values
        ]
    for pair in itertools.combinations(CAPABILITY_VALUES, 2):
        for values in itertools.product(*(CAPABILITY_VALUES[name][:3] for name in pair)):
            capabilities = dict(zip(pair, values, strict=True))
            cases.append(
                {"protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": CLIENT}
            )
    cases += [
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": info} for info in CLIENT_INFOS
    ]
    cases += [
        {"protocolVersion": 20250618, "capabilities": {}, "clientInfo": CLIENT},
        {"protocolVersion": "2025-06-18", "clientInfo": CLIENT},
        {"protocolVersion": "2025-06-18", "capabilities": None, "clientInfo": CLIENT},
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": CLIENT, "_meta": {}},
        {"protocolVersion": "2025-06-18", "capabilities": {}, "client_info": CLIENT},
        {"capabilities": {}, "clientInfo": CLIENT},
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": CLIENT, "more": 1},
        [],
        None,
    ]
    return cases


def test_every_initialize_the_front_accepts_the_sdk_accepts() -> None:
    cases = _cases()
    accepted = [params for params in cases if handshake_version(params) is not None]
    assert len(accepted) > 100  # the check is not vacuous: most well-formed openings are answered
    refused_by_sdk = [params for params in accepted if not _sdk_accepts(params)]
    assert refused_by_sdk == []


def test_the_openings_of_real_clients_are_answered() -> None:
    openings = [
        {"roots": {"listChanged": True}, "sampling": {}, "elicitation": {}},  # a desktop client
        {"roots": {}, "elicitation": {"form": {}, "url": {}}},
        {"sampling": {"context": {}, "tools": {}}, "tasks": {"list": {}, "cancel": {}}},
        {},
    ]
    for capabilities in openings:
        params = {"protocolVersion": "2025-06-18", "capabilities": capabilities, "clientInfo": CLIENT}
        assert handshake_version(params) == "2025-06-18"
        assert _sdk_accepts(params)


@pytest.mark.parametrize(
    "line",
    [
        request(1, "tools/list"),
        request("a", "ping", {}),
        initialize(0),
        request(-5, "x/y", {"k": [1, 2]}),
        '{"method": "ping", "id": 9, "jsonrpc": "2.0"}',
    ],
)
def test_every_request_the_front_reads_the_sdk_reads_the_same(line: str) -> None:
    found = request_of(parse(line))
    assert found is not None
    message = jsonrpc_message_adapter.validate_json(line, by_name=False)
    assert isinstance(message, JSONRPCRequest)
    assert (message.id, message.method, message.params or {}) == (
        found["id"],
        found["method"],
        found.get("params", {}),
    )
