"""desired/edit: one-entry edits keep comments, refuse invalid documents, and never leave the state dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.desired.edit import check_scope, read_scope, remove_entry, scope_path, set_entry, write_scope
from reconciler.errors import DesiredStateError, SettingsError
from reconciler.kinds import get_kind

DNS = get_kind("dns")


def zone(state_dir: Path) -> Path:
    return state_dir / "dns" / "example.ch.yaml"


def test_set_replaces_one_entry_and_keeps_comments(state_dir: Path) -> None:
    before = zone(state_dir).read_text()
    result = set_entry(state_dir, DNS, "example.ch", "api A", {"ttl": 600, "value": "203.0.113.7"})
    after = zone(state_dir).read_text()
    assert result.changed and result.file == "state/dns/example.ch.yaml"
    assert "+api:" in result.diff and "+  value: 203.0.113.7" in result.diff
    # Every comment of the file survives, and the old content is still there in order.
    assert [line for line in before.splitlines() if "#" in line] == [
        line for line in after.splitlines() if "#" in line
    ]
    assert after.startswith(before)


def test_set_same_entry_twice_is_unchanged(state_dir: Path) -> None:
    set_entry(state_dir, DNS, "example.ch", "api A", {"value": "203.0.113.7"})
    again = set_entry(state_dir, DNS, "example.ch", "api A", {"value": "203.0.113.7"})
    assert not again.changed and again.diff == ""


def test_set_creates_the_file_of_a_new_scope(state_dir: Path) -> None:
    result = set_entry(state_dir, DNS, "new.ch", "www A", {"value": "198.51.100.1"})
    assert result.changed
    assert (state_dir / "dns" / "new.ch.yaml").read_text() == "www:\n  type: A\n  value: 198.51.100.1\n"


def test_invalid_value_is_refused_and_the_file_untouched(state_dir: Path) -> None:
    before = zone(state_dir).read_bytes()
    with pytest.raises(DesiredStateError) as caught:
        set_entry(state_dir, DNS, "example.ch", "api A", {"value": "not-an-ip"})
    assert "not a valid IPv4 address" in str(caught.value)
    assert zone(state_dir).read_bytes() == before


def test_entry_the_kind_rejects_is_refused_and_the_file_untouched(state_dir: Path) -> None:
    before = zone(state_dir).read_bytes()
    with pytest.raises(DesiredStateError, match="does not match the key's type"):
        set_entry(state_dir, DNS, "example.ch", "api A", {"type": "AAAA", "value": "2001:db8::1"})
    assert zone(state_dir).read_bytes() == before


def test_edit_that_breaks_another_rule_is_refused(state_dir: Path) -> None:
    # www holds a CNAME: an A at the same name would make the whole document invalid.
    before = zone(state_dir).read_bytes()
    with pytest.raises(DesiredStateError, match="CNAME cannot coexist"):
        set_entry(state_dir, DNS, "example.ch", "www A", {"value": "203.0.113.9"})
    assert zone(state_dir).read_bytes() == before


def test_malformed_key_names_the_expected_form(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="'<name> <type>'"):
        set_entry(state_dir, DNS, "example.ch", "www", {"value": "203.0.113.9"})


def test_remove_drops_one_entry_and_keeps_other_comments(state_dir: Path) -> None:
    result = remove_entry(state_dir, DNS, "example.ch", "blog CNAME")
    text = zone(state_dir).read_text()
    assert result.changed and "blog:" not in text
    assert "# shorter TTL ahead of the hosting migration" in text


def test_remove_of_a_missing_entry_is_refused(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="has no entry 'nothere A'"):
        remove_entry(state_dir, DNS, "example.ch", "nothere A")


def test_remove_in_a_missing_file_names_existing_scopes(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match=r"existing: example\.ch"):
        remove_entry(state_dir, DNS, "absent.ch", "www A")


def test_read_scope_returns_the_text_with_comments(state_dir: Path) -> None:
    file, text = read_scope(state_dir, DNS, "example.ch")
    assert file == "state/dns/example.ch.yaml" and text == zone(state_dir).read_text()


def test_write_scope_refuses_to_overwrite_unless_asked(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="overwrite=true"):
        write_scope(state_dir, DNS, "example.ch", {"www": {"type": "A", "value": "1.2.3.4"}}, overwrite=False)
    result = write_scope(
        state_dir, DNS, "example.ch", {"www": {"type": "A", "value": "1.2.3.4"}}, overwrite=True
    )
    assert result.changed


def test_write_scope_refuses_an_invalid_document(state_dir: Path) -> None:
    with pytest.raises(DesiredStateError):
        write_scope(state_dir, DNS, "other.ch", {"www": {"type": "A", "value": "x"}}, overwrite=False)
    assert not (state_dir / "dns" / "other.ch.yaml").exists()


# -- guards: each way out of the state directory gets its own test ------------------------------------


def test_scope_with_dotdot_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"'\.\.'"):
        check_scope("..")


def test_scope_with_embedded_dotdot_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"'\.\.'"):
        check_scope("example..ch")


def test_scope_with_slash_is_refused() -> None:
    with pytest.raises(SettingsError, match="is a path"):
        check_scope("../../etc/passwd")


def test_scope_with_backslash_is_refused() -> None:
    with pytest.raises(SettingsError, match="is a path"):
        check_scope("..\\secrets")


def test_absolute_scope_is_refused() -> None:
    with pytest.raises(SettingsError, match="is a path"):
        check_scope("/etc/passwd")


def test_flag_like_scope_is_refused() -> None:
    with pytest.raises(SettingsError, match="flag"):
        check_scope("-rf")


def test_hidden_scope_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"starts with '\.'"):
        check_scope(".git")


def test_empty_scope_is_refused() -> None:
    with pytest.raises(SettingsError, match="empty scope"):
        check_scope("  ")


def test_scope_with_control_characters_is_refused() -> None:
    with pytest.raises(SettingsError, match="control characters"):
        check_scope("example.ch\x00.yaml")


def test_overlong_scope_is_refused() -> None:
    with pytest.raises(SettingsError, match="limit is 253"):
        check_scope("a" * 254)


def test_flag_like_key_is_refused(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="flag"):
        set_entry(state_dir, DNS, "example.ch", "--help A", {"value": "1.2.3.4"})


def test_kind_folder_symlinked_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "linked-state"
    root.mkdir()
    os.symlink(outside, root / "dns")
    with pytest.raises(SettingsError, match="outside the state directory"):
        scope_path(root, DNS, "example.ch")


def test_a_plain_scope_stays_inside(state_dir: Path) -> None:
    assert scope_path(state_dir, DNS, "Example.CH.") == state_dir / "dns" / "example.ch.yaml"


def test_unwritable_file_is_a_desired_state_error(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, text: str) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("reconciler.desired.edit.write_text_atomic", refuse)
    with pytest.raises(DesiredStateError, match="cannot write: Permission denied"):
        set_entry(state_dir, DNS, "example.ch", "api A", {"value": "203.0.113.7"})
