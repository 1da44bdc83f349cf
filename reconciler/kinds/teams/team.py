"""Teams live: ``GET /1/accounts/{a}/teams``, and the team writes (``POST``, ``PATCH``, ``DELETE``).

The ids of this run's teams are cached per account, so that memberships of a team created moments ago find
its id without another listing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.api.paths import segment
from reconciler.errors import ApiNotFound, PlanError
from reconciler.kinds.base import DesiredObject, LiveObject, RunContext, SpecModel
from reconciler.kinds.live import checked_name, join_notes, read_live
from reconciler.kinds.teams.spec import Team, normalize_team_name, team_key


def from_api(row: Mapping[str, Any]) -> Team:
    """A team of ``GET /1/accounts/{a}/teams`` in canonical form (a refused colour kept as given)."""
    return read_live(Team, {"color": row.get("color_id")})[0]


def live_team(row: Mapping[str, Any]) -> LiveObject:
    """A listed team as a live object; a name or colour the file could not hold gets a note."""
    name, name_note = checked_name(normalize_team_name, row.get("name"))
    spec, color_note = read_live(Team, {"color": row.get("color_id")})
    return LiveObject(
        team_key(name), spec, native={"id": int(row["id"])}, note=join_notes(name_note, color_note)
    )


def to_api(name: str, spec: Team) -> dict[str, Any]:
    """The body of ``POST /1/accounts/{a}/teams``; PATCH sends the same body without the name.

    ``color_id`` is not in the spec's request body (it documents name, owned_by_id, permissions) although
    every team has one and the manager sets it; sent as the simulator accepts it (see docs/format-account.md).
    """
    return {"name": name, "color_id": spec.color}


def teams_path(account: int) -> str:
    return f"/1/accounts/{segment(account)}/teams"


def live_name(row: Mapping[str, Any]) -> str:
    # The API validated the name when it was written; only surrounding spaces need the file's treatment.
    return str(row.get("name") or "").strip()


async def fetch_teams(ctx: RunContext, account: int) -> tuple[list[Mapping[str, Any]], list[LiveObject]]:
    """The account's team rows and their objects; two live teams with one name stop the plan."""
    rows: list[Mapping[str, Any]] = await ctx.client.get_all(teams_path(account))
    ids: dict[str, int] = {}
    objects: list[LiveObject] = []
    for row in rows:
        name = live_name(row)
        if name in ids:
            raise PlanError(
                f"two live teams are named {name!r} (ids {ids[name]} and {row['id']}); the file cannot "
                "tell them apart\n  rename one in the Infomaniak manager"
            )
        ids[name] = int(row["id"])
        objects.append(live_team(row))
    ctx.cache[_ids_cache(account)] = dict(ids)
    return rows, objects


async def team_id(ctx: RunContext, account: int, team: str) -> int:
    """The id of team ``team``: from this run's fetch or create, else from a fresh listing."""
    ids: dict[str, int] = ctx.cache.setdefault(_ids_cache(account), {})
    if team not in ids:
        for row in await ctx.client.get_all(teams_path(account)):
            ids.setdefault(live_name(row), int(row["id"]))
    if team not in ids:
        raise ApiNotFound(f"no team {team!r} in account {account}", method="GET", path=teams_path(account))
    return ids[team]


async def create_team(ctx: RunContext, account: int, desired: DesiredObject) -> None:
    created = await ctx.client.post(teams_path(account), json=to_api(desired.key[0], _team(desired.spec)))
    if isinstance(created, Mapping) and "id" in created:
        ctx.cache.setdefault(_ids_cache(account), {})[desired.key[0]] = int(created["id"])


async def update_team(ctx: RunContext, account: int, desired: DesiredObject, live: LiveObject) -> None:
    body = to_api(desired.key[0], _team(desired.spec))
    del body["name"]  # the key is the name: it never changes through an update
    await ctx.client.patch(f"{teams_path(account)}/{segment(native_ids(live)['id'])}", json=body)


async def delete_team(ctx: RunContext, account: int, live: LiveObject) -> None:
    await ctx.client.delete(f"{teams_path(account)}/{segment(native_ids(live)['id'])}")
    ctx.cache.get(_ids_cache(account), {}).pop(live.key[0], None)


def native_ids(live: LiveObject) -> dict[str, int]:
    """The ids fetch kept with a team (``id``) or a membership (``team_id``, ``user_id``)."""
    if not isinstance(live.native, dict):
        raise TypeError(f"teams {live.key}: live object was not built by fetch (native={live.native!r})")
    return live.native


def _team(spec: SpecModel) -> Team:
    if not isinstance(spec, Team):
        raise TypeError(f"not a team spec: {type(spec).__name__}")
    return spec


def _ids_cache(account: int) -> str:
    return f"teams:ids:{account}"
