"""The MCP tools read and edit drive_permissions with no code of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.mcp import ReconcilerServer, ToolName
from tests.mcp.conftest import client, text_of

pytestmark = pytest.mark.anyio


async def test_drive_permissions_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    scope = {"kind": "drive_permissions", "scope": "demo drive"}
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, scope)
        added = await c.call_tool(
            ToolName.DESIRED_SET.value, {**scope, "key": "/Press", "spec": {"teams": {"Support": "read"}}}
        )
        refused = await c.call_tool(
            ToolName.DESIRED_SET.value,
            {**scope, "key": "/Finance", "spec": {"users": {"alice.martin@example.ch": "owner"}}},
        )
    assert "chloe.rochat@example.ch: manage" in text_of(live) and "Marketing: write" in text_of(live)
    assert not added.is_error and "state/drive/permissions/" in text_of(added)
    assert refused.is_error
    (file,) = (state_dir / "drive" / "permissions").glob("*.yaml")
    text = file.read_text()
    assert "/Press:\n  teams:\n    Support: read\n" in text and "owner" not in text
