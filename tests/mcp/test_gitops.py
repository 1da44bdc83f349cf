"""gitops: status and commits limited to the state directory; branch-name guards."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.errors import SettingsError
from reconciler.mcp.gitops import commit, status_text


@pytest.fixture
def repo(tmp_path: Path, state_dir: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test User")
        config.set_value("user", "email", "test@example.invalid")
    return repo


def edit(state_dir: Path) -> None:
    zone = state_dir / "dns" / "example.ch.yaml"
    zone.write_text(zone.read_text() + "api:\n  type: A\n  value: 203.0.113.7\n")


def test_status_before_the_first_commit(repo: git.Repo, state_dir: Path) -> None:
    text = status_text(state_dir, diff=True)
    assert "head: (no commits yet)" in text and "?? state/dns/example.ch.yaml" in text


def test_commit_takes_only_the_state_directory(repo: git.Repo, tmp_path: Path, state_dir: Path) -> None:
    (tmp_path / "notes.txt").write_text("someone else's work\n")
    repo.git.add("notes.txt")  # staged by another person: must stay out of our commit
    result = commit(state_dir, "Desired state")
    assert result.files == ["state/dns/example.ch.yaml", "state/infomaniak.yaml"]
    committed = sorted(repo.git.ls_tree("-r", "--name-only", "HEAD").splitlines())
    assert committed == ["state/dns/example.ch.yaml", "state/infomaniak.yaml"]
    assert "notes.txt" in repo.git.diff("--cached", "--name-only")


def test_status_shows_the_diff_of_an_edit(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    assert "changes: none (clean)" in status_text(state_dir, diff=True)
    edit(state_dir)
    text = status_text(state_dir, diff=True)
    assert "M state/dns/example.ch.yaml" in text and "+api:" in text


def test_commit_on_a_new_branch(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    edit(state_dir)
    result = commit(state_dir, "dns: add api", branch="dns/add-api")
    assert result.branch == "dns/add-api" and repo.active_branch.name == "dns/add-api"
    assert repo.heads["main"].commit.hexsha != result.commit


def test_existing_branch_is_refused(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    repo.create_head("taken")
    edit(state_dir)
    with pytest.raises(SettingsError, match="already exists"):
        commit(state_dir, "x", branch="taken")


def test_flag_like_branch_is_refused(repo: git.Repo, state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="starts with '-'"):
        commit(state_dir, "x", branch="--force")


def test_invalid_branch_name_is_refused(repo: git.Repo, state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="not a valid git branch name"):
        commit(state_dir, "x", branch="bad..name")


def test_nothing_to_commit(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    with pytest.raises(SettingsError, match="nothing to commit"):
        commit(state_dir, "again")


def test_empty_message_is_refused(repo: git.Repo, state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="empty commit message"):
        commit(state_dir, "  ")


def test_flag_like_message_is_a_message(repo: git.Repo, state_dir: Path) -> None:
    result = commit(state_dir, "--amend")
    assert str(repo.head.commit.message).strip() == "--amend" and result.files


def test_outside_a_repository(state_dir: Path) -> None:
    with pytest.raises(SettingsError, match="git init"):
        status_text(state_dir, diff=False)


def test_commit_refuses_a_loosening_of_the_rules(repo: git.Repo, state_dir: Path) -> None:
    account = state_dir / "infomaniak.yaml"
    account.write_text(account.read_text() + 'protect: ["dns/*/@ MX"]\n')
    commit(state_dir, "Desired state")
    account.write_text(account.read_text().replace('protect: ["dns/*/@ MX"]\n', ""))
    edit(state_dir)
    head = repo.head.commit.hexsha
    with pytest.raises(SettingsError, match="removes the protect rule 'dns/\\*/@ MX'"):
        commit(state_dir, "drop the MX protection")
    assert repo.head.commit.hexsha == head


def test_commit_on_a_new_branch_says_the_checkout_moved(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    edit(state_dir)
    result = commit(state_dir, "dns: add api", branch="dns/add-api")
    assert result.note.startswith("The checkout is now on branch 'dns/add-api' (it was on 'main')")


def test_commit_refuses_an_added_allow_rule(repo: git.Repo, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    account = state_dir / "infomaniak.yaml"
    account.write_text(account.read_text() + 'allow: ["domains/example.ch/dnssec"]\n')
    with pytest.raises(SettingsError, match=r"adds the allow rule 'domains/example\.ch/dnssec'"):
        commit(state_dir, "allow dnssec")


def test_status_names_desired_files_no_commit_holds(repo: git.Repo, tmp_path: Path, state_dir: Path) -> None:
    commit(state_dir, "Desired state")
    (tmp_path / ".gitignore").write_text("*.ch.yaml\n")
    repo.git.add(".gitignore")
    repo.git.commit("-m", "ignore zones")
    (state_dir / "dns" / "evil.ch.yaml").write_text("www:\n  type: A\n  value: 203.0.113.66\n")
    text = status_text(state_dir, diff=False)
    # git status alone says "clean": the file is ignored, yet every plan reads it.
    assert "changes: none (clean)" not in text
    assert "not in any commit:" in text and "state/dns/evil.ch.yaml: read by plans but ignored by git" in text
    with pytest.raises(SettingsError, match="nothing was committed"):
        commit(state_dir, "dns: evil")
