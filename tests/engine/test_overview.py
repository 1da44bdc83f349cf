"""The account overview verb against the simulator: account, products, managed scopes, last apply."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.desired import load_config
from reconciler.engine import Session, account_overview
from reconciler.engine.overview import NOT_READABLE
from reconciler.sandbox import SANDBOX_TOKEN, SandboxState, create_app

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


def _session(settings, **app_options) -> Session:
    app = create_app(SandboxState.demo(), **app_options)
    return Session(settings, load_config(settings.state_dir), transport=httpx.ASGITransport(app=app))


async def test_overview_names_the_account_its_products_and_the_managed_scopes(demo_settings) -> None:
    demo_settings.work_dir.mkdir(parents=True)
    record = {"time": "2026-01-01T00:00:00Z", "plan_hash": "ab" * 32, "secret_fingerprints": {"x": "y"}}
    demo_settings.last_apply_file.write_text(json.dumps(record))
    async with _session(demo_settings) as session:
        found = await account_overview(session)
    assert found.account_id == 123456 and found.account_name
    assert "domain: example.ch" in found.products and found.products == sorted(found.products)
    managed = {m.kind: m.scopes for m in found.managed}
    assert managed["dns"] == ["demo-shop.ch", "example.ch"]
    assert managed["teams"] == ["teams"]
    # The record's secret fingerprints are not part of the overview.
    assert found.last_apply == {"time": record["time"], "plan_hash": record["plan_hash"]}


async def test_a_token_without_the_accounts_scope_still_gets_the_rest(demo_settings) -> None:
    async with _session(demo_settings, tokens=(), token_scopes={SANDBOX_TOKEN: ["dns"]}) as session:
        found = await account_overview(session)
    assert found.products == [NOT_READABLE]
    assert found.account_name is None and found.last_apply is None
    assert {m.kind for m in found.managed} >= {"dns", "teams"}
