"""What the MCP tools share: settings, the approval store, the page URL, and one way to open a session."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from reconciler.desired import AccountConfig, load_config
from reconciler.engine import AuditLog, Session, mask_secrets
from reconciler.errors import SettingsError
from reconciler.kinds import SENSITIVE_MARK, Kind
from reconciler.mcp.approval import ApprovalMode, ApprovalStore, launch_mode, mode_from
from reconciler.settings import Settings

# Environment values under these names are secrets whatever they hold; shorter values are not tokens.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|COOKIE|CREDENTIAL", re.IGNORECASE)
_MIN_SECRET_LENGTH = 8


def secret_values(settings: Settings, env: Mapping[str, str]) -> tuple[str, ...]:
    """Every value that must never reach the model: the API token and secret-named environment values."""
    found = {settings.token} if settings.token else set()
    found |= {value for name, value in env.items() if _SECRET_NAME.search(name)}
    return tuple(sorted((s for s in found if s and len(s) >= _MIN_SECRET_LENGTH), key=len, reverse=True))


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with every secret replaced by ``(sensitive)``, through dicts and lists."""
    return mask_secrets(value, secrets, mark=SENSITIVE_MARK)


@dataclass
class McpApp:
    """State of one MCP server process (shared by every session it serves)."""

    settings: Settings
    read_only: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    store: ApprovalStore = field(default_factory=ApprovalStore)
    page_url: str | None = None
    """Base URL of the running approval page; None when the page is disabled."""
    approval: str | None = None
    """The mode of ``mcp --approval`` (launch configuration); None: the environment's, else auto."""
    transport: httpx.AsyncBaseTransport | None = None
    """The API transport of every session; tests serve the simulator here as if it were a real account."""
    _lock: anyio.Lock = field(default_factory=anyio.Lock, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return secret_values(self.settings, self.env)

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets)

    def config(self) -> AccountConfig:
        """The account file, re-read on every call so edits to it take effect at once."""
        if not self.settings.state_dir.is_dir():
            return AccountConfig()
        return load_config(self.settings.state_dir)

    def launch_mode(self) -> ApprovalMode:
        """The approval mode a human set when starting the server."""
        return launch_mode(self.approval, self.env)

    def mode(self) -> ApprovalMode:
        """The launch mode, or the account file's when that is stricter (the file can never loosen it)."""
        return mode_from(self.config().approval.mode, self.launch_mode())

    def audit(self) -> AuditLog:
        return AuditLog(self.settings.audit_file, secrets=self.secrets)

    def require_writable(self) -> None:
        if self.read_only:
            raise SettingsError(
                "this MCP server runs with --read-only: edits, imports, commits and applies are disabled\n"
                "  restart it without --read-only to change anything"
            )

    @asynccontextmanager
    async def session(self, *, kinds: Sequence[Kind] | None = None) -> AsyncIterator[Session]:
        """An open engine session; one at a time, so sandbox state and applies never interleave."""
        config = self.config()
        session = Session(self.settings, config, kinds=kinds, transport=self.transport)
        async with self._lock, session:
            yield session


__all__ = ["McpApp", "redact", "secret_values"]
