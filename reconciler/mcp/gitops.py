"""Git on the desired-state repository, limited to the state directory (gitpython).

Only paths under the state directory are staged and committed, so other work in the same checkout is never
swept into a commit the assistant makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from reconciler.desired import committed_baseline, load_config, loosenings
from reconciler.engine import tree_state
from reconciler.errors import SettingsError
from reconciler.mcp.models import CommitResult


@contextmanager
def _open(state_dir: Path) -> Iterator[tuple[git.Repo, str]]:
    """The repository holding ``state_dir`` and the state directory's path inside it."""
    try:
        repo = git.Repo(state_dir, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise SettingsError(
            f"the state directory {state_dir} is not in a git repository\n"
            f"  the user can run `git init` in it (or its parent) to track the desired state"
        ) from None
    try:
        root = Path(repo.working_tree_dir or state_dir).resolve()
        relative = state_dir.resolve().relative_to(root).as_posix() or "."
        yield repo, relative
    finally:
        repo.close()


def _head(repo: git.Repo) -> str | None:
    try:
        return str(repo.head.commit.hexsha)
    except ValueError:  # no commit yet
        return None


def _branch(repo: git.Repo) -> str | None:
    try:
        return str(repo.active_branch.name)
    except TypeError:  # detached HEAD
        return None


def status_text(state_dir: Path, *, diff: bool) -> str:
    """Branch, head, changed files under the state directory, and optionally their diff."""
    with _open(state_dir) as (repo, relative):
        head = _head(repo)
        lines = [
            f"branch: {_branch(repo) or '(detached HEAD)'}",
            f"head: {head[:12] if head else '(no commits yet)'}",
            f"state directory: {relative}",
        ]
        changed = repo.git.status("--porcelain=v1", "--untracked-files=all", "--", relative)
        # Ignored or assume-unchanged desired files: git status hides them, yet plans read them.
        unseen = tree_state(state_dir).unseen()
        lines.append("changes:" if changed else "changes: none" if unseen else "changes: none (clean)")
        lines += [f"  {line}" for line in changed.splitlines()]
        if unseen:
            lines += ["desired files not in any commit:", *(f"  {line}" for line in unseen)]
        if diff and changed:
            against = ["HEAD"] if head else ["--cached"]
            text = repo.git.diff(*against, "--", relative)
            lines += ["", text or "(no diff of tracked files; untracked files are listed above as ??)"]
        return "\n".join(lines) + "\n"


def check_branch(repo: git.Repo, branch: str) -> str:
    name = branch.strip()
    if not name or name.startswith("-"):
        raise SettingsError(f"branch {branch!r} is empty or starts with '-'; give a name like dns/add-api")
    try:
        repo.git.check_ref_format("--branch", name)
    except git.GitCommandError:
        raise SettingsError(f"{name!r} is not a valid git branch name; use e.g. dns/add-api") from None
    return name


def refuse_loosened_rules(state_dir: Path) -> None:
    """An assistant never commits a loosening of the rules: the committed rules are the human's bar."""
    baseline = committed_baseline(state_dir)
    reasons = loosenings(baseline.config, load_config(state_dir), allow=True) if state_dir.is_dir() else []
    if reasons:
        listed = "\n".join(f"  {reason}" for reason in reasons)
        raise SettingsError(
            "infomaniak.yaml in the working tree loosens the committed rules, and an assistant cannot "
            f"commit that; nothing was committed\n{listed}\n"
            "  the user reviews and commits infomaniak.yaml themselves, or restores it with "
            "`git checkout -- infomaniak.yaml`"
        )


def refuse_unseen_files(state_dir: Path) -> None:
    """Desired files git ignores or does not compare: ``git add`` skips them, so the commit would not be
    the desired state that plans read, and the apply would still refuse it."""
    unseen = tree_state(state_dir).unseen()
    if unseen:
        listed = "\n".join(f"  {line}" for line in unseen)
        raise SettingsError(
            "desired files that plans read cannot be committed as they are; nothing was committed\n"
            f"{listed}\n"
            "  the user fixes this in the repository: an assistant cannot change .gitignore or git's index"
        )


def commit(state_dir: Path, message: str, *, branch: str | None = None) -> CommitResult:
    """Commit every change under the state directory, on ``branch`` (created from HEAD) when given.

    Refused when the working tree loosens the rules of infomaniak.yaml (see ``refuse_loosened_rules``), or
    holds desired files no commit can hold (see ``refuse_unseen_files``).
    """
    if not message.strip():
        raise SettingsError("empty commit message; say what the change does, e.g. 'dns: add api A record'")
    refuse_loosened_rules(state_dir)
    refuse_unseen_files(state_dir)
    with _open(state_dir) as (repo, relative):
        before = _branch(repo)
        if branch is not None:
            name = check_branch(repo, branch)
            if name != _branch(repo):
                if name in [head.name for head in repo.heads]:
                    raise SettingsError(
                        f"branch {name!r} already exists; pick a new branch name, or omit branch to commit "
                        f"on the current branch {_branch(repo) or '(detached)'}"
                    )
                repo.git.checkout("-b", name)
        repo.git.add("--all", "--", relative)
        staged = repo.git.diff("--cached", "--name-only", "--", relative).splitlines()
        if not staged:
            raise SettingsError(
                f"nothing to commit under {relative}: the desired files match the last commit"
            )
        # `commit -- paths` commits only these paths, even if other files are staged in the same checkout.
        repo.git.commit("-m", message, "--", relative)
        now = _branch(repo)
        if now != before:
            note = (
                f"The checkout is now on branch '{now}' (it was on '{before or 'a detached HEAD'}'): "
                "later edits, plans and commits happen there."
            )
        else:
            note = f"Committed on the current branch '{now or 'detached HEAD'}'."
        return CommitResult(commit=str(repo.head.commit.hexsha), branch=now, files=staged, note=note)


__all__ = ["check_branch", "commit", "refuse_loosened_rules", "refuse_unseen_files", "status_text"]
