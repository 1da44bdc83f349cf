"""One-entry edits of desired-state files (for the MCP tools), with comments and order kept.

An edit loads the file round-trip, changes one entry through the kind, re-validates the whole document, and
writes atomically only when the document is valid: a refused edit leaves the file untouched. Every path
comes from :func:`scope_path`, which keeps it inside the state directory.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.api.paths import check_scope as check_names
from reconciler.desired.limits import Limits, check_value
from reconciler.desired.loader import parse_document
from reconciler.desired.yamlio import display_path, dump_yaml, load_yaml_text, read_text, write_text_atomic
from reconciler.errors import DesiredStateError, Reason, SettingsError
from reconciler.kinds.base import Key, Kind


@dataclass(frozen=True)
class EditResult:
    """What an edit did to one file."""

    file: str
    changed: bool
    diff: str


def check_scope(scope: str) -> str:
    """Refuse scope names that could leave the kind's folder or be read as a flag; return it stripped."""
    text = scope.strip()
    if not text:
        raise SettingsError("empty scope; give one, e.g. the zone example.ch")
    check_names(text)
    if text.startswith("-"):
        raise SettingsError(f"scope {text!r} starts with '-' like a command-line flag; give a name")
    if "/" in text or "\\" in text:
        raise SettingsError(f"scope {text!r} is a path; give a single name such as example.ch")
    if ".." in text:
        raise SettingsError(f"scope {text!r} contains '..'; give a single name such as example.ch")
    if text.startswith("."):
        raise SettingsError(f"scope {text!r} starts with '.'; give a name such as example.ch")
    return text


def scope_path(state_dir: Path, kind: Kind, scope: str) -> Path:
    """The file of ``scope``, guaranteed to lie inside ``state_dir`` (symlinks resolved)."""
    path = kind.path_for(state_dir, check_scope(scope))
    root = state_dir.resolve()
    # resolve() follows symlinks, so a kind folder linked elsewhere is caught too.
    if not path.resolve().is_relative_to(root):
        raise SettingsError(f"scope {scope!r} resolves outside the state directory {state_dir}; refused")
    return path


def shown_path(state_dir: Path, path: Path) -> str:
    """A file as messages name it: relative to the state directory's parent (``state/dns/x.yaml``)."""
    return display_path(path, root=state_dir.parent)


def parse_key(kind: Kind, text: str) -> Key:
    """The kind's key for ``text``; a malformed key is a SettingsError that shows the expected form."""
    if text.strip().startswith("-"):
        raise SettingsError(f"key {text!r} starts with '-' like a command-line flag")
    try:
        return kind.parse_key(text)
    except ValueError as exc:
        raise SettingsError(f"invalid {kind.name} key: {exc}") from exc


def read_scope(state_dir: Path, kind: Kind, scope: str) -> tuple[str, str]:
    """``(shown path, text)`` of a scope's file; a missing file names the scopes that exist."""
    path = scope_path(state_dir, kind, scope)
    if not path.is_file():
        known = ", ".join(sorted(kind.scope_files(state_dir))) or "none yet"
        raise SettingsError(
            f"no desired file for {kind.name}/{scope} ({shown_path(state_dir, path)}); existing: {known}"
        )
    shown = shown_path(state_dir, path)
    return shown, read_text(path, file=shown, limits=Limits.from_env())[1]


def _refuse_invalid(kind: Kind, document: Any, file: str) -> None:
    _, problems = parse_document(kind, document, file=file)
    if problems:
        raise DesiredStateError(problems)


def _diff(before: str, after: str, file: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{file}", f"b/{file}"
    )
    return "".join(lines)


def _load(path: Path, file: str) -> tuple[str, Any]:
    text = read_text(path, file=file, limits=Limits.from_env())[1] if path.is_file() else ""
    return text, (load_yaml_text(text, file=file) if text.strip() else None)


def _write(path: Path, file: str, before: str, document: Any) -> EditResult:
    after = dump_yaml(document)
    if after == before:
        return EditResult(file, False, "")
    try:
        write_text_atomic(path, after)
    except OSError as exc:
        reason = Reason(file, None, None, "", f"cannot write: {exc.strerror or exc}", "io")
        raise DesiredStateError([reason]) from exc
    return EditResult(file, True, _diff(before, after, file))


def set_entry(state_dir: Path, kind: Kind, scope: str, key_text: str, entry: Mapping[str, Any]) -> EditResult:
    """Create or replace the entry of one key; the file is created when the scope has none yet.

    The arguments get the limits a file gets (depth, size, code points): they come from a model.
    """
    check_value([scope, key_text], what=f"{kind.name} scope and key")
    path = scope_path(state_dir, kind, scope)
    key = parse_key(kind, key_text)
    file = shown_path(state_dir, path)
    check_value(dict(entry), what=f"{file} {kind.format_key(key)}")
    before, document = _load(path, file)
    try:
        document = kind.upsert_entry(document, key, dict(entry))
    except ValueError as exc:
        reason = Reason(file, None, None, kind.format_key(key), str(exc), "edit")
        raise DesiredStateError([reason]) from exc
    _refuse_invalid(kind, document, file)
    return _write(path, file, before, document)


def remove_entry(state_dir: Path, kind: Kind, scope: str, key_text: str) -> EditResult:
    """Remove the entry of one key; refuses when the file or the entry does not exist."""
    check_value([scope, key_text], what=f"{kind.name} scope and key")
    path = scope_path(state_dir, kind, scope)
    key = parse_key(kind, key_text)
    file, _ = read_scope(state_dir, kind, scope)
    before, document = _load(path, file)
    if not kind.remove_entry(document, key):
        raise SettingsError(f"{file} has no entry {kind.format_key(key)!r}; nothing was removed")
    _refuse_invalid(kind, document, file)
    return _write(path, file, before, document)


def write_scope(state_dir: Path, kind: Kind, scope: str, document: Any, *, overwrite: bool) -> EditResult:
    """Write a whole scope file (an import of live state); refuses to replace a file unless ``overwrite``."""
    path = scope_path(state_dir, kind, scope)
    file = shown_path(state_dir, path)
    if path.exists() and not overwrite:
        raise SettingsError(f"{file} already exists; pass overwrite=true to replace it with live state")
    check_value(document, what=file)
    _refuse_invalid(kind, document, file)
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    return _write(path, file, before, document)


__all__ = [
    "EditResult",
    "check_scope",
    "parse_key",
    "read_scope",
    "remove_entry",
    "scope_path",
    "set_entry",
    "shown_path",
    "write_scope",
]
