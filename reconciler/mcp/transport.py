"""Running the server: stdio (the default) or streamable HTTP on 127.0.0.1, each with the approval page."""

from __future__ import annotations

import json
import logging
import queue
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
import anyio.to_thread
from mcp.server.stdio import stdio_server
from mcp.server.transport_security import TransportSecuritySettings

from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import Registration
from reconciler.mcp.front import Front
from reconciler.mcp.page import LOOPBACK, approval_page, bind_loopback, serve_asgi
from reconciler.mcp.server import ReconcilerServer, build_server

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


class QueuedLines:
    """The client's lines from a queue (None: end of input), for the SDK's stdio transport to read."""

    def __init__(self, lines: queue.SimpleQueue[str | None]) -> None:
        self._lines = lines
        self._ended = False

    def __aiter__(self) -> QueuedLines:
        return self

    async def __anext__(self) -> str:
        if self._ended:
            raise StopAsyncIteration
        # One worker-thread call per line, as the SDK reads stdin: on end of input the SDK cancels requests
        # still running, and reading the queued lines faster than it reads a pipe would change which
        # requests sent just before the end still get their answer.
        line = await anyio.to_thread.run_sync(self._lines.get, abandon_on_cancel=True)
        if line is None:
            self._ended = True
            raise StopAsyncIteration
        return line


class LineSink:
    """Where the SDK's stdio transport writes each message (one ``write`` per line)."""

    def __init__(self, write: Callable[[str], Awaitable[None]]) -> None:
        self._write = write

    async def write(self, text: str) -> None:
        await self._write(text)

    async def flush(self) -> None:
        """Each line is written whole by ``write``."""


async def serve_lines(server: ReconcilerServer, lines: QueuedLines, sink: LineSink) -> None:
    """Run the SDK server on these lines until they end: ``run_stdio_async`` with other ends.

    The SDK's stdio transport only iterates ``stdin`` and calls ``write``/``flush`` on ``stdout``; given
    both, it leaves fd 0 and fd 1 alone (the front claimed them already).
    """
    async with stdio_server(stdin=cast(Any, lines), stdout=cast(Any, sink)) as (read, write):
        lowlevel = server._lowlevel_server  # what run_stdio_async drives; the SDK has no public name for it
        await lowlevel.run(read, write, lowlevel.create_initialization_options())


def _answer_id(text: str) -> Any:
    try:
        return json.loads(text).get("id")
    except (ValueError, AttributeError):
        return None


async def serve_front(server: ReconcilerServer, front: Front, *, page: bool = True) -> None:
    """Take over from the stdio front: the SDK reads what the front queued, then the rest of stdin."""

    async def write(text: str) -> None:
        if front.private_id in text and _answer_id(text) == front.private_id:
            if '"error"' in text:
                # The front answered an initialize that the SDK refuses: a gap in handshake_version.
                sys.stderr.write(f"warning: the MCP SDK refused the initialize the front answered: {text}")
            return
        await anyio.to_thread.run_sync(front.wire.write, text)

    async with page_running(server.app, enabled=page):
        front.hand_over()
        await serve_lines(server, QueuedLines(front.queue), LineSink(write))


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


__all__ = [
    "DEFAULT_HTTP_PORT",
    "LineSink",
    "QueuedLines",
    "loopback_security",
    "page_running",
    "serve_front",
    "serve_http",
    "serve_lines",
    "serve_stdio",
]
