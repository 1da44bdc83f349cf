"""The ``mcp`` verb: run the MCP server over stdio (default) or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

from reconciler.cli.common import EXIT_OK, echo_err, settings_for
from reconciler.errors import SettingsError
from reconciler.settings import MCP_HTTP_PORT as DEFAULT_HTTP_PORT

# The MCP SDK costs most of the CLI's start-up time; only this verb needs it, so it is imported on use.


def cmd_mcp(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"--port {args.port} is not a TCP port (0 picks a free one)")
    page = not args.no_approval_page
    if not args.http and not args.no_fast_start:
        from reconciler.mcp.front import Answers, run_stdio

        answers = Answers.for_installed_sdk(read_only=args.read_only)
        if answers is not None:
            settings = settings_for(args)
            return run_stdio(settings, answers, read_only=args.read_only, approval=args.approval, page=page)

    import anyio

    from reconciler.mcp import McpApp
    from reconciler.mcp.transport import serve_http, serve_stdio

    app = McpApp(settings_for(args), read_only=args.read_only, approval=args.approval)
    app.mode()  # a bad approval mode or account file fails here, not at the first tool call
    if args.http:
        ready = partial(_announce, read_only=args.read_only)
        anyio.run(partial(serve_http, app, port=args.port, page=page, ready=ready))
    else:
        # stdout carries the protocol: nothing else may print there.
        anyio.run(partial(serve_stdio, app, page=page))
    return EXIT_OK


def _announce(url: str, *, read_only: bool) -> None:
    mode = " (read-only)" if read_only else ""
    echo_err(f"MCP server{mode} on {url} (streamable HTTP, 127.0.0.1 only); Ctrl-C stops it")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``mcp`` verb."""
    mcp = sub.add_parser(
        "mcp", parents=[common], help="run the MCP server for assistants (stdio; --http for streamable HTTP)"
    )
    mcp.add_argument(
        "--http", action="store_true", help="serve streamable HTTP on 127.0.0.1 instead of stdio"
    )
    mcp.add_argument(
        "--port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help=f"HTTP port (default {DEFAULT_HTTP_PORT}; 0: any free)",
    )
    mcp.add_argument(
        "--read-only", action="store_true", help="hide and refuse every tool that changes anything"
    )
    mcp.add_argument(
        "--approval",
        choices=["auto", "elicitation", "page", "token", "pull_request"],
        help="approval mode (default: $INFOMANIAK_APPROVAL_MODE, else auto); infomaniak.yaml can only "
        "make it stricter",
    )
    mcp.add_argument(
        "--no-approval-page", action="store_true", help="do not serve the local approval page (127.0.0.1)"
    )
    mcp.add_argument(
        "--no-fast-start",
        action="store_true",
        help="stdio: let the MCP SDK answer even the first requests (slower start; for comparisons)",
    )
    mcp.set_defaults(func=cmd_mcp)
