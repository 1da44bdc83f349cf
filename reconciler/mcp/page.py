"""The local approval page: a human reviews the rendered plan on 127.0.0.1 and clicks Approve or Reject.

Defences, each because the model (or a web page the user visits) must not be able to approve:
the link carries an unguessable one-time token; the form carries a CSRF token; POSTs need an Origin of this
server and every request a Host of this server (DNS rebinding); the page cannot be framed (clickjacking);
every value is HTML-escaped.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from html import escape
from importlib import resources
from string import Template
from typing import Literal
from urllib.parse import parse_qs

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from reconciler.engine import ApprovalBlock, approval_content
from reconciler.errors import ApprovalError
from reconciler.mcp.approval import PAGE_TTL_SECONDS, ApprovalStore, Registration

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
MAX_FORM_BYTES = 4096
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: browsers send `Origin: null` on a no-referrer POST, which we refuse.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

DecisionHook = Callable[[Registration], None]


def _template() -> Template:
    text = resources.files("reconciler.mcp").joinpath("page.html").read_text(encoding="utf-8")
    return Template(text)


def _page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    html = _template().substitute(title=escape(title), body=body)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _message(title: str, text: str, *, status: int) -> HTMLResponse:
    return _page(title, f"<p>{escape(text)}</p>", status=status)


def _block(block: ApprovalBlock) -> str:
    warnings = "".join(f"<li>{escape(w)}</li>" for w in block.warnings)
    values = "\n".join(block.values)
    return (
        f'<div class="change{" risky" if block.risky else ""}"><h3>{escape(block.header)}</h3>'
        + (f'<ul class="warn">{warnings}</ul>' if warnings else "")
        + (f"<pre>{escape(values)}</pre>" if values else "")
        + "</div>"
    )


def render_review(item: Registration, *, action: str) -> str:
    """The body of the review page: the approval question's content in full, risky changes highlighted
    and first; every value is escaped."""
    content = approval_content(item.plan, value_limit=None)
    parts = [
        f"<p><strong>{escape(content.summary)}</strong></p>",
        f'<p class="meta">Target: {escape(content.target)} · plan hash <code>{escape(content.plan_hash)}'
        f"</code> · this link works once and expires {PAGE_TTL_SECONDS // 60} minutes after the plan.</p>",
    ]
    parts += [f'<p class="warn">{escape(reason)}</p>' for reason in content.unsafe]
    if content.risky:
        parts.append(f"<h2>Look at these first ({len(content.risky)})</h2>")
        parts += [_block(block) for block in content.risky]
    if content.others:
        parts.append(f"<h2>Other changes ({len(content.others)})</h2>")
        parts += [_block(block) for block in content.others]
    parts.append(
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="csrf" value="{escape(item.csrf_token)}">'
        '<div class="buttons">'
        '<button class="approve" type="submit" name="decision" value="approve">Approve</button>'
        '<button class="reject" type="submit" name="decision" value="reject">Reject</button>'
        "</div></form>"
    )
    parts.append('<p class="meta">After approving, tell the assistant to apply the plan.</p>')
    return "\n".join(parts)


def create_page_app(store: ApprovalStore, *, port: int, on_decision: DecisionHook | None = None) -> Starlette:
    """The page's ASGI app for a server listening on 127.0.0.1:``port``."""
    hosts = {f"{LOOPBACK}:{port}", f"localhost:{port}"}
    origins = {f"http://{host}" for host in hosts}

    def refused(request: Request, *, post: bool) -> Response | None:
        if request.headers.get("host") not in hosts:
            return _message("Refused", "This page is served for 127.0.0.1 only.", status=421)
        if post and request.headers.get("origin") not in origins:
            return _message("Refused", "The form must be sent from this approval page.", status=403)
        return None

    async def review(request: Request) -> Response:
        if (answer := refused(request, post=False)) is not None:
            return answer
        token = request.path_params["token"]
        item = store.by_link(token)
        if item is None:
            return _message(
                "Link not valid",
                "This approval link is unknown, already used or expired. Ask the assistant to plan again.",
                status=404,
            )
        return _page("Approve this plan?", render_review(item, action=f"/approve/{token}"))

    async def decide(request: Request) -> Response:
        if (answer := refused(request, post=True)) is not None:
            return answer
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _message("Refused", "Send the page's own form.", status=415)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return _message("Refused", "The form is too large.", status=413)
        form = parse_qs(body.decode("utf-8", "replace"))
        decision = (form.get("decision") or [""])[0]
        if decision not in ("approve", "reject"):
            return _message("Refused", "Choose Approve or Reject.", status=400)
        try:
            item = store.decide(
                request.path_params["token"], (form.get("csrf") or [""])[0], approve=decision == "approve"
            )
        except ApprovalError as exc:
            return _message("Refused", str(exc), status=403)
        if on_decision is not None:
            on_decision(item)
        if item.decision == "approved":
            text = f"Plan {item.plan_hash[:12]} is approved. Go back to the assistant and ask it to apply."
        else:
            text = f"Plan {item.plan_hash[:12]} is rejected. Nothing will be applied."
        return _message("Done", text, status=200)

    async def not_found(request: Request) -> Response:
        return _message("Not found", "Nothing here.", status=404)

    routes = [
        Route("/approve/{token}", review, methods=["GET"]),
        Route("/approve/{token}", decide, methods=["POST"]),
        Route("/", not_found, methods=["GET"]),
    ]
    return Starlette(routes=routes)


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: the MCP server's process owns Ctrl-C."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_loopback(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0 picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, port))
    sock.listen(16)
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def serve_asgi(
    app: Starlette, sock: socket.socket, *, lifespan: Literal["on", "off"] = "off"
) -> AsyncIterator[None]:
    """Serve ``app`` on ``sock`` in the background for the block's duration, then close the socket."""
    # log_config=None: uvicorn must not reconfigure logging (its access log writes to stdout, which
    # carries the MCP protocol under stdio).
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan=lifespan)
    server = _QuietServer(config)
    with sock:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            while not server.started:
                if server.should_exit:
                    raise RuntimeError("the HTTP server did not start")
                await anyio.sleep(0.01)
            try:
                yield
            finally:
                server.should_exit = True


@asynccontextmanager
async def approval_page(
    store: ApprovalStore, *, port: int = 0, on_decision: DecisionHook | None = None
) -> AsyncIterator[str]:
    """Run the page on 127.0.0.1 and yield its base URL (``http://127.0.0.1:PORT``)."""
    sock = bind_loopback(port)
    bound = sock.getsockname()[1]
    app = create_page_app(store, port=bound, on_decision=on_decision)
    async with serve_asgi(app, sock):
        base = f"http://{LOOPBACK}:{bound}"
        log.info("approval page on %s", base)
        yield base


__all__ = ["approval_page", "bind_loopback", "create_page_app", "render_review", "serve_asgi"]
