from __future__ import annotations

import pytest

from reconciler.sandbox import SandboxState


@pytest.fixture
def sandbox() -> SandboxState:
    """A fresh demo account for kinds that run against the in-process simulator."""
    return SandboxState.demo()
