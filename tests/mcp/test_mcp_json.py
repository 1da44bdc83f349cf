"""The `.mcp.json` that `init` writes starts a working server, as Claude Code or the Inspector start it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from reconciler.engine import scaffold_repository
from reconciler.mcp import ToolName

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


REPO = Path(__file__).resolve().parents[2]


async def test_the_generated_mcp_json_starts_the_server_and_answers(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True)
    # The demo zone with its deliberate differences, so ik_plan has something to show (as in the README).
    (tmp_path / "state" / "dns").mkdir()
    shutil.copy(REPO / "state" / "dns" / "example.ch.yaml", tmp_path / "state" / "dns")
    (server,) = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"].values()
    assert "env" not in server  # a sandbox repository needs no token
    # A client starts the command from the repository root, with the user's environment (no token).
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOMANIAK")}
    params = StdioServerParameters(command=server["command"], args=server["args"], env=env, cwd=tmp_path)
    with anyio.fail_after(60):
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            overview = await client.call_tool(ToolName.OVERVIEW.value, {})
            plan = await client.call_tool(ToolName.PLAN.value, {})
    assert ToolName.PLAN.value in names and ToolName.APPLY.value in names
    assert overview.structured_content is not None
    assert overview.structured_content["sandbox"] is True
    assert overview.structured_content["state_dir"].endswith("state")
    # ik_plan, as the README's Inspector call makes it: the plan, its hash and how the user approves it.
    assert plan.structured_content is not None and not plan.is_error
    assert plan.structured_content["counts"] == {"create": 1, "update": 2, "delete": 1}  # the demo zone
    assert len(plan.structured_content["plan_hash"]) == 64
    assert "ik_apply" in plan.structured_content["approval"]
