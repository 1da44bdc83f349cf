"""Whether the desired files are exactly a commit: git's answer, for the files the loader reads.

gitinfo knows git, the desired layer knows which files are desired files; the engine joins the two so the
fronts ask one question (the layer contract keeps gitinfo below desired and kinds).
"""

from __future__ import annotations

from pathlib import Path

from reconciler import gitinfo
from reconciler.desired import desired_globs
from reconciler.kinds import all_kinds


def tree_state(path: Path) -> gitinfo.TreeState:
    """:func:`reconciler.gitinfo.tree_state` for every kind's files and ``infomaniak.yaml``."""
    return gitinfo.tree_state(path, desired_globs(all_kinds()))


def is_dirty(path: Path) -> bool:
    return tree_state(path).dirty


def describe_commit(path: Path) -> str | None:
    """The commit the desired files were planned at, ``+dirty`` when they are not exactly that commit."""
    return gitinfo.describe_commit(path, desired_globs(all_kinds()))


__all__ = ["describe_commit", "is_dirty", "tree_state"]
