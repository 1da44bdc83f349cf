"""What git knows about the desired-state directory, via gitpython.

Used for: the commit a plan was computed at, refusing to apply from a dirty tree, planning the desired
state of another commit (``plan --ref``, ``drift --base``), finding the default branch, and reading the
committed version of a file (the rules in ``infomaniak.yaml`` take effect from HEAD, not the working tree).
"""

from __future__ import annotations

import os
import shlex
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from reconciler.errors import SettingsError

if TYPE_CHECKING:
    import git

DIRTY_SUFFIX = "+dirty"

# Directories exported_state() wrote: their files *are* a commit's, so their committed version is themselves.
_EXPORTS: dict[Path, str] = {}


def _may_be_in_repository(path: Path) -> bool:
    """False only when no git repository can hold ``path``, decided without importing gitpython.

    gitpython costs about 40 ms to import, which a plan outside any repository would pay for nothing. This
    is a superset of what gitpython looks for (``$GIT_DIR``, a ``.git`` entry, or a git directory itself,
    which has a ``HEAD``), so whenever it says True gitpython gives the answer.
    """
    if "GIT_DIR" in os.environ:
        return True
    for start in {path.absolute(), path.resolve()}:
        for folder in (start, *start.parents):
            if (folder / ".git").exists() or (folder / "HEAD").exists():
                return True
    return False


def _repo(path: Path) -> git.Repo | None:
    if not _may_be_in_repository(path):
        return None
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        # A state directory that does not exist yet still belongs to the repository around it.
        parent = path.parent
        if parent != path and not path.exists():
            return _repo(parent)
        return None


def _relative(repo: git.Repo, path: Path) -> str:
    root = Path(repo.working_tree_dir or ".").resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError as exc:
        raise SettingsError(f"{path} is not inside the git repository at {root}") from exc


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


@dataclass(frozen=True)
class TreeState:
    """What git says about the desired files under a state directory (see :func:`tree_state`).

    ``repository`` is the working tree's root, None when the state directory is in no git repository
    (then nothing in it is a commit). Paths are relative to that root, as ``git status`` prints them.
    """

    repository: Path | None
    commit: str | None
    changed: bool
    """Modified, staged, deleted or untracked files (``git status``), or any file before the first commit."""
    ignored: tuple[str, ...] = ()
    """Files the desired loader reads but git ignores (``.gitignore``): never part of a commit."""
    hidden: tuple[str, ...] = ()
    """Tracked desired files marked assume-unchanged or skip-worktree: git no longer compares them."""

    @property
    def dirty(self) -> bool:
        return self.changed or bool(self.ignored) or bool(self.hidden)

    def unseen(self) -> list[str]:
        """One line per desired file no commit can hold as it is: what git does with it, and the fix."""
        lines = [
            f"{file}: read by plans but ignored by git, so no commit holds it "
            f"(`git check-ignore -v {shlex.quote(file)}` names the rule); remove the rule, or delete the file"
            for file in self.ignored
        ]
        lines += [
            f"{file}: marked assume-unchanged or skip-worktree, so git does not see its edits; "
            f"`git update-index --no-assume-unchanged --no-skip-worktree {shlex.quote(file)}`"
            for file in self.hidden
        ]
        return lines


def _read_by_loader(path: PurePosixPath, patterns: list[tuple[str, ...]]) -> bool:
    # Part by part: the loader globs one folder deep (``dns/*.yaml``), so ``dns/old/x.yaml`` is not read.
    return any(
        len(parts) == len(path.parts)
        and all(fnmatchcase(name, glob) for name, glob in zip(path.parts, parts, strict=True))
        for parts in patterns
    )


def tree_state(path: Path, desired_globs: Sequence[str]) -> TreeState:
    """Whether the desired files under ``path`` are exactly a commit, and what differs when they are not.

    ``git status`` alone misses two ways a file can be read without being committed: a desired file that
    ``.gitignore`` matches (``*.yaml``, or ``state/`` itself), and a tracked one marked assume-unchanged or
    skip-worktree. Both count here, but only for files the loader reads (``dns/*.yaml``,
    ``infomaniak.yaml``…): the work directory or an editor's backup files never make a state dirty.
    ``desired_globs`` names those files relative to the state directory (the desired layer knows them).
    """
    repo = _repo(path)
    if repo is None:
        return TreeState(repository=None, commit=None, changed=path.is_dir() and any(path.iterdir()))
    try:
        root = Path(repo.working_tree_dir or ".").resolve()
        relative = _relative(repo, path)
        try:
            commit: str | None = str(repo.head.commit.hexsha)
        except ValueError:
            commit = None
        prefix = PurePosixPath(relative)
        patterns = [PurePosixPath(glob).parts for glob in desired_globs]

        def read(file: str) -> bool:
            try:
                inside = PurePosixPath(file).relative_to(prefix) if relative != "." else PurePosixPath(file)
            except ValueError:
                return False
            return _read_by_loader(inside, patterns)

        status = repo.git.status(
            "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=traditional", "--", relative
        ).split("\0")
        changed = commit is None and path.is_dir() and any(p.is_file() for p in path.rglob("*"))
        ignored: list[str] = []
        entries = iter(status)
        for entry in entries:
            if len(entry) < 4:
                continue
            code, file = entry[:2], entry[3:]
            if code[0] in "RC":
                next(entries, None)  # the rename's or copy's source path follows
            if code == "!!":
                if read(file):
                    ignored.append(file)
            else:
                changed = True
        hidden = [
            line[2:]
            for line in repo.git.ls_files("-v", "-z", "--", relative).split("\0")
            # `h` and other lower-case tags: assume-unchanged; `S`: skip-worktree.
            if len(line) > 2 and (line[0].islower() or line[0] == "S") and read(line[2:])
        ]
        return TreeState(
            repository=root, commit=commit, changed=changed, ignored=tuple(ignored), hidden=tuple(hidden)
        )
    finally:
        repo.close()


def is_dirty(path: Path, desired_globs: Sequence[str]) -> bool:
    """True when the desired files under ``path`` are not exactly a commit (see :func:`tree_state`).

    Outside a git repository nothing is a commit: True as soon as the folder holds anything (the apply
    guards name that case on its own: :func:`tree_state`'s ``repository`` is None).
    """
    return tree_state(path, desired_globs).dirty


def describe_commit(path: Path, desired_globs: Sequence[str]) -> str | None:
    """The commit the working tree's desired state was planned at; ``+dirty`` marks uncommitted edits.

    A dirty plan names its base commit honestly: ``drift`` then knows the applied desired state is not
    that commit's and does not trust it.
    """
    commit = head_commit(path)
    if commit is not None and is_dirty(path, desired_globs):
        return commit + DIRTY_SUFFIX
    return commit


@dataclass(frozen=True)
class Committed:
    """A file as committed at HEAD: its text (None when HEAD has no such file) and the commit."""

    text: str | None
    commit: str | None


def committed_text(file: Path, *, ref: str = "HEAD") -> Committed:
    """The text of ``file`` as committed at ``ref`` (HEAD by default) of the repository around it.

    Outside a repository, or before the first commit, nothing is committed: ``Committed(None, None)``.
    Inside a directory written by :func:`exported_state`, the file itself is the committed version.
    """
    resolved = file.resolve()
    for root, sha in _EXPORTS.items():
        if resolved.is_relative_to(root):
            text = resolved.read_text(encoding="utf-8") if resolved.is_file() else None
            return Committed(text, sha)
    repo = _repo(file.parent)
    if repo is None:
        return Committed(None, None)
    import git

    try:
        if ref == "HEAD":
            try:
                commit = repo.head.commit
            except ValueError:
                return Committed(None, None)
        else:
            try:
                commit = repo.commit(ref)
            except (git.BadName, git.BadObject, ValueError) as exc:
                # Failing open (the working tree's rules) would let a pull request loosen its own bar.
                raise SettingsError(
                    f"the policy base {ref!r} is not a commit of the repository at {repo.working_tree_dir}\n"
                    "  fetch it (CI: `git fetch --depth=1 origin <sha>`) or unset INFOMANIAK_POLICY_BASE"
                ) from exc
        relative = _relative(repo, file)
        try:
            blob = commit.tree / relative
        except KeyError:
            return Committed(None, str(commit.hexsha))
        if not isinstance(blob, git.Blob) or stat.S_ISLNK(blob.mode):
            return Committed(None, str(commit.hexsha))
        data: bytes = blob.data_stream.read()
        return Committed(data.decode("utf-8", errors="replace"), str(commit.hexsha))
    finally:
        repo.close()


def resolve_commit(path: Path, ref: str) -> str | None:
    """The full SHA ``ref`` names in the repository holding ``path``, or None when it names nothing."""
    repo = _repo(path)
    if repo is None:
        return None
    import git

    try:
        return str(repo.commit(ref).hexsha)
    except (git.BadName, git.BadObject, ValueError):
        return None
    finally:
        repo.close()


def default_branch_ref(path: Path) -> str | None:
    """``origin/HEAD``'s target (e.g. ``origin/main``) when the clone knows it; None otherwise."""
    repo = _repo(path)
    if repo is None:
        return None
    import git

    try:
        for remote in repo.remotes:
            if remote.name != "origin":
                continue
            for ref in remote.refs:
                if ref.remote_head == "HEAD":
                    target = ref.reference
                    return str(target.name) if target is not None else None
        return None
    except (TypeError, ValueError, git.GitCommandError):
        # A symbolic ref pointing nowhere; treat it as unknown.
        return None
    finally:
        repo.close()


def _write_tree(tree: git.Tree, dest: Path) -> None:
    import git

    for item in tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        # Symlinks and submodules could point outside the exported tree; desired state never needs them.
        if stat.S_ISLNK(item.mode):
            continue
        relative = Path(item.path).relative_to(tree.path) if tree.path else Path(item.path)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data_stream.read())


@contextmanager
def exported_state(path: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """Yield a temporary copy of the desired-state directory ``path`` as committed at ``ref``, and the SHA.

    Nothing in the working tree changes (no checkout), so this is safe with uncommitted work around.
    """
    repo = _repo(path)
    if repo is None:
        raise SettingsError(f"{path} is not in a git repository; --ref and --base need one")
    import git

    try:
        try:
            commit = repo.commit(ref)
        except (git.BadName, git.BadObject, ValueError) as exc:
            raise SettingsError(f"unknown git revision {ref!r}; use a branch, tag or commit") from exc
        relative = _relative(repo, path)
        try:
            tree = commit.tree / relative if relative not in ("", ".") else commit.tree
        except KeyError as exc:
            raise SettingsError(
                f"{relative}/ does not exist at {ref} ({commit.hexsha[:12]}); nothing to plan there"
            ) from exc
        if not isinstance(tree, git.Tree):
            raise SettingsError(f"{relative} is a file at {ref}, not a desired-state directory")
        with tempfile.TemporaryDirectory(prefix="infomaniak-gitops-ref-") as tmp:
            dest = Path(tmp) / (Path(relative).name or "state")
            dest.mkdir()
            _write_tree(tree, dest)
            _EXPORTS[dest.resolve()] = str(commit.hexsha)
            try:
                yield dest, str(commit.hexsha)
            finally:
                _EXPORTS.pop(dest.resolve(), None)
    finally:
        repo.close()
