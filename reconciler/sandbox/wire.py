"""What every route module shares: the wire format of the Infomaniak API.

* :class:`ApiRoute` declares a route with the scope family it needs (``"dns"`` → ``dns:read`` for GET,
  ``dns:write`` otherwise).
* :func:`success` / :func:`list_response` / :class:`ApiError` build the envelope
  ``{"result":"success",...,"data":...}`` / ``{"result":"error","error":{...}}``.
* :func:`read_body`, :func:`with_values`, :func:`int_param` parse requests the way the real API does
  (JSON or form bodies, ``with=a,b`` or ``with[]=a``, Laravel-style 422 errors).

Serialisation is compact, ``result`` first and ``data`` last, because shell clients (acme.sh) grep the raw
body for ``"result":"success"`` and expect it to end with ``]}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.state import SandboxState

Endpoint = Callable[[Request], Awaitable[Response]]

DEFAULT_PER_PAGE = 15
"""Page size when ``page`` is sent without a size: the spec's Pagination example (15 per page)."""

_PER_PAGE_ALIASES = ("per_page", "items_per_page", "items", "limit")
"""``per_page`` is documented; ``items_per_page`` (peaktwilight CLI), ``items`` (xLongLink SDK) and
``limit`` (offset family) are what real clients also send."""


class ApiRoute(Route):
    """A Starlette route that also says which token scope family it needs (None: any valid token)."""

    def __init__(
        self, path: str, endpoint: Endpoint, *, methods: Sequence[str] = ("GET",), scope: str | None
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.scope_family = scope

    def required_scope(self, method: str) -> str | None:
        if self.scope_family is None:
            return None
        return f"{self.scope_family}:{'read' if method in ('GET', 'HEAD') else 'write'}"


class CompactJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ApiError(Exception):
    """Raised by a handler; rendered as the error envelope with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        description: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        context: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.headers = dict(headers) if headers else None
        self.status = status
        self.code = code
        self.description = description
        self.errors = [dict(e) for e in errors] if errors else None
        self.context = dict(context) if context else None

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "description": self.description}
        if self.errors:
            error["errors"] = self.errors
        if self.context:
            error["context"] = self.context
        return CompactJSONResponse(
            {"result": "error", "error": error}, status_code=self.status, headers=self.headers
        )


def field_error(attribute: str, code: str, description: str, **context: Any) -> dict[str, Any]:
    """One entry of ``error.errors[]`` in a 422 ``validation_failed`` answer."""
    return {"code": code, "description": description, "context": {"attribute": attribute, **context}}


def validation_failed(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    return ApiError(422, "validation_failed", "Validation failed", errors=errors)


def not_found(model: str | None = None) -> ApiError:
    return ApiError(404, "object_not_found", "Object not found", context={"model": model} if model else None)


def by_id(items: Sequence[dict[str, Any]], raw: str, model: str) -> dict[str, Any]:
    """The item whose ``id`` is the path parameter ``raw``; 404 naming ``model`` when there is none."""
    wanted = int(raw) if raw.isdigit() else -1
    for item in items:
        if item["id"] == wanted:
            return item
    raise not_found(model)


def success(data: Any, *, status: int = 200, extra: Mapping[str, Any] | None = None) -> Response:
    """The success envelope; ``extra`` keys (pagination) go between ``result`` and ``data``."""
    body: dict[str, Any] = {"result": "success"}
    if extra:
        body.update(extra)
    body["data"] = data
    return CompactJSONResponse(body, status_code=status)


def sandbox_state(request: Request) -> SandboxState:
    """The state the app serves (read per request, so tests may swap ``app.state.sandbox``)."""
    state: SandboxState = request.app.state.sandbox
    return state


def int_param(request: Request, *names: str, minimum: int = 0) -> int | None:
    """The first present query parameter among ``names`` as an int, or None; 422 if not an integer."""
    for name in names:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise validation_failed(
                [field_error(name, "validation_rule_min", f"The {name} must be an integer ≥ {minimum}.")]
            )
        return value
    return None


def list_response(request: Request, items: Sequence[Any], *, implicit_cap: int | None = None) -> Response:
    """Answer a list the way every paginated route does.

    * ``return=total`` → ``data`` is the count.
    * ``page`` → slice, and add ``total/page/pages/items_per_page`` (only then, per the spec).
    * ``limit``/``skip`` or a size without ``page`` → slice, no pagination keys.
    * nothing → everything, or the first ``implicit_cap`` items (a cap observed once on the real API).
    """
    if request.query_params.get("return") == "total":
        return success(len(items))
    page = int_param(request, "page", minimum=1)
    size = int_param(request, *_PER_PAGE_ALIASES, minimum=1)
    skip = int_param(request, "skip", minimum=0)
    if page is not None:
        per_page = size or DEFAULT_PER_PAGE
        start = (page - 1) * per_page
        extra = {
            "total": len(items),
            "page": page,
            "pages": max(1, math.ceil(len(items) / per_page)),
            "items_per_page": per_page,
        }
        return success(list(items[start : start + per_page]), extra=extra)
    if size is not None or skip is not None:
        start = skip or 0
        return success(list(items[start : start + size] if size is not None else items[start:]))
    if implicit_cap is not None:
        return success(list(items[:implicit_cap]))
    return success(list(items))


def with_values(request: Request, allowed: Sequence[str]) -> set[str]:
    """Values of ``with=a,b`` / ``with[]=a``; an unknown one → 422 listing the allowed values."""
    raw = request.query_params.getlist("with") + request.query_params.getlist("with[]")
    values = {v.strip() for item in raw for v in item.split(",") if v.strip()}
    unknown = sorted(values - set(allowed))
    if unknown:
        raise validation_failed(
            [field_error("with", "validation_rule_in", "The selected with is invalid.", values=list(allowed))]
        )
    return values


async def read_body(request: Request) -> dict[str, Any]:
    """The request body as a dict: JSON object, or ``application/x-www-form-urlencoded`` fields.

    Like Laravel, an unparsable or non-object body counts as empty input, so the caller answers 422
    naming the missing attributes rather than a vaguer 400.
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
