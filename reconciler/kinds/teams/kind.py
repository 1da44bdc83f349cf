"""The :class:`TeamsKind` the engine uses, registered as :data:`KIND`: each call goes to the team or the
membership side by the key's shape."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from reconciler.errors import PlanError
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    KindBase,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.teams import members, team
from reconciler.kinds.teams import spec as teams_file
from reconciler.kinds.teams.spec import FILES, KIND_NAME, SCOPE, Membership, Team, TeamEntry, is_member_key


class TeamsKind(KindBase):
    """Teams of the account and their members."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = FILES.directory
    spec_model: ClassVar[type[SpecModel]] = TeamEntry
    apply_order: ClassVar[int] = 60
    files: ClassVar[FileLayout] = FILES

    # -- files (scope_files, path_for: KindBase) ------------------------------------------------------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return teams_file.parse_file(document, source)

    def file_schema(self) -> dict[str, Any]:
        return teams_file.file_schema()

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return teams_file.render_file(objects)

    def parse_key(self, text: str) -> Key:
        return teams_file.parse_key(text)

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        return teams_file.upsert_entry(document, key, entry)

    def remove_entry(self, document: Any, key: Key) -> bool:
        return teams_file.remove_entry(document, key)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        if isinstance(spec, Team):
            return {"color": spec.color}
        if isinstance(spec, Membership):
            return {}
        raise TypeError(f"not a teams spec: {type(spec).__name__}")

    def format_key(self, key: Key) -> str:
        return teams_file.format_key(key)

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if action != "delete":
            return []
        if is_member_key(key):
            return [f"removes {key[2]} from {key[0]}: they lose the access the team grants"]
        return ["deletes the team: its members lose the product access it grants"]

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
                "  use the target teams"
            )
        account = await ctx.require_account_id()
        rows, teams = await team.fetch_teams(ctx, account)
        memberships = await members.fetch_members(ctx, account, rows)
        # A team the file cannot hold takes its memberships with it: noted too, so never deleted alone.
        noted = {obj.key[0]: obj.note for obj in teams if obj.note}
        for obj in memberships:
            if obj.key[0] in noted and obj.note is None:
                obj.note = f"its team is kept as the API gave it ({noted[obj.key[0]]})"
        return [*teams, *memberships]

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        return await members.check_members(ctx, desired, live)

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        account = await ctx.require_account_id()
        if is_member_key(desired.key):
            await members.add_member(ctx, account, desired)
        else:
            await team.create_team(ctx, account, desired)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        if is_member_key(desired.key):
            raise RuntimeError(f"teams {desired.key}: a membership has no content to update")
        await team.update_team(ctx, await ctx.require_account_id(), desired, live)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        account = await ctx.require_account_id()
        if is_member_key(live.key):
            await members.remove_member(ctx, account, live)
        else:
            await team.delete_team(ctx, account, live)


KIND = TeamsKind()
