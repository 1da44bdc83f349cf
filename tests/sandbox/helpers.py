"""Helpers shared by the simulator tests."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from reconciler.sandbox import SANDBOX_TOKEN

BASE_URL = "https://api.infomaniak.com"


def client_for(app: Starlette, token: str | None = SANDBOX_TOKEN) -> httpx.AsyncClient:
    """An in-process client for ``app``, sending ``token`` as Bearer (None: no Authorization header)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers)
