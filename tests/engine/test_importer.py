"""The import verb the CLI and MCP share: scopes resolved against live state, guards, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.engine import Session, import_scopes, make_plan
from reconciler.errors import ApiUnavailable, SettingsError
from reconciler.kinds import get_kind
from reconciler.sandbox import SandboxState, create_app
from reconciler.settings import load_settings

pytestmark = pytest.mark.anyio


def _session(tmp_path: Path) -> Session:
    settings = load_settings(
        state_dir=tmp_path / "state",
        sandbox=True,
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")},
        cwd=tmp_path,
    )
    app = create_app(SandboxState.demo())
    return Session(settings, transport=httpx.ASGITransport(app=app))


async def test_named_scope_is_matched_in_its_live_spelling_and_plans_to_zero(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        (imported,) = await import_scopes(session, get_kind("dns"), ["Example.CH."], overwrite=False)
        assert imported.scope == "example.ch"
        assert imported.edit.file == "state/dns/example.ch.yaml"
        assert imported.resources > 0
        plan = await make_plan(session)
    assert [change for change in plan.changes if change.scope == "example.ch"] == []


async def test_a_typo_lists_the_scopes_that_exist_and_writes_nothing(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        with pytest.raises(SettingsError) as caught:
            await import_scopes(session, get_kind("dns"), ["exmaple.ch"], overwrite=False)
    message = str(caught.value)
    assert "no scope 'exmaple.ch' in the live account" in message
    assert "demo-shop.ch, example.ch" in message
    # Before: it blamed state/dns/exmaple.ch.yaml, a file that does not exist.
    assert ".yaml" not in message
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("scope", ["../etc", "-rf", "a/b", "ex\x07ample.ch"])
async def test_hostile_scope_names_are_refused_before_any_lookup(tmp_path: Path, scope: str) -> None:
    async with _session(tmp_path) as session:
        with pytest.raises(SettingsError):
            await import_scopes(session, get_kind("dns"), [scope], overwrite=False)


async def test_existing_file_needs_overwrite_unless_missing_ok(tmp_path: Path) -> None:
    async with _session(tmp_path) as session:
        kind = get_kind("dns")
        await import_scopes(session, kind, ["example.ch"], overwrite=False)
        with pytest.raises(SettingsError, match="--overwrite"):
            await import_scopes(session, kind, ["example.ch"], overwrite=False)
        rest = await import_scopes(session, kind, [], overwrite=False, missing_ok=True)
    assert [scope.scope for scope in rest] == ["demo-shop.ch"]


async def test_a_failed_read_leaves_no_half_imported_set(tmp_path: Path, monkeypatch) -> None:
    kind = get_kind("dns")
    real_fetch = kind.fetch

    async def fetch(ctx, scope):
        if scope == "example.ch":  # the second zone, after demo-shop.ch was read
            raise ApiUnavailable("down", method="GET", path=f"/2/zones/{scope}/records", status=503)
        return await real_fetch(ctx, scope)

    monkeypatch.setattr(kind, "fetch", fetch)
    async with _session(tmp_path) as session:
        with pytest.raises(ApiUnavailable):
            await import_scopes(session, kind, [], overwrite=False)
    assert list(tmp_path.rglob("*.yaml")) == []
