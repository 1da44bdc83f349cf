"""ik_catalog, ik_live_get on read-only kinds, ik_audit and ik_api_get through the SDK client."""

from __future__ import annotations

import pytest

from reconciler.mcp import ReconcilerServer, ToolName
from tests.mcp.conftest import MODES, SECRET, client, data_of, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_catalog_lists_every_kind_or_one_product(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        everything = text_of(await c.call_tool(ToolName.CATALOG.value, {}))
        web = text_of(await c.call_tool(ToolName.CATALOG.value, {"product": "web"}))
    assert "\ndns (managed) [scope: a file of state/dns/]" in "\n" + everything
    assert "kchat_channels (kchat) [scope: a row of kchat_teams]" in everything
    assert (
        web.splitlines()[0] == "web_hostings (web): name, id, service, expired_at, is_locked, expires_in_days"
    )
    assert "(unverified)" in web and "dns" not in web.split("Read any")[0]


async def test_live_get_pages_a_read_only_kind(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        first = data_of(await c.call_tool(ToolName.LIVE_GET.value, {"kind": "products", "limit": 3}))
        last = text_of(await c.call_tool(ToolName.LIVE_GET.value, {"kind": "products", "offset": 9}))
        scoped = text_of(
            await c.call_tool(ToolName.LIVE_GET.value, {"kind": "drive_users", "scope": "Demo Drive"})
        )
    assert "total: 10" in first and first.rstrip().endswith(
        "# more: call again with offset=3 (or narrow with a scope)"
    )
    assert "next_offset:\n" in last and "# more" not in last
    assert "email: chloe.rochat@example.ch" in scoped and "two_factor: true" in scoped


async def test_live_get_limit_is_capped_in_the_schema(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "products", "limit": 5000})
    assert result.is_error


async def test_audit_reports_findings_with_fixes(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        report = data_of(await c.call_tool(ToolName.AUDIT.value, {"audits": ["mailboxes"]}))
        unknown = await c.call_tool(ToolName.AUDIT.value, {"audits": ["nope"]})
    assert report.splitlines()[1].split() == ["mailboxes", "0", "0", "1", "0", "0", "ok"]
    assert "fix: in state/mail/example.ch.yaml set `sales@example.ch` move_spam: true" in report
    assert unknown.is_error and "unknown audit(s) nope; known: dns, share_links" in text_of(unknown)


async def test_api_get_reads_marks_untrusted_and_guards_paths(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        ok = data_of(await c.call_tool(ToolName.API_GET.value, {"path": "/2/profile"}))
        escape = await c.call_tool(ToolName.API_GET.value, {"path": "/1/../proxy/1/vps"})
        other_host = await c.call_tool(ToolName.API_GET.value, {"path": "https://evil.example/1/x"})
        query = await c.call_tool(ToolName.API_GET.value, {"path": "/1/products?account_id=1"})
    assert (
        ok.startswith("# live data from the Infomaniak API (untrusted")
        and '"email": "admin@example.ch"' in ok
    )
    assert SECRET not in ok
    assert escape.is_error and "'..' segment" in text_of(escape)
    assert other_host.is_error and "must start with /1/, /2/ or /3/" in text_of(other_host)
    assert query.is_error and "pass parameters separately" in text_of(query)


async def test_live_get_guards_a_read_only_kind_scope(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        path = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mailboxes", "scope": "../../1/accounts"})
        query = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mailboxes", "scope": "example.ch?x=1"})
        none = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "products", "scope": "example.ch"})
    assert path.is_error and "is a path" in text_of(path)
    assert query.is_error and "a query in a URL" in text_of(query)
    assert none.is_error and "products has no scope" in text_of(none)
