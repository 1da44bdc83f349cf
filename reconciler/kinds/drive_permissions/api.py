"""The live side of drive_permissions: the drive's users, the folders whose access is read, and the paths.

Reads per scope and run (cached in ``RunContext.cache``): the drive list (shared with share_links), the
drive's users (``GET /2/drive/{d}/users``), the folders at the drive's root (``GET
/3/drive/{d}/files/1/files``), and for the root, each of those folders and any deeper folder the file names,
its accesses (``GET /2/drive/{d}/files/{f}/access``: users, teams and invitations in one answer). Team ids
come from the teams kind's lookup (``reconciler.kinds.teams.team.team_id``), read only when a team is
granted something.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.api.paths import segment
from reconciler.desired.yamlio import load_yaml_text
from reconciler.errors import ApiNotFound, DesiredStateError
from reconciler.kinds.base import RunContext
from reconciler.kinds.drive_permissions.spec import TEAM_NAME_MAX, FolderAccess, folder_path
from reconciler.kinds.live import checked_name, read_live, unwritable_text
from reconciler.kinds.mailbox_security.spec import mailbox_address
from reconciler.kinds.mapping_file import name_key
from reconciler.kinds.share_links.api import ROOT_ID
from reconciler.kinds.teams.team import team_id

LIVE_STATUSES = ("accepted", "pending")
"""Access rows that grant something; cancelled, expired and rejected invitations do not."""


@dataclass(frozen=True)
class FolderTarget:
    """What apply needs about a folder: its id, and the ids behind the emails and team names it lists."""

    drive_id: int
    file_id: int
    user_ids: dict[str, int] = field(default_factory=dict)
    team_ids: dict[str, int] = field(default_factory=dict)


def users_path(drive_id: int) -> str:
    return f"/2/drive/{segment(drive_id)}/users"


def file_access_path(drive_id: int, file_id: int) -> str:
    """``…/access`` of a file or folder: its users, teams and invitations, read in one request."""
    return f"/2/drive/{segment(drive_id)}/files/{segment(file_id)}/access"


def access_path(drive_id: int, file_id: int, who: str) -> str:
    """``…/access/users`` or ``…/access/teams`` of a file or folder, where its accesses are written."""
    return f"{file_access_path(drive_id, file_id)}/{who}"


async def drive_user_rows(ctx: RunContext, drive_id: int) -> list[dict[str, Any]]:
    """The drive's user list as the API gives it, read once per run (drive_access reads it too)."""
    cache_key = f"drive/{drive_id}/users"
    if cache_key not in ctx.cache:
        ctx.cache[cache_key] = await ctx.client.get_all(users_path(drive_id))
    found: list[dict[str, Any]] = ctx.cache[cache_key]
    return found


async def drive_users(ctx: RunContext, drive_id: int) -> list[dict[str, Any]]:
    """The drive's users, deleted ones left out."""
    rows = await drive_user_rows(ctx, drive_id)
    return [r for r in rows if not str(r.get("status", "")).startswith("deleted")]


def _team_name(raw: object) -> str:
    return name_key(raw, what="a team name", max_length=TEAM_NAME_MAX)


def _email(raw: object) -> str | None:
    try:
        return mailbox_address(str(raw))
    except ValueError:
        return None


async def user_ids(ctx: RunContext, drive_id: int) -> dict[str, int]:
    """Email (lowercased) → user id of the drive's users whose email the file can name."""
    found: dict[str, int] = {}
    for row in await drive_users(ctx, drive_id):
        email = _email(row.get("email"))
        if email is not None:
            found.setdefault(email, int(row["id"]))
    return found


async def team_ids(ctx: RunContext, names: Iterable[str]) -> dict[str, int]:
    """Name → id of the named teams the account has (unknown names left out).

    The teams kind's id cache answers when it fetched in this run (a plan reads the team list once);
    otherwise the list is read once here.
    """
    account = await ctx.require_account_id()
    found = {}
    for name in names:
        try:
            found[name] = await team_id(ctx, account, name)
        except ApiNotFound:
            continue
    return found


async def root_folders(ctx: RunContext, drive_id: int) -> dict[str, int]:
    """Path → id of the root and of every folder directly under it."""
    rows = await ctx.client.get_all_cursor(f"/3/drive/{segment(drive_id)}/files/{ROOT_ID}/files")
    found = {"/": ROOT_ID}
    for row in rows:
        if row.get("type") == "dir" and row.get("status") not in ("trashed", "trash_inherited"):
            try:
                found[folder_path(f"/{row['name']}")] = int(row["id"])
            except ValueError:
                continue  # a name the file could not key is never read, so never changed
    return found


def named_folders(file: Path) -> list[str]:
    """The folder paths the desired file names (deeper folders are read only when the file names them)."""
    if not file.is_file():
        return []
    try:
        document = load_yaml_text(file.read_text(encoding="utf-8"), file=str(file))
    except (OSError, DesiredStateError):
        return []  # the plan's own parse reports the file's problem
    if not isinstance(document, Mapping):
        return []
    paths = []
    for raw in document:
        if isinstance(raw, str) and raw.strip().startswith("/"):
            try:
                paths.append(folder_path(raw))
            except ValueError:
                continue
    return paths


async def read_access(
    ctx: RunContext, drive_id: int, file_id: int
) -> tuple[FolderAccess, FolderTarget, str | None]:
    """A folder's live accesses as the spec model, the ids behind them, and why part is kept as given."""
    emails = {uid: email for email, uid in (await user_ids(ctx, drive_id)).items()}
    users: dict[str, Any] = {}
    teams: dict[str, Any] = {}
    by_email: dict[str, int] = {}
    by_team: dict[str, int] = {}
    strangers: list[str] = []
    # External invitations (the answer's third list) go to an email that is no drive user: the file, which
    # names drive users, cannot express them, and apply never touches them.
    answer = await ctx.client.get(file_access_path(drive_id, file_id)) or {}
    for row in answer.get("users") or []:
        if row.get("access") != "user" or row.get("status") not in LIVE_STATUSES or row.get("right") is None:
            continue
        email = emails.get(int(row["id"]))
        if email is None or unwritable_text(email) or email in users:
            strangers.append(f"{row.get('name')} (user {row['id']})")
            continue
        users[email] = row["right"]
        by_email[email] = int(row["id"])
    for row in answer.get("teams") or []:
        if row.get("status") not in LIVE_STATUSES or row.get("right") is None:
            continue
        name, why = checked_name(_team_name, row.get("name"))
        if why or name in teams:
            strangers.append(f"team {row.get('name')!r} ({row['id']})")
            continue
        teams[name] = row["right"]
        by_team[name] = int(row["id"])
    spec, note = read_live(FolderAccess, {"users": users, "teams": teams})
    if strangers:
        extra = f"{', '.join(strangers)}: access the file cannot name (no drive user, or an unwritable name)"
        note = f"{note}; {extra}" if note else extra
    return spec, FolderTarget(drive_id, file_id, by_email, by_team), note


def grants(
    desired: Mapping[str, str], live: Mapping[str, str]
) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """What to add (grouped by right, one POST each), change and remove to go from ``live`` to ``desired``."""
    added: dict[str, list[str]] = {}
    for name in sorted(set(desired) - set(live)):
        added.setdefault(desired[name], []).append(name)
    changed = sorted(name for name in set(desired) & set(live) if desired[name] != live[name])
    removed = sorted(set(live) - set(desired))
    return added, changed, removed
