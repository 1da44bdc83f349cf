"""Apply fails closed: nothing applies without a valid hash, a saved plan, a yes or --auto-approve."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from reconciler.cli.core import _check_clean
from reconciler.errors import ApprovalError
from reconciler.settings import load_settings
from tests.ci.conftest import Flow


@pytest.mark.parametrize(
    "args",
    [
        ["--expect-plan-hash", ""],
        ["--expect-plan-hash", "", "--auto-approve"],  # an empty lookup never falls back to auto-approve
        ["--expect-plan-hash", "abc123"],
        ["--expect-plan-hash", "A" * 64],
        ["--expect-plan-hash", "g" * 64, "--auto-approve"],
    ],
)
def test_malformed_hash_refuses_before_touching_anything(flow: Flow, args: list[str]) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    before = flow.sandbox().to_json()
    result = flow.run("apply", "--sandbox", *args)
    assert result.code == 1
    assert "is not a plan hash" in result.err
    assert flow.sandbox().to_json() == before
    assert flow.audit_events() == []


def test_wrong_hash_is_stale_and_changes_nothing(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("change")
    result = flow.run("apply", "--sandbox", "--expect-plan-hash", "0" * 64, "--auto-approve")
    assert result.code == 1
    assert "stale plan" in result.err
    assert flow.live_targets(".", "A") == ["203.0.113.10"]


def test_no_approval_without_a_terminal(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    result = flow.run("apply", "--sandbox")
    assert result.code == 1
    assert "refusing to apply without approval" in result.err
    assert flow.live_targets(".", "A") == ["203.0.113.10"]


def test_dirty_tree_is_refused_for_a_real_account(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    # No network is reached: the refusal comes before the API client is even built.
    monkeypatch.setenv("INFOMANIAK_API_TOKEN", "tok-never-used-0123456789abcdef")
    monkeypatch.setenv("INFOMANIAK_API_URL", "http://127.0.0.1:9")
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    result = flow.run("apply", "--auto-approve")
    assert result.code == 1
    assert "state has uncommitted changes" in result.err
    assert "--allow-dirty" in result.err
    (flow.root / "state" / "dns" / "new.ch.yaml").write_text("{}\n", encoding="utf-8")
    flow.repo.git.checkout("--", "state")
    untracked = flow.run("apply", "--auto-approve")  # an untracked file is uncommitted too
    assert untracked.code == 1
    assert "uncommitted" in untracked.err


def _real_account(monkeypatch: pytest.MonkeyPatch) -> None:
    # No network is reached: every refusal below comes before the API client is built.
    monkeypatch.setenv("INFOMANIAK_API_TOKEN", "tok-never-used-0123456789abcdef")
    monkeypatch.setenv("INFOMANIAK_API_URL", "http://127.0.0.1:9")


@pytest.mark.parametrize("rule", ["*.ch.yaml", "state/"])
def test_an_ignored_desired_file_is_refused_for_a_real_account(
    flow: Flow, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    _real_account(monkeypatch)
    (flow.root / ".gitignore").write_text(f"{rule}\n", encoding="utf-8")
    flow.repo.git.add(".gitignore")
    flow.repo.git.commit("-m", "ignore")
    (flow.root / "state" / "dns" / "evil.ch.yaml").write_text("records: []\n", encoding="utf-8")
    result = flow.run("apply", "--auto-approve")
    assert result.code == 1
    assert "uncommitted changes" in result.err
    assert "state/dns/evil.ch.yaml: read by plans but ignored by git" in result.err
    assert "git check-ignore -v state/dns/evil.ch.yaml" in result.err


def test_an_ignored_editor_file_does_not_block_a_real_apply(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    (flow.root / ".gitignore").write_text("*~\n.infomaniak-gitops/\n", encoding="utf-8")
    flow.repo.git.add(".gitignore")
    flow.repo.git.commit("-m", "ignore")
    (flow.root / "state" / "dns" / "example.ch.yaml~").write_text("junk\n", encoding="utf-8")
    (flow.root / ".infomaniak-gitops").mkdir(exist_ok=True)
    _check_clean(argparse.Namespace(allow_dirty=False), load_settings(sandbox=False))


def test_a_state_directory_outside_git_is_refused_for_a_real_account(
    flow: Flow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _real_account(monkeypatch)
    plain = tmp_path / "plain"
    shutil.copytree(flow.root / "state", plain / "state")
    monkeypatch.chdir(plain)
    for extra in ([], ["--allow-dirty"]):
        result = flow.run("apply", "--auto-approve", *extra)
        assert result.code == 1
        assert f"state ({(plain / 'state').resolve()}) is not in a git repository" in result.err
        assert "Next: `git init`" in result.err and "infomaniak-gitops init" in result.err
    # The sandbox stays the place to try files that are not committed anywhere.
    _check_clean(argparse.Namespace(allow_dirty=False), load_settings(sandbox=True))


def test_clean_check_exemptions(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    real = load_settings(sandbox=False)
    with pytest.raises(ApprovalError):
        _check_clean(argparse.Namespace(allow_dirty=False), real)
    _check_clean(argparse.Namespace(allow_dirty=True), real)
    # The sandbox is where edits are tried before they are committed: no refusal there.
    _check_clean(argparse.Namespace(allow_dirty=False), load_settings(sandbox=True))


def test_sandbox_apply_from_a_dirty_tree_records_it(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    result = flow.run("apply", "--sandbox", "--auto-approve")
    assert result.code == 0, result.err
    attempt = next(e for e in flow.audit_events() if e["event"] == "apply_attempt")
    assert attempt["git_commit"].endswith("+dirty")
