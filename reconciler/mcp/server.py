"""The MCP server: the tool table (titles and the four annotations, set on purpose) and secret redaction."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations

from reconciler import __version__
from reconciler.mcp import tools
from reconciler.mcp.app import McpApp
from reconciler.mcp.names import ToolName

INSTRUCTIONS = (
    "Manage an Infomaniak account as YAML files in git. Loop: ik_overview → ik_live_get / ik_desired_get → "
    "ik_desired_set → ik_plan → the user approves → ik_apply → ik_git_commit. You cannot approve a plan "
    "yourself: relay ik_plan's approval instructions to the user."
)


@dataclass(frozen=True)
class ToolSpec:
    name: ToolName
    fn: Callable[..., Any]
    title: str
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool
    """True when the tool talks to the Infomaniak API, an external system."""

    def annotations(self) -> ToolAnnotations:
        # No annotation title: the tool's own title says it, and tools/list tokens are scarce.
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )


# Edits of the desired files are marked destructive: they replace or drop entries (git keeps history, but a
# client should still ask). Plan and drift are read-only: they change neither files nor the account.
TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(ToolName.OVERVIEW, tools.ik_overview, "Account overview", True, False, True, True),
    ToolSpec(ToolName.LIVE_GET, tools.ik_live_get, "Read live state", True, False, True, True),
    ToolSpec(ToolName.DESIRED_GET, tools.ik_desired_get, "Read a desired file", True, False, True, False),
    ToolSpec(ToolName.DESIRED_SET, tools.ik_desired_set, "Set a desired entry", False, True, True, False),
    ToolSpec(
        ToolName.DESIRED_REMOVE, tools.ik_desired_remove, "Remove a desired entry", False, True, True, False
    ),
    ToolSpec(ToolName.VALIDATE, tools.ik_validate, "Validate desired files", True, False, True, False),
    ToolSpec(
        ToolName.IMPORT_LIVE, tools.ik_import_live, "Import live state to a file", False, True, True, True
    ),
    ToolSpec(ToolName.PLAN, tools.ik_plan, "Plan changes", True, False, True, True),
    ToolSpec(ToolName.APPLY, tools.ik_apply, "Apply an approved plan", False, True, False, True),
    ToolSpec(ToolName.DRIFT, tools.ik_drift, "Check drift", True, False, True, True),
    ToolSpec(
        ToolName.GIT_STATUS, tools.ik_git_status, "Git status of desired state", True, False, True, False
    ),
    ToolSpec(ToolName.GIT_COMMIT, tools.ik_git_commit, "Commit desired state", False, False, False, False),
    ToolSpec(ToolName.AUDIT_LOG, tools.ik_audit_log, "Read the audit log", True, False, True, False),
    ToolSpec(ToolName.CATALOG, tools.ik_catalog, "List readable kinds", True, False, True, False),
    ToolSpec(ToolName.AUDIT, tools.ik_audit, "Audit the account", True, False, True, True),
    ToolSpec(ToolName.API_GET, tools.ik_api_get, "Read any API path", True, False, True, True),
)

# Plain text where it saves tokens (YAML, diffs, logs); structured where the model acts on fields.
_TEXT_TOOLS = frozenset(
    {
        ToolName.LIVE_GET,
        ToolName.DESIRED_GET,
        ToolName.DESIRED_SET,
        ToolName.DESIRED_REMOVE,
        ToolName.VALIDATE,
        ToolName.IMPORT_LIVE,
        ToolName.GIT_STATUS,
        ToolName.AUDIT_LOG,
        ToolName.CATALOG,
        ToolName.AUDIT,
        ToolName.API_GET,
    }
)


class ReconcilerServer(MCPServer[Any]):
    """MCPServer carrying the app state, redacting secrets from every tool result and error."""

    def __init__(self, app: McpApp) -> None:
        super().__init__(
            name="infomaniak-gitops", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
        )
        self.app = app

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            result = await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise  # its text is already generic
        except ToolError as exc:
            raise ToolError(self.app.redact(str(exc))) from exc
        if isinstance(result, CallToolResult):
            result.content = [
                TextContent(type="text", text=self.app.redact(item.text))
                if isinstance(item, TextContent)
                else item
                for item in result.content
            ]
            if result.structured_content is not None:
                result.structured_content = self.app.redact(result.structured_content)
        return result


def build_server(app: McpApp) -> ReconcilerServer:
    """The server with every tool; with ``app.read_only`` the mutating tools are not even listed."""
    server = ReconcilerServer(app)
    for spec in TOOLS:
        if app.read_only and not spec.read_only:
            continue
        server.add_tool(
            spec.fn,
            name=spec.name.value,
            title=spec.title,
            description=inspect.cleandoc(spec.fn.__doc__ or ""),
            annotations=spec.annotations(),
            structured_output=False if spec.name in _TEXT_TOOLS else None,
        )
    return server


def mutating_tools() -> frozenset[ToolName]:
    return frozenset(spec.name for spec in TOOLS if not spec.read_only)


__all__ = ["INSTRUCTIONS", "TOOLS", "ReconcilerServer", "ToolSpec", "build_server", "mutating_tools"]
