"""The dirty account is the demo plus named edits; the demo itself is left untouched."""

from __future__ import annotations

from reconciler.sandbox import SandboxState
from reconciler.sandbox.dirty import ACCOUNTS, EDITS, dirty_state


def test_every_edit_changes_the_demo_and_none_leaks_into_it() -> None:
    demo = SandboxState.demo()
    for edit in EDITS:
        state = SandboxState.demo()
        edit(state)
        assert state != demo, f"{edit.__name__} changes nothing"
    assert SandboxState.demo() == demo
    assert set(ACCOUNTS) == {"demo", "dirty"}


def test_the_dirty_account_survives_a_save_and_load(tmp_path) -> None:
    dirty = dirty_state()
    dirty.save(tmp_path / "sandbox.json")
    assert SandboxState.load(tmp_path / "sandbox.json") == dirty
