"""The :class:`DrivePermissionsKind` the engine uses, registered as :data:`KIND`.

A scope is a drive, named as in kDrive but compared without case (``demo drive``), in its own folder
``state/drive/permissions/`` (share_links keeps ``state/drive/``, drive_access ``state/drive/access/``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from reconciler.errors import ApiNotFound
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.drive_permissions.api import (
    FolderTarget,
    access_path,
    grants,
    named_folders,
    read_access,
    root_folders,
    team_ids,
    user_ids,
)
from reconciler.kinds.drive_permissions.spec import (
    KIND_NAME,
    FolderAccess,
    entry_key,
    normalize,
    parse_file,
    render_file,
)
from reconciler.kinds.mapping_file import FilePerScope, KeyedFileKind
from reconciler.kinds.share_links.api import drive_scopes, find_drive, resolve
from reconciler.kinds.share_links.spec import drive_scope

FILES = FilePerScope(
    "drive/permissions",
    drive_scope,
    duplicate="two files hold the permissions of drive {scope!r}: {first} and {second}; keep one",
    rule="drive-duplicate-file",
)
_WIDE = ("write", "manage")
_NOBODY: dict[str, Any] = {"users": {}, "teams": {}}


class DrivePermissionsKind(KeyedFileKind):
    """The rights of users and teams on the folders of a kDrive, one file per drive."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = "drive"
    spec_model: ClassVar[type[SpecModel]] = FolderAccess
    apply_order: ClassVar[int] = 57
    """After drive_access (55): a user added to the drive there can be given a folder here."""
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "kDrive permissions file (state/drive/permissions/<drive name>.yaml)"
    schema_description: ClassVar[str] = (
        "Folder paths mapped to the users (by email) and teams (by name) that have a right on them. A folder "
        "absent from the file loses its explicit accesses. See docs/format-drive.md."
    )
    key_schema: ClassVar[dict[str, Any]] = {"pattern": "^/"}
    not_a_mapping: ClassVar[str] = "the drive permissions file is not a mapping of folder paths"
    not_an_entry: ClassVar[str] = (
        "a drive_permissions entry is a mapping: users: {...} and/or teams: {...} (see docs/format-drive.md)"
    )

    # -- files (scope_files, path_for: KindBase; file_schema, parse_key, edits: KeyedFileKind) -------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source)

    def entry_key(self, raw: Any) -> str:
        return entry_key(raw)

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return render_file(list(objects), self.format_key)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        path, reasons = key[0], []
        where = "the drive root" if path == "/" else path
        old_users, old_teams = (before or {}).get("users", {}), (before or {}).get("teams", {})
        new_users, new_teams = (after or {}).get("users", {}), (after or {}).get("teams", {})
        for name, right in new_teams.items():
            if right in _WIDE and old_teams.get(name) not in _WIDE:
                reasons.append(f"gives team {name} {right} access to {where}")
        if path == "/":
            for email, right in new_users.items():
                if right in _WIDE and old_users.get(email) not in _WIDE:
                    reasons.append(f"gives {email} {right} access to the drive root")
        lost = sorted(set(old_users) - set(new_users))
        lost += [f"team {team}" for team in sorted(set(old_teams) - set(new_teams))]
        if lost:
            reasons.append(f"removes the access of {', '.join(lost)} to {where}")
        return reasons

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        return await drive_scopes(ctx)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        scope = drive_scope(scope)
        drive_id, drive_name = await find_drive(ctx, scope, files=FILES)
        folders = await root_folders(ctx, drive_id)
        for path in named_folders(self.path_for(ctx.state_dir or Path("state"), scope)):
            if path not in folders:
                try:
                    folders[path] = await resolve(ctx, drive_id, path, drive_name=drive_name, where=KIND_NAME)
                except ApiNotFound:
                    continue  # check names the unknown path
        objects = []
        for path in sorted(folders):
            access, target, why = await read_access(ctx, drive_id, folders[path])
            if access.users or access.teams or why:
                objects.append(LiveObject((path,), access, target, note=why))
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """Paths must be in the drive, users in the drive, teams in the account."""
        drive_id, drive_name = await find_drive(ctx, scope, files=FILES)
        members = await user_ids(ctx, drive_id)
        teams = await team_ids(ctx, {name for obj in desired for name in normalize(obj.spec)["teams"]})
        problems: list[tuple[DesiredObject, str]] = []
        for obj in desired:
            path, form = obj.key[0], normalize(obj.spec)
            try:
                await resolve(ctx, drive_id, path, drive_name=drive_name, where=KIND_NAME)
            except ApiNotFound:
                problems.append(
                    (obj, f"drive {drive_name!r} has no {path}; fix the path, or create the folder in kDrive")
                )
            for email in sorted(set(form["users"]) - set(members)):
                why = f"{email} is not a user of drive {drive_name!r}; add them with drive_access first"
                problems.append((obj, why))
            for name in sorted(set(form["teams"]) - set(teams)):
                why = f"team {name!r} does not exist in the account; fix the name, or create the team first"
                problems.append((obj, why))
        return problems

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        drive_id, drive_name = await find_drive(ctx, scope, files=FILES)
        file_id = await resolve(ctx, drive_id, desired.key[0], drive_name=drive_name, where=KIND_NAME)
        await _grant(ctx, FolderTarget(drive_id, file_id), normalize(desired.spec), _NOBODY)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        await _grant(ctx, _folder(live), normalize(desired.spec), normalize(live.spec))

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        await _grant(ctx, _folder(live), _NOBODY, normalize(live.spec))


async def _grant(ctx: RunContext, target: FolderTarget, want: dict[str, Any], have: dict[str, Any]) -> None:
    """Add (one POST per right), change and remove the users' then the teams' accesses of one folder."""
    members = {**await user_ids(ctx, target.drive_id), **target.user_ids}
    teams = {**await team_ids(ctx, set(want["teams"]) - set(target.team_ids)), **target.team_ids}
    for who, ids, body_key in (("users", members, "user_ids"), ("teams", teams, "team_ids")):
        path = access_path(target.drive_id, target.file_id, who)
        added, changed, removed = grants(want[who], have[who])
        for right, names in sorted(added.items()):
            await ctx.client.post(path, json={"right": right, body_key: sorted(ids[n] for n in names)})
        for name in changed:
            await ctx.client.put(f"{path}/{ids[name]}", json={"right": want[who][name]})
        for name in removed:
            await ctx.client.delete(f"{path}/{ids[name]}")


def _folder(live: LiveObject) -> FolderTarget:
    if not isinstance(live.native, FolderTarget):
        raise TypeError(f"drive_permissions {live.key}: live object was not built by fetch")
    return live.native


KIND = DrivePermissionsKind()
