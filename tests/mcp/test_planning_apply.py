"""apply_registered (mcp/planning.py): the approval is spent as soon as anything may have changed."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.journal import Journal, JournalChange
from reconciler.errors import ApiUnavailable, ApplyError, UnverifiedApply
from reconciler.kinds import get_kind
from reconciler.mcp import McpApp
from reconciler.mcp.approval import Channel
from reconciler.mcp.planning import apply_registered, plan_and_register

pytestmark = pytest.mark.anyio


async def test_a_kind_failing_after_a_write_consumes_the_approval(
    app: McpApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await plan_and_register(app, [], can_elicit=True)
    assert result.plan_hash is not None
    item = app.store.require(result.plan_hash)

    async def broken_update(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("kind bug")

    monkeypatch.setattr(get_kind("dns"), "update", broken_update)
    with pytest.raises(ApplyError) as caught:
        await apply_registered(app, item, Channel.ELICITATION)
    assert caught.value.applied and "RuntimeError: kind bug" in caught.value.failed[0]
    # Something was applied: the same approval can never drive a second apply.
    assert app.store.get(result.plan_hash) is None


async def test_a_failed_verification_after_every_write_consumes_the_approval(
    app: McpApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await plan_and_register(app, [], can_elicit=True)
    assert result.plan_hash is not None
    item = app.store.require(result.plan_hash)
    kind = get_kind("dns")
    fetch = kind.fetch
    calls: list[str] = []

    async def flaky_fetch(ctx: Any, scope: str) -> Any:
        calls.append(scope)
        if len(calls) > 1:  # the apply's re-plan reads; the verification's read fails
            raise ApiUnavailable("Service unavailable", method="GET", path="/2/zones", status=503)
        return await fetch(ctx, scope)

    monkeypatch.setattr(kind, "fetch", flaky_fetch)
    with pytest.raises(UnverifiedApply) as caught:
        await apply_registered(app, item, Channel.ELICITATION)
    assert caught.value.applied and "HTTP 503" in str(caught.value)
    assert app.store.get(result.plan_hash) is None


async def test_ik_plan_names_an_apply_that_was_killed(app: McpApp) -> None:
    journal = Journal(app.settings.journal_file)
    labels = [
        "create dns/example.ch/blog CNAME",
        "update dns/example.ch/www CNAME",
        "delete dns/example.ch/app A",
    ]
    # Labels as journals before format 2 wrote them (``action address``): they still read.
    changes = [JournalChange.from_record(label) for label in labels]
    journal.begin(
        apply_id="20260101T000000Z-abcdef", plan_hash="0" * 64, started="2026-01-01", changes=changes
    )
    journal.intent(0)
    journal.result(0, "applied")
    journal.intent(1)  # killed here: no result, no end
    result = await plan_and_register(app, [], can_elicit=True)
    assert "apply 20260101T000000Z-abcdef was interrupted after 1 of 3 changes" in result.text
    assert "outcome unknown (the answer was lost): update dns/example.ch: www CNAME" in result.text
    assert "not started: delete dns/example.ch: app A" in result.text


async def test_a_successful_apply_names_its_apply_id_for_undo(app: McpApp) -> None:
    result = await plan_and_register(app, [], can_elicit=True)
    assert result.plan_hash is not None
    applied = await apply_registered(app, app.store.require(result.plan_hash), Channel.ELICITATION)
    attempts = [e for e in app.audit().entries() if e["event"] == "apply_attempt"]
    assert applied.apply_id and attempts[-1]["apply_id"] == applied.apply_id
