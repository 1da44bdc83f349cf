"""Shared fixtures: async tests run on asyncio (anyio's pytest plugin); property tests are repeatable."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI must not pass or fail by luck: the default profile draws the same examples on every run. Set
# HYPOTHESIS_PROFILE=explore locally to search new examples (and keep what it finds as @example cases).
settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _private_user_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user-level state (the per-account apply locks live there) and cache (the
    parse cache's signing key lives there).

    Set in the environment rather than in settings so that CLI subprocesses, which drop INFOMANIAK_*
    variables, inherit it too: no test writes to the real home directory or waits on another run's lock.
    """
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
