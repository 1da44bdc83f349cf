"""gitinfo: commits, dirtiness, exporting a committed state directory, the default branch."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from reconciler.errors import SettingsError
from reconciler.gitinfo import (
    default_branch_ref,
    describe_commit,
    exported_state,
    head_commit,
    is_dirty,
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
