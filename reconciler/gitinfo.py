"""What git knows about the desired-state directory (commit, cleanliness), via gitpython."""

from __future__ import annotations

from pathlib import Path

import git


def _repo(path: Path) -> git.Repo | None:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def head_commit(path: Path) -> str | None:
    """The commit checked out where ``path`` lives, or None outside a repository or before a commit."""
    repo = _repo(path)
    if repo is None:
        return None
    try:
        return str(repo.head.commit.hexsha)
    except ValueError:
        return None
    finally:
        repo.close()


def is_dirty(path: Path) -> bool:
    """True when files under ``path`` have uncommitted changes (untracked files included)."""
    repo = _repo(path)
    if repo is None:
        return False
    try:
        root = Path(repo.working_tree_dir or path)
        relative = str(path.resolve().relative_to(root.resolve()))
        return repo.is_dirty(untracked_files=True, path=relative)
    finally:
        repo.close()
