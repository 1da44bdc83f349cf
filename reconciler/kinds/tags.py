"""Account tags, one file: ``state/account/tags.yaml`` (scope ``tags``).

The file maps a tag name to its ``color``. A key is ``(name,)``; names compare exactly (case counts,
surrounding spaces do not). ``normalize`` gives ``{"color": int}``. Products carry tags; deleting a tag that
``product_count`` says is in use is flagged risky.

Live side: ``GET /1/accounts/{a}/tags`` (one call, not paginated per the spec); writes ``POST`` the list,
``PUT`` / ``DELETE`` ``…/tags/{id}``, which the 2025 spec does not document (shared/infomaniak-api.md §2.2
cites the admin MCP's client for them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field, Strict

from reconciler.api.paths import segment
from reconciler.errors import PlanError
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
from reconciler.kinds.live import checked_name, join_notes, read_live, split_noted, with_notes
from reconciler.kinds.mapping_file import (
    KeyedFileKind,
    OneFile,
    entries,
    name_key,
)

KIND_NAME = "tags"
DIRECTORY = "account"
SCOPE = "tags"
"""The only scope: the account's tags live in one file, ``account/tags.yaml``."""
FILES = OneFile(DIRECTORY, SCOPE)

NAME_MAX = 255
"""Not documented; the simulator's limit (Laravel's default string length)."""


def normalize_tag_name(raw: object) -> str:
    """A tag name as compared and shown: surrounding spaces dropped, case kept."""
    return name_key(raw, what="a tag name", max_length=NAME_MAX)


class Tag(SpecModel):
    """One tag of ``tags.yaml``; the mapping key is the tag's name. Also the canonical form of both sides."""

    color: Annotated[int, Strict()] = Field(
        ge=0,
        description="Colour of the tag: the API's `color` number (an index into the manager's palette, "
        "whose names the API does not publish). `import` writes the current ones.",
    )


def from_api(row: Mapping[str, Any]) -> Tag:
    """A tag of ``GET /1/accounts/{a}/tags``; a colour the file rules refuse is kept as the API gave it."""
    return read_live(Tag, {"color": row.get("color")})[0]


def live_tag(row: Mapping[str, Any]) -> LiveObject:
    """A listed tag as a live object; a name or colour the file could not hold gets a note (never refused)."""
    name, name_note = checked_name(normalize_tag_name, row.get("name"))
    spec, color_note = read_live(Tag, {"color": row.get("color")})
    return LiveObject((name,), spec, native={"id": int(row["id"])}, note=join_notes(name_note, color_note))


def to_api(name: str, spec: Tag) -> dict[str, Any]:
    """The body of ``POST …/tags`` and of ``PUT …/tags/{id}`` (PUT replaces: it sends both fields)."""
    return {"name": name, "color": spec.color}


class TagsKind(KeyedFileKind):
    """Tags of the account."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = DIRECTORY
    spec_model: ClassVar[type[SpecModel]] = Tag
    apply_order: ClassVar[int] = 50
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "Account tags (state/account/tags.yaml)"
    schema_description: ClassVar[str] = "Tag names mapped to their colour. See docs/format-account.md."
    key_schema: ClassVar[dict[str, Any]] = {"minLength": 1, "maxLength": NAME_MAX}
    not_a_mapping: ClassVar[str] = "tags.yaml is not a mapping of tag names to tags"
    not_an_entry: ClassVar[str] = "a tag entry is a mapping with color"

    def __init__(self) -> None:
        # Tag name → product_count seen by the last fetch: `risks` gets normalised values only, and the
        # count must not enter them (it is not desired state). One account per process.
        self._product_counts: dict[str, int] | None = None

    # -- files (scope_files, path_for: KindBase; file_schema, parse_key, edits: KeyedFileKind) --------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        objects: list[DesiredObject] = []
        for entry in entries(
            document,
            source,
            normalize_tag_name,
            not_a_mapping="tags.yaml maps tag names to tags",
            document_rule="tags-document",
            key_rule="tags-name",
        ):
            tag = source.validate(Tag, entry.value, entry.path)
            if isinstance(tag, Tag):
                objects.append(DesiredObject((entry.key,), tag, source.locate(entry.path)))
        return objects

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        kept, left_out = split_noted(objects, self.format_key)
        tags = {obj.key[0]: _tag(obj.spec) for obj in kept}
        return with_notes({name: {"color": tags[name].color} for name in sorted(tags)}, left_out)

    def entry_key(self, raw: Any) -> str:
        return normalize_tag_name(raw)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return {"color": _tag(spec).color}

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if action != "delete":
            return []
        counts = self._product_counts
        count = None if counts is None else counts.get(key[0])
        if count is None:
            return ["deletes the tag: products that carry it lose it"]
        if count > 0:
            return [f"deletes a tag {count} product(s) carry: they lose it"]
        return []

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        await ctx.require_account_id()
        return [SCOPE]

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        if scope != SCOPE:
            raise PlanError(
                f"tags have one scope, {SCOPE!r} (state/account/tags.yaml); got {scope!r}\n"
                "  use the target tags"
            )
        account = await ctx.require_account_id()
        # get_all also copes with a paginated answer, should the API start paginating this list.
        rows = await ctx.client.get_all(f"/1/accounts/{segment(account)}/tags")
        objects: list[LiveObject] = []
        counts: dict[str, int] = {}
        for row in rows:
            live = live_tag(row)
            name = live.key[0]
            if name in counts:
                raise PlanError(
                    f"two live tags are named {name!r}; the file cannot tell them apart\n"
                    "  rename one in the Infomaniak manager"
                )
            counts[name] = int(row.get("product_count") or 0)
            objects.append(live)
        self._product_counts = counts
        return objects

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        account = await ctx.require_account_id()
        await ctx.client.post(
            f"/1/accounts/{segment(account)}/tags", json=to_api(desired.key[0], _tag(desired.spec))
        )

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        account = await ctx.require_account_id()
        body = to_api(desired.key[0], _tag(desired.spec))
        await ctx.client.put(f"/1/accounts/{segment(account)}/tags/{segment(_tag_id(live))}", json=body)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        account = await ctx.require_account_id()
        await ctx.client.delete(f"/1/accounts/{segment(account)}/tags/{segment(_tag_id(live))}")


def _tag(spec: SpecModel) -> Tag:
    if not isinstance(spec, Tag):
        raise TypeError(f"not a tag spec: {type(spec).__name__}")
    return spec


def _tag_id(live: LiveObject) -> int:
    if not isinstance(live.native, dict) or "id" not in live.native:
        raise TypeError(f"tags {live.key}: live object was not built by fetch (native={live.native!r})")
    return int(live.native["id"])


KIND = TagsKind()
