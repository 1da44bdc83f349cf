"""MCP front: a thin server over the engine (tools, approval modes, transports). See docs/mcp.md.

The names below are imported on first use: ``reconciler.mcp.front`` answers a stdio client's first requests
before the MCP SDK, pydantic and the engine are loaded, and importing it runs this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.lazy import lazy_names

if TYPE_CHECKING:
    from reconciler.mcp.app import McpApp
    from reconciler.mcp.approval import ApprovalStore, Channel
    from reconciler.mcp.modes import ApprovalMode
    from reconciler.mcp.names import ToolName
    from reconciler.mcp.server import ReconcilerServer, build_server

_HOMES = {
    "ApprovalMode": "reconciler.mcp.modes",
    "ApprovalStore": "reconciler.mcp.approval",
    "Channel": "reconciler.mcp.approval",
    "McpApp": "reconciler.mcp.app",
    "ReconcilerServer": "reconciler.mcp.server",
    "ToolName": "reconciler.mcp.names",
    "build_server": "reconciler.mcp.server",
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "ApprovalMode",
    "ApprovalStore",
    "Channel",
    "McpApp",
    "ReconcilerServer",
    "ToolName",
    "build_server",
]
