"""The drive_access kind: who is a user of a kDrive, and with which role, one file per drive.

``state/drive/access/<drive name>.yaml`` maps email addresses to their role on the drive
(docs/format-drive.md)::

    admin@example.ch: {role: admin}
    alice.martin@example.ch: {role: user}
    eva@partner.example: {role: external}

A user absent from the file is removed from the drive (flagged: they lose access to its files). Folder
permissions (``…/files/{file_id}/access/users|teams``) are not managed yet.

Live side (``kdrive.json``): ``GET /2/drive/{drive_id}/users`` (one paginated list), ``POST …/users``
(``{emails: [..], role}``: an invitation), ``PUT …/users/{user_id}`` (``{role}``, admin or user only) and
``DELETE …/users/{user_id}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field

from reconciler.api.paths import segment
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
    native_fields,
)
from reconciler.kinds.drive_permissions.api import drive_user_rows
from reconciler.kinds.mailbox_security.spec import ADDRESS_PATTERN
from reconciler.kinds.mapping_file import (
    FilePerScope,
    KeyedFileKind,
    entries,
)
from reconciler.kinds.share_links.api import drive_scopes, find_drive
from reconciler.kinds.share_links.spec import drive_scope

KIND_NAME = "drive_access"
FILES = FilePerScope(
    "drive/access",
    drive_scope,
    duplicate="two files hold the users of drive {scope!r}: {first} and {second}; keep one",
    rule="drive-duplicate-file",
)

_EMAIL = re.compile(ADDRESS_PATTERN)
Role = Literal["admin", "user", "external"]


def user_email(raw: Any) -> str:
    """A drive user's key: the email address, lowercased; ValueError when it is not one."""
    text = str(raw).strip().lower()
    if not _EMAIL.fullmatch(text):
        raise ValueError(f"a drive user is keyed by an email address; got {raw!r}")
    return text


class DriveUser(SpecModel):
    """One user of the drive."""

    role: Role = Field(
        description="admin (manages users and every file), user (the organisation's member) or external "
        "(a guest outside it, who sees only what is shared with them). The API cannot turn an external "
        "user into a member or back: remove and invite again."
    )


def _spec(spec: SpecModel) -> DriveUser:
    if not isinstance(spec, DriveUser):
        raise TypeError(f"not a drive_access spec: {type(spec).__name__}")
    return spec


def parse_file(document: Any, source: DocumentSource) -> list[DesiredObject]:
    """Desired objects of a drive users file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for item in entries(
        document,
        source,
        user_email,
        not_a_mapping="a drive access file maps email addresses to {role: ...}",
        document_rule="drive-access-document",
        key_rule="drive-access-email",
        text_paths=True,
    ):
        if not isinstance(item.value, Mapping):
            source.error(
                item.path, "give the user as a mapping: {role: admin|user|external}", rule="drive-entry"
            )
            continue
        spec = source.validate(DriveUser, item.value, item.path)
        if isinstance(spec, DriveUser):
            objects.append(DesiredObject(key=(item.key,), spec=spec, located=source.locate(item.path)))
    return objects


class DriveAccessKind(KeyedFileKind):
    """Users of the account's kDrives and their roles."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = "drive"
    spec_model: ClassVar[type[SpecModel]] = DriveUser
    apply_order: ClassVar[int] = 55
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "kDrive users (state/drive/access/<drive name>.yaml)"
    schema_description: ClassVar[str] = (
        "Email addresses of the drive's users mapped to their role. A user absent from the file is removed "
        "from the drive. See docs/format-drive.md."
    )
    key_schema: ClassVar[dict[str, Any]] = {"pattern": _EMAIL.pattern}
    not_a_mapping: ClassVar[str] = "the drive access file is not a mapping of email addresses to users"
    not_an_entry: ClassVar[str] = "a drive_access entry is a mapping: {role: admin|user|external}"

    # -- files (scope_files, path_for: KindBase; file_schema, render, edits: KeyedFileKind) -----------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source)

    def entry_key(self, raw: Any) -> str:
        return user_email(raw)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return {"role": _spec(spec).role}

    def format_key(self, key: Key) -> str:
        return key[0]

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if after is None:
            return [f"removes {key[0]} from the drive: they lose access to its files"]
        if after["role"] == "admin" and (before or {}).get("role") != "admin":
            return [f"makes {key[0]} an admin of the drive: they manage its users and every file"]
        if after["role"] == "external" and before is None:
            return [f"gives {key[0]}, from outside the organisation, access to the drive"]
        return []

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        return {"create": 0, "update": 1, "delete": 2}[action]

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        return await drive_scopes(ctx)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        drive, _ = await find_drive(ctx, scope, files=FILES)
        objects = []
        for row in await drive_user_rows(ctx, drive):  # shared with drive_permissions: read once
            if not row.get("email") or row.get("role") not in ("admin", "user", "external"):
                continue
            spec = DriveUser(role=row["role"])
            objects.append(
                LiveObject((str(row["email"]).lower(),), spec, native={"drive": drive, "id": row["id"]})
            )
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """The API cannot move a user between external and member: say so at the line."""
        roles = {obj.key: _spec(obj.spec).role for obj in live}
        problems = []
        for obj in desired:
            have, want = roles.get(obj.key), _spec(obj.spec).role
            if have is not None and have != want and "external" in (have, want):
                problems.append(
                    (
                        obj,
                        f"{obj.key[0]} is {have} on the drive; the API cannot make them {want}: remove the "
                        "entry, apply, then add it back",
                    )
                )
        return problems

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        drive, _ = await find_drive(ctx, scope, files=FILES)
        body = {"emails": [desired.key[0]], "role": _spec(desired.spec).role, "send_email": True}
        await ctx.client.post(_path(drive), json=body)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        native = _native(live)
        await ctx.client.put(
            f"{_path(native['drive'])}/{segment(native['id'])}", json={"role": _spec(desired.spec).role}
        )

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        native = _native(live)
        await ctx.client.delete(f"{_path(native['drive'])}/{segment(native['id'])}")


def _path(drive: int) -> str:
    return f"/2/drive/{segment(drive)}/users"


def _native(live: LiveObject) -> dict[str, Any]:
    return native_fields(live, KIND_NAME, "id")


KIND = DriveAccessKind()
