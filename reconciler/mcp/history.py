"""The audit log, filtered for the model: newest entries last, one compact JSON object per line."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from typing import Any

from reconciler.engine import load_last_apply, verify_chain
from reconciler.settings import Settings

MAX_LIMIT = 200


def select_entries(
    entries: Iterable[dict[str, Any]],
    *,
    event: str | None = None,
    plan_hash: str | None = None,
    since: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The last ``limit`` entries matching every filter given (``since`` is an ISO time prefix)."""
    kept: deque[dict[str, Any]] = deque(maxlen=max(1, min(limit, MAX_LIMIT)))
    for entry in entries:
        if event is not None and entry.get("event") != event:
            continue
        if plan_hash is not None and not str(entry.get("plan_hash", "")).startswith(plan_hash):
            continue
        if since is not None and str(entry.get("time", "")) < since:
            continue
        kept.append(entry)
    return list(kept)


def format_entries(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "no matching audit entries\n"
    return "".join(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n" for entry in entries)


def chain_text(settings: Settings) -> str:
    """The hash-chain verdict of the audit log (``infomaniak-gitops audit verify``)."""
    anchor = load_last_apply(settings.last_apply_file).get("audit_head")
    return verify_chain(settings.audit_file, anchor=anchor if isinstance(anchor, str) else None).text()


__all__ = ["MAX_LIMIT", "chain_text", "format_entries", "select_entries"]
