"""Round-trip YAML I/O: comments, key order and quoting survive a load/edit/save cycle."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import DesiredStateError, Reason


def round_trip_yaml() -> YAML:
    """A YAML instance that keeps comments and order and writes the project's house style."""
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


def load_yaml_text(text: str, *, file: str) -> Any:
    """Parse YAML text round-trip; a syntax error becomes a DesiredStateError with its line."""
    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise DesiredStateError([Reason(file, line, column, "", f"YAML syntax: {problem}", "yaml")]) from exc
    except YAMLError as exc:
        raise DesiredStateError([Reason(file, None, None, "", f"YAML error: {exc}", "yaml")]) from exc


def load_yaml_file(path: Path, *, file: str | None = None) -> Any:
    """Read and parse one YAML file round-trip."""
    shown = file or display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DesiredStateError(
            [Reason(shown, None, None, "", f"cannot read: {exc.strerror}", "io")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise DesiredStateError([Reason(shown, None, None, "", "not UTF-8 text", "io")]) from exc
    return load_yaml_text(text, file=shown)


_READ_ONLY_CACHE: dict[Path, tuple[str, Any]] = {}
_READ_ONLY_CACHE_SIZE = 512


def load_yaml_file_read_only(path: Path, *, file: str | None = None) -> Any:
    """Like :func:`load_yaml_file`, but reuses the parse of unchanged text; callers must not mutate it.

    One apply parses each file up to three times (plan, stale check, verification); round-trip parsing
    costs about 2 ms per record, so a large zone is worth parsing once.
    """
    shown = file or display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return load_yaml_file(path, file=shown)  # the uncached path words the error
    key = path.resolve()
    cached = _READ_ONLY_CACHE.get(key)
    if cached is not None and cached[0] == text:
        return cached[1]
    document = load_yaml_text(text, file=shown)
    if len(_READ_ONLY_CACHE) >= _READ_ONLY_CACHE_SIZE:
        _READ_ONLY_CACHE.pop(next(iter(_READ_ONLY_CACHE)))
    _READ_ONLY_CACHE[key] = (text, document)
    return document


def dump_yaml(document: Any) -> str:
    """Serialise a document (round-trip structures or plain data) to text."""
    buffer = io.StringIO()
    round_trip_yaml().dump(document, buffer)
    return buffer.getvalue()


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_yaml_file(path: Path, document: Any) -> None:
    """Dump a document to a file atomically."""
    write_text_atomic(path, dump_yaml(document))


def position(document: Any, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the deepest node of ``path`` that the document can place."""
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
