"""MCP front: a thin server over the engine (tools, approval modes, transports). See docs/mcp.md."""

from __future__ import annotations

from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import ApprovalMode, ApprovalStore, Channel
from reconciler.mcp.names import ToolName
from reconciler.mcp.server import ReconcilerServer, build_server

__all__ = [
    "ApprovalMode",
    "ApprovalStore",
    "Channel",
    "McpApp",
    "ReconcilerServer",
    "ToolName",
    "build_server",
]
