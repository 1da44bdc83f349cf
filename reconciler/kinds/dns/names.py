"""Record names and host names: relative owner names as keys, absolute targets with their trailing dot.

YAML names are relative to the zone (``''``/``@``/``.`` for the apex); host-name values are absolute and must
end with a dot in YAML, while the API returns them without it. Both are lowercased and
IDNA-encoded (IDNA 2008 with UTS #46 mapping, through the ``idna`` package).
"""

from __future__ import annotations

import re

import idna

APEX = "@"
"""The apex in keys and plans; YAML writes it ``''`` and the API ``.``."""

# Permissive on purpose: DNS allows any octet, the API stores underscores (_dmarc, _imap._tcp) and dashes.
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
# A whole name of such labels (the common case, and every name the API gives back): one match instead of a
# loop over labels. Only a name that fails it takes the label loop, which encodes IDNA and says what is wrong.
_NAME = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
_WILDCARD_NAME = re.compile(r"(?:\*|[a-z0-9_-]{1,63})(?:\.[a-z0-9_-]{1,63})*")


def _ascii_label(label: str, name: str) -> str:
    if label.isascii():
        return label
    # IDNA 2008 with UTS #46 mapping (non-transitional), as octoDNS and browsers do. Python's "idna" codec
    # is IDNA 2003: it maps "straße" to "strasse" (another domain) and lets joiners through.
    try:
        return idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{name!r}: label {label!r} is not a valid internationalised name ({exc})") from None


def _labels(name: str, *, wildcard: bool) -> str:
    if len(name) <= 253 and (_WILDCARD_NAME if wildcard else _NAME).fullmatch(name):
        return name
    return _checked_labels(name, wildcard=wildcard)


def _checked_labels(name: str, *, wildcard: bool) -> str:
    labels = [_ascii_label(label, name) for label in name.split(".")]
    for index, label in enumerate(labels):
        if wildcard and index == 0 and label == "*":
            continue
        if not _LABEL.fullmatch(label):
            raise ValueError(
                f"{name!r} is not a valid name: label {label!r} must be 1-63 letters, digits, '-' or '_'"
            )
    result = ".".join(labels)
    if len(result) > 253:
        raise ValueError(f"{name[:40]!r}... is longer than 253 characters")
    return result


def normalize_name(raw: object, *, zone: str | None = None) -> str:
    """Relative owner name as used in keys: lowercased, IDNA-encoded; ``''``, ``@`` and ``.`` become ``@``."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise ValueError(f"a record name must be a string, got {raw!r}")
    name = str(raw).strip().lower()
    if name in ("", APEX, "."):
        return APEX
    if name.endswith("."):
        raise ValueError(f"{name!r} ends with a dot, but names are relative to the zone: write {name[:-1]!r}")
    result = _labels(name, wildcard=True)
    # "www.example.ch" in example.ch means www.example.ch.example.ch: almost always a mistake, never guessed.
    if zone and (result == zone or result.endswith("." + zone)):
        short = result[: -len(zone)].rstrip(".")
        raise ValueError(
            f"{name!r} ends with the zone name {zone!r}; names are relative to the zone: write {short!r}"
        )
    return result


def name_from_api(source: object) -> str:
    """Key name of an API ``source`` (apex ``.``); tolerant, since live data is never rejected."""
    text = str(source or "").strip().lower()
    if text in ("", ".", APEX):
        return APEX
    try:
        return _labels(text.rstrip("."), wildcard=True)
    except ValueError:
        return text


def name_to_api(name: str) -> str:
    """The ``source`` the API expects: the relative name, ``.`` for the apex."""
    return "." if name == APEX else name


def normalize_host(raw: str, *, absolute: bool, allow_root: bool = False) -> str:
    """An absolute host name with its trailing dot, lowercased and IDNA-encoded.

    ``absolute`` demands the trailing dot (YAML); without it a missing dot is added (the API omits it).
    ``allow_root`` accepts ``.``, the null target of MX (RFC 7505) and SRV (RFC 2782).
    """
    text = raw.strip().lower()
    if text in (".", "") and not absolute:
        text = "."
    if text == ".":
        if allow_root:
            return "."
        raise ValueError("'.' (no target) is only allowed as a null MX exchange or SRV target")
    if not text.endswith("."):
        if absolute:
            raise ValueError(
                f"{text!r} is not fully qualified: write {text + '.'!r} (relative targets are not guessed)"
            )
        text += "."
    return _labels(text[:-1], wildcard=False) + "."


def host_to_api(host: str) -> str:
    """Host names are sent without their trailing dot, as the API returns them; the root stays ``.``."""
    return host if host == "." else host.rstrip(".")
