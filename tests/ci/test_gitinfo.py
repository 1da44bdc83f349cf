"""gitinfo: commits, dirtiness, exporting a committed state directory, the default branch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from reconciler.engine import describe_commit, is_dirty, tree_state
from reconciler.errors import SettingsError
from reconciler.gitinfo import (
    default_branch_ref,
    exported_state,
    head_commit,
    resolve_commit,
)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[git.Repo]:
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "T")
        config.set_value("user", "email", "t@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    yield repo
    repo.close()


def root(repo: git.Repo) -> Path:
    return Path(str(repo.working_tree_dir))


def commit(repo: git.Repo, files: dict[str, str], message: str = "c") -> str:
    for name, text in files.items():
        path = root(repo) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    repo.git.add("--all")
    repo.git.commit("-m", message)
    return str(repo.head.commit.hexsha)


def test_outside_git(tmp_path: Path) -> None:
    state = tmp_path / "plain" / "state"
    state.mkdir(parents=True)
    assert head_commit(state) is None
    assert describe_commit(state) is None
    assert not is_dirty(state)
    assert resolve_commit(state, "HEAD") is None
    assert default_branch_ref(state) is None
    with pytest.raises(SettingsError, match="not in a git repository"), exported_state(state, "HEAD"):
        pass


def test_before_the_first_commit(repo: git.Repo) -> None:
    state = root(repo) / "state"
    assert not is_dirty(state)  # does not exist yet
    (state / "dns").mkdir(parents=True)
    (state / "dns" / "a.ch.yaml").write_text("{}\n", encoding="utf-8")
    assert head_commit(state) is None
    assert is_dirty(state)


def test_dirty_only_counts_the_state_directory(repo: git.Repo) -> None:
    sha = commit(repo, {"state/dns/a.ch.yaml": "a: 1\n", "README.md": "hi\n"})
    state = root(repo) / "state"
    assert describe_commit(state) == sha
    (root(repo) / "README.md").write_text("changed\n", encoding="utf-8")
    assert not is_dirty(state)
    (state / "dns" / "a.ch.yaml").write_text("a: 2\n", encoding="utf-8")
    assert describe_commit(state) == sha + "+dirty"


def test_export_a_commit(repo: git.Repo) -> None:
    first = commit(repo, {"state/dns/a.ch.yaml": "v: 1\n", "state/infomaniak.yaml": "account: 1\n"})
    commit(repo, {"state/dns/a.ch.yaml": "v: 2\n", "state/dns/b.ch.yaml": "v: 3\n"})
    state = root(repo) / "state"
    (state / "dns" / "a.ch.yaml").write_text("v: uncommitted\n", encoding="utf-8")
    with exported_state(state, first[:10]) as (folder, sha):
        assert sha == first
        assert (folder / "dns" / "a.ch.yaml").read_text(encoding="utf-8") == "v: 1\n"
        assert not (folder / "dns" / "b.ch.yaml").exists()
        assert (folder / "infomaniak.yaml").exists()
        kept = folder
    assert not kept.exists()  # temporary
    assert (state / "dns" / "a.ch.yaml").read_text(encoding="utf-8") == "v: uncommitted\n"  # untouched


def test_export_errors(repo: git.Repo) -> None:
    commit(repo, {"other/x.yaml": "x: 1\n", "file.yaml": "y: 1\n"})
    with (
        pytest.raises(SettingsError, match="unknown git revision"),
        exported_state(root(repo) / "other", "nope"),
    ):
        pass
    with (
        pytest.raises(SettingsError, match="does not exist at HEAD"),
        exported_state(root(repo) / "state", "HEAD"),
    ):
        pass
    with pytest.raises(SettingsError, match="is a file"), exported_state(root(repo) / "file.yaml", "HEAD"):
        pass


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_export_skips_symlinks(repo: git.Repo) -> None:
    (root(repo) / "state").mkdir()
    os.symlink("/etc/passwd", root(repo) / "state" / "evil.yaml")
    commit(repo, {"state/ok.yaml": "a: 1\n"})
    with exported_state(root(repo) / "state", "HEAD") as (folder, _):
        assert sorted(p.name for p in folder.iterdir()) == ["ok.yaml"]


def test_default_branch_of_a_clone(repo: git.Repo, tmp_path: Path) -> None:
    commit(repo, {"state/a.yaml": "a: 1\n"})
    clone = git.Repo.clone_from(str(root(repo)), tmp_path / "clone")
    try:
        assert default_branch_ref(Path(str(clone.working_tree_dir)) / "state") == "origin/main"
        assert default_branch_ref(root(repo)) is None  # no origin
    finally:
        clone.close()


def test_outside_git_any_file_is_uncommitted(tmp_path: Path) -> None:
    state = tmp_path / "plain" / "state"
    (state / "dns").mkdir(parents=True)
    (state / "dns" / "a.ch.yaml").write_text("{}\n", encoding="utf-8")
    found = tree_state(state)
    assert found.repository is None and found.commit is None
    assert is_dirty(state)


@pytest.mark.parametrize("rule", ["*.yaml", "state/", "state/dns/evil.ch.yaml", "infomaniak.yaml"])
def test_an_ignored_desired_file_is_uncommitted(repo: git.Repo, rule: str) -> None:
    commit(repo, {"state/dns/a.ch.yaml": "a: 1\n", ".gitignore": ".infomaniak-gitops/\n"})
    state = root(repo) / "state"
    (root(repo) / ".gitignore").write_text(f".infomaniak-gitops/\n{rule}\n", encoding="utf-8")
    repo.git.commit("-am", "ignore")
    sha = str(repo.head.commit.hexsha)
    assert not is_dirty(state)  # the tracked file stays tracked whatever the rule says
    name = "infomaniak.yaml" if rule == "infomaniak.yaml" else "dns/evil.ch.yaml"
    (state / name).write_text("x: 1\n", encoding="utf-8")
    found = tree_state(state)
    assert found.ignored == (f"state/{name}",)
    assert not found.changed and found.dirty
    assert describe_commit(state) == sha + "+dirty"


def test_ignored_files_the_loader_never_reads_do_not_count(repo: git.Repo) -> None:
    commit(repo, {"state/dns/a.ch.yaml": "a: 1\n", ".gitignore": "*~\n*.swp\n.infomaniak-gitops/\nnotes/\n"})
    state = root(repo) / "state"
    for name in ["dns/a.ch.yaml~", "dns/.a.ch.yaml.swp", ".infomaniak-gitops/audit.jsonl", "notes/x.yaml"]:
        (state / name).parent.mkdir(parents=True, exist_ok=True)
        (state / name).write_text("x\n", encoding="utf-8")
    assert tree_state(state).ignored == ()
    assert not is_dirty(state)


def test_a_state_at_the_repository_root_counts_its_own_files(repo: git.Repo) -> None:
    commit(repo, {"dns/a.ch.yaml": "a: 1\n", ".gitignore": "dns/b.ch.yaml\n.infomaniak-gitops/\n"})
    (root(repo) / ".infomaniak-gitops").mkdir()
    (root(repo) / ".infomaniak-gitops" / "journal.jsonl").write_text("{}\n", encoding="utf-8")
    assert not is_dirty(root(repo))
    (root(repo) / "dns" / "b.ch.yaml").write_text("b: 1\n", encoding="utf-8")
    assert tree_state(root(repo)).ignored == ("dns/b.ch.yaml",)


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_desired_file_git_no_longer_compares_is_uncommitted(repo: git.Repo, flag: str) -> None:
    commit(repo, {"state/dns/a.ch.yaml": "a: 1\n", "state/README.md": "hi\n"})
    state = root(repo) / "state"
    repo.git.update_index(flag, "state/README.md")
    assert not is_dirty(state)  # not a file the loader reads
    repo.git.update_index(flag, "state/dns/a.ch.yaml")
    (state / "dns" / "a.ch.yaml").write_text("a: 2\n", encoding="utf-8")
    assert not repo.is_dirty(untracked_files=True, path="state")  # what the old check asked
    found = tree_state(state)
    assert found.hidden == ("state/dns/a.ch.yaml",) and found.dirty


def test_a_staged_rename_is_a_change(repo: git.Repo) -> None:
    commit(repo, {"state/dns/a.ch.yaml": "a: 1\n"})
    repo.git.mv("state/dns/a.ch.yaml", "state/dns/b.ch.yaml")
    found = tree_state(root(repo) / "state")
    assert found.changed and found.ignored == ()
