"""Approval of ik_apply: elicitation accept / decline / cancel, fallbacks without the capability, token and
pull-request modes, and refusals of stale or unsafe plans — on both protocol eras."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from reconciler.mcp import McpApp, ReconcilerServer, ToolName, planning
from reconciler.mcp.approval import APPROVAL_MODE_ENV
from tests.mcp.conftest import MODES, Human, client, text_of

pytestmark = pytest.mark.anyio

FAKE_PAGE = "http://127.0.0.1:9"  # registrations only need the base URL; test_page.py serves it for real


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def plan_hash(c: Client, **args: Any) -> str:
    result = await c.call_tool(ToolName.PLAN.value, args)
    assert not result.is_error, text_of(result)
    value = result.structured_content["plan_hash"]
    assert isinstance(value, str)
    return value


def audit(app: McpApp) -> list[dict[str, Any]]:
    return list(app.audit().entries())


async def test_accepted_confirmation_applies_and_is_audited(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    human = Human("accept")
    async with client(server, mode, human) as c:
        h = await plan_hash(c)
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        after = await c.call_tool(ToolName.PLAN.value, {})
    assert not applied.is_error, text_of(applied)
    assert applied.structured_content["approval"] == "mcp_elicitation"
    assert applied.structured_content["remaining"] == []
    assert after.structured_content["plan_hash"] is None
    (question,) = human.asked
    assert question.startswith(
        f"Apply plan {h[:12]} to the sandbox (simulator)?\nPlan: 1 to create, 2 to update, 1 to delete."
    )
    assert "- dns/example.ch: app A" in question
    attempts = [e for e in audit(app) if e["event"] == "apply_attempt"]
    assert attempts[-1]["approval"] == "mcp_elicitation" and attempts[-1]["plan_hash"] == h


@pytest.mark.parametrize(("action", "message"), [("decline", "declined"), ("cancel", "dismissed")])
async def test_declined_or_cancelled_confirmation_applies_nothing(
    app: McpApp, server: ReconcilerServer, mode: str, action: str, message: str
) -> None:
    human = Human(action)
    async with client(server, mode, human) as c:
        h = await plan_hash(c)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        again = await plan_hash(c)
    assert refused.is_error and message in text_of(refused) and "Nothing was applied" in text_of(refused)
    assert again == h
    assert len(human.asked) == 1
    assert not [e for e in audit(app) if e["event"] == "apply_attempt"]


async def test_accept_without_the_tick_applies_nothing(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode, Human("accept", approve=False)) as c:
        h = await plan_hash(c)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert refused.is_error and "did not tick" in text_of(refused)


async def test_unknown_plan_hash_is_refused_without_asking(server: ReconcilerServer, mode: str) -> None:
    human = Human("accept")
    async with client(server, mode, human) as c:
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": "0" * 64})
    assert refused.is_error and "not registered" in text_of(refused)
    assert human.asked == []


async def test_without_elicitation_the_page_is_the_fallback(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    app.page_url = FAKE_PAGE
    async with client(server, mode) as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        h = planned.structured_content["plan_hash"]
        early = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        item = app.store.get(h)
        assert item is not None and item.page_token is not None
        assert f"{FAKE_PAGE}/approve/{item.page_token}" in planned.structured_content["approval"]
        # The link dies with the server: a client that starts one per call must know before the user clicks.
        assert "only while this server process runs" in planned.structured_content["approval"]
        app.store.decide(item.page_token, item.csrf_token, approve=True)  # the human's click
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        replay = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert early.is_error and "not approved yet" in text_of(early)
    assert not applied.is_error and applied.structured_content["approval"] == "mcp_page"
    assert replay.is_error and "not registered" in text_of(replay)


async def test_without_elicitation_or_page_apply_refuses_with_how_to(
    server: ReconcilerServer, mode: str
) -> None:
    async with client(server, mode) as c:
        h = await plan_hash(c)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    text = text_of(refused)
    assert refused.is_error and "No approval channel is available" in text
    # Only settings that are not already in force: the mode is auto already, the page is what is missing.
    assert "without --no-approval-page" in text and "--approval auto" not in text


async def test_elicitation_mode_never_falls_back_to_the_page(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    app.env = {APPROVAL_MODE_ENV: "elicitation"}
    app.page_url = FAKE_PAGE
    async with client(server, mode) as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
    assert "No approval channel" in planned.structured_content["approval"]
    assert FAKE_PAGE not in planned.structured_content["approval"]


async def test_page_mode_does_not_ask_in_the_client(app: McpApp, server: ReconcilerServer, mode: str) -> None:
    app.env = {APPROVAL_MODE_ENV: "page"}
    app.page_url = FAKE_PAGE
    human = Human("accept")
    async with client(server, mode, human) as c:
        h = await plan_hash(c)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert refused.is_error and "not approved yet" in text_of(refused)
    assert human.asked == []


async def test_token_mode_is_single_use_and_model_satisfiable(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    app.env = {APPROVAL_MODE_ENV: "token"}
    human = Human("accept")
    async with client(server, mode, human) as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        h = planned.structured_content["plan_hash"]
        item = app.store.get(h)
        assert item is not None and item.approval_token is not None
        token = item.approval_token
        assert f"approval_token={token}" in planned.structured_content["approval"]
        missing = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h, "approval_token": token})
        reused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h, "approval_token": token})
    assert missing.is_error and "approval_token" in text_of(missing)
    assert applied.structured_content["approval"] == "mcp_token (model-satisfiable)"
    assert reused.is_error
    assert human.asked == []
    requested = [e for e in audit(app) if e["event"] == "approval_requested"]
    assert requested[-1]["model_satisfiable"] is True


async def test_pull_request_mode_refuses_and_explains(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    app.env = {APPROVAL_MODE_ENV: "pull_request"}
    async with client(server, mode, Human()) as c:
        h = await plan_hash(c)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert refused.is_error and f"--expect-plan-hash {h}" in text_of(refused)


async def test_stale_plan_is_refused_with_what_moved(server: ReconcilerServer, mode: str) -> None:
    async with client(server, mode, Human("accept")) as c:
        h = await plan_hash(c)
        spec = {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": {"value": "203.0.113.7"}}
        await c.call_tool(ToolName.DESIRED_SET.value, spec)
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    text = text_of(refused)
    assert refused.is_error and "stale plan" in text and "new change: create dns/example.ch: api A" in text
    assert "Call ik_plan again" in text


async def test_unsafe_plan_is_not_offered_for_approval(
    state_dir: Path, server: ReconcilerServer, mode: str
) -> None:
    account = state_dir / "infomaniak.yaml"
    account.write_text(account.read_text() + 'protect:\n  - "dns/*/app A"\n')
    async with client(server, mode, Human("accept")) as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        h = planned.structured_content["plan_hash"]
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert planned.structured_content["unsafe"] and "cannot be applied from here" in json.dumps(
        planned.structured_content
    )
    assert refused.is_error and "not registered" in text_of(refused)


async def test_plan_from_an_eliciting_client_needs_its_own_link_elsewhere(
    app: McpApp, server: ReconcilerServer, mode: str
) -> None:
    app.page_url = FAKE_PAGE
    async with client(server, mode, Human()) as asking:
        h = await plan_hash(asking)
    async with client(server, mode) as other:
        refused = await other.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert refused.is_error and "no approval link yet; call ik_plan" in text_of(refused)


GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "mcp" / "approval-question-demo.txt"


async def test_the_question_of_the_demo_plan_matches_its_golden_file(server: ReconcilerServer) -> None:
    """The exact text a human approves; regenerate with UPDATE_GOLDEN=1 after a deliberate change."""
    human = Human("decline")
    async with client(server, "auto", human) as c:
        h = await plan_hash(c)
        await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    (question,) = human.asked
    text = question.replace(h, "<plan-hash>").replace(h[:12], "<plan-hash-12>") + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
    # What the issue asked for, spelled out: DMARC before → after, every warning, risky first.
    assert '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.ch" → "v=DMARC1; p=reject;' in text
    assert "! changes mail authentication (SPF, DKIM or DMARC)" in text
    assert "! removes an address of app: clients stop reaching it" in text
    assert text.index("Look at these first") < text.index("Other changes") < text.index("blog CNAME")


async def test_no_channel_in_elicitation_mode_suggests_auto_not_what_is_in_force(
    app: McpApp, server: ReconcilerServer
) -> None:
    app.env = {APPROVAL_MODE_ENV: "elicitation"}
    app.page_url = FAKE_PAGE
    async with client(server, "auto") as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
    text = planned.structured_content["approval"]
    assert "--approval auto" in text and "without --no-approval-page" not in text


async def test_a_long_question_points_to_the_approval_page(app: McpApp, server: ReconcilerServer) -> None:
    app.page_url = FAKE_PAGE
    async with client(server, "auto", Human()) as c:
        h = await plan_hash(c)
    item = app.store.get(h)
    assert item is not None
    question = planning.confirm_question(app, item, limit=600)
    assert len(question) <= 600 and "more change(s) not shown here" in question
    assert f"{FAKE_PAGE}/approve/{item.page_token}" in question
