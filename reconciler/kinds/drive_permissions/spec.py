"""The drive permissions file: who may do what in each folder, keyed by path.

``state/drive/permissions/<drive name>.yaml`` (docs/format-drive.md) maps folder paths to the users (by
email) and teams (by name) that have a right on them::

    /Marketing:
      users: {bruno.keller@example.ch: manage}
      teams: {Marketing: write}

Emails compare lowercased, team names as written, paths as share_links writes them (``/`` is the root).
The drive's users and their roles are the drive_access kind's (``state/drive/access/``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from reconciler.kinds.base import DesiredObject, DocumentSource, LiveObject, SpecModel
from reconciler.kinds.live import split_noted, with_notes
from reconciler.kinds.mailbox_security.spec import mailbox_address
from reconciler.kinds.mapping_file import (
    entries,
    name_key,
)

KIND_NAME = "drive_permissions"

Right = Literal["manage", "write", "read", "none"]
TEAM_NAME_MAX = 100


def folder_path(raw: object) -> str:
    """A folder key: ``/`` (the drive's root) or ``/A/B``; Unicode NFC, no empty, ``.`` or ``..`` parts."""
    if not isinstance(raw, str) or not raw.strip().startswith("/"):
        raise ValueError(f"a folder is keyed by its path inside the drive, e.g. /Marketing; got {raw!r}")
    parts = [part for part in unicodedata.normalize("NFC", raw.strip()).split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"{raw!r}: '.' and '..' are not allowed in a path; write it out from the root")
    return "/" + "/".join(parts)


def entry_key(raw: object) -> str:
    """A file key as compared: the folder's path."""
    return folder_path(raw)


def _email(raw: str) -> str:
    return mailbox_address(raw)


def _team(raw: str) -> str:
    return name_key(raw, what="a team name", max_length=TEAM_NAME_MAX)


Email = Annotated[str, AfterValidator(_email)]
TeamName = Annotated[str, AfterValidator(_team)]


class FolderAccess(SpecModel):
    """Who may do what in one folder: users by email and teams by name, each with a right."""

    users: dict[Email, Right] = Field(
        default_factory=dict,
        description="Drive users (by email) and their right on the folder: manage, write, read or none.",
    )
    teams: dict[TeamName, Right] = Field(
        default_factory=dict,
        description="Account teams (by name) and their right on the folder: manage, write, read or none.",
    )


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the users and teams, sorted, with their rights."""
    if isinstance(spec, FolderAccess):
        return {
            "users": {email.lower(): spec.users[email] for email in sorted(spec.users, key=str.lower)},
            "teams": {name: spec.teams[name] for name in sorted(spec.teams)},
        }
    raise TypeError(f"not a drive_permissions spec: {type(spec).__name__}")


# -- the file -----------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource) -> list[DesiredObject]:
    """Desired objects of a drive access file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for item in entries(
        document,
        source,
        entry_key,
        not_a_mapping="a drive permissions file maps folder paths to their users and teams",
        document_rule="drive-permissions-document",
        key_rule="drive-permissions-key",
        text_paths=True,
    ):
        if not isinstance(item.value, Mapping):
            source.error(
                item.path,
                "give the access as a mapping: users: {a@example.ch: read}, teams: {Sales: read}",
                rule="drive-permissions-entry",
            )
            continue
        spec = source.validate(FolderAccess, item.value, item.path)
        if not isinstance(spec, FolderAccess):
            continue
        if not (spec.users or spec.teams):
            source.error(
                item.path,
                f"{item.key} gives access to nobody; remove the entry to remove every access",
                rule="drive-permissions-empty",
            )
            continue
        objects.append(DesiredObject(key=(item.key,), spec=spec, located=source.locate(item.path)))
    return objects


def render_file(objects: list[DesiredObject | LiveObject], format_key: Any) -> Any:
    """The YAML document of a drive: folders by path, each without an empty ``users`` or ``teams``."""
    kept, notes = split_noted(objects, format_key)
    document: dict[str, Any] = {}
    for obj in sorted(kept, key=lambda obj: obj.key):
        document[obj.key[0]] = {k: v for k, v in normalize(obj.spec).items() if v}
    return with_notes(document, notes) if notes else document
