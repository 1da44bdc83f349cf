"""`undo` and `audit verify` from the command line, against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path


def _apply_id(stdout: str) -> str:
    found = re.search(r"Apply (\S+) complete", stdout)
    assert found, stdout
    return found.group(1)


def test_undo_goes_through_approval_and_restores_live_state(run_cli, dns_state: Path) -> None:
    applied = run_cli("--sandbox", "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    apply_id = _apply_id(applied.stdout)

    refused = run_cli("--sandbox", "undo", apply_id, stdin="yes\n")
    assert refused.returncode == 1 and "refusing to apply without approval" in refused.stderr
    assert "undo of apply" in refused.stdout and "- blog CNAME" in refused.stdout

    saved = run_cli("--sandbox", "undo", apply_id, "--out", "undo.json")
    assert saved.returncode == 0, saved.stderr
    done = run_cli("--sandbox", "apply", "undo.json")
    assert done.returncode == 0, done.stderr
    assert "Verified" in done.stdout

    # Live is back to the demo account: the desired files' changes are all planned again.
    again = run_cli("--sandbox", "plan", "--detailed-exitcode")
    assert again.returncode == 2 and "Plan: 2 to create, 2 to update, 1 to delete." in again.stdout
    nothing = run_cli("--sandbox", "undo", apply_id)
    assert nothing.returncode == 0 and "already as before" in nothing.stdout


def test_audit_verify_passes_then_catches_an_edit(run_cli, dns_state: Path, tmp_path: Path) -> None:
    assert run_cli("--sandbox", "apply", "--auto-approve").returncode == 0
    ok = run_cli("--sandbox", "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "hash chain intact" in ok.stdout

    log = tmp_path / ".infomaniak-gitops" / "audit.jsonl"
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace("dns/", "dnz/", 1)
    log.write_text("\n".join(lines) + "\n")
    bad = run_cli("--sandbox", "audit", "verify")
    assert bad.returncode == 1
    assert "TAMPERED" in bad.stderr and "line 3" in bad.stderr
