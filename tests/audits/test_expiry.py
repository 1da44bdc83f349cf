"""Expiry: domains, certificates and products in the window, expired ones, locks."""

from __future__ import annotations

import pytest

from reconciler.sandbox import SandboxState
from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import CLOCK, audit, brief

pytestmark = pytest.mark.anyio


async def test_dirty_expiry() -> None:
    report = await audit(dirty_state(), ["expiry"])
    assert brief(report) == [
        ("high", "expiry", "domain/demo-shop.ch"),
        ("high", "expiry", "product/swiss_backup/Demo Backup"),
        ("high", "expiry", "ssl/demo-shop.ch"),
        ("medium", "expiry", "product/public_cloud/Demo Cloud"),
    ]
    assert report.findings[2].problem == (
        "free certificate expires in 5 days: Let's Encrypt renews 30 days ahead, so renewal is failing"
    )


async def test_expired_is_critical_and_domains_are_not_counted_twice() -> None:
    state = SandboxState.demo()
    for product in state.products:
        if product["customer_name"] == "example.ch" and product["service_name"] == "domain":
            product["expired_at"] = CLOCK - 3 * 86_400
    state.data["inventory"]["ssl_certificates"]["5100101"]["6100001"]["is_valid"] = False
    report = await audit(state, ["expiry"])
    assert [(f.severity.value, f.resource, f.problem) for f in report.findings] == [
        (
            "critical",
            "domain/example.ch",
            "domain expired 3 days ago: its sites and mail stop when it lapses",
        ),
        ("high", "ssl/example.ch", "certificate is not valid (status installed)"),
    ]


async def test_the_demo_has_nothing_expiring_within_30_days() -> None:
    assert (await audit(SandboxState.demo(), ["expiry"])).findings == []
