"""One walker that masks secrets in text and JSON-like values, for the client, the audit log and MCP."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any


def mask_secrets(
    value: Any,
    secrets: Sequence[str],
    *,
    mark: str,
    secret_keys: re.Pattern[str] | None = None,
) -> Any:
    """``value`` with every occurrence of each secret replaced by ``mark``, through dicts and lists.

    With ``secret_keys``, a dict value whose key matches (``password``, ``token`` …) is masked whole,
    whatever it holds but a boolean. Longer secrets are replaced first so that one containing another is
    fully masked.
    """
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in ordered:
                item = item.replace(secret, mark)
            return item
        if isinstance(item, dict):
            return {
                key: mark
                # A flag is no secret: `can_change_password: true` is a permission, kept as it is.
                if secret_keys is not None
                and secret_keys.search(str(key))
                and sub not in (None, "")
                and not isinstance(sub, bool)
                else walk(sub)
                for key, sub in item.items()
            }
        if isinstance(item, list | tuple):
            return [walk(sub) for sub in item]
        return item

    return walk(value)
