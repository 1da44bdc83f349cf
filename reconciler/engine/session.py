"""A run's connection to an account: API client (real or sandbox), run context, and sandbox persistence."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from reconciler.api import InfomaniakClient, shared_limiter
from reconciler.desired.config import AccountConfig
from reconciler.desired.yamlio import write_text_atomic
from reconciler.engine.progress import Progress
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import Kind, LiveObject, RunContext
from reconciler.settings import Settings

log = logging.getLogger(__name__)

SANDBOX_BASE_URL = "https://sandbox.invalid"


def load_last_apply(path: Path) -> dict[str, Any]:
    """The record written by the last successful apply (empty when there is none)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("last-apply record %s is unreadable; ignoring it", path)
        return {}
    return data if isinstance(data, dict) else {}


def save_last_apply(path: Path, record: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


class Session:
    """Open with ``async with Session(settings, config) as session``; gives ``session.ctx`` to kinds."""

    def __init__(
        self,
        settings: Settings,
        config: AccountConfig | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        kinds: Sequence[Kind] | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        # Extra InfomaniakClient arguments (a limiter, clock and sleep of a test's virtual time).
        self._client_options = dict(client_options or {})
        self.kinds: tuple[Kind, ...] = tuple(
            sorted(kinds, key=lambda kind: kind.apply_order) if kinds is not None else all_kinds()
        )
        self.config = config or AccountConfig()
        self._transport = transport
        self._sandbox_state: Any = None
        self._client: InfomaniakClient | None = None
        # Live objects last read per (kind, scope), and those the next plan may take instead of reading
        # (set by `reuse_unchanged` for an apply's verification, consumed once).
        self.fetched_live: dict[tuple[str, str], list[LiveObject]] = {}
        self.reusable_live: dict[tuple[str, str], list[LiveObject]] = {}
        self._ctx: RunContext | None = None
        self.progress = Progress()

    def kind(self, name: str) -> Kind:
        """A kind of this session by name or directory."""
        for kind in self.kinds:
            if name in (kind.name, kind.directory):
                return kind
        return get_kind(name)

    @property
    def client(self) -> InfomaniakClient:
        if self._client is None:
            raise RuntimeError("session is not open")
        return self._client

    @property
    def ctx(self) -> RunContext:
        if self._ctx is None:
            raise RuntimeError("session is not open")
        return self._ctx

    @property
    def clock(self) -> float | None:
        """The simulator's logical clock (epoch seconds) in sandbox mode, None against the real API.

        Read-only views that judge dates (expiry, invitation age) use it so the demo account, dated by its
        own clock, reads the same whatever day it is run.
        """
        if self._sandbox_state is None:
            return None
        return float(self._sandbox_state.data["clock"])

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.settings.token,) if s)

    async def __aenter__(self) -> Session:
        settings = self.settings
        transport = self._transport
        base_url = SANDBOX_BASE_URL if settings.sandbox else settings.api_url
        if settings.sandbox and transport is None:
            from reconciler.sandbox import SandboxState, create_app

            if settings.sandbox_file.exists():
                self._sandbox_state = SandboxState.load(settings.sandbox_file)
            else:
                self._sandbox_state = SandboxState.demo()
            transport = httpx.ASGITransport(app=create_app(self._sandbox_state))
        token = settings.require_token()
        # One window per token for the whole process (the API counts per token). The in-process
        # simulator has no rate limit unless a test asks for one; do not slow the demo.
        rate = 0 if settings.sandbox else settings.requests_per_minute
        options: dict[str, Any] = {
            "limiter": shared_limiter(token, base_url, rate),
            "retry_budget": settings.retry_budget,
            "page_size": settings.page_size,
            **self._client_options,
        }
        self._client = InfomaniakClient(token, base_url=base_url, transport=transport, **options)
        last_apply = load_last_apply(settings.last_apply_file)
        self._ctx = RunContext(
            client=self._client,
            account_id=self.config.account,
            state_dir=settings.state_dir,
            secret_fingerprints=dict(last_apply.get("secret_fingerprints", {})),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._sandbox_state is not None:
            self._sandbox_state.save(self.settings.sandbox_file)
