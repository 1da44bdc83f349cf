"""Account teams and their members, one file: ``state/account/teams.yaml`` (scope ``teams``).

The file maps a team name to ``color`` and ``members`` (user emails). The diff works on two kinds of key:

* ``(team,)`` — the team itself; its content is ``{"color": int}``;
* ``(team, "member", email)`` — one membership, with no content: it exists or not.

So adding one member is one change of its own (one ``POST …/users``), never an update of the whole team, and
a review sees exactly who gains or loses a team's access. Team names compare exactly (case and inner spaces
count, surrounding spaces do not), like the manager shows them; emails compare lowercased.

Live side: ``GET /1/accounts/{a}/teams``, then ``GET …/teams/{id}/users`` per team that has users, and
``GET /2/accounts/{a}/users`` to turn a member's email into the user id the API wants.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError

from reconciler.api.paths import segment
from reconciler.errors import ApiNotFound, PlanError
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.mapping_file import (
    FilePerScope,
    FilesFromLayout,
    OneFile,
    editable,
    entries,
    find_key,
    mapping_schema,
)

logger = logging.getLogger(__name__)

KIND_NAME = "teams"
DIRECTORY = "account"
SCOPE = "teams"
"""The only scope: the account's teams live in one file, ``account/teams.yaml``."""
FILES = OneFile(DIRECTORY, SCOPE)

MEMBER = "member"
"""Middle part of a membership key, ``(team, "member", email)``."""

NAME_MAX = 128
"""The API's ``maxLength`` for a team name."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MEMBER_KEY = re.compile(rf"(?P<team>.+) {MEMBER} (?P<email>\S+@\S+)")
_FETCH_CONCURRENCY = 4


def normalize_email(raw: str) -> str:
    """An email as compared and shown: trimmed and lowercased; ValueError when it is not an address."""
    email = raw.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"{raw!r} is not an email address")
    return email


def normalize_team_name(raw: object) -> str:
    """A team name as compared and shown: surrounding spaces dropped, case and inner spaces kept."""
    name = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not name:
        raise ValueError("a team name is a non-empty string")
    if len(name) > NAME_MAX:
        raise ValueError(f"a team name has at most {NAME_MAX} characters, this one has {len(name)}")
    return name


def _check_email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except ValueError as exc:
        raise PydanticCustomError("email", "{reason}", {"reason": str(exc)}) from None


Email = Annotated[str, AfterValidator(_check_email)]
Color = Annotated[int, Strict(), Field(ge=0)]


class TeamEntry(SpecModel):
    """One team of ``teams.yaml``; the mapping key is the team's name."""

    color: Color = Field(
        description="Colour of the team: the number the API calls `color_id` (an index into the manager's "
        "palette, whose names the API does not publish). `import` writes the current ones."
    )
    members: list[Email] = Field(
        default_factory=list,
        description="Emails of the account users in the team; order does not matter. Absent or empty: "
        "the team has no members (live members are removed).",
    )


class Team(SpecModel):
    """A team in canonical form, without its members (each membership is an object of its own)."""

    color: Color


class Membership(SpecModel):
    """One user in one team: nothing to compare beyond the key."""


def team_key(name: str) -> Key:
    return (name,)


def member_key(team: str, email: str) -> Key:
    return (team, MEMBER, email)


def is_member_key(key: Key) -> bool:
    return len(key) == 3 and key[1] == MEMBER


def from_api(row: Mapping[str, Any]) -> Team:
    """A team of ``GET /1/accounts/{a}/teams`` in canonical form."""
    return Team(color=int(row["color_id"]))


def to_api(name: str, spec: Team) -> dict[str, Any]:
    """The body of ``POST /1/accounts/{a}/teams``; PATCH sends the same body without the name.

    ``color_id`` is not in the spec's request body (it documents name, owned_by_id, permissions) although
    every team has one and the manager sets it; sent as the simulator accepts it (see docs/format-account.md).
    """
    return {"name": name, "color_id": spec.color}


# -- the kind ---------------------------------------------------------------------------------------------


class TeamsKind(FilesFromLayout):
    """Teams of the account and their members."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = DIRECTORY
    spec_model: ClassVar[type[SpecModel]] = TeamEntry
    apply_order: ClassVar[int] = 60
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()
    files: ClassVar[OneFile | FilePerScope] = FILES

    # -- files (scope_files, path_for: FilesFromLayout) ---------------------------------------------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        objects: list[DesiredObject] = []
        for item in entries(
            document,
            source,
            normalize_team_name,
            not_a_mapping="teams.yaml maps team names to teams",
            document_rule="teams-document",
            key_rule="teams-name",
        ):
            name, path = item.key, item.path
            entry = source.validate(TeamEntry, item.value, path)
            if not isinstance(entry, TeamEntry):
                continue
            objects.append(DesiredObject(team_key(name), Team(color=entry.color), source.locate(path)))
            seen: set[str] = set()
            for index, email in enumerate(entry.members):
                where = (*path, "members", index)
                if email in seen:
                    source.error(where, f"{email} is listed twice in {name}", rule="teams-duplicate-member")
                    continue
                seen.add(email)
                objects.append(DesiredObject(member_key(name, email), Membership(), source.locate(where)))
        return objects

    def file_schema(self) -> dict[str, Any]:
        return mapping_schema(
            TeamEntry,
            title="Account teams (state/account/teams.yaml)",
            description="Team names mapped to their colour and members. See docs/format-account.md.",
            property_names={"minLength": 1, "maxLength": NAME_MAX},
        )

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        teams: dict[str, dict[str, Any]] = {}
        members: dict[str, list[str]] = {}
        for obj in objects:
            if is_member_key(obj.key):
                members.setdefault(obj.key[0], []).append(obj.key[2])
            elif isinstance(obj.spec, Team):
                teams[obj.key[0]] = {"color": obj.spec.color}
        document: dict[str, Any] = {}
        for name in sorted(set(teams) | set(members)):
            entry = dict(teams.get(name, {}))
            if members.get(name):
                entry["members"] = sorted(members[name])
            document[name] = entry
        return document

    def parse_key(self, text: str) -> Key:
        match = _MEMBER_KEY.fullmatch(text.strip())
        if match is not None:
            return member_key(normalize_team_name(match["team"]), normalize_email(match["email"]))
        return team_key(normalize_team_name(text))

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        """A team key takes a whole entry (``{color, members}``); a member key adds the email to its team."""
        document = editable(document, "teams.yaml is not a mapping of team names to teams")
        found = find_key(document, key[0], normalize_team_name)
        if not is_member_key(key):
            if not isinstance(entry, Mapping):
                raise ValueError("a team entry is a mapping with color and members")
            document[key[0] if found is None else found] = entry
            return document
        if found is None:
            raise ValueError(f"team {key[0]!r} is not in the file; add the team first")
        team = document[found]
        if not isinstance(team, MutableMapping):
            raise ValueError(f"team {key[0]!r} is not a mapping")
        listed = team.get("members")
        if not isinstance(listed, list):
            team["members"] = [key[2]]
        elif not any(_same_email(item, key[2]) for item in listed):
            listed.append(key[2])
        return document

    def remove_entry(self, document: Any, key: Key) -> bool:
        if not isinstance(document, MutableMapping):
            return False
        found = find_key(document, key[0], normalize_team_name)
        if found is None:
            return False
        if not is_member_key(key):
            del document[found]
            return True
        listed = document[found].get("members") if isinstance(document[found], Mapping) else None
        if not isinstance(listed, list):
            return False
        for index, item in enumerate(listed):
            if _same_email(item, key[2]):
                del listed[index]
                return True
        return False

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        if isinstance(spec, Team):
            return {"color": spec.color}
        if isinstance(spec, Membership):
            return {}
        raise TypeError(f"not a teams spec: {type(spec).__name__}")

    def format_key(self, key: Key) -> str:
        return f"{key[0]} {MEMBER} {key[2]}" if is_member_key(key) else key[0]

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        return False

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if not is_member_key(key):
            if action == "delete":
                return ["deletes the team: its members lose the product access it grants"]
            return []
        team, _, email = key
        if action == "delete":
            return [f"removes {email} from {team}: they lose the access the team grants"]
        return []

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        """Teams are made before members join them; members leave before their team is deleted."""
        if is_member_key(key):
            return 2 if action == "delete" else 3
        return {"create": 0, "update": 1, "delete": 4}[action]

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        await ctx.require_account_id()
        return [SCOPE]

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        if scope != SCOPE:
            raise PlanError(
                f"teams have one scope, {SCOPE!r} (state/account/teams.yaml); got {scope!r}\n"
                f"  use the target teams or account/teams"
            )
        account = await ctx.require_account_id()
        rows = await ctx.client.get_all(f"/1/accounts/{segment(account)}/teams")
        ids: dict[str, int] = {}
        objects: list[LiveObject] = []
        for row in rows:
            name = _live_name(row)
            if name in ids:
                raise PlanError(
                    f"two live teams are named {name!r} (ids {ids[name]} and {row['id']}); the file cannot "
                    "tell them apart\n  rename one in the Infomaniak manager"
                )
            ids[name] = int(row["id"])
            objects.append(LiveObject(team_key(name), from_api(row), native={"id": int(row["id"])}))
        ctx.cache[_ids_cache(account)] = dict(ids)
        semaphore = asyncio.Semaphore(_FETCH_CONCURRENCY)

        async def users_of(row: Mapping[str, Any]) -> list[Any]:
            if row.get("user_count") == 0:
                return []  # the list says it is empty: save the call (the rate limit is 60/min)
            async with semaphore:
                return await ctx.client.get_all(
                    f"/1/accounts/{segment(account)}/teams/{segment(row['id'])}/users"
                )

        listed = await asyncio.gather(*(users_of(row) for row in rows))
        for row, users in zip(rows, listed, strict=True):
            team = _live_name(row)
            for user in users:
                email = str(user["email"]).strip().lower()
                native = {"team_id": int(row["id"]), "user_id": int(user["id"])}
                objects.append(LiveObject(member_key(team, email), Membership(), native=native))
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
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

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        account = await ctx.require_account_id()
        if is_member_key(desired.key):
            team, _, email = desired.key
            team_id = await _team_id(ctx, account, team)
            user_id = await _user_id(ctx, account, email, desired)
            await ctx.client.post(
                f"/1/accounts/{segment(account)}/teams/{segment(team_id)}/users", json={"user_ids": [user_id]}
            )
            return
        spec = _team(desired.spec)
        created = await ctx.client.post(
            f"/1/accounts/{segment(account)}/teams", json=to_api(desired.key[0], spec)
        )
        if isinstance(created, Mapping) and "id" in created:
            ctx.cache.setdefault(_ids_cache(account), {})[desired.key[0]] = int(created["id"])

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        if is_member_key(desired.key):
            raise RuntimeError(f"teams {desired.key}: a membership has no content to update")
        account = await ctx.require_account_id()
        body = to_api(desired.key[0], _team(desired.spec))
        del body["name"]  # the key is the name: it never changes through an update
        await ctx.client.patch(
            f"/1/accounts/{segment(account)}/teams/{segment(_native(live)['id'])}", json=body
        )

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        account = await ctx.require_account_id()
        native = _native(live)
        if is_member_key(live.key):
            path = f"/1/accounts/{segment(account)}/teams/{segment(native['team_id'])}/users"
            await ctx.client.delete(path, json={"user_ids": [native["user_id"]]})
            return
        await ctx.client.delete(f"/1/accounts/{segment(account)}/teams/{segment(native['id'])}")
        ctx.cache.get(_ids_cache(account), {}).pop(live.key[0], None)


# -- helpers ----------------------------------------------------------------------------------------------


def _team(spec: SpecModel) -> Team:
    if not isinstance(spec, Team):
        raise TypeError(f"not a team spec: {type(spec).__name__}")
    return spec


def _native(live: LiveObject) -> dict[str, int]:
    if not isinstance(live.native, dict):
        raise TypeError(f"teams {live.key}: live object was not built by fetch (native={live.native!r})")
    return live.native


def _same_email(item: Any, email: str) -> bool:
    return isinstance(item, str) and item.strip().lower() == email


def _live_name(row: Mapping[str, Any]) -> str:
    # The API validated the name when it was written; only surrounding spaces need the file's treatment.
    return str(row["name"]).strip()


def _ids_cache(account: int) -> str:
    return f"teams:ids:{account}"


async def _team_id(ctx: RunContext, account: int, team: str) -> int:
    """The id of team ``team``: from this run's fetch or create, else from a fresh listing."""
    ids: dict[str, int] = ctx.cache.setdefault(_ids_cache(account), {})
    if team not in ids:
        for row in await ctx.client.get_all(f"/1/accounts/{segment(account)}/teams"):
            ids.setdefault(_live_name(row), int(row["id"]))
    if team not in ids:
        raise ApiNotFound(
            f"no team {team!r} in account {account}",
            method="GET",
            path=f"/1/accounts/{segment(account)}/teams",
        )
    return ids[team]


async def _account_users(ctx: RunContext, account: int) -> dict[str, dict[str, Any]]:
    """Users and pending users of the account by lowercased email, listed once per run."""
    key = f"account_users:{account}"
    if key not in ctx.cache:
        rows = await ctx.client.get_all(f"/2/accounts/{segment(account)}/users")
        ctx.cache[key] = {str(row["email"]).strip().lower(): row for row in rows if row.get("email")}
    users: dict[str, dict[str, Any]] = ctx.cache[key]
    return users


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
    # the plan already flagged it (see `risks`). No method/path: the message leads with the file and key.
    raise ApiNotFound(
        f"{place}: {desired.key[0]} {MEMBER} {email}: {email} {problem} "
        f"(GET /2/accounts/{account}/users)\n"
        "  invite them in the Infomaniak manager (or wait for them to accept), or fix the address"
    )


KIND = TeamsKind()
