"""The rules as policy: what a working-tree edit loosens, and the committed baseline (HEAD, or defaults)."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.desired import AccountConfig
from reconciler.desired.policy import committed_baseline, loosenings, policy_of
from reconciler.errors import DesiredStateError, SettingsError
from reconciler.gitinfo import exported_state

STRICT = AccountConfig(protect=["dns/*/@ MX"], ignore=["dns/*/x TXT"], no_prune=["dns/keep.ch"])


def test_every_loosening_is_named() -> None:
    loose = AccountConfig.model_validate(
        {
            "allow": ["domains/*/dnssec"],
            "safety": {"min_existing": 1000, "max_update_fraction": 0.9, "max_delete_fraction": 0.5},
        }
    )
    reasons = loosenings(STRICT, loose, allow=True)
    assert reasons == [
        "removes the protect rule 'dns/*/@ MX': what it matched can now be deleted",
        "removes the ignore rule 'dns/*/x TXT': what it matched can now be changed or deleted",
        "removes the no_prune rule 'dns/keep.ch': live resources missing from its files are now deleted",
        "adds the allow rule 'domains/*/dnssec': once committed, guarded changes it matches pass",
        "raises safety.min_existing from 10 to 1000: the thresholds stop guarding scopes smaller than that",
        "raises safety.max_update_fraction from 30% to 90%: larger rewrites pass",
        "raises safety.max_delete_fraction from 30% to 50%: larger rewrites pass",
    ]


def test_tightening_or_reordering_loosens_nothing() -> None:
    tighter = AccountConfig.model_validate(
        {
            "protect": ["dns/*/www A", "dns/*/@ MX"],
            "ignore": ["dns/*/x TXT", "dns/*/y TXT"],
            "no_prune": ["dns/keep.ch"],
            "safety": {"min_existing": 2, "max_delete_fraction": 0.1},
        }
    )
    assert loosenings(STRICT, tighter) == []
    # An added allow rule does nothing until committed, so plans leave it out.
    assert loosenings(STRICT, AccountConfig.model_validate({**STRICT.model_dump(), "allow": ["x/y/z"]})) == []
    assert policy_of(STRICT)["protect"] == ["dns/*/@ MX"]


def test_without_a_commit_the_baseline_is_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "infomaniak.yaml").write_text("protect: []\nsafety: {min_existing: 1000}\n")
    baseline = committed_baseline(tmp_path)
    assert baseline.config == AccountConfig()
    assert "built-in defaults" in baseline.source


@pytest.fixture
def repo(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "T")
        config.set_value("user", "email", "t@example.invalid")
    return repo


def test_the_baseline_is_head_not_the_working_tree(repo: git.Repo, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "infomaniak.yaml").write_text('protect: ["dns/*/@ MX"]\n')
    repo.git.add("state")
    repo.git.commit("-m", "rules")
    (state / "infomaniak.yaml").write_text("protect: []\n")
    baseline = committed_baseline(state)
    assert baseline.config.protect == ["dns/*/@ MX"]
    assert baseline.source == f"commit infomaniak.yaml at {repo.head.commit.hexsha[:12]}"
    # An exported commit is its own committed version.
    with exported_state(state, "HEAD") as (folder, _):
        assert committed_baseline(folder).config.protect == ["dns/*/@ MX"]


def test_an_invalid_committed_file_is_a_desired_state_error(repo: git.Repo, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "infomaniak.yaml").write_text("protect: 7\n")
    repo.git.add("state")
    repo.git.commit("-m", "broken")
    with pytest.raises(DesiredStateError, match=r"infomaniak\.yaml at"):
        committed_baseline(state)


def test_baseline_at_another_revision_and_an_unknown_one(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "T")
        config.set_value("user", "email", "t@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    root = tmp_path / "state"
    root.mkdir()
    (root / "infomaniak.yaml").write_text('protect: ["dns/*/@ MX"]\n')
    repo.git.add("--all")
    repo.git.commit("-m", "strict")
    base = str(repo.head.commit.hexsha)
    (root / "infomaniak.yaml").write_text("protect: []\n")
    repo.git.commit("-am", "the pull request loosens its own rules")
    assert committed_baseline(root).config.protect == []
    at_base = committed_baseline(root, ref=base)
    assert at_base.config.protect == ["dns/*/@ MX"]
    assert base[:12] in at_base.source
    with pytest.raises(SettingsError, match="is not a commit of the repository"):
        committed_baseline(root, ref="f" * 40)
    repo.close()
