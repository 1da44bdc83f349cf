from __future__ import annotations

from reconciler.desired import AccountConfig
from reconciler.engine.diff import diff_scope, field_changes
from reconciler.kinds.base import DesiredObject, LiveObject
from tests.engine.fakes import FakeKind, Item


def _desired(**items: str) -> list[DesiredObject]:
    return [DesiredObject((k,), Item(value=v)) for k, v in items.items()]


def _live(**items: str) -> list[LiveObject]:
    return [LiveObject((k,), Item(value=v)) for k, v in items.items()]


def test_field_changes_reports_set_additions_and_removals() -> None:
    changes = field_changes({"values": ["a", "b"], "ttl": 60}, {"values": ["b", "c"], "ttl": 60})
    assert len(changes) == 1
    assert changes[0].path == "values"
    assert changes[0].added == ["c"]
    assert changes[0].removed == ["a"]


def test_field_changes_recurses_into_dicts_and_reports_unset() -> None:
    changes = field_changes({"spam": {"move": True}, "x": 1}, {"spam": {"move": False}, "y": 2})
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("spam.move", True, False),
        ("x", 1, None),
        ("y", None, 2),
    ]


def test_diff_creates_updates_deletes_and_skips_equal() -> None:
    changes, summary = diff_scope(
        FakeKind(),
        "main",
        "f.yaml",
        _desired(a="1", b="2", c="3"),
        _live(b="2", c="x", d="4"),
        AccountConfig(),
    )
    assert [(c.action, c.display_key) for c in changes] == [("delete", "d"), ("create", "a"), ("update", "c")]
    assert (summary.create, summary.update, summary.delete) == (1, 1, 1)
    update = changes[2]
    assert [(f.path, f.before, f.after) for f in update.fields] == [("value", "x", "3")]


def test_unmanaged_ignored_and_no_prune_keep_live_only_resources() -> None:
    kind = FakeKind()
    kind.unmanaged = {"ns"}
    config = AccountConfig(ignore=["items/main/acme*"])
    changes, summary = diff_scope(kind, "main", "f", [], _live(ns="1", acme1="2", other="3"), config)
    assert [c.display_key for c in changes] == ["other"]
    assert summary.kept_unmanaged == 2
    no_prune = AccountConfig(no_prune=["items/main"])
    changes, _ = diff_scope(kind, "main", "f", [], _live(other="3"), no_prune)
    assert changes == []


def test_protect_rule_blocks_delete_and_risks_are_attached() -> None:
    config = AccountConfig(protect=["items/main/boss"])
    changes, _ = diff_scope(FakeKind(), "main", "f", [], _live(boss="1"), config)
    assert changes[0].blocked and "protect" in changes[0].blocked
    assert changes[0].risky == ["touches the boss"]


def test_threshold_verdict_above_share_of_existing() -> None:
    live = _live(**{f"r{i}": "v" for i in range(10)})
    desired = _desired(**{f"r{i}": "v" for i in range(6)})
    _, summary = diff_scope(FakeKind(), "main", "f", desired, live, AccountConfig())
    assert summary.unsafe is not None and "delete 4 of 10" in summary.unsafe
    _, small = diff_scope(FakeKind(), "main", "f", [], _live(a="1"), AccountConfig())
    assert small.unsafe is None


def test_sensitive_fields_are_redacted_but_hashed() -> None:
    want = [DesiredObject(("s",), Item(value="v", secret="hunter2-long-secret"))]
    changes, _ = diff_scope(FakeKind(), "main", "f", want, [], AccountConfig())
    assert changes[0].after is not None
    assert changes[0].after["secret"] == "(sensitive)"
    assert changes[0].hash_form()["after"]["secret"] == "fp:19"
    assert "hunter2" not in changes[0].model_dump_json()
