"""Run settings gathered from flags and the environment, in one place."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import SettingsError

DEFAULT_API_URL = "https://api.infomaniak.com"
MCP_HTTP_PORT = 8700
WORK_DIR_NAME = ".infomaniak-gitops"

TOKEN_ENV = "INFOMANIAK_API_TOKEN"
URL_ENV = "INFOMANIAK_API_URL"
STATE_DIR_ENV = "INFOMANIAK_STATE_DIR"
WORK_DIR_ENV = "INFOMANIAK_GITOPS_HOME"
RATE_ENV = "INFOMANIAK_RATE_LIMIT"
BUDGET_ENV = "INFOMANIAK_RETRY_BUDGET"
PAGE_SIZE_ENV = "INFOMANIAK_PAGE_SIZE"
SANDBOX_ENV = "INFOMANIAK_SANDBOX"
LOCK_DIR_ENV = "INFOMANIAK_GITOPS_LOCK_DIR"
POLICY_BASE_ENV = "INFOMANIAK_POLICY_BASE"

# What a token needs for every kind: DNS zones, account teams/tags/users/products, mail hostings, kDrive.
REQUIRED_SCOPES = "dns:read dns:write domain accounts mail drive"

DEFAULT_RATE_LIMIT = 60.0
"""Requests per sliding minute per token: the API's documented general limit (developer portal)."""
DEFAULT_RETRY_BUDGET = 300.0
"""Seconds of back-off one request may spend on 429 / 5xx / dropped connections before it gives up."""
DEFAULT_PAGE_SIZE = 1000
"""Items asked per list request (``per_page``, and ``limit`` of cursor lists); see docs/api-fidelity.md."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know before it touches files or the network."""

    state_dir: Path
    work_dir: Path
    sandbox: bool = False
    api_url: str = DEFAULT_API_URL
    # Kept out of repr so that a logged Settings never shows the token.
    token: str | None = field(default=None, repr=False)
    requests_per_minute: float = DEFAULT_RATE_LIMIT
    retry_budget: float = DEFAULT_RETRY_BUDGET
    page_size: int = DEFAULT_PAGE_SIZE
    lock_dir: Path | None = None
    """Folder of the per-account locks; None means the user-level default (engine/lock.py)."""
    policy_base: str = "HEAD"
    """The git revision whose committed rules are in force. CI sets the pull request's base: the PR's own
    commits must not be the baseline their loosening is measured against."""

    @property
    def sandbox_file(self) -> Path:
        return self.work_dir / "sandbox.json"

    @property
    def audit_file(self) -> Path:
        return self.work_dir / "audit.jsonl"

    @property
    def last_apply_file(self) -> Path:
        return self.work_dir / "last-apply.json"

    @property
    def lock_file(self) -> Path:
        return self.work_dir / "apply.lock"

    @property
    def journal_file(self) -> Path:
        return self.work_dir / "journal.jsonl"

    def require_token(self) -> str:
        if self.sandbox:
            from reconciler.sandbox import SANDBOX_TOKEN

            return SANDBOX_TOKEN
        if not self.token:
            raise SettingsError(
                f"no API token: set {TOKEN_ENV} to an Infomaniak API token\n"
                "  create one at https://manager.infomaniak.com/v3/ng/accounts/token/list "
                f"with the scopes {REQUIRED_SCOPES} (only those of the kinds you manage are used)\n"
                "  or try everything without an account: add --sandbox"
            )
        if _PLACEHOLDER.fullmatch(self.token.strip()):
            # `.mcp.json` says "${INFOMANIAK_API_TOKEN}"; Claude Code expands it, some clients (the MCP
            # Inspector) pass it on as written. Not echoed: the fronts mask the token's value anyway.
            raise SettingsError(
                f"{TOKEN_ENV} is an unexpanded placeholder (a $VARIABLE reference), not a token: the client "
                "that started this server does not expand variables in .mcp.json\n"
                f"  pass the token itself in the server's environment (MCP Inspector: "
                f'-e {TOKEN_ENV}="${TOKEN_ENV}")'
            )
        return self.token


# A shell-style variable reference such as ${INFOMANIAK_API_TOKEN} or $INFOMANIAK_API_TOKEN.
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(
    *,
    state_dir: str | Path | None = None,
    sandbox: bool | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build settings: explicit arguments first, then environment variables, then defaults."""
    environ = os.environ if env is None else env
    base = cwd or Path.cwd()
    chosen_state = state_dir or environ.get(STATE_DIR_ENV) or "state"
    state_path = Path(chosen_state)
    if not state_path.is_absolute():
        state_path = base / state_path
    work = _not_a_file(WORK_DIR_ENV, Path(environ.get(WORK_DIR_ENV) or base / WORK_DIR_NAME))
    rate = parse_rate(environ.get(RATE_ENV))
    budget = parse_budget(environ.get(BUDGET_ENV))
    page_size = parse_page_size(environ.get(PAGE_SIZE_ENV))
    url = environ.get(URL_ENV) or DEFAULT_API_URL
    netloc = urlsplit(url).netloc
    if "@" in netloc:
        # Never echo the user-info: it may hold a password, and "http://127.0.0.1@host" would pass below.
        host = netloc.rpartition("@")[2]
        raise SettingsError(
            f"{URL_ENV} holds a user name or password before {host!r}; remove it from the URL "
            f"and put the API token in {TOKEN_ENV}"
        )
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise SettingsError(f"{URL_ENV}={url!r}: use https://, or http:// only on the loopback address")
    return Settings(
        state_dir=state_path,
        work_dir=work,
        sandbox=_truthy(environ.get(SANDBOX_ENV)) if sandbox is None else sandbox,
        api_url=url.rstrip("/"),
        token=environ.get(TOKEN_ENV) or None,
        requests_per_minute=rate,
        retry_budget=budget,
        page_size=page_size,
        lock_dir=Path(environ[LOCK_DIR_ENV]) if environ.get(LOCK_DIR_ENV) else None,
        policy_base=(environ.get(POLICY_BASE_ENV) or "").strip() or "HEAD",
    )


def _not_a_file(name: str, folder: Path) -> Path:
    """``folder`` unless it, or the nearest part of it that exists, is a file (a traceback at first write)."""
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise SettingsError(
                    f"{name}={str(folder)!r}: {part} is a file, not a folder\n"
                    f"  point {name} at a folder, or unset it (default: ./{WORK_DIR_NAME})"
                )
            break
    return folder


def _number(name: str, raw: str | None, default: float, meaning: str) -> float:
    text = (raw or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name}={text!r} is not {meaning}\n  unset it to use the default ({default:g})")
    return value


def parse_rate(raw: str | None) -> float:
    """``INFOMANIAK_RATE_LIMIT``: requests per sliding minute; 0 turns the client's limiter off."""
    rate = _number(RATE_ENV, raw, DEFAULT_RATE_LIMIT, "a number of requests per minute (0 turns it off)")
    if 0 < rate < 1:
        raise SettingsError(f"{RATE_ENV}={raw!r}: at least 1 request per minute (or 0 to turn it off)")
    return rate


def parse_budget(raw: str | None) -> float:
    """``INFOMANIAK_RETRY_BUDGET``: seconds one request may spend waiting to retry; 0 never retries."""
    return _number(BUDGET_ENV, raw, DEFAULT_RETRY_BUDGET, "a number of seconds (0 never retries)")


def parse_page_size(raw: str | None) -> int:
    """``INFOMANIAK_PAGE_SIZE``: items asked per list request."""
    size = _number(PAGE_SIZE_ENV, raw, DEFAULT_PAGE_SIZE, "a number of items per page")
    if size < 1 or size != int(size):
        raise SettingsError(
            f"{PAGE_SIZE_ENV}={raw!r} must be a whole number of items, at least 1\n"
            f"  unset it to use the default ({DEFAULT_PAGE_SIZE})"
        )
    return int(size)
