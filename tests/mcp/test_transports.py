"""The server as users run it: a subprocess over stdio (with its approval page), and streamable HTTP."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from reconciler.mcp import McpApp, ToolName
from reconciler.mcp.transport import serve_http
from tests.mcp.conftest import SECRET, text_of

pytestmark = pytest.mark.anyio


def _command(*args: str) -> list[str]:
    return ["-m", "reconciler", *args]


@pytest.mark.e2e
async def test_stdio_subprocess_plan_page_approval_apply(tmp_path: Path, state_dir: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=_command("mcp", "--sandbox", "--state", str(state_dir)),
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "INFOMANIAK_API_TOKEN": SECRET},
        cwd=tmp_path,
    )
    with anyio.fail_after(30):
        async with Client(params) as c:
            names = {tool.name for tool in (await c.list_tools()).tools}
            planned = await c.call_tool(ToolName.PLAN.value, {})
            approval = planned.structured_content["approval"]
            url = re.search(r"http://127\.0\.0\.1:\d+/approve/\S+", approval)
            assert url is not None, approval
            async with httpx.AsyncClient() as http:
                page = await http.get(url.group())
                csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
                assert csrf is not None
                origin = url.group().split("/approve/")[0]
                form = {"csrf": csrf.group(1), "decision": "approve"}
                assert (
                    await http.post(url.group(), data=form, headers={"Origin": origin})
                ).status_code == 200
            applied = await c.call_tool(
                ToolName.APPLY.value, {"plan_hash": planned.structured_content["plan_hash"]}
            )
    assert names == {name.value for name in ToolName}
    assert not applied.is_error, text_of(applied)
    assert applied.structured_content["approval"] == "mcp_page"
    assert SECRET not in text_of(planned) + text_of(applied)


async def test_streamable_http_on_loopback_checks_host_and_origin(app: McpApp) -> None:
    urls: list[str] = []
    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: serve_http(app, port=0, page=False, ready=urls.append))
            while not urls:
                await anyio.sleep(0.01)
            (url,) = urls
            assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
            async with Client(url) as c:
                overview = await c.call_tool(ToolName.OVERVIEW.value, {})
            assert overview.structured_content["account_id"] == 123456
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
            async with httpx.AsyncClient() as http:
                evil_origin = await http.post(
                    url, json=body, headers={**headers, "Origin": "https://evil.example"}
                )
                port = url.split(":")[2].split("/")[0]
                evil_host = await http.post(
                    url, json=body, headers={**headers, "Host": f"evil.example:{port}"}
                )
            group.cancel_scope.cancel()
    assert evil_origin.status_code == 403
    assert evil_host.status_code == 421
