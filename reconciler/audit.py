"""Append-only JSONL audit log; every entry is redacted before it reaches the disk."""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.kinds.base import SENSITIVE_MARK
from reconciler.redaction import mask_secrets

_SECRET_KEYS = re.compile(r"(token|password|secret|authorization|cookie)", re.IGNORECASE)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    return mask_secrets(value, secrets, mark=SENSITIVE_MARK, secret_keys=_SECRET_KEYS)


class AuditLog:
    """Writes one JSON object per line: time, actor, event and details."""

    def __init__(self, path: Path, *, secrets: Iterable[str] = ()) -> None:
        self.path = path
        # Secrets shorter than 8 characters would redact ordinary words; they are never tokens.
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def write(self, event: str, **details: Any) -> dict[str, Any]:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "actor": _actor(),
            "event": event,
            **_redact(details, self._secrets),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
        # O_APPEND keeps concurrent writers from interleaving inside a line.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for raw in handle:
                raw = raw.strip()
                if raw:
                    try:
                        yield json.loads(raw)
                    except json.JSONDecodeError:
                        continue


def _actor() -> str:
    for name in ("GITHUB_ACTOR", "INFOMANIAK_GITOPS_ACTOR"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
