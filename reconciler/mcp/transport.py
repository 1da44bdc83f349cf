"""Running the server: stdio (the default) or streamable HTTP on 127.0.0.1, each with the approval page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from mcp.server.transport_security import TransportSecuritySettings

from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import Registration
from reconciler.mcp.page import LOOPBACK, approval_page, bind_loopback, serve_asgi
from reconciler.mcp.server import build_server

log = logging.getLogger(__name__)

DEFAULT_HTTP_PORT = 8700


def loopback_security(port: int) -> TransportSecuritySettings:
    """Host and Origin must name this server on the loopback address (DNS-rebinding defence)."""
    hosts = [f"{LOOPBACK}:{port}", f"localhost:{port}"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"http://{host}" for host in hosts],
    )


def _audit_decision(app: McpApp) -> Callable[[Registration], None]:
    def record(item: Registration) -> None:
        app.audit().write(
            "approval_decided", plan_hash=item.plan_hash, channel="page", decision=item.decision
        )

    return record


@asynccontextmanager
async def page_running(app: McpApp, *, enabled: bool) -> AsyncIterator[None]:
    """Run the approval page for the block (unless disabled or read-only) and publish its URL on ``app``."""
    if not enabled or app.read_only:
        yield
        return
    async with approval_page(app.store, on_decision=_audit_decision(app)) as base:
        app.page_url = base
        try:
            yield
        finally:
            app.page_url = None


async def serve_stdio(app: McpApp, *, page: bool = True) -> None:
    server = build_server(app)
    async with page_running(app, enabled=page):
        await server.run_stdio_async()


async def serve_http(
    app: McpApp,
    *,
    port: int = DEFAULT_HTTP_PORT,
    page: bool = True,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP at ``http://127.0.0.1:PORT/mcp`` until cancelled; ``ready`` gets the URL."""
    server = build_server(app)
    sock = bind_loopback(port)
    bound = sock.getsockname()[1]
    asgi = server.streamable_http_app(host=LOOPBACK, transport_security=loopback_security(bound))
    async with page_running(app, enabled=page), serve_asgi(asgi, sock, lifespan="on"):
        url = f"http://{LOOPBACK}:{bound}/mcp"
        log.info("MCP server on %s", url)
        if ready is not None:
            ready(url)
        await anyio.sleep_forever()


__all__ = ["DEFAULT_HTTP_PORT", "loopback_security", "page_running", "serve_http", "serve_stdio"]
