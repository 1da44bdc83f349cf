"""Values as a human reads them: JSON-quoted, with every invisible character written out.

Bidi overrides (U+202E), zero-width characters (U+200B) and C0/C1 controls in a value would let a pull
request show a reviewer one text while the plan applies another, so every human-facing rendering of a
value (text plan, Markdown comment, approval question and page, stale-plan lines) goes through here.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Unicode categories Cc, Cf, Zl and Zp (Unicode 14/15); tests/engine/test_quoting.py checks the list
# against unicodedata so a new Python cannot silently add one.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def reveal(text: str) -> str:
    """``text`` with each invisible or control character written as ``\\u202e``."""
    return _INVISIBLE.sub(_escape, text)


def quote_value(value: Any) -> str:
    """A value as one JSON token (strings quoted), invisible characters revealed."""
    if isinstance(value, str):
        return reveal(json.dumps(value, ensure_ascii=False))
    return reveal(json.dumps(value, ensure_ascii=False, sort_keys=True))


__all__ = ["quote_value", "reveal"]
