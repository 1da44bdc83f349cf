"""A minimal in-memory kind, so engine tests exercise the engine and nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from reconciler.errors import ApiUnavailable
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)


class Item(SpecModel):
    value: str = Field(description="Any text.")
    tags: list[str] = Field(default_factory=list)
    secret: str | None = None


class FakeKind:
    """Files `items/<scope>.yaml`: name -> {value, tags}; live state is a dict the test controls."""

    name: ClassVar[str] = "items"
    directory: ClassVar[str] = "items"
    spec_model: ClassVar[type[SpecModel]] = Item
    apply_order: ClassVar[int] = 50
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"secret"})

    def __init__(self, backend: dict[str, dict[str, dict[str, Any]]] | None = None) -> None:
        self.backend: dict[str, dict[str, dict[str, Any]]] = backend if backend is not None else {}
        self.calls: list[tuple[str, str, str]] = []
        self.fail_on_call: int | None = None
        self.unmanaged: set[str] = set()

    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        folder = state_dir / self.directory
        return {p.stem: p for p in folder.glob("*.yaml")} if folder.is_dir() else {}

    def path_for(self, state_dir: Path, scope: str) -> Path:
        return state_dir / self.directory / f"{scope}.yaml"

    def scope_name(self, scope: str) -> str:
        return scope

    def file_pattern(self, state_dir: Path) -> str:
        return (state_dir / self.directory / "*.yaml").as_posix()

    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        objects = []
        for name, raw in (document or {}).items():
            spec = source.validate(Item, raw, (name,))
            if spec is not None:
                objects.append(DesiredObject((str(name),), spec, source.locate((name,))))
        return objects

    def file_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": Item.model_json_schema()}

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return {o.key[0]: o.spec.model_dump(exclude_defaults=True) for o in objects}

    def parse_key(self, text: str) -> Key:
        if not text.strip():
            raise ValueError("empty key")
        return (text.strip(),)

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        if document is None:
            document = {}
        document[key[0]] = entry
        return document

    def remove_entry(self, document: Any, key: Key) -> bool:
        if document and key[0] in document:
            del document[key[0]]
            return True
        return False

    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        assert isinstance(spec, Item)
        data: dict[str, Any] = {"value": spec.value, "tags": sorted(spec.tags)}
        if spec.secret is not None:
            data["secret"] = f"fp:{len(spec.secret)}"
        return data

    def format_key(self, key: Key) -> str:
        return key[0]

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        return key[0] in self.unmanaged

    def risks(self, action: Action, key: Key, before: Any, after: Any) -> list[str]:
        return ["touches the boss"] if key[0] == "boss" else []

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        return {"delete": 0, "create": 1, "update": 2}[action]

    async def discover(self, ctx: RunContext) -> list[str]:
        return sorted(self.backend)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        return [
            LiveObject((name,), Item(value=row["value"], tags=row.get("tags", [])), native=row)
            for name, row in self.backend.get(scope, {}).items()
        ]

    def _call(self, verb: str, scope: str, name: str) -> None:
        self.calls.append((verb, scope, name))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise ApiUnavailable("simulated outage", method="POST", path=f"/items/{name}", status=500)

    async def check(self, ctx: RunContext, scope: str, desired: Any, live: Any) -> list[tuple[Any, str]]:
        return [(obj, "is forbidden by the fake backend") for obj in desired if obj.key[0] == "forbidden"]

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        self._call("create", scope, desired.key[0])
        spec = desired.spec
        assert isinstance(spec, Item)
        self.backend.setdefault(scope, {})[desired.key[0]] = {"value": spec.value, "tags": list(spec.tags)}

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        self._call("update", scope, desired.key[0])
        spec = desired.spec
        assert isinstance(spec, Item)
        self.backend[scope][desired.key[0]] = {"value": spec.value, "tags": list(spec.tags)}

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        self._call("delete", scope, live.key[0])
        del self.backend[scope][live.key[0]]
