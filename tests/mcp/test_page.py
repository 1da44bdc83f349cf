"""The approval page over real HTTP on 127.0.0.1: approve, reject, replay, Origin, Host, CSRF, escaping."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from reconciler.engine import Change, Plan
from reconciler.mcp import ApprovalStore, McpApp, ReconcilerServer, ToolName
from reconciler.mcp.approval import Registration
from reconciler.mcp.page import approval_page
from reconciler.mcp.transport import page_running
from tests.mcp.conftest import client, text_of

pytestmark = pytest.mark.anyio

HASH = "c" * 64
EVIL = "<script>alert('pwned')</script>"


@pytest.fixture
def store() -> ApprovalStore:
    return ApprovalStore()


@pytest.fixture
async def base(store: ApprovalStore) -> AsyncIterator[str]:
    async with approval_page(store) as url:
        yield url


@pytest.fixture
def item(store: ApprovalStore) -> Registration:
    change = Change(
        kind="dns",
        scope="example.ch",
        key=["www", "TXT"],
        display_key="www TXT",
        action="create",
        after={"values": [EVIL]},
        risky=[f"warning about {EVIL}"],
    )
    plan = Plan(plan_hash=HASH, sandbox=True, changes=[change])
    return store.register(
        plan, f"dns/example.ch\n  + www TXT\n      value: {EVIL}\n", (), page=True, token=False
    )


def link(base: str, item: Registration) -> str:
    return f"{base}/approve/{item.page_token}"


def origin(base: str) -> dict[str, str]:
    return {"Origin": base}


async def post(url: str, data: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(url, data=data, headers=headers)


async def get(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(url, headers=headers)


async def test_page_shows_the_escaped_plan_and_a_csrf_form(base: str, item: Registration) -> None:
    page = await get(link(base, item))
    assert page.status_code == 200
    assert EVIL not in page.text and "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page.text
    # The same content as the question, in full, the risky change highlighted.
    assert '<div class="change risky"><h3>+ dns/example.ch: www TXT</h3>' in page.text
    assert f'name="csrf" value="{item.csrf_token}"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    # A no-referrer policy makes browsers send `Origin: null` with the form, which the POST check refuses.
    assert page.headers["referrer-policy"] == "same-origin" and "no-referrer" not in page.text


async def test_approve(base: str, item: Registration, store: ApprovalStore) -> None:
    answer = await post(link(base, item), {"csrf": item.csrf_token, "decision": "approve"}, origin(base))
    assert answer.status_code == 200 and "is approved" in answer.text
    assert store.check_page_approval(HASH) is item


async def test_reject(base: str, item: Registration, store: ApprovalStore) -> None:
    answer = await post(link(base, item), {"csrf": item.csrf_token, "decision": "reject"}, origin(base))
    assert answer.status_code == 200 and "is rejected" in answer.text
    assert item.decision == "rejected"


async def test_replay_of_the_one_time_link_is_refused(base: str, item: Registration) -> None:
    form = {"csrf": item.csrf_token, "decision": "reject"}
    assert (await post(link(base, item), form, origin(base))).status_code == 200
    replay = await post(link(base, item), {**form, "decision": "approve"}, origin(base))
    assert replay.status_code == 403 and item.decision == "rejected"
    assert (await get(link(base, item))).status_code == 404


async def test_wrong_origin_is_refused(base: str, item: Registration) -> None:
    form = {"csrf": item.csrf_token, "decision": "approve"}
    answer = await post(link(base, item), form, {"Origin": "https://evil.example"})
    assert answer.status_code == 403 and item.decision == "pending"


async def test_missing_origin_is_refused(base: str, item: Registration) -> None:
    answer = await post(link(base, item), {"csrf": item.csrf_token, "decision": "approve"}, {})
    assert answer.status_code == 403 and item.decision == "pending"


async def test_bad_csrf_is_refused_and_the_link_stays_usable(base: str, item: Registration) -> None:
    answer = await post(link(base, item), {"csrf": "forged", "decision": "approve"}, origin(base))
    assert answer.status_code == 403 and "CSRF" in answer.text and item.decision == "pending"
    assert (await get(link(base, item))).status_code == 200


async def test_wrong_host_is_refused(base: str, item: Registration) -> None:
    # DNS rebinding: a hostile name resolving to 127.0.0.1 still sends its own Host header.
    port = urlsplit(base).port
    page = await get(link(base, item), headers={"Host": f"evil.example:{port}"})
    assert page.status_code == 421


async def test_unknown_link_is_not_found(base: str, item: Registration) -> None:
    assert (await get(f"{base}/approve/guessed")).status_code == 404


async def test_model_relays_the_link_and_the_human_approves(app: McpApp, server: ReconcilerServer) -> None:
    async with page_running(app, enabled=True), client(server, "auto") as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        h = planned.structured_content["plan_hash"]
        url = re.search(r"http://127\.0\.0\.1:\d+/approve/\S+", planned.structured_content["approval"])
        assert url is not None and app.page_url is not None
        page = await get(url.group())
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None and "+ dns/example.ch: blog CNAME" in page.text
        clicked = await post(
            url.group(), {"csrf": csrf.group(1), "decision": "approve"}, origin(app.page_url)
        )
        assert clicked.status_code == 200
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert not applied.is_error, text_of(applied)
    assert applied.structured_content["approval"] == "mcp_page"
    decided = [e for e in app.audit().entries() if e["event"] == "approval_decided"]
    assert decided[-1]["decision"] == "approved" and decided[-1]["plan_hash"] == h
