"""What the stdio front may answer: JSON-RPC lines judged as strictly as the SDK reads them, and the lines it
writes, byte for byte as the SDK writes them. Standard library only (see ``front.py``)."""

from __future__ import annotations

import json
from typing import Any

INTERNAL_ERROR = -32603
"""JSON-RPC's code for a server that cannot handle the request; here: the SDK server failed to start."""

_REQUEST_KEYS = frozenset({"jsonrpc", "id", "method", "params"})
# Each known client capability with its fields that must be objects (the SDK's models ignore the rest).
_OBJECT_FIELDS = {
    "elicitation": ("form", "url"),
    "sampling": ("context", "tools"),
    "tasks": ("cancel", "list"),
}


class _Unusual(ValueError):
    """JSON the front leaves to the SDK: duplicate keys or NaN/Infinity (parsers may differ there)."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Unusual("duplicate key")
    return found


def _no_constant(name: str) -> Any:
    raise _Unusual(name)


def parse(line: str) -> Any:
    """The JSON value of a line, or None where the front should not judge it."""
    try:
        return json.loads(line, object_pairs_hook=_object, parse_constant=_no_constant)
    except ValueError:
        return None


def request_of(message: Any) -> dict[str, Any] | None:
    """``message`` when it is a plain JSON-RPC request (strictly what the SDK's envelope accepts)."""
    if not isinstance(message, dict) or "id" not in message or not message.keys() <= _REQUEST_KEYS:
        return None
    ident = message["id"]
    if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
        return None
    if isinstance(ident, bool) or not isinstance(ident, int | str):
        return None
    if "params" in message and not isinstance(message["params"], dict):
        return None
    return message


def notification_of(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and "id" not in message
        and message.keys() <= _REQUEST_KEYS
        and message.get("jsonrpc") == "2.0"
        and isinstance(message.get("method"), str)
        and isinstance(message.get("params", {}), dict)
    )


def _strings(mapping: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> bool:
    return all(isinstance(mapping.get(key), str) for key in required) and all(
        isinstance(mapping[key], str) for key in optional if key in mapping
    )


def _plain_capabilities(capabilities: Any) -> bool:
    """Capabilities the SDK's models accept for sure; unknown ones are ignored by them, so here too."""
    if not isinstance(capabilities, dict):
        return False
    for name, value in capabilities.items():
        if name in ("experimental", "extensions"):
            if not isinstance(value, dict) or not all(isinstance(item, dict) for item in value.values()):
                return False
        elif name == "roots":
            if not isinstance(value, dict) or not isinstance(value.get("listChanged", False), bool):
                return False
        elif name in _OBJECT_FIELDS:
            if not isinstance(value, dict) or (name == "tasks" and "requests" in value):
                return False
            if not all(isinstance(value[key], dict) for key in _OBJECT_FIELDS[name] if key in value):
                return False
    return True


def handshake_version(params: Any) -> str | None:
    """The protocol version an ``initialize`` asks for, when its parameters are plainly valid for the SDK.

    Deliberately narrower than the SDK (no ``_meta``, no icons): whatever it refuses goes to the SDK, which
    then answers it, valid or not. tests/mcp/test_handshake.py checks that everything accepted here the SDK
    accepts too.
    """
    if not isinstance(params, dict) or "_meta" in params:
        return None
    info = params.get("clientInfo")
    if not isinstance(info, dict) or "icons" in info:
        return None
    if not _strings(info, ("name", "version"), ("title", "description", "websiteUrl")):
        return None
    if not _plain_capabilities(params.get("capabilities")):
        return None
    version = params.get("protocolVersion")
    return version if isinstance(version, str) else None


def encode(value: Any) -> str:
    """JSON as the SDK writes it (pydantic's compact form, UTF-8 unescaped)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def response_line(ident: int | str, result: Any) -> str:
    return f'{{"jsonrpc":"2.0","id":{encode(ident)},"result":{encode(result)}}}\n'


def error_line(ident: int | str, code: int, message: str) -> str:
    error = {"code": code, "message": message}
    return f'{{"jsonrpc":"2.0","id":{encode(ident)},"error":{encode(error)}}}\n'


__all__ = [
    "INTERNAL_ERROR",
    "encode",
    "error_line",
    "handshake_version",
    "notification_of",
    "parse",
    "request_of",
    "response_line",
]
