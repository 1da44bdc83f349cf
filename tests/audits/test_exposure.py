"""Share-link exposure on the dirty account: each kind of exposure, its severity and its edit."""

from __future__ import annotations

import pytest

from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import audit

pytestmark = pytest.mark.anyio


async def test_public_download_forever_is_high_and_a_password_link_forever_is_low() -> None:
    report = await audit(dirty_state(), ["share_links"])
    found = {f.resource.rsplit("/", 1)[-1]: f for f in report.findings}
    assert {name: f.severity.value for name, f in found.items()} == {
        "brochure.pdf": "high",
        "press-kit.zip": "high",
        "q3-report.xlsx": "low",
    }
    assert found["q3-report.xlsx"].problem.startswith("password link allows download with no expiry")
    assert found["press-kit.zip"].edit is not None and found["press-kit.zip"].edit.set == {
        "valid_until": "2026-04-01"
    }


async def test_view_only_public_link_without_expiry_is_medium() -> None:
    state = dirty_state()
    for item in state.data["drive_files"]["140946"]:
        if item["name"] == "press-kit.zip":
            item["sharelink"]["capabilities"]["can_download"] = False
    report = await audit(state, ["share_links"])
    press = next(f for f in report.findings if f.resource.endswith("press-kit.zip"))
    assert (press.severity.value, press.problem) == (
        "medium",
        "public link without password or expiry: anyone with the URL can open it, forever",
    )
