"""The MCP tools read and edit the newer kinds with no code of their own (one test per kind)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.mcp import ReconcilerServer, ToolName
from tests.mcp.conftest import client, text_of

pytestmark = pytest.mark.anyio


async def test_mail_aliases_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    args = {"kind": "mail_aliases", "scope": "example.ch", "key": "sales@example.ch"}
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mail_aliases", "scope": "example.ch"})
        added = await c.call_tool(ToolName.DESIRED_SET.value, {**args, "spec": {"aliases": ["orders"]}})
        shown = await c.call_tool(ToolName.DESIRED_GET.value, {"kind": "mail_aliases", "scope": "example.ch"})
    assert "info@example.ch:" in text_of(live) and "- contact" in text_of(live)
    assert not added.is_error and "state/mail/aliases/example.ch.yaml" in text_of(added)
    assert "sales@example.ch:" in text_of(shown) and "orders" in text_of(shown)
    assert "orders" in (state_dir / "mail" / "aliases" / "example.ch.yaml").read_text()


async def test_mail_forwarding_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    args = {"kind": "mail_forwarding", "scope": "example.ch", "key": "ceo@example.ch"}
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mail_forwarding", "scope": "example.ch"})
        added = await c.call_tool(
            ToolName.DESIRED_SET.value, {**args, "spec": {"to": ["assistant@example.ch"]}}
        )
        refused = await c.call_tool(ToolName.DESIRED_SET.value, {**args, "spec": {"to": "not a list"}})
    assert "sales@example.ch:" in text_of(live) and "crm@partner.example" in text_of(live)
    assert not added.is_error and "state/mail/forwarding/example.ch.yaml" in text_of(added)
    assert refused.is_error
    assert "assistant@example.ch" in (state_dir / "mail" / "forwarding" / "example.ch.yaml").read_text()


async def test_domains_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "domains", "scope": "example.ch"})
        added = await c.call_tool(
            ToolName.DESIRED_SET.value,
            {"kind": "domains", "scope": "example.ch", "key": "dnssec", "spec": {"dnssec": True}},
        )
    assert "ns41.infomaniak.com" in text_of(live) and "dnssec: false" in text_of(live)
    assert not added.is_error and "state/domains/example.ch.yaml" in text_of(added)
    assert (state_dir / "domains" / "example.ch.yaml").read_text() == "dnssec: true\n"


async def test_mail_settings_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mail_settings", "scope": "example.ch"})
        added = await c.call_tool(
            ToolName.DESIRED_SET.value,
            {
                "kind": "mail_settings",
                "scope": "example.ch",
                "key": "spam_filter",
                "spec": {"spam_filter": True},
            },
        )
    assert "spam_filter: true" in text_of(live) and "default_permissions:" in text_of(live)
    assert not added.is_error
    assert (state_dir / "mail" / "settings" / "example.ch.yaml").read_text() == "spam_filter: true\n"


async def test_mail_redirects_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    args = {"kind": "mail_redirects", "scope": "example.ch", "key": "jobs@example.ch"}
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "mail_redirects", "scope": "example.ch"})
        added = await c.call_tool(ToolName.DESIRED_SET.value, {**args, "spec": {"to": ["hr@example.ch"]}})
    assert "team@example.ch:" in text_of(live) and "alice.martin@example.ch" in text_of(live)
    assert not added.is_error
    assert "hr@example.ch" in (state_dir / "mail" / "redirects" / "example.ch.yaml").read_text()


async def test_drive_access_live_get_and_desired_set(server: ReconcilerServer, state_dir: Path) -> None:
    args = {"kind": "drive_access", "scope": "Demo Drive", "key": "eva.brun@partner.example"}
    async with client(server, "auto") as c:
        live = await c.call_tool(ToolName.LIVE_GET.value, {"kind": "drive_access", "scope": "Demo Drive"})
        added = await c.call_tool(ToolName.DESIRED_SET.value, {**args, "spec": {"role": "external"}})
    assert "alice.martin@example.ch:" in text_of(live) and "role: admin" in text_of(live)
    assert not added.is_error
    assert "eva.brun@partner.example" in (state_dir / "drive" / "access" / "Demo Drive.yaml").read_text()
