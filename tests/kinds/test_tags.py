"""The tags kind: file format, keys, the simulator-backed live side, and plan → apply → converge."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from reconciler.desired import load_desired
from reconciler.desired.yamlio import dump_yaml, load_yaml_text
from reconciler.errors import DesiredStateError, PlanError
from reconciler.kinds import all_kinds, get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.tags import KIND, Tag, TagsKind, from_api, to_api
from tests.kinds.helpers import (
    ACCOUNT,
    REPO,
    context,
    doc_yaml_examples,
    engine_run,
    lines,
    parse_clean,
    parse_errors,
    write_state,
)

FILE = "state/account/tags.yaml"
TAGS = f"/1/accounts/{ACCOUNT}/tags"


def parse(document: Any) -> list[DesiredObject]:
    return parse_clean(TagsKind(), document, FILE)


def errors_of(document: Any) -> list[tuple[tuple[str | int, ...], str, str]]:
    return parse_errors(TagsKind(), document, FILE)


def test_kind_is_registered_and_satisfies_the_protocol():
    assert isinstance(KIND, Kind)
    assert get_kind("tags") is KIND
    assert KIND in all_kinds() and (KIND.name, KIND.directory) == ("tags", "account")


def test_parse_key_and_normalise():
    objects = parse({" production ": {"color": 4}, "Staging": {"color": 2}})
    assert [(o.key, KIND.normalize(o.spec, "tags")) for o in objects] == [
        (("production",), {"color": 4}),
        (("Staging",), {"color": 2}),
    ]


def test_round_trip_yaml_spec_payload_api_spec():
    desired = Tag.model_validate({"color": 9})
    payload = to_api("archive", desired)
    assert payload == {"name": "archive", "color": 9}
    live = from_api({"id": 1, "product_count": 0, **payload})
    assert KIND.normalize(live, "tags") == KIND.normalize(desired, "tags")


def test_bad_entries_are_reported_with_their_paths():
    found = {
        (path, rule)
        for path, _, rule in errors_of(
            {"a": {"colour": 1}, "b": {"color": "4"}, "c": None, "": {"color": 1}, "d": {"color": -2}}
        )
    }
    assert found == {
        (("a", "colour"), "extra_forbidden"),
        (("a", "color"), "missing"),
        (("b", "color"), "int_type"),  # strict: a quoted number is a mistake, not a colour
        (("c",), "model_type"),
        (("",), "tags-name"),
        (("d", "color"), "greater_than_equal"),
    }
    assert errors_of(["production"])[0][2] == "tags-document"


def test_loader_errors_name_file_line_and_field(tmp_path):
    root = write_state(
        tmp_path / "state", {"account/tags.yaml": "production:\n  color: 4\nstaging:\n  colour: 2\n"}
    )
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [KIND])
    assert re.search(
        r"account/tags\.yaml:4:3: staging\.colour: unknown field \(allowed: color\)", str(caught.value)
    )


def test_keys_format_and_parse():
    assert KIND.parse_key(KIND.format_key(("New clients",))) == ("New clients",)
    assert KIND.parse_key("  prod ") == ("prod",)
    with pytest.raises(ValueError):
        KIND.parse_key("")


def test_risks_only_for_deleting_a_tag_in_use():
    kind = TagsKind()
    assert kind.risks("delete", ("x",), {"color": 1}, None) == [
        "deletes the tag: products that carry it lose it"
    ]
    kind._product_counts = {"production": 3, "archive": 0}
    assert kind.risks("delete", ("production",), {"color": 4}, None) == [
        "deletes a tag 3 product(s) carry: they lose it"
    ]
    assert kind.risks("delete", ("archive",), {"color": 9}, None) == []
    assert kind.risks("update", ("production",), {"color": 4}, {"color": 5}) == []


def test_change_order_and_render():
    changes = [("delete", ("a",)), ("update", ("b",)), ("create", ("c",))]
    assert sorted(changes, key=lambda c: KIND.change_order(c[0], c[1], changes)) == changes[::-1]
    objects = [DesiredObject(("b",), Tag(color=2)), DesiredObject(("a",), Tag(color=1))]
    assert KIND.render(objects, "tags") == {"a": {"color": 1}, "b": {"color": 2}}


def test_upsert_and_remove_entries_keep_comments():
    document = load_yaml_text("# tags\nproduction:  # live sites\n  color: 4\n", file=FILE)
    KIND.upsert_entry(document, ("staging",), {"color": 2})
    KIND.upsert_entry(document, ("production",), {"color": 5})
    text = dump_yaml(document)
    assert "# tags" in text and "staging:\n  color: 2" in text and "color: 5" in text
    assert KIND.remove_entry(document, ("staging",)) and not KIND.remove_entry(document, ("staging",))
    with pytest.raises(ValueError):
        KIND.upsert_entry(document, ("x",), 3)


def test_file_schema_accepts_the_demo_file_and_rejects_mistakes():
    schema = KIND.file_schema()
    document = load_yaml_text((REPO / "state" / "account" / "tags.yaml").read_text(), file=FILE)
    jsonschema.validate(json.loads(json.dumps(document)), schema)
    for bad in ({"t": {"colour": 1}}, {"t": {"color": "red"}}, {"t": 4}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_docs_example_parses():
    blocks = doc_yaml_examples("format-account.md", "state/account/tags.yaml")
    assert blocks, "docs/format-account.md has no tags.yaml example"
    for block in blocks:
        assert parse(load_yaml_text(block, file=FILE))


# -- live side against the simulator ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_is_one_call_and_keeps_ids(sandbox):
    ctx, recorder = context(sandbox)
    live = await KIND.fetch(ctx, "tags")
    assert [(o.key, o.spec, o.native) for o in live] == [
        (("production",), Tag(color=4), {"id": 91001}),
        (("staging",), Tag(color=2), {"id": 91002}),
        (("archive",), Tag(color=9), {"id": 91003}),
    ]
    assert [(m, p) for m, p, _ in recorder.calls] == [("GET", TAGS)]
    assert await KIND.discover(ctx) == ["tags"]


@pytest.mark.anyio
async def test_fetch_refuses_an_unknown_scope_and_twin_names(sandbox):
    ctx, _ = context(sandbox)
    with pytest.raises(PlanError, match="tags have one scope"):
        await KIND.fetch(ctx, "labels")
    sandbox.data["tags"][str(ACCOUNT)][1]["name"] = "production"
    with pytest.raises(PlanError, match="two live tags are named 'production'"):
        await KIND.fetch(ctx, "tags")


@pytest.mark.anyio
async def test_exact_calls_for_each_operation(sandbox):
    ctx, recorder = context(sandbox)
    live = {o.key: o for o in await KIND.fetch(ctx, "tags")}
    recorder.calls.clear()
    await KIND.create(ctx, "tags", DesiredObject(("clients",), Tag(color=3)))
    await KIND.update(ctx, "tags", DesiredObject(("staging",), Tag(color=7)), live[("staging",)])
    await KIND.delete(ctx, "tags", live[("archive",)])
    assert recorder.calls == [
        ("POST", TAGS, {"name": "clients", "color": 3}),
        ("PUT", f"{TAGS}/91002", {"name": "staging", "color": 7}),
        ("DELETE", f"{TAGS}/91003", None),
    ]
    after = {o.key: o.spec for o in await KIND.fetch(ctx, "tags")}
    assert after == {("production",): Tag(color=4), ("staging",): Tag(color=7), ("clients",): Tag(color=3)}


# -- through the engine ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_demo_state_plans_applies_and_converges(tmp_path, sandbox):
    write_state(
        tmp_path / "state", {"account/tags.yaml": (REPO / "state" / "account" / "tags.yaml").read_text()}
    )
    first, report, second = await engine_run(tmp_path, sandbox, ["tags"])
    assert lines(first, "tags") == ["create clients", "update staging", "delete archive"]
    assert [c.risky for c in first.changes] == [[], [], []]  # archive carries no product
    assert report is not None and report.converged
    assert second.changes == []


@pytest.mark.anyio
async def test_deleting_a_tag_in_use_is_risky_in_the_plan(tmp_path, sandbox):
    write_state(tmp_path / "state", {"account/tags.yaml": "staging:\n  color: 2\narchive:\n  color: 9\n"})
    first, _, _ = await engine_run(tmp_path, sandbox, ["account/tags"], apply=False)
    assert [(c.display_key, c.risky) for c in first.changes] == [
        ("production", ["deletes a tag 3 product(s) carry: they lose it"])
    ]


@pytest.mark.anyio
async def test_import_writes_a_file_that_plans_to_zero_changes(tmp_path, sandbox):
    ctx, _ = context(sandbox)
    [scope] = await KIND.discover(ctx)
    write_state(
        tmp_path / "state", {"account/tags.yaml": dump_yaml(KIND.render(await KIND.fetch(ctx, scope), scope))}
    )
    first, _, _ = await engine_run(tmp_path, sandbox, ["tags"], apply=False)
    assert first.changes == [] and [s.kind for s in first.scopes] == ["tags"]
