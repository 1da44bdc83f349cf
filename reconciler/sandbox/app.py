"""The simulator's ASGI app: route discovery, auth, scopes, rate limit and fault injection.

Every request passes through :class:`_Gate` before it reaches a route, in this order:

1. count it; if it is ``Faults.drop_connection_on``, drop the connection (before handling it, or after
   with ``Faults.drop_after_handling``);
2. wait ``Faults.latency_seconds``;
3. ``X-HTTP-METHOD-OVERRIDE`` / ``?_method=`` on POST;
4. sliding-window rate limit (``Faults.rate_limit_per_minute``) → 429, with ``Retry-After`` when
   ``Faults.retry_after_seconds`` is set;
5. Bearer token → 401; route lookup → 404 ``method_not_found``; token scope → 403;
6. writes: count them, fail the ``Faults.fail_on_write``-th with ``Faults.fail_status`` before it changes
   anything;
7. the route; after a successful write, ``on_write(state)`` (``sandbox serve`` saves the file there).

Routes come from every ``reconciler/sandbox/routes_*.py`` module's ``ROUTES`` list, so a new product is one
new file and no edit here.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import ApiError, ApiRoute

SANDBOX_TOKEN = "sandbox-token"
"""The token the demo account accepts."""

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OVERRIDABLE = frozenset({"PUT", "PATCH", "DELETE"})


@dataclass
class Faults:
    """Fault injection, read on every request, so tests may change it between calls."""

    fail_on_write: int | None = None
    """The Nth write (POST/PUT/PATCH/DELETE reaching a route, from 1) answers ``fail_status`` and changes
    nothing."""
    fail_status: int = 500
    latency_seconds: float = 0.0
    rate_limit_per_minute: int | None = None
    """Sliding 60 s window per token → 429 ``too_many_requests``: a request is refused when the 60 s before
    it already hold this many accepted requests (refused ones do not count, as they never ran). The real
    general limiter's error code is undocumented; ``too_many_requests`` is invented."""
    drop_connection_on: int | None = None
    """The Nth request (any, from 1) gets no complete response: in-process the client sees
    :class:`SandboxConnectionDropped` (an ``httpx.RemoteProtocolError``); over uvicorn the socket closes
    after the status line."""
    default_list_cap: int | None = None
    """Implicit cap on un-paginated record lists (a cap of 100 was observed once on the real API)."""
    txt_quoting: bool = True
    """Wrap TXT targets in one pair of quotes on read (real behaviour); False mimics older fixtures."""
    writes_seen: int = 0
    requests_seen: int = 0
    drop_after_handling: bool = False
    """With ``drop_connection_on``: handle the request first (a write is applied), then drop. This is the
    nasty case for a client: it cannot tell whether its write happened."""
    retry_after_seconds: float | None = None
    """``Retry-After`` (whole seconds) on every 429 the simulator answers; None sends none, as the real API
    is not documented to."""


class SandboxConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the app to simulate a dropped connection.

    Under ``httpx.ASGITransport`` an exception from the app is what the client sees, so raising httpx's own
    "server disconnected" error makes an in-process drop look exactly like one over a socket.
    """


OnWrite = Callable[[SandboxState], None]


def discover_routes() -> list[BaseRoute]:
    """``ROUTES`` of every ``routes_*`` module in this package, modules in name order."""
    package = importlib.import_module("reconciler.sandbox")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("routes_"))
    routes: list[BaseRoute] = []
    for name in names:
        module = importlib.import_module(f"reconciler.sandbox.{name}")
        routes.extend(module.ROUTES)
    return routes


def create_app(
    state: SandboxState,
    *,
    tokens: Collection[str] = (SANDBOX_TOKEN,),
    faults: Faults | None = None,
    token_scopes: Mapping[str, Collection[str]] | None = None,
    on_write: OnWrite | None = None,
    routes: Sequence[BaseRoute] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """Build the simulator.

    ``tokens`` are accepted with every scope; a token in ``token_scopes`` is accepted with only those
    scopes (``"dns:read"``, ``"dns:write"``; a bare family such as ``"dns"`` grants both).
    ``routes`` defaults to :func:`discover_routes`. ``clock`` times the rate-limit window; tests share a
    virtual clock with the client so that minutes of rate limiting take no real time.
    """
    faults = faults if faults is not None else Faults()
    route_list = list(routes) if routes is not None else discover_routes()
    scopes = {token: frozenset(granted) for token, granted in (token_scopes or {}).items()}
    app = Starlette(
        routes=route_list,
        middleware=[
            Middleware(
                _Gate,
                routes=route_list,
                tokens=frozenset(tokens),
                scopes=scopes,
                on_write=on_write,
                clock=clock,
            )
        ],
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_exception_handler,
            Exception: _unexpected_error_handler,
        },
    )
    app.state.sandbox = state
    app.state.faults = faults
    return app


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    # Only reached if the gate's own route lookup and Starlette's disagree; keep the answer JSON anyway.
    return _method_not_found().response()


async def _unexpected_error_handler(request: Request, exc: Exception) -> Response:
    # A bug in a handler: still answer with the envelope, as the real API does on 500.
    return ApiError(500, "unexpected_error", "An unexpected error occurred").response()


def _method_not_found() -> ApiError:
    return ApiError(404, "method_not_found", "Method not found")


def _grants(granted: frozenset[str], required: str) -> bool:
    family = required.split(":", 1)[0]
    return required in granted or family in granted


class _Gate:
    """Pure ASGI middleware in front of the router (see the module docstring for the order)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        tokens: frozenset[str],
        scopes: Mapping[str, frozenset[str]],
        on_write: OnWrite | None,
        clock: Callable[[], float],
    ) -> None:
        self.app = app
        self.clock = clock
        self.routes = routes
        self.tokens = tokens
        self.scopes = scopes
        self.on_write = on_write
        self.windows: defaultdict[str, deque[float]] = defaultdict(deque)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        starlette_app: Starlette = scope["app"]
        faults: Faults = starlette_app.state.faults
        faults.requests_seen += 1
        if faults.drop_connection_on is not None and faults.requests_seen == faults.drop_connection_on:
            if not faults.drop_after_handling:
                await _drop(send)
            send = _drop_on_start(send)
        if faults.latency_seconds > 0:
            await anyio.sleep(faults.latency_seconds)

        request = Request(scope)
        token = _bearer(request.headers.get("authorization", ""))
        scope = _override_method(scope, request)
        method: str = scope["method"]
        error = self._rate_limited(token, faults) or self._check(scope, token, method)
        if error is None and method in _WRITE_METHODS:
            faults.writes_seen += 1
            if faults.fail_on_write is not None and faults.writes_seen == faults.fail_on_write:
                error = _injected_failure(faults)
            elif self.on_write is not None:
                send = self._after_write(send, starlette_app.state.sandbox)
        if error is not None:
            await error.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _rate_limited(self, token: str, faults: Faults) -> ApiError | None:
        limit = faults.rate_limit_per_minute
        if limit is None:
            return None
        now = self.clock()
        window = self.windows[token]
        # The window is (now - 60 s, now]: a request exactly 60 s old has left it.
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= limit:
            return _too_many(faults)
        window.append(now)
        return None

    def _check(self, scope: Scope, token: str, method: str) -> ApiError | None:
        """Auth, then route lookup, then scope: 401 / 404 / 403, or None when the request may proceed."""
        if token not in self.tokens and token not in self.scopes:
            return ApiError(401, "not_authorized", "Authorization required")
        route = self._match(scope)
        if route is None:
            return _method_not_found()
        required = route.required_scope(method) if isinstance(route, ApiRoute) else None
        granted = self.scopes.get(token)
        if required is not None and granted is not None and not _grants(granted, required):
            return ApiError(
                403,
                "access_denied",
                f"Access denied: this token lacks the scope {required}",
                context={"scope": required},
            )
        return None

    def _match(self, scope: Scope) -> BaseRoute | None:
        # A wrong method on a known path (Match.PARTIAL) is also answered method_not_found: the code's
        # name covers the pair (method, path), and no client depends on a 405.
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route
        return None

    def _after_write(self, send: Send, state: SandboxState) -> Send:
        on_write = self.on_write
        assert on_write is not None

        async def wrapped(message: Message) -> None:
            # Persist before the client sees the status, so a client that reads the file right after a
            # 2xx finds its change there.
            if message["type"] == "http.response.start" and message["status"] < 400:
                on_write(state)
            await send(message)

        return wrapped


def _too_many(faults: Faults) -> ApiError:
    headers = None
    if faults.retry_after_seconds is not None:
        headers = {"Retry-After": str(max(0, math.ceil(faults.retry_after_seconds)))}
    return ApiError(429, "too_many_requests", "Too many requests", headers=headers)


def _injected_failure(faults: Faults) -> ApiError:
    if faults.fail_status == 429:
        return _too_many(faults)
    code = "unexpected_error" if faults.fail_status >= 500 else "injected_failure"
    return ApiError(faults.fail_status, code, "An unexpected error occurred")


async def _drop(send: Send) -> None:
    # Start the response, then fail: uvicorn closes the socket mid-response (a real transport error for
    # the client) instead of answering a tidy 500.
    await send({"type": "http.response.start", "status": 500, "headers": []})
    raise SandboxConnectionDropped("Server disconnected without sending a complete response.")


def _drop_on_start(send: Send) -> Send:
    """Let the request run to completion, then drop the connection instead of answering."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            await _drop(send)
        await send(message)

    return wrapped


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _override_method(scope: Scope, request: Request) -> Scope:
    """Honour ``X-HTTP-METHOD-OVERRIDE`` or ``?_method=`` on POST, as the portal documents."""
    if scope["method"] != "POST":
        return scope
    wanted = (
        request.headers.get("x-http-method-override") or request.query_params.get("_method") or ""
    ).upper()
    if wanted in _OVERRIDABLE:
        return {**scope, "method": wanted}
    return scope
