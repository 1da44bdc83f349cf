"""Every tool through the SDK's in-memory client, on both protocol eras, against the sandbox account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest

from reconciler.errors import SettingsError
from reconciler.mcp import McpApp, ReconcilerServer, ToolName, build_server
from reconciler.mcp.live import import_live
from reconciler.mcp.server import TOOLS, mutating_tools
from tests.mcp.conftest import MODES, SECRET, Human, client, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_tools_list_names_titles_annotations_and_schemas(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        listed = {tool.name: tool for tool in (await c.list_tools()).tools}
    assert set(listed) == {name.value for name in ToolName}
    for spec in TOOLS:
        tool = listed[spec.name.value]
        assert tool.title and tool.description
        notes = tool.annotations
        assert notes is not None
        assert (
            notes.read_only_hint,
            notes.destructive_hint,
            notes.idempotent_hint,
            notes.open_world_hint,
        ) == (
            spec.read_only,
            spec.destructive,
            spec.idempotent,
            spec.open_world,
        )
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    apply = listed[ToolName.APPLY.value]
    # The human's confirmation is filled by a resolver: the model cannot even see it, let alone fill it.
    assert set(apply.input_schema["properties"]) == {"plan_hash", "approval_token"}
    assert apply.input_schema["properties"]["plan_hash"]["pattern"] == "^[0-9a-f]{64}$"
    assert listed[ToolName.PLAN.value].output_schema is not None
    assert listed[ToolName.LIVE_GET.value].output_schema is None  # plain YAML text saves tokens


async def test_read_only_server_hides_and_refuses_mutating_tools(app: McpApp, mode: str) -> None:
    app.read_only = True
    server = build_server(app)
    async with client(server, mode) as c:
        names = {tool.name for tool in (await c.list_tools()).tools}
        refused = await c.call_tool(ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch"})
        planned = await c.call_tool(ToolName.PLAN.value, {})
    assert names.isdisjoint(mutating_tools())
    assert ToolName.PLAN.value in names
    assert refused.is_error and "hidden because this server runs in read-only mode" in text_of(refused)
    assert "read-only" in planned.structured_content["approval"]


async def test_overview(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.OVERVIEW.value, {})
    data = result.structured_content
    assert not result.is_error and data is not None
    assert data["account_id"] == 123456 and data["sandbox"] is True and data["approval_mode"] == "auto"
    assert "domain: example.ch" in data["products"]
    assert {"kind": "dns", "directory": "dns", "scopes": ["example.ch"]} in data["managed"]


async def test_live_get_a_scope_and_the_scope_list(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        zone = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns", "scope": "example.ch"})
        scopes = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns"})
    assert "\n# live dns/example.ch:" in text_of(zone) and "type: MX" in text_of(zone)
    assert "live dns scopes: demo-shop.ch, example.ch\n" in text_of(scopes)


async def test_live_get_refuses_a_path_as_scope(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns", "scope": "../../1/accounts"})
    assert result.is_error and "is a path" in text_of(result)


async def test_unknown_kind_names_the_known_ones(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.DESIRED_GET.value, {"kind": "ftp"})
    assert result.is_error and "unknown kind 'ftp'; known kinds: domains, dns" in text_of(result)


async def test_desired_get_returns_the_file_with_comments(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        text = text_of(await c.call_tool(ToolName.DESIRED_GET.value, {"kind": "dns", "scope": "example.ch"}))
        listing = text_of(await c.call_tool(ToolName.DESIRED_GET.value, {"kind": "dns"}))
    assert text.startswith("# state/dns/example.ch.yaml\n") and "# shorter TTL" in text
    assert listing == "dns scopes with a desired file: example.ch\n"


async def test_desired_set_and_remove(server: ReconcilerServer, state_dir: Path, mode: str) -> None:
    args = {"kind": "dns", "scope": "example.ch", "key": "api A"}
    async with client(server, mode) as c:
        added = await c.call_tool(
            ToolName.DESIRED_SET.value, {**args, "spec": {"ttl": 600, "value": "203.0.113.7"}}
        )
        removed = await c.call_tool(ToolName.DESIRED_REMOVE.value, args)
    assert "state/dns/example.ch.yaml: set api A" in text_of(added) and "+api:" in text_of(added)
    assert "-api:" in text_of(removed)
    assert "api:" not in (state_dir / "dns" / "example.ch.yaml").read_text()


async def test_desired_set_refuses_an_invalid_entry(
    server: ReconcilerServer, state_dir: Path, mode: str
) -> None:
    before = (state_dir / "dns" / "example.ch.yaml").read_bytes()
    spec = {"value": "999.1.1.1"}
    async with client(server, mode) as c:
        result = await c.call_tool(
            ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": spec}
        )
    assert result.is_error and "IPv4" in text_of(result) and "Next:" in text_of(result)
    assert (state_dir / "dns" / "example.ch.yaml").read_bytes() == before


async def test_validate(server: ReconcilerServer, state_dir: Path, mode: str) -> None:
    async with client(server, mode) as c:
        ok = text_of(await c.call_tool(ToolName.VALIDATE.value, {}))
        (state_dir / "dns" / "broken.ch.yaml").write_text("www:\n  type: A\n  value: nope\n")
        bad = text_of(await c.call_tool(ToolName.VALIDATE.value, {}))
    assert ok.startswith("OK: 1 file(s)")
    assert bad.startswith("INVALID (1 problem(s))") and "broken.ch.yaml:3" in bad


async def test_import_live_writes_a_file_whose_plan_is_empty(
    server: ReconcilerServer, state_dir: Path, mode: str
) -> None:
    async with client(server, mode) as c:
        imported = await c.call_tool(ToolName.IMPORT_LIVE.value, {"kind": "dns", "scope": "demo-shop.ch"})
        again = await c.call_tool(ToolName.IMPORT_LIVE.value, {"kind": "dns", "scope": "demo-shop.ch"})
        plan = await c.call_tool(ToolName.PLAN.value, {"targets": ["dns/demo-shop.ch"]})
    assert "imported live dns/demo-shop.ch" in text_of(imported)
    assert (state_dir / "dns" / "demo-shop.ch.yaml").is_file()
    assert again.is_error and "overwrite=true" in text_of(again)
    assert plan.structured_content == {
        **plan.structured_content,
        "plan_hash": None,
        "approval": "Nothing to apply.",
    }


async def test_plan_reports_counts_text_hash_and_how_to_approve(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode, Human()) as c:
        result = await c.call_tool(ToolName.PLAN.value, {})
    data = result.structured_content
    assert data is not None and len(data["plan_hash"]) == 64
    assert data["counts"] == {"create": 1, "update": 2, "delete": 1}
    assert "+ blog CNAME" in data["text"] and data["unsafe"] == []
    assert "the user will be asked to confirm in the client" in data["approval"]
    # The plan (live values in it) in a marked block, then our approval line outside it.
    text = text_of(result)
    assert text.startswith("<<account-data ") and data["text"] in text
    assert text.index("<<end account-data") < text.index("Approval: ")


async def test_plan_of_an_unknown_target_is_a_tool_error(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.PLAN.value, {"targets": ["ftp"]})
    assert result.is_error and "unknown target 'ftp'" in text_of(result)


async def test_drift(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.DRIFT.value, {})
    data = result.structured_content
    assert data["in_sync"] is False and len(data["differences"]) == 4
    assert {"address": "dns/example.ch/app A", "action": "delete", "side": "unknown"}.items() <= (
        next(d for d in data["differences"] if d["address"] == "dns/example.ch/app A").items()
    )


async def test_git_status_outside_a_repository_says_how_to_start_one(
    server: ReconcilerServer, mode: str
) -> None:
    async with client(server, mode) as c:
        result = await c.call_tool(ToolName.GIT_STATUS.value, {})
    assert result.is_error and "git init" in text_of(result)


async def test_audit_log_before_and_after_a_plan(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode, Human()) as c:
        empty = text_of(await c.call_tool(ToolName.AUDIT_LOG.value, {}))
        await c.call_tool(ToolName.PLAN.value, {})
        logged = text_of(await c.call_tool(ToolName.AUDIT_LOG.value, {"event": "approval_requested"}))
    assert "\nno matching audit entries\n" in empty
    entry = json.loads(logged.splitlines()[-2])  # the last line ends the account-data block
    assert entry["event"] == "approval_requested" and entry["channel"] == "elicitation"
    assert entry["model_satisfiable"] is False


async def test_no_tool_output_contains_a_secret(server: ReconcilerServer, state_dir: Path, mode: str) -> None:
    # A secret that ends up in a file (pasted into a comment) is still redacted on the way out.
    path = state_dir / "dns" / "example.ch.yaml"
    path.write_text(path.read_text() + f"# token: {SECRET}\n")
    outputs: list[types.CallToolResult] = []
    calls: list[tuple[ToolName, dict[str, Any]]] = [
        (ToolName.OVERVIEW, {}),
        (ToolName.LIVE_GET, {"kind": "dns", "scope": "example.ch"}),
        (ToolName.DESIRED_GET, {"kind": "dns", "scope": "example.ch"}),
        (ToolName.VALIDATE, {}),
        (ToolName.PLAN, {}),
        (ToolName.DRIFT, {}),
        (ToolName.GIT_STATUS, {"diff": True}),
        (ToolName.AUDIT_LOG, {}),
        (
            ToolName.DESIRED_SET,
            {"kind": "dns", "scope": "example.ch", "key": "x A", "spec": {"value": SECRET}},
        ),
    ]
    async with client(server, mode, Human()) as c:
        for name, args in calls:
            outputs.append(await c.call_tool(name.value, args))
    dumped = [json.dumps(result.model_dump(mode="json")) for result in outputs]
    assert any("(sensitive)" in text for text in dumped)
    assert not [text for text in dumped if SECRET in text]


async def test_drift_after_an_apply_says_the_desired_side_moved(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode, Human()) as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        await c.call_tool(ToolName.APPLY.value, {"plan_hash": planned.structured_content["plan_hash"]})
        edit = {
            "kind": "dns",
            "scope": "example.ch",
            "key": "www CNAME",
            "spec": {"ttl": 900, "value": "example.ch."},
        }
        await c.call_tool(ToolName.DESIRED_SET.value, edit)
        result = await c.call_tool(ToolName.DRIFT.value, {})
    (difference,) = result.structured_content["differences"]
    assert difference["address"] == "dns/example.ch/www CNAME" and difference["side"] == "desired"


async def test_read_only_refuses_even_a_direct_call(app: McpApp) -> None:
    app.read_only = True
    with pytest.raises(SettingsError, match="--read-only"):
        await import_live(app, "dns", "demo-shop.ch", overwrite=False)
