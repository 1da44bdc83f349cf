"""Round-trip YAML I/O: comments, key order and quoting survive a load/edit/save cycle."""

from __future__ import annotations

import io
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.desired.limits import (
    LimitExceeded,
    Limits,
    cap,
    check_structure,
    check_text,
    decode_utf8,
    read_limited,
)
from reconciler.errors import DesiredStateError, Reason

if TYPE_CHECKING:
    from ruamel.yaml import YAML


def round_trip_yaml() -> YAML:
    """A YAML instance that keeps comments and order and writes the project's house style."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def display_path(path: Path, *, root: Path | None = None) -> str:
    """Path as shown in messages: relative to ``root`` (or the working directory) when possible."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def _yaml_reason(file: str, exc: Exception) -> Reason:
    from ruamel.yaml.error import MarkedYAMLError

    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = cap(str(exc.problem or exc.context or "invalid YAML"))
        return Reason(file, line, column, "", f"YAML syntax: {problem}", "yaml")
    return Reason(file, None, None, "", f"YAML error: {cap(str(exc))}", "yaml")


def load_yaml_text(text: str, *, file: str, limits: Limits | None = None) -> Any:
    """Parse YAML text round-trip (for edits: comments and order kept), within the limits.

    Every failure, whatever the parser raises, becomes a DesiredStateError with its line where one exists.
    """
    chosen = limits or Limits.from_env()
    check_text(text, file=file, limits=chosen)
    _check_nodes(text, file=file, limits=chosen)
    try:
        document = round_trip_yaml().load(text)
    except Exception as exc:  # a hostile file must never end in a traceback
        raise DesiredStateError([_yaml_reason(file, exc)]) from exc
    if "\\u" in text or "\\U" in text:  # only an escape can make a lone surrogate
        _refuse_surrogates(document, file=file)
    return document


def _refuse_surrogates(document: Any, *, file: str) -> None:
    """Refuse a string no UTF-8 output could carry (``"\\ud800"``), at its line."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                line, column = position(document, path)
                code = ord(value[exc.start])
                message = f"invalid code point U+{code:04X} (a lone surrogate); remove the escape"
                raise DesiredStateError([Reason(file, line, column, "", message, "encoding")]) from None
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, path))
                stack.append((item, (*path, key if isinstance(key, str | int) else str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))


def _limit_reason(file: str, exc: LimitExceeded) -> Reason:
    mark = exc.node.start_mark
    return Reason(file, mark.line + 1, mark.column + 1, "", exc.message, exc.rule)


def _check_nodes(text: str, *, file: str, limits: Limits) -> None:
    """Apply the depth and alias limits to libyaml's node tree, before anything builds values from it.

    A document libyaml cannot read is left to the round-trip parser, which words the error; libyaml's own
    nesting limit is reported as ours.
    """
    from reconciler.desired.fastyaml import compose_fast, node_children

    try:
        root = compose_fast(text)
    except Exception as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "maximum nesting depth" in str(getattr(exc, "problem", "")):
            message = f"nested more than {limits.max_depth} levels deep"
            raise DesiredStateError(
                [Reason(file, mark.line + 1, mark.column + 1, "", message, "yaml-depth")]
            ) from None
        return
    if root is None:
        return
    try:
        check_structure(root, limits, node_children)
    except LimitExceeded as exc:
        raise DesiredStateError([_limit_reason(file, exc)]) from None


def read_text(path: Path, *, file: str, limits: Limits) -> tuple[bytes, str]:
    """The bytes and UTF-8 text of a desired file, within the size limit."""
    data = read_limited(path, file=file, limits=limits)
    return data, decode_utf8(data, file=file)


def load_yaml_file(path: Path, *, file: str | None = None, limits: Limits | None = None) -> Any:
    """Read and parse one YAML file round-trip."""
    shown = file or display_path(path)
    chosen = limits or Limits.from_env()
    _, text = read_text(path, file=shown, limits=chosen)
    return load_yaml_text(text, file=shown, limits=chosen)


def load_yaml_fast(text: str, *, file: str, limits: Limits) -> Any:
    """Parse YAML for reading only: plain values, no positions, the round-trip loader's semantics.

    The C parser reads the file; what only the round-trip loader reads its own way, and every error, go
    to :func:`load_yaml_text`, so values and messages are the same whichever parser ran.
    """
    from reconciler.desired.fastyaml import Unsupported, load_nodes, node_children

    check_text(text, file=file, limits=limits)

    def checked(root: Any) -> None:
        try:
            check_structure(root, limits, node_children)
        except LimitExceeded as exc:
            raise DesiredStateError([_limit_reason(file, exc)]) from None

    try:
        return load_nodes(text, checked)
    except Unsupported:
        return load_yaml_text(text, file=file, limits=limits)


class LinePositions:
    """Positions in one file, found by re-reading its text round-trip on the first question."""

    def __init__(self, file: str, *, text: str | None = None, document: Any = None) -> None:
        self.file = file
        self._text = text
        self._document = document

    def _round_trip(self) -> Any:
        if self._text is not None:
            try:
                self._document = load_yaml_text(self._text, file=self.file)
            except DesiredStateError:
                self._document = None
            self._text = None
        return self._document

    def position(self, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
        return position(self._round_trip(), path)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        return self.position(path)[0]


def dump_yaml(document: Any) -> str:
    """Serialise a document (round-trip structures or plain data) to text."""
    buffer = io.StringIO()
    round_trip_yaml().dump(document, buffer)
    return buffer.getvalue()


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it.

    The file keeps the mode it had; a new one gets ``0o666 & ~umask`` like any file an editor or ``git
    checkout`` writes (``mkstemp``'s 0600 would make every file init, import or an edit writes private).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        kept: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        kept = None
    # O_EXCL with mode 0o666: the kernel applies the umask, which reading it (os.umask) cannot do safely.
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if kept is not None:
            os.chmod(tmp, kept)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_yaml_file(path: Path, document: Any) -> None:
    """Dump a document to a file atomically."""
    write_text_atomic(path, dump_yaml(document))


def position(document: Any, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the deepest node of ``path`` that the document can place."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line: int | None = None
    column: int | None = None
    node = document
    for part in path:
        try:
            if isinstance(node, CommentedMap) and part in node:
                key_line, key_col = node.lc.key(part)
                line, column = key_line + 1, key_col + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                item_line, item_col = node.lc.item(part)
                line, column = item_line + 1, item_col + 1
                node = node[part]
            else:
                break
        except (KeyError, TypeError, IndexError, AttributeError):
            break
    if line is None and isinstance(document, CommentedMap | CommentedSeq) and document.lc.line is not None:
        line, column = document.lc.line + 1, document.lc.col + 1
    return line, column
