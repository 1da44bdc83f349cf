"""Account access: invitations, leftovers, idle privileged users, kDrive admins without 2FA, empty teams."""

from __future__ import annotations

import pytest

from reconciler.sandbox import SandboxState
from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import audit, brief

pytestmark = pytest.mark.anyio


async def test_dirty_access() -> None:
    report = await audit(dirty_state(), ["access"])
    assert brief(report) == [
        ("high", "access", "drive_users/Demo Drive/chloe.rochat@example.ch"),
        ("medium", "access", "invitation/emma.favre@example.ch"),
        ("medium", "access", "user/chloe.rochat@example.ch"),
        ("medium", "access", "user/david.meier@example.ch"),
        ("low", "access", "teams/Interns 2024"),
    ]
    assert [f.problem for f in report.findings[1:4]] == [
        "admin invitation pending 120 days (max 30)",
        "privileged user (admin) last login 200 days ago (limit 90 days)",
        "user with no access left (no drive, mailbox, kChat or product): an offboarding leftover",
    ]


async def test_an_owner_who_never_logged_in_is_high() -> None:
    state = SandboxState.demo()
    state.data["account_users"]["123456"][0]["last_login_at"] = 0
    report = await audit(state, ["access"])
    assert [(f.severity.value, f.problem) for f in report.findings] == [
        ("high", "privileged user (owner) never logged in (limit 90 days)")
    ]
