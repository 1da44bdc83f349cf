"""``init`` on the command line: a new configuration repository, imported, committed, planning to zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git

from tests.cli.conftest import clean_env

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Init Test",
    "GIT_AUTHOR_EMAIL": "init@example.invalid",
    "GIT_COMMITTER_NAME": "Init Test",
    "GIT_COMMITTER_EMAIL": "init@example.invalid",
}


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=clean_env(**GIT_IDENTITY),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_init_import_commits_a_repository_that_plans_to_zero(tmp_path: Path) -> None:
    result = _cli(tmp_path, "--sandbox", "init", "cfg", "--import")
    assert result.returncode == 0, result.stderr
    root = tmp_path / "cfg"
    assert f"initialised a git repository in {root}" in result.stdout
    assert "imported  state/dns/example.ch.yaml" in result.stdout
    repo = git.Repo(root)
    assert not repo.is_dirty(untracked_files=True)  # everything init wrote is committed
    assert "account: 123456" in (root / "state" / "infomaniak.yaml").read_text()
    # The work directory was created by the import, and is ignored.
    assert (root / ".infomaniak-gitops").is_dir()
    assert repo.ignored(".infomaniak-gitops/sandbox.json")
    plan = _cli(root, "--sandbox", "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout
    # The Claude Desktop snippet is printed with absolute paths and parses as JSON.
    snippet = json.loads(result.stdout[result.stdout.index("{") :])
    assert snippet["mcpServers"]["infomaniak"]["args"][:2] == ["--state", str(root / "state")]


def test_init_twice_keeps_everything(tmp_path: Path) -> None:
    assert _cli(tmp_path, "init", "--account", "99").returncode == 0
    again = _cli(tmp_path, "init")
    assert again.returncode == 0, again.stderr
    outcomes = [
        line.split()[0] for line in again.stdout.splitlines() if line.endswith((".yml", ".json", ".yaml"))
    ]
    assert outcomes and set(outcomes) == {"kept"}
    assert "account: 99" in (tmp_path / "state" / "infomaniak.yaml").read_text()
    assert "initialised" not in again.stdout


def test_init_without_token_says_the_account_is_unset(tmp_path: Path) -> None:
    result = _cli(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    assert "account id is not set" in result.stderr
    assert "# account: 123456" in (tmp_path / "state" / "infomaniak.yaml").read_text()


def test_init_refuses_a_bad_account_id(tmp_path: Path) -> None:
    result = _cli(tmp_path, "init", "--account", "abc")
    assert result.returncode == 2
    assert "'abc' is not a numeric account id" in result.stderr
    assert not (tmp_path / "state").exists()
