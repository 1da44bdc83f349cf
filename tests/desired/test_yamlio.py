"""yamlio's atomic write: readers see the old or the new file, and the file's mode is an ordinary one."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.desired.yamlio import write_text_atomic


@pytest.fixture
def umask() -> Iterator[int]:
    chosen = 0o027
    before = os.umask(chosen)
    try:
        yield chosen
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "dns" / "example.ch.yaml"
    write_text_atomic(path, "a: 1\n")
    assert path.read_text(encoding="utf-8") == "a: 1\n"
    # What `open()` or an editor would give (0640 here), not mkstemp's private 0600.
    assert mode(path) == 0o666 & ~umask == 0o640


@pytest.mark.parametrize("before", [0o644, 0o600, 0o664])
def test_a_rewritten_file_keeps_its_mode(tmp_path: Path, umask: int, before: int) -> None:
    path = tmp_path / "example.ch.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    path.chmod(before)
    write_text_atomic(path, "a: 2\n")
    assert path.read_text(encoding="utf-8") == "a: 2\n"
    assert mode(path) == before


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    path = tmp_path / "example.ch.yaml"
    write_text_atomic(path, "a: 1\n")
    write_text_atomic(path, "a: 2\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.ch.yaml"]
