"""Memberships live: read from the account's users, written by ``POST`` / ``DELETE …/teams/{id}/users``.

A member is named by email in the file but by user id in the API: ``GET /2/accounts/{a}/users`` (listed
once per run) turns one into the other, and tells who is only invited (no user id yet). Asked with
``with=teams``, the same request also says which teams each user is in, so memberships cost one request for
the account instead of one per team (the rate limit is 60 a minute). The spec lists the ``teams`` field but
not its shape; a team whose member count (``user_count`` of the team list) disagrees with what the users
said, or every team if the API refuses ``with=teams``, is read with ``GET …/teams/{id}/users`` as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.api.paths import segment
from reconciler.api.tasks import gather_all
from reconciler.errors import ApiNotFound, ApiRejected
from reconciler.kinds.base import DesiredObject, LiveObject, RunContext
from reconciler.kinds.live import checked_name
from reconciler.kinds.teams.spec import MEMBER, SCOPE, Membership, is_member_key, member_key, normalize_email
from reconciler.kinds.teams.team import live_name, native_ids, team_id, teams_path

_FETCH_CONCURRENCY = 4


async def fetch_members(ctx: RunContext, account: int, rows: Sequence[Mapping[str, Any]]) -> list[LiveObject]:
    """The memberships of the teams of ``rows``: one users request, plus one per team it cannot vouch for."""
    semaphore = asyncio.Semaphore(_FETCH_CONCURRENCY)
    by_team = await _members_by_team(ctx, account) if any(row.get("user_count") != 0 for row in rows) else {}

    async def users_of(row: Mapping[str, Any]) -> list[tuple[int, str]]:
        if row.get("user_count") == 0:
            return []  # the list says it is empty: save the call
        known = None if by_team is None else by_team.get(int(row["id"]), [])
        count = row.get("user_count")
        if known is not None and (not isinstance(count, int) or count == len(known)):
            return known
        async with semaphore:
            listed = await ctx.client.get_all(f"{teams_path(account)}/{segment(row['id'])}/users")
        return [(int(user["id"]), str(user.get("email") or "")) for user in listed]

    listed = await gather_all(users_of(row) for row in rows)
    objects: list[LiveObject] = []
    for row, users in zip(rows, listed, strict=True):
        team = live_name(row)
        for user_id, raw_email in users:
            email, note = checked_name(normalize_email, raw_email)
            native = {"team_id": int(row["id"]), "user_id": user_id}
            objects.append(
                LiveObject(member_key(team, email.lower()), Membership(), native=native, note=note)
            )
    return objects


async def _members_by_team(ctx: RunContext, account: int) -> dict[int, list[tuple[int, str]]] | None:
    """(user id, email as given) of each team's members, from ``with=teams`` on the users list; or None.

    The rows also fill the run's users cache, so ``check`` and member writes cost no further request.
    """
    try:
        rows = await ctx.client.get_all(f"/2/accounts/{segment(account)}/users", params={"with": "teams"})
    except ApiRejected:
        return None  # `with=teams` refused: read each team's users instead
    ctx.cache[_users_cache(account)] = {
        str(row["email"]).strip().lower(): row for row in rows if row.get("email")
    }
    by_team: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        if row.get("user_id") is None or not row.get("email"):
            continue  # pending invitations belong to no team yet
        teams = row.get("teams")
        if not isinstance(teams, list):
            return None  # the expansion did not come back: no way to tell members from non-members
        for team in teams:
            ident = team.get("id") if isinstance(team, Mapping) else team
            if isinstance(ident, int) and not isinstance(ident, bool):
                by_team.setdefault(ident, []).append((int(row["user_id"]), str(row["email"])))
    return by_team


async def check_members(
    ctx: RunContext, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
) -> list[tuple[DesiredObject, str]]:
    """Members to add must be users of the account who accepted their invitation."""
    live_keys = {obj.key for obj in live}
    joining = [obj for obj in desired if is_member_key(obj.key) and obj.key not in live_keys]
    if not joining:
        return []
    account = await ctx.require_account_id()
    users = await _account_users(ctx, account)
    problems: list[tuple[DesiredObject, str]] = []
    for obj in joining:
        email = obj.key[2]
        user = users.get(email)
        if user is None:
            problems.append(
                (obj, f"{email} is not a user of account {account}; invite them in the manager or fix it")
            )
        elif user.get("user_id") is None:
            problems.append((obj, f"{email} has a pending invitation; teams take them once they accept"))
    return problems


async def add_member(ctx: RunContext, account: int, desired: DesiredObject) -> None:
    team, _, email = desired.key
    team_ref = await team_id(ctx, account, team)
    user_id = await _user_id(ctx, account, email, desired)
    path = f"{teams_path(account)}/{segment(team_ref)}/users"
    await ctx.client.post(path, json={"user_ids": [user_id]})


async def remove_member(ctx: RunContext, account: int, live: LiveObject) -> None:
    native = native_ids(live)
    path = f"{teams_path(account)}/{segment(native['team_id'])}/users"
    await ctx.client.delete(path, json={"user_ids": [native["user_id"]]})


async def _account_users(ctx: RunContext, account: int) -> dict[str, dict[str, Any]]:
    """Users and pending users of the account by lowercased email, listed once per run."""
    key = _users_cache(account)
    if key not in ctx.cache:
        rows = await ctx.client.get_all(f"/2/accounts/{segment(account)}/users")
        ctx.cache[key] = {str(row["email"]).strip().lower(): row for row in rows if row.get("email")}
    users: dict[str, dict[str, Any]] = ctx.cache[key]
    return users


def _users_cache(account: int) -> str:
    return f"account_users:{account}"


async def _user_id(ctx: RunContext, account: int, email: str, desired: DesiredObject) -> int:
    """The user id of a member's email; an error naming the file and key when there is none."""
    user = (await _account_users(ctx, account)).get(email)
    if user is not None and user.get("user_id") is not None:
        return int(user["user_id"])
    where = desired.located
    place = f"{where.file}:{where.line}" if where and where.line else (where.file if where else SCOPE)
    problem = (
        "has a pending invitation: a team takes them once they accept it"
        if user is not None
        else f"is not a user of account {account}"
    )
    # An ApiError, so that apply reports this change as failed and the rest as not attempted (promise 4);
    # the plan already flagged it (see `check`). No method/path: the message leads with the file and key.
    raise ApiNotFound(
        f"{place}: {desired.key[0]} {MEMBER} {email}: {email} {problem} "
        f"(GET /2/accounts/{account}/users)\n"
        "  invite them in the Infomaniak manager (or wait for them to accept), or fix the address"
    )
