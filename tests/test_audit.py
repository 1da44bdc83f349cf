"""The audit log's hash chain: `audit verify` catches an edited, removed or reordered entry."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from reconciler.audit import GENESIS, AuditLog, line_hash, verify_chain


def _log(tmp_path: Path, count: int = 5) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.jsonl", secrets=["tok-0123456789abcdef"])
    for n in range(count):
        audit.write("applied", change=f"dns/example.ch/r{n} A", token="tok-0123456789abcdef")
    return audit


def _lines(audit: AuditLog) -> list[str]:
    return audit.path.read_text().splitlines()


def _save(audit: AuditLog, lines: list[str]) -> None:
    audit.path.write_text("".join(line + "\n" for line in lines))


def test_each_entry_links_to_the_one_before(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    lines = _lines(audit)
    entries = [json.loads(line) for line in lines]
    assert entries[0]["prev"] == GENESIS and entries[0]["seq"] == 1
    for before, entry in zip(lines, entries[1:], strict=False):
        assert entry["prev"] == line_hash(before)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert "tok-0123456789abcdef" not in audit.path.read_text()
    report = verify_chain(audit.path, anchor=audit.last_hash)
    assert report.ok and report.entries == 5 and report.head == audit.last_hash


def test_an_edited_entry_is_caught(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    lines = _lines(audit)
    lines[2] = lines[2].replace("r2 A", "r9 A")
    _save(audit, lines)
    report = verify_chain(audit.path)
    assert not report.ok
    assert report.problems[0].startswith("line 4 (seq 4, applied")
    assert "does not follow line 3" in report.problems[0]


def test_a_removed_entry_is_caught(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    lines = _lines(audit)
    del lines[1]
    _save(audit, lines)
    problems = verify_chain(audit.path).problems
    assert any("line 2" in p and "does not follow line 1" in p for p in problems)
    assert any("seq 3 after 1" in p for p in problems)


def test_reordered_entries_are_caught(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    lines = _lines(audit)
    lines[1], lines[2] = lines[2], lines[1]
    _save(audit, lines)
    report = verify_chain(audit.path)
    assert len(report.problems) >= 2 and "TAMPERED" in report.text()


def test_a_removed_first_entry_is_caught(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    _save(audit, _lines(audit)[1:])
    assert "entries before it were removed" in verify_chain(audit.path).problems[0]


def test_a_cut_end_is_caught_by_the_last_apply_anchor(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    anchor = audit.last_hash
    _save(audit, _lines(audit)[:-1])
    assert verify_chain(audit.path).ok  # the chain alone cannot see a cut end
    problems = verify_chain(audit.path, anchor=anchor).problems
    assert problems and "no longer in the log" in problems[0]


def test_an_edited_last_entry_is_caught_by_the_anchor(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    anchor = audit.last_hash
    lines = _lines(audit)
    lines[-1] = lines[-1].replace("r4", "r7")
    _save(audit, lines)
    assert not verify_chain(audit.path, anchor=anchor).ok


def test_entries_from_before_the_chain_are_reported_not_failed(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"time": "2026-01-01T00:00:00+00:00", "event": "applied"}\n')
    audit = AuditLog(path)
    audit.write("apply_done")
    entry = json.loads(_lines(audit)[-1])
    assert entry["seq"] == 2 and entry["prev"] == line_hash(_lines(audit)[0])
    report = verify_chain(path)
    assert report.ok and report.unchained == 1
    assert "predate the chain" in report.text()


@pytest.mark.parametrize("writers", [4])
def test_concurrent_writers_keep_one_chain(tmp_path: Path, writers: int) -> None:
    path = tmp_path / "audit.jsonl"

    def write(n: int) -> None:
        audit = AuditLog(path)
        for i in range(25):
            audit.write("applied", writer=n, i=i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_chain(path)
    assert report.ok, report.problems
    assert report.entries == writers * 25


def test_a_secret_key_is_masked_but_a_permission_flag_with_that_word_is_kept(tmp_path: Path) -> None:
    # mail_settings' default_permissions has `can_change_password`: undo needs the flag back as written.
    audit = AuditLog(tmp_path / "audit.jsonl")
    entry = audit.write("applied", before={"password": "hunter2-long", "can_change_password": False})
    assert entry["before"] == {"password": "(sensitive)", "can_change_password": False}


def test_a_line_that_is_not_utf8_is_tampering(tmp_path: Path) -> None:
    audit = _log(tmp_path)
    bad_line = len(_lines(audit)) + 1
    with audit.path.open("ab") as handle:
        handle.write(b"\xff\n")
    report = verify_chain(audit.path)
    assert not report.ok
    assert any(p.startswith(f"line {bad_line}: not UTF-8") for p in report.problems), report.problems
    assert "TAMPERED" in report.text()
