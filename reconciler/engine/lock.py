"""One apply per account at a time: an advisory file lock in the work directory and one per account.

The work-directory lock (``.infomaniak-gitops/apply.lock``) keeps two applies of one checkout apart. The
account lock lives in a user-level directory shared by every checkout on the machine
(``$XDG_STATE_HOME/infomaniak-gitops/locks/<account>.lock``, else ``~/.local/state/...``;
``INFOMANIAK_GITOPS_LOCK_DIR`` overrides it), so a laptop's two clones cannot apply to one account at once.
Across machines (CI runners) the CI system's concurrency group is the lock (docs/ci.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from reconciler.errors import LockError
from reconciler.settings import LOCK_DIR_ENV

DEFAULT_API_HOST = "api.infomaniak.com"


def user_lock_dir(env: Mapping[str, str] | None = None) -> Path:
    """The machine-wide (per user) folder of account locks."""
    environ = os.environ if env is None else env
    if environ.get(LOCK_DIR_ENV):
        return Path(environ[LOCK_DIR_ENV])
    state_home = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / "infomaniak-gitops" / "locks"


def account_lock_name(*, api_host: str, account_id: int | None, token: str | None) -> str:
    """``<account>.lock``; another API (a simulator) is named too, so it never blocks the real account.

    Without a configured account the token stands in for it (a token reaches one default account); only a
    digest of it is used, never the token.
    """
    if account_id is not None:
        name = str(account_id)
    else:
        digest = hashlib.sha256((token or "").encode()).hexdigest()[:16]
        name = f"token-{digest}"
    if api_host and api_host != DEFAULT_API_HOST:
        name = f"{re.sub(r'[^A-Za-z0-9.-]+', '_', api_host)}-{name}"
    return f"{name}.lock"


@contextmanager
def apply_lock(path: Path, *, scope: str = "") -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on ``path`` for the duration of an apply; refuse if held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = path.read_text(encoding="utf-8").strip() or "another process"
            where = f" {scope}" if scope else ""
            raise LockError(
                f"another apply is running{where} ({holder}); wait for it to finish, then apply again\n"
                f"  lock file: {path}"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} in {Path.cwd()}".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_is_held(path: Path) -> bool:
    """True while another process holds the lock (an apply is running), without waiting for it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


__all__ = ["LOCK_DIR_ENV", "account_lock_name", "apply_lock", "lock_is_held", "user_lock_dir"]
