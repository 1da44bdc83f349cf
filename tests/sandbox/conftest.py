"""Fixtures for the simulator tests: a fresh demo state, its faults, the app and an authorised client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from reconciler.sandbox import Faults, SandboxState, create_app

from .helpers import client_for


@pytest.fixture
def state() -> SandboxState:
    return SandboxState.demo()


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def app(state: SandboxState, faults: Faults) -> Starlette:
    return create_app(state, faults=faults)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c
