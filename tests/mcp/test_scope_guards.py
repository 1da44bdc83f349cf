"""Scope names from the model reach neither an API path nor a stray file (issue 8)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from reconciler.mcp import McpApp, ToolName, build_server
from reconciler.settings import load_settings
from tests.mcp.conftest import SECRET, client, text_of

pytestmark = pytest.mark.anyio


async def test_live_get_of_a_scope_with_a_query_sends_no_request(tmp_path: Path, state_dir: Path) -> None:
    env = {"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "INFOMANIAK_API_TOKEN": SECRET}
    settings = load_settings(state_dir=state_dir, sandbox=False, env=env, cwd=tmp_path)
    server = build_server(McpApp(settings, env=env))
    # Every request, to any host, is caught here (none may leave the machine) and counted.
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().mock(return_value=httpx.Response(500))
        async with client(server, "auto") as c:
            result = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns", "scope": "example.ch?x=1"})
    assert result.is_error and "contains '?'" in text_of(result)
    assert route.call_count == 0


async def test_desired_set_of_a_stray_tags_scope_writes_nothing(server: object, state_dir: Path) -> None:
    args = {"kind": "tags", "scope": "stray", "key": "Blue", "spec": {"color": 3}}
    async with client(server, "auto") as c:  # type: ignore[arg-type]
        result = await c.call_tool(ToolName.DESIRED_SET.value, args)
    assert result.is_error and "tags has one scope, 'tags'" in text_of(result)
    assert not (state_dir / "account").exists()
