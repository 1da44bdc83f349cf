"""KindBase: the file layout answers the file questions, the optional hooks have their usual answers, and
a kind that leaves out a required part cannot be made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.kinds import Kind, KindBase, all_kinds
from reconciler.kinds.base import DesiredObject, LiveObject, SpecModel
from reconciler.kinds.mapping_file import OneFile


class Item(SpecModel):
    value: str


class Minimal(KindBase):
    """Only what a kind must say for itself."""

    name = "items"
    directory = "things"
    spec_model = Item
    apply_order = 1
    files = OneFile("things", "items")

    def parse(self, document: Any, source: Any) -> list[DesiredObject]:
        return []

    def file_schema(self) -> dict[str, Any]:
        return {}

    def render(self, objects: Any, scope: str) -> Any:
        return {}

    def parse_key(self, text: str) -> tuple[str, ...]:
        return (text,)

    def upsert_entry(self, document: Any, key: Any, entry: Any) -> Any:
        return document

    def remove_entry(self, document: Any, key: Any) -> bool:
        return False

    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return spec.model_dump()

    async def discover(self, ctx: Any) -> list[str]:
        return ["items"]

    async def fetch(self, ctx: Any, scope: str) -> list[LiveObject]:
        return []

    async def create(self, ctx: Any, scope: str, desired: DesiredObject) -> None:
        return None

    async def update(self, ctx: Any, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        return None

    async def delete(self, ctx: Any, scope: str, live: LiveObject) -> None:
        return None


def test_a_minimal_kind_satisfies_the_protocol_with_the_defaults(tmp_path: Path) -> None:
    kind = Minimal()
    assert isinstance(kind, Kind)
    assert kind.sensitive_fields == frozenset()
    assert kind.format_key(("www", "A")) == "www A"
    assert kind.is_unmanaged(("x",), "items") is False
    assert kind.risks("delete", ("x",), {"value": "a"}, None) == []
    orders = [kind.change_order(action, ("x",), []) for action in ("create", "update", "delete")]
    assert orders == [0, 1, 2]


@pytest.mark.anyio
async def test_check_finds_nothing_by_default() -> None:
    desired = [DesiredObject(("x",), Item(value="a"))]
    assert await Minimal().check(None, "items", desired, []) == []  # type: ignore[arg-type]


def test_files_come_from_the_layout(tmp_path: Path) -> None:
    kind = Minimal()
    assert kind.scope_files(tmp_path) == {}
    (tmp_path / "things").mkdir()
    (tmp_path / "things" / "items.yaml").write_text("{}\n")
    assert kind.scope_files(tmp_path) == {"items": tmp_path / "things" / "items.yaml"}
    assert kind.path_for(tmp_path, "items") == tmp_path / "things" / "items.yaml"


def test_a_kind_missing_a_required_part_cannot_be_made() -> None:
    body = {k: v for k, v in vars(Minimal).items() if k != "fetch" and not k.startswith("_")}
    no_fetch = type("NoFetch", (KindBase,), body)
    with pytest.raises(TypeError, match="fetch"):
        no_fetch()


def test_every_registered_kind_is_built_on_the_base() -> None:
    assert all(isinstance(kind, KindBase) for kind in all_kinds())


def test_custom_validation_messages_quote_the_value() -> None:
    # pydantic fills `{value}` but leaves `{value!r}` as written: the value goes into the context quoted.
    from pydantic_core import PydanticCustomError

    from reconciler.kinds import domains, mail_aliases, mail_forwarding, mail_redirects
    from reconciler.kinds.share_links import spec as share_spec

    checks = [
        (lambda: mail_redirects._target("nope"), "'nope' is not an email address"),
        (lambda: mail_forwarding._target("nope"), "'nope' is not an email address"),
        (lambda: domains._host("-bad-"), "'-bad-' is not a host name"),
        (lambda: mail_aliases._alias("a b"), "'a b' is no alias: give its local part"),
        (lambda: share_spec._to_epoch("soon"), "'soon' is not a date (2030-06-30)"),
    ]
    for call, expected in checks:
        with pytest.raises(PydanticCustomError) as caught:
            call()
        assert caught.value.message().startswith(expected), caught.value.message()
