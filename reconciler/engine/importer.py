"""Import: write desired-state files from live state, so the next plan of those scopes is empty.

One verb for the CLI (``import``, ``init --import``) and the MCP tool, with one set of guards: the scope
names are checked before any request, matched against the scopes that exist live (so a typo lists the real
ones instead of blaming a file), every scope is read before any file is written, and each document is
validated as a desired file before it replaces anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.desired.edit import EditResult, check_scope, scope_path, write_scope
from reconciler.engine.session import Session
from reconciler.errors import SettingsError
from reconciler.kinds.base import Kind


@dataclass(frozen=True)
class ImportedScope:
    """One scope file written by an import."""

    scope: str
    edit: EditResult
    resources: int
    notes: tuple[str, ...] = ()
    """Live resources kept as the API gave them, and why (also written as comments in the file)."""


def _same_scope(given: str, live: str) -> bool:
    # Zone and domain names are case-insensitive and may carry the root dot; drive names keep their case
    # but a user typing them in lower case still means the drive.
    return given.rstrip(".").casefold() == live.rstrip(".").casefold()


def resolve_scopes(kind: Kind, given: list[str], live: list[str]) -> list[str]:
    """The live spelling of each scope the user named; an unknown name lists the ones that exist."""
    resolved: list[str] = []
    for name in given:
        text = check_scope(name)
        match = next((scope for scope in live if _same_scope(text, scope)), None)
        if match is None:
            known = ", ".join(live) or "none"
            raise SettingsError(
                f"{kind.name}: no scope {text!r} in the live account\n"
                f"  scopes that exist: {known}\n"
                f"  Next: `infomaniak-gitops import {kind.name} SCOPE` with one of them"
            )
        if match not in resolved:
            resolved.append(match)
    return resolved


@dataclass(frozen=True)
class LiveDocument:
    """One live scope in its desired file's shape."""

    document: Any
    resources: int
    notes: tuple[str, ...]
    """Values kept as the API gave them, each ``key: note`` (the file carries a comment for each)."""


async def live_document(session: Session, kind: Kind, scope: str) -> LiveDocument:
    """One live scope as its desired file's document (read-only: nothing is written)."""
    # The scope goes into API paths as well as file names: the same guard keeps both in place.
    scope = check_scope(scope)
    live = await kind.fetch(session.ctx, scope)
    notes = tuple(f"{kind.format_key(obj.key)}: {obj.note}" for obj in live if obj.note)
    return LiveDocument(kind.render(live, scope), len(live), notes)


async def import_scopes(
    session: Session, kind: Kind, scopes: list[str], *, overwrite: bool, missing_ok: bool = False
) -> list[ImportedScope]:
    """Write the desired file of each scope (every live scope when ``scopes`` is empty).

    ``missing_ok`` skips scopes whose file exists instead of refusing (``init --import`` completing a
    repository); without it an existing file needs ``overwrite``.
    """
    state_dir = session.settings.state_dir
    for name in scopes:  # refused before any request: names reach URLs and file paths
        check_scope(name)
    live_scopes = await kind.discover(session.ctx)
    wanted = resolve_scopes(kind, scopes, live_scopes) if scopes else live_scopes
    documents = []
    for scope in wanted:
        path = scope_path(state_dir, kind, scope)
        if path.exists() and not overwrite:
            if missing_ok:
                continue
            raise SettingsError(
                f"{path.relative_to(state_dir.parent).as_posix()} already exists; pass --overwrite "
                "(MCP: overwrite=true) to replace it with live state"
            )
        documents.append((scope, await live_document(session, kind, scope)))
    # Written only once every scope was read, so a failed request leaves no half-imported set of files.
    return [
        ImportedScope(
            scope,
            write_scope(state_dir, kind, scope, live.document, overwrite=overwrite),
            live.resources,
            live.notes,
        )
        for scope, live in documents
    ]
