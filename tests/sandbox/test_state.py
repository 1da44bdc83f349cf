"""The state store: the demo account, counters, and save/load round trips."""

from __future__ import annotations

import json

import pytest

from reconciler.sandbox import SandboxState


def test_demo_account_content():
    state = SandboxState.demo()
    assert [a["name"] for a in state.accounts] == ["Demo Agency Sàrl"]
    assert sorted(state.zones) == ["demo-shop.ch", "example.ch"]
    assert sum(len(z["records"]) for z in state.zones.values()) == 22
    records = state.records("example.ch")
    apex_ns = sorted(r["target"] for r in records if r["source"] == "." and r["type"] == "NS")
    assert apex_ns == ["ns41.infomaniak.com", "ns42.infomaniak.com"]
    dkim = next(r for r in records if r["source"] == "20240101._domainkey")
    assert len(dkim["target"]) > 255 and dkim["target"].startswith('"v=DKIM1;')
    ids = [r["id"] for z in state.zones.values() for r in z["records"]]
    assert len(set(ids)) == len(ids) and all(10_000_000 <= i < 100_000_000 for i in ids)
    assert max(ids) < state.data["next_id"]


def test_demo_is_a_fresh_copy_each_time():
    first = SandboxState.demo()
    first.records("example.ch").clear()
    assert len(SandboxState.demo().records("example.ch")) == 14


def test_counters_are_deterministic():
    state = SandboxState.demo()
    assert [state.new_id(), state.new_id()] == [32000001, 32000002]
    assert [state.tick(), state.tick()] == [1767225600, 1767225601]


def test_save_load_round_trip_keeps_unknown_collections(tmp_path):
    state = SandboxState.demo()
    state.data["teams"] = [{"id": 1, "name": "Security"}]
    state.data["mail_hostings"] = {"2300101": {"mailboxes": ["info"]}}
    path = tmp_path / "nested" / "dir" / "sandbox.json"
    state.save(path)
    loaded = SandboxState.load(path)
    assert loaded == state
    assert loaded.data["teams"] == [{"id": 1, "name": "Security"}]
    assert [p.name for p in path.parent.iterdir()] == ["sandbox.json"]  # no temp file left behind


def test_save_replaces_the_previous_file(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("old", encoding="utf-8")
    SandboxState.demo().save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_to_json_is_a_deep_copy():
    state = SandboxState.demo()
    exported = state.to_json()
    zones = state.to_json()["zones"]
    exported["zones"].clear()
    assert len(zones) == 2 and state.to_json()["zones"] == zones


def test_from_json_fills_missing_core_collections():
    state = SandboxState.from_json({"drives": [{"id": 4}]})
    assert state.zones == {} and state.accounts == [] and state.data["drives"] == [{"id": 4}]
    assert state.zone("example.ch") is None and state.find_record("example.ch", 1) is None


def test_from_json_rejects_non_objects():
    with pytest.raises(TypeError):
        SandboxState.from_json([1, 2])


def test_zone_lookup_ignores_case_and_trailing_dot():
    assert SandboxState.demo().zone("Example.CH.") is not None
