"""Names in API paths: every scope or resource name becomes one percent-encoded path segment.

A zone, a mailbox's local part or an id read from a file or from the model must never change the shape of
the request: ``example.ch?x=1`` would otherwise send ``GET /2/zones/example.ch?x=1/records`` (a query), and
``a/../b`` another resource. :func:`segment` encodes every character outside RFC 3986's unreserved set, so a
name is always exactly one segment; :func:`check_scope` refuses, before any request, scope names that no
Infomaniak resource has and that only make sense as an attack or a typo.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from reconciler.errors import SettingsError

MAX_SCOPE_LENGTH = 253
"""The longest DNS name; no kind's scope is longer."""

_REFUSED_IN_SCOPE = {
    "?": "a query in a URL",
    "#": "a fragment in a URL",
    "%": "a percent-escape in a URL",
}


def segment(name: object) -> str:
    """``name`` as one path segment: every reserved, non-ASCII or control character percent-encoded.

    ``.`` and ``..`` alone would be read as path steps by servers and proxies: they are refused.
    """
    text = str(name)
    if text in ("", ".", ".."):
        raise ValueError(f"{text!r} cannot be a path segment")
    return quote(text, safe="")


def check_scope(scope: str) -> str:
    """A scope as given by a person or a model, checked before it reaches a file name or a request.

    Refused: ``?``, ``#`` and ``%`` (URL syntax), control characters, and whitespace other than single
    spaces inside the name (drive names such as ``Demo Drive`` have those; nothing has tabs or edge spaces).
    Returns the scope unchanged otherwise; kinds normalise it (case, trailing dot) themselves.
    """
    if not scope:
        raise SettingsError("empty scope; give one, e.g. the zone example.ch")
    if len(scope) > MAX_SCOPE_LENGTH:
        raise SettingsError(f"scope is {len(scope)} characters long; the limit is {MAX_SCOPE_LENGTH}")
    if "/" in scope or "\\" in scope:
        raise SettingsError(f"scope {scope!r} is a path; give a single name such as example.ch")
    for char in scope:
        if char in _REFUSED_IN_SCOPE:
            raise SettingsError(
                f"scope {scope!r} contains {char!r} ({_REFUSED_IN_SCOPE[char]}), which no zone, "
                "domain or drive name has; give the plain name, e.g. example.ch"
            )
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") or (char.isspace() and char != " "):
            raise SettingsError(
                f"scope {scope!r} contains control characters or invisible ones (U+{ord(char):04X}); "
                "give a plain name such as example.ch"
            )
    if scope != scope.strip(" ") or "  " in scope:
        raise SettingsError(
            f"scope {scope!r} has spaces at its edges or doubled; give the name as it is, e.g. example.ch"
        )
    return scope
