"""The front's judgement of JSON-RPC lines: whatever it accepts the SDK accepts too, and reads the same,
so the SDK never disagrees with an answer already sent; and its lines are the SDK's bytes."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from mcp_types import (
    ErrorData,
    InitializeRequestParams,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    jsonrpc_message_adapter,
)
from mcp_types import methods as sdk_methods
from mcp_types.version import LATEST_HANDSHAKE_VERSION
from pydantic import ValidationError

from reconciler.mcp.handshake import error_line, handshake_version, parse, request_of, response_line

CLIENT = {"name": "client", "version": "1.0"}


def request(ident: Any, method: str, params: Any = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message) + "\n"


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
        request(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": CLIENT}),
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


@pytest.mark.parametrize("ident", [1, "é-1", 2**40])
def test_lines_are_written_as_the_sdk_writes_them(ident: Any) -> None:
    # What the SDK's stdio transport writes: model_dump_json(by_alias=True, exclude_unset=True) and a newline
    result = {"a": "→ «quoted» \u2028 \x07", "b": [1, None, 2.5, True], "c": {"d": {}}}
    sdk = JSONRPCResponse(jsonrpc="2.0", id=ident, result=result)
    assert response_line(ident, result) == sdk.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
    error = JSONRPCError(
        jsonrpc="2.0", id=ident, error=ErrorData(code=-32603, message="could not start: é\n  next")
    )
    assert error_line(ident, -32603, "could not start: é\n  next") == (
        error.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
    )
