"""The parse cache: unchanged files load from it, anything else (or anything forged) is parsed again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.desired import DesiredState, Limits, load_config, load_desired, loader
from reconciler.desired.cache import CACHE_FOLDER, ParseCache
from reconciler.kinds import all_kinds

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture
def state(tmp_path: Path) -> Path:
    root = tmp_path / "state"
    shutil.copytree(REPO / "state", root)
    return root


def _entries(work: Path) -> list[Path]:
    return sorted((work / CACHE_FOLDER).rglob("*.pickle"))


def _snapshot(root: Path, work: Path) -> list[tuple[str, str, list[tuple[object, ...]]]]:
    desired = load_desired(root, all_kinds(), cache_dir=work)
    return [
        (
            scope.kind.name,
            scope.scope,
            [
                (
                    o.key,
                    o.spec,
                    o.spec.__pydantic_private__,
                    o.located.path if o.located else None,
                    o.located.line if o.located else None,
                )
                for o in scope.objects
            ],
        )
        for scope in desired.scopes
    ]


def test_unchanged_files_come_from_the_cache_with_the_same_objects(state: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    fresh = _snapshot(state, work)
    files = _entries(work)
    assert len(files) == len(fresh) + 1 > 4  # one entry per desired file, and infomaniak.yaml's
    cache = ParseCache.open(work)
    assert cache is not None
    cached = _snapshot(state, work)
    assert cached == fresh
    assert _snapshot(state, tmp_path / "no-cache-here") == fresh


def test_cache_hits_skip_the_parse(state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    load_desired(state, all_kinds(), cache_dir=work)
    parsed = load_config(state).model_dump()

    def refuse(text: str, *, file: str, limits: Limits) -> object:
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(loader, "load_yaml_fast", refuse)
    load_desired(state, all_kinds(), cache_dir=work)
    assert load_config(state, cache_dir=work).model_dump() == parsed
    zone = next((state / "dns").glob("*.yaml"))
    zone.write_text(zone.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="parsed although cached"):
        load_desired(state, all_kinds(), cache_dir=work)


def test_defaults_are_part_of_the_key(state: Path, tmp_path: Path) -> None:
    from reconciler.kinds import get_kind

    work = tmp_path / "work"
    dns = get_kind("dns")
    (state / "dns" / "bare.ch.yaml").write_text("www:\n  type: A\n  value: 192.0.2.1\n", encoding="utf-8")
    before = load_desired(state, [dns], cache_dir=work)
    config = state / "infomaniak.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "defaults:\n  ttl: 600\n", encoding="utf-8")
    after = load_desired(state, [dns], cache_dir=work)

    def ttls(desired: DesiredState) -> dict[object, int]:
        return {(s.scope, o.key): o.spec.model_dump()["ttl"] for s in desired.scopes for o in s.objects}

    assert ttls(after) != ttls(before)
    assert ttls(after) == ttls(load_desired(state, [dns]))


def test_the_account_file_is_cached_only_when_valid(state: Path, tmp_path: Path) -> None:
    from reconciler.errors import DesiredStateError

    work = tmp_path / "work"
    config = state / "infomaniak.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "no_such_setting: 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DesiredStateError, match="unknown field"):
            load_config(state, cache_dir=work)
    assert _entries(work) == []


def test_a_forged_or_foreign_entry_is_never_unpickled(state: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    fresh = _snapshot(state, work)
    for path in _entries(work):
        blob = path.read_bytes()
        path.write_bytes(blob[:32] + blob[32:].replace(b"example", b"exbmple"))
    assert _snapshot(state, work) == fresh
    # An entry a pull request commits, signed with some other key: ignored too.
    shutil.rmtree(tmp_path / "user-cache")
    assert _snapshot(state, work) == fresh


def test_other_code_versions_are_dropped_and_deleting_is_safe(state: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    stale = work / CACHE_FOLDER / "desired-0000"
    stale.mkdir(parents=True)
    (stale / "x.pickle").write_bytes(b"old")
    fresh = _snapshot(state, work)
    assert not stale.exists()
    shutil.rmtree(work / CACHE_FOLDER)
    assert _snapshot(state, work) == fresh


def test_problems_are_not_cached(tmp_path: Path) -> None:
    from reconciler.errors import DesiredStateError
    from reconciler.kinds import get_kind

    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    (root / "dns" / "example.ch.yaml").write_text("www:\n  type: A\n  value: nope\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DesiredStateError) as caught:
            load_desired(root, [get_kind("dns")], cache_dir=tmp_path / "work")
        assert caught.value.reasons[0].line == 3
    assert _entries(tmp_path / "work") == []
