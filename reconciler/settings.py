"""Run settings gathered from flags and the environment, in one place."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.api import REQUIRED_SCOPES
from reconciler.errors import SettingsError

DEFAULT_API_URL = "https://api.infomaniak.com"
MCP_HTTP_PORT = 8700
WORK_DIR_NAME = ".infomaniak-gitops"

TOKEN_ENV = "INFOMANIAK_API_TOKEN"
URL_ENV = "INFOMANIAK_API_URL"
STATE_DIR_ENV = "INFOMANIAK_STATE_DIR"
WORK_DIR_ENV = "INFOMANIAK_GITOPS_HOME"
RATE_ENV = "INFOMANIAK_RATE_LIMIT"
SANDBOX_ENV = "INFOMANIAK_SANDBOX"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know before it touches files or the network."""

    state_dir: Path
    work_dir: Path
    sandbox: bool = False
    api_url: str = DEFAULT_API_URL
    # Kept out of repr so that a logged Settings never shows the token.
    token: str | None = field(default=None, repr=False)
    requests_per_minute: float = 60.0

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
        return self.token


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
    work = Path(environ.get(WORK_DIR_ENV) or base / WORK_DIR_NAME)
    rate_text = environ.get(RATE_ENV, "60")
    try:
        rate = float(rate_text)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate < 0:
        raise SettingsError(
            f"{RATE_ENV}={rate_text!r} is not a number of requests per minute (0 turns the limit off)"
        )
    url = environ.get(URL_ENV) or DEFAULT_API_URL
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise SettingsError(f"{URL_ENV}={url!r}: use https://, or http:// only on the loopback address")
    return Settings(
        state_dir=state_path,
        work_dir=work,
        sandbox=_truthy(environ.get(SANDBOX_ENV)) if sandbox is None else sandbox,
        api_url=url.rstrip("/"),
        token=environ.get(TOKEN_ENV) or None,
        requests_per_minute=rate,
    )
