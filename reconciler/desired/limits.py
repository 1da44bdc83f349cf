"""Limits on what a desired-state file (or an MCP edit argument) may be, so hostile input gets a clean error.

A pull request from a fork or a model's tool call can put anything in a file: a billion-laughs alias bomb,
ten thousand nested brackets, bytes that are not UTF-8, a gigabyte of text. Each is refused here with a
:class:`~reconciler.errors.Reason` (file, and line where one exists) before any kind walks the document,
and no message ever quotes more than :data:`MAX_MESSAGE_CHARS` characters of the input.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import DesiredStateError, Reason, SettingsError

MAX_FILE_BYTES_ENV = "INFOMANIAK_GITOPS_MAX_FILE_BYTES"
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024
"""16 MiB: about 250,000 DNS records in one zone file, far past what the API holds for a zone."""

MAX_DEPTH = 64
"""Nesting of mappings and lists; the deepest real file (teams → members → entry) is about 5."""

MAX_ALIAS_EXPANSION = 100_000
"""Nodes that aliases may add on top of the file's own: shared templates fit, a billion laughs does not."""

MAX_MESSAGE_CHARS = 300
"""Longest piece of input quoted in an error message."""


@dataclass(frozen=True)
class Limits:
    """The limits one load applies (the file size limit comes from the environment)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_depth: int = MAX_DEPTH
    max_alias_expansion: int = MAX_ALIAS_EXPANSION

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        environ = os.environ if env is None else env
        raw = environ.get(MAX_FILE_BYTES_ENV, "").strip()
        if not raw:
            return cls()
        try:
            size = int(raw)
        except ValueError:
            size = -1
        if size <= 0:
            raise SettingsError(f"{MAX_FILE_BYTES_ENV}={raw[:40]!r} is not a positive number of bytes")
        return cls(max_file_bytes=size)


def cap(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


_CONTAINERS = (dict, list, tuple, _Mapping)

Children = Callable[[Any], "list[tuple[str | int, Any]] | None"]
"""A node's children as (step, child), or None for a leaf."""


def value_children(value: Any) -> list[tuple[str | int, Any]] | None:
    """Children of a loaded value: a mapping's values (and any container keys), a list's items."""
    if isinstance(value, _Mapping):
        items: list[tuple[str | int, Any]] = [
            (k if isinstance(k, str | int) else str(k), v) for k, v in value.items()
        ]
        items.extend(("<key>", k) for k in value if isinstance(k, _CONTAINERS))
        return items
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    return None


class LimitExceeded(ValueError):
    """A structure breaks a limit at ``node``; ``path`` leads there from the root."""

    def __init__(self, message: str, path: tuple[str | int, ...], rule: str, node: Any) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.rule = rule
        self.node = node


def check_structure(document: Any, limits: Limits, children_of: Children = value_children) -> None:
    """Refuse a document nested deeper than the limit, that contains itself, or that aliases blow up.

    Aliases make a document a graph whose expansion can be exponential (the billion laughs): each shared
    node is sized once, so this walk is linear in the document as written, never in its expansion.
    ``children_of`` lets the same walk run over loaded values or over the parser's nodes.
    """
    walked = 0  # nodes as written: each container once, plus every leaf edge
    expanded: dict[int, int] = {}  # id of a finished container -> size of its full expansion
    open_nodes: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...], list[tuple[str | int, Any]] | None]] = [
        (document, (), None)
    ]
    while stack:
        value, path, children = stack.pop()
        ident = id(value)
        if children is None:
            if ident in expanded:
                continue
            if ident in open_nodes:
                raise LimitExceeded(
                    "an alias refers to a node that contains it", path, "yaml-recursive", value
                )
            found = children_of(value)
            if found is None:
                continue
            if len(path) >= limits.max_depth:
                raise LimitExceeded(
                    f"nested more than {limits.max_depth} levels deep", path, "yaml-depth", value
                )
            open_nodes.add(ident)
            walked += 1
            stack.append((value, path, found))
            for step, child in found:
                if id(child) in expanded:
                    continue
                stack.append((child, (*path, step), None))
            continue
        open_nodes.discard(ident)
        size = 1
        for _, child in children:
            size += expanded.get(id(child), 1)
        walked += sum(1 for _, child in children if id(child) not in expanded)
        expanded[ident] = size
        if size - walked > limits.max_alias_expansion:
            raise LimitExceeded(
                f"aliases expand the document past {limits.max_alias_expansion:,} nodes more than it "
                "holds (an alias bomb?); write the values out",
                path,
                "yaml-aliases",
                value,
            )


def read_limited(path: Path, *, file: str, limits: Limits) -> bytes:
    """The bytes of a regular file no larger than the limit; anything else is a DesiredStateError."""
    try:
        info = path.stat()
    except OSError as exc:
        raise DesiredStateError([Reason(file, None, None, "", f"cannot read: {exc.strerror}", "io")]) from exc
    if not stat.S_ISREG(info.st_mode):
        raise DesiredStateError([Reason(file, None, None, "", "not a regular file; refused", "io")])
    if info.st_size > limits.max_file_bytes:
        raise DesiredStateError([_too_large(file, info.st_size, limits)])
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise DesiredStateError([Reason(file, None, None, "", f"cannot read: {exc.strerror}", "io")]) from exc
    if len(data) > limits.max_file_bytes:  # grew since stat()
        raise DesiredStateError([_too_large(file, len(data), limits)])
    return data


def _too_large(file: str, size: int, limits: Limits) -> Reason:
    return Reason(
        file,
        None,
        None,
        "",
        f"file is {size:,} bytes; the limit is {limits.max_file_bytes:,} "
        f"(raise it with {MAX_FILE_BYTES_ENV} if the file is genuine)",
        "file-size",
    )


def decode_utf8(data: bytes, *, file: str) -> str:
    """UTF-8 text of ``data``; invalid bytes are an error at their line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        bad = data[exc.start : min(exc.end, exc.start + 8)].hex(" ")
        raise DesiredStateError(
            [
                Reason(
                    file,
                    line,
                    column,
                    "",
                    f"not UTF-8 text: invalid byte(s) {bad}; save the file as UTF-8",
                    "encoding",
                )
            ]
        ) from None


def check_text(text: str, *, file: str, limits: Limits) -> None:
    """Refuse text that cannot be stored as UTF-8 (lone surrogates) or that exceeds the size limit."""
    size = len(text)
    if (
        size * 4 > limits.max_file_bytes
        and len(text.encode("utf-8", "surrogatepass")) > limits.max_file_bytes
    ):
        raise DesiredStateError([_too_large(file, len(text.encode("utf-8", "surrogatepass")), limits)])
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        code = ord(text[exc.start])
        raise DesiredStateError(
            [
                Reason(
                    file, line, column, "", f"invalid code point U+{code:04X} (a lone surrogate)", "encoding"
                )
            ]
        ) from None


def check_value(value: Any, *, what: str, limits: Limits | None = None) -> None:
    """Apply the file limits to a value from outside (an MCP edit argument): depth, aliases, size, text.

    Raises :class:`~reconciler.errors.DesiredStateError` naming ``what`` and the field path.
    """
    chosen = limits or Limits.from_env()
    try:
        check_structure(value, chosen)
    except LimitExceeded as exc:
        raise DesiredStateError(
            [Reason(what, None, None, _dotted(exc.path), exc.message, exc.rule)]
        ) from None
    stack = [value]
    total = 0
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
            check_text(item, file=what, limits=chosen)
        elif isinstance(item, _Mapping | list | tuple):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(item.keys() if isinstance(item, _Mapping) else ())
            stack.extend(item.values() if isinstance(item, _Mapping) else item)
        if total > chosen.max_file_bytes:
            raise DesiredStateError([_too_large(what, total, chosen)])


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
