"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _private_lock_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Account locks go to a per-test folder, never the user's ~/.local/state (subprocesses inherit it)."""
    monkeypatch.setenv("INFOMANIAK_GITOPS_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))
