"""The live side of share_links: drives by name, the link inventory, path → file id, and request bodies.

Reads, per scope and run: the drive list once (``GET /2/drive``), the link inventory (``GET
/3/drive/{id}/files/links``, cursor pages), and — only for paths that get a new link — the listings of the
folders on their way (``GET /3/drive/{id}/files/{dir}/files``), each folder listed at most once per run
(``RunContext.cache``).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.api.paths import segment
from reconciler.errors import ApiNotFound, PlanError
from reconciler.kinds.base import FileLayout, RunContext
from reconciler.kinds.live import read_live
from reconciler.kinds.mapping_file import shown
from reconciler.kinds.share_links.spec import (
    CAPABILITIES,
    LiveShareLink,
    ShareLinkEntry,
    drive_scope,
    normalize_path,
    same_drive,
)

logger = logging.getLogger(__name__)

ROOT_ID = 1
"""Id of every drive's root folder."""

_TRASHED = ("trashed", "trash_inherited")


@dataclass(frozen=True)
class LinkTarget:
    """What apply needs about a live link: the drive and the shared file's id."""

    drive_id: int
    file_id: int


@dataclass(frozen=True)
class Node:
    """A file or folder met while resolving paths."""

    id: int
    is_dir: bool


def link_path(drive_id: int, file_id: int) -> str:
    return f"/2/drive/{segment(drive_id)}/files/{segment(file_id)}/link"


# -- drives -------------------------------------------------------------------------------------------------


async def drives(ctx: RunContext) -> list[dict[str, Any]]:
    """Every drive the token sees in the account (read once per run)."""
    cached = ctx.cache.get("share_links/drives")
    if cached is None:
        # account_id is required by GET /2/drive (unlike /1/products).
        params = {"account_id": await ctx.require_account_id()}
        cached = await ctx.client.get_all("/2/drive", params=params)
        ctx.cache["share_links/drives"] = cached
    found: list[dict[str, Any]] = cached
    return found


async def drive_scopes(ctx: RunContext) -> list[str]:
    """The scopes of every kind keyed by drive that exist live: the drives' names (``discover``)."""
    return sorted({drive_scope(str(d["name"])) for d in await drives(ctx) if d.get("name")})


async def find_drive(ctx: RunContext, scope: str, *, files: FileLayout) -> tuple[int, str]:
    """The id and name of the drive a scope names, matched without case; PlanError naming the scope's file
    (in ``files``, the kind's layout) otherwise.

    Shared by every kind keyed by drive (``share_links``, ``drive_access``, ``drive_permissions``), so they
    agree on which drive a name means. Two drives whose names differ only by case cannot be told apart:
    that is an error, never a guess.
    """
    state_dir = ctx.state_dir or Path("state")
    file = shown(files.path_for(state_dir, scope), state_dir)
    found = await drives(ctx)
    matches = [d for d in found if same_drive(str(d.get("name", "")), scope)]
    if len(matches) == 1:
        return int(matches[0]["id"]), str(matches[0]["name"])
    if not matches:
        known = ", ".join(sorted(repr(str(d.get("name"))) for d in found)) or "none"
        raise PlanError(
            f"kDrive {scope!r} does not exist in the account ({file})\n"
            f"  drives the token sees: {known}\n"
            "  name the file after one of them (case does not matter), or remove it"
        )
    names = ", ".join(f"{str(d.get('name'))!r} (id {d.get('id')})" for d in matches)
    raise PlanError(
        f"{len(matches)} drives match {scope!r} ({file}): {names}\n"
        "  drive names are matched without case, so these cannot be told apart\n"
        "  rename one of them in kDrive so that their names differ by more than case"
    )


# -- live links ---------------------------------------------------------------------------------------------


def from_api(link: Mapping[str, Any], *, password: str | None) -> LiveShareLink:
    """A link object (``sharelink`` of a file, or ``GET …/link``) → the live model."""
    return read_link(link, password=password)[0]


def read_link(link: Mapping[str, Any], *, password: str | None) -> tuple[LiveShareLink, str | None]:
    """The live model of a link, and why it is kept as the API gave it (an unknown right ...), if it is."""
    raw_capabilities = link.get("capabilities")
    capabilities: Mapping[str, Any] = raw_capabilities if isinstance(raw_capabilities, Mapping) else {}
    return read_live(
        LiveShareLink,
        {
            "right": link.get("right"),
            **{name: bool(capabilities.get(name, False)) for name in CAPABILITIES},
            "valid_until": link.get("valid_until"),
            "password": password,
        },
    )


async def inventory(ctx: RunContext, drive_id: int) -> list[tuple[str, int, dict[str, Any]]]:
    """``(path, file id, link)`` of every live link of the drive; seeds the path cache on the way."""
    rows = await ctx.client.get_all_cursor(f"/3/drive/{segment(drive_id)}/files/links")
    nodes = _nodes(ctx, drive_id)
    found = []
    for row in rows:
        if row.get("status") in _TRASHED:
            continue  # a link on a trashed file is not reachable; it returns with the file if restored
        file_id = int(row["id"])
        try:
            path = normalize_path(row.get("path"))
        except ValueError:
            # Kept as the API gave it; fetch notes why, and it is never resolved (nor deleted) by path.
            found.append((str(row.get("path")), file_id, dict(row.get("sharelink") or {})))
            continue
        nodes[path] = Node(file_id, row.get("type") == "dir")
        parent = path.rsplit("/", 1)[0] or "/"
        if isinstance(row.get("parent_id"), int):
            # The parent is a folder we now know the id of: a new link next to this one lists one folder.
            nodes.setdefault(parent, Node(row["parent_id"], True))
        link = row.get("sharelink")
        if not isinstance(link, Mapping):
            # The listing is documented with `sharelink`; read the link itself if an answer lacks it.
            link = await ctx.client.get(link_path(drive_id, file_id))
        found.append((path, file_id, dict(link)))
    return found


# -- paths --------------------------------------------------------------------------------------------------


def _nodes(ctx: RunContext, drive_id: int) -> dict[str, Node]:
    nodes: dict[str, Node] = ctx.cache.setdefault(f"share_links/{drive_id}/nodes", {"/": Node(ROOT_ID, True)})
    return nodes


async def _children(ctx: RunContext, drive_id: int, folder: str, folder_id: int) -> list[str]:
    """Names in ``folder`` (listed once per run); records each child in the path cache."""
    listed: dict[int, list[str]] = ctx.cache.setdefault(f"share_links/{drive_id}/listed", {})
    if folder_id not in listed:
        rows = await ctx.client.get_all_cursor(
            f"/3/drive/{segment(drive_id)}/files/{segment(folder_id)}/files"
        )
        nodes = _nodes(ctx, drive_id)
        names = []
        for row in rows:
            if row.get("status") in _TRASHED:
                continue
            name = str(row["name"])
            names.append(name)
            nodes[normalize_path(f"{folder.rstrip('/')}/{name}")] = Node(
                int(row["id"]), row.get("type") == "dir"
            )
        listed[folder_id] = names
    return listed[folder_id]


async def resolve(ctx: RunContext, drive_id: int, path: str, *, drive_name: str, where: str) -> int:
    """The file id of ``path``; an unknown path is ApiNotFound naming the entry and close matches."""
    nodes = _nodes(ctx, drive_id)
    if path in nodes:
        return nodes[path].id
    parent, _, name = path.rpartition("/")
    parent = parent or "/"
    await resolve(ctx, drive_id, parent, drive_name=drive_name, where=where)
    folder = nodes[parent]
    if not folder.is_dir:
        raise ApiNotFound(
            f"share_links {path} ({where}): {parent} is a file, not a folder, in drive {drive_name!r}"
        )
    names = await _children(ctx, drive_id, parent, folder.id)
    if path not in nodes:
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ApiNotFound(
            f"share_links {path} ({where}): drive {drive_name!r} has no {name!r} in {parent}{hint}\n"
            "  fix the path in the file, or create the file in kDrive first"
        )
    return nodes[path].id


# -- request bodies -----------------------------------------------------------------------------------------


def create_body(entry: ShareLinkEntry, password: str | None) -> dict[str, Any]:
    """The POST body: every field, so the link never depends on the API's defaults."""
    body: dict[str, Any] = {"right": entry.right}
    body.update({name: getattr(entry, name) for name in CAPABILITIES})
    body["valid_until"] = entry.valid_until
    if password is not None:
        body["password"] = password
    return body


def update_body(
    entry: ShareLinkEntry, desired: dict[str, Any], live: dict[str, Any], password: str | None
) -> dict[str, Any]:
    """The PUT body from the normalised sides: changed fields only, plus ``password`` when given.

    ``can_comment`` always travels with ``can_edit``: the API documents that an unset ``can_comment``
    takes ``can_edit``'s value, so sending ``can_edit`` alone could flip it.
    """
    body: dict[str, Any] = {}
    if desired["right"] != live["right"]:
        body["right"] = entry.right
    for name in CAPABILITIES:
        if desired[name] != live[name]:
            body[name] = getattr(entry, name)
    if "can_edit" in body:
        body["can_comment"] = entry.can_comment
    if desired["valid_until"] != live["valid_until"]:
        body["valid_until"] = entry.valid_until
    if password is not None:
        body["password"] = password
    return body
