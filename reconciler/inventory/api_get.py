"""A read-only escape hatch: GET any path of the public API, checked and capped.

Only GET; the path must start with ``/1/``, ``/2/`` or ``/3/`` and every segment must be a plain name (no
``..``, no percent-escapes that could hide one, no query string: parameters go in ``params``). The answer
is shown whole when it is small, else its ``data`` list is cut to what fits, with a note on how to narrow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.paths import check_scope
from reconciler.errors import SettingsError
from reconciler.kinds import RunContext

PREFIXES = ("/1/", "/2/", "/3/")
MAX_PATH = 500
MAX_PARAMS = 30
MAX_PARAM_VALUE = 500
DEFAULT_MAX_CHARS = 20_000
_SEGMENT = re.compile(r"^[A-Za-z0-9_.~@:+-]+$")
_PARAM = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,60}$")


def check_api_path(path: str) -> str:
    """``path`` if it is a plain API path; SettingsError saying what is wrong otherwise."""
    text = path.strip()
    if len(text) > MAX_PATH:
        raise SettingsError(f"API path is {len(text)} characters long; the limit is {MAX_PATH}")
    if not text.startswith(PREFIXES):
        raise SettingsError(f"API path {text!r} must start with /1/, /2/ or /3/ (e.g. /1/products)")
    if "?" in text or "#" in text:
        raise SettingsError(f"API path {text!r} has a query string; pass parameters separately (params)")
    for part in text.split("/")[1:]:
        if part in ("", ".", ".."):
            raise SettingsError(f"API path {text!r} has an empty, '.' or '..' segment; give a plain path")
        # The checks every scope passes (no '%', '?', '#', '\\', control or invisible characters) ...
        try:
            check_scope(part)
        except SettingsError as exc:
            reason = str(exc).split(" contains ", 1)[-1].split(" is a path", 1)[0]
            raise SettingsError(
                f"API path segment {part!r} of {text!r} is refused: it contains {reason}"
            ) from exc
        # ... and, since a segment is sent as is, nothing a URL would have to escape.
        if not _SEGMENT.match(part):
            raise SettingsError(
                f"API path segment {part!r} of {text!r} has characters outside letters, digits and ._~@:+-"
            )
    return text


def check_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings; only scalar values and plain names."""
    checked: dict[str, str] = {}
    for name, value in (params or {}).items():
        if not _PARAM.match(str(name)):
            raise SettingsError(f"query parameter name {name!r} is not a plain name (letters, digits, _.[]-)")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float | str):
            text = str(value)
        else:
            raise SettingsError(
                f"query parameter {name!r} must be a string or a number, got {type(value).__name__}"
            )
        if len(text) > MAX_PARAM_VALUE or any(ord(c) < 32 for c in text):
            raise SettingsError(f"query parameter {name!r} is too long or has control characters")
        checked[str(name)] = text
    if len(checked) > MAX_PARAMS:
        raise SettingsError(f"{len(checked)} query parameters; the limit is {MAX_PARAMS}")
    return checked


@dataclass
class ApiGetResult:
    path: str
    text: str
    """The answer as indented JSON, possibly cut."""
    note: str | None = None
    """Set when the answer was cut: what was left out and how to narrow."""


def _dump(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False)


async def api_get(
    ctx: RunContext, path: str, params: Mapping[str, Any] | None = None, *, max_chars: int = DEFAULT_MAX_CHARS
) -> ApiGetResult:
    """GET ``path`` (checked) and return its answer, capped at ``max_chars`` characters."""
    path = check_api_path(path)
    query = check_params(params)
    body = await ctx.client.get_plain(path, params=query or None)
    text = _dump(body)
    if len(text) <= max_chars:
        return ApiGetResult(path, text)
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and data:
        low, high = 0, len(data)
        while low < high:
            middle = (low + high + 1) // 2
            if len(_dump({**body, "data": data[:middle]})) <= max_chars:
                low = middle
            else:
                high = middle - 1
        if low:
            note = (
                f"showing {low} of {len(data)} items of data (answer cut at {max_chars} characters); "
                "narrow with params such as page/per_page, search or a filter"
            )
            return ApiGetResult(path, _dump({**body, "data": data[:low]}), note)
    note = f"answer cut at {max_chars} of {len(text)} characters; ask for a narrower path or params"
    return ApiGetResult(path, text[:max_chars], note)


__all__ = ["PREFIXES", "ApiGetResult", "api_get", "check_api_path", "check_params"]
