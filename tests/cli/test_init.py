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
    assert "account id is not set" not in again.stderr  # the kept file sets it


def test_init_again_with_a_token_names_the_account_the_kept_file_lacks(tmp_path: Path) -> None:
    assert "account id is not set" in _cli(tmp_path, "init").stderr  # no token: unknown
    again = _cli(tmp_path, "--sandbox", "init")
    assert again.returncode == 0, again.stderr
    assert "sets no account id; the token sees account 123456: add `account: 123456`" in again.stderr


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


def test_init_in_a_directory_with_an_odd_name_commits_what_an_earlier_run_left(tmp_path: Path) -> None:
    name = "my accöunt ☃"
    first = _cli(tmp_path, "--sandbox", "init", name)
    assert first.returncode == 0, first.stderr
    # Nothing committed yet: the next step is the commit, and the folder is quoted for the shell.
    assert "git add -A && git commit" in first.stdout
    assert f"cd '{tmp_path / name}'" in first.stdout
    # An --import run later commits init's own files left untracked, with the import.
    again = _cli(tmp_path, "--sandbox", "init", name, "--import")
    assert again.returncode == 0, again.stderr
    assert "committed " in again.stdout
    assert "git add -A" not in again.stdout  # nothing is left to commit
    assert not git.Repo(tmp_path / name).is_dirty(untracked_files=True)


def test_init_import_in_an_existing_repository_commits_only_its_own_files(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path)
    (tmp_path / "notes.txt").write_text("a\n", encoding="utf-8")
    repo.index.add(["notes.txt"])
    repo.index.commit("start", author=git.Actor("U", "u@example.invalid"))
    (tmp_path / "notes.txt").write_text("a\nb\n", encoding="utf-8")
    repo.index.add(["notes.txt"])  # the user's staged change
    (tmp_path / ".env").write_text("SECRET=1\n", encoding="utf-8")  # and untracked files
    (tmp_path / "wip.txt").write_text("draft\n", encoding="utf-8")

    result = _cli(tmp_path, "--sandbox", "init", "--import")
    assert result.returncode == 0, result.stderr
    committed = set(repo.git.show("--name-only", "--format=", "HEAD").splitlines())
    assert "state/dns/example.ch.yaml" in committed and ".mcp.json" in committed
    assert not committed & {".env", "wip.txt", "notes.txt"}
    assert repo.git.diff("--cached", "--name-only") == "notes.txt"  # still staged, not committed
    assert {".env", "wip.txt"} <= set(repo.untracked_files)

    # Run again after editing an imported file: the edit is the user's, not the import's.
    zone = tmp_path / "state" / "dns" / "example.ch.yaml"
    zone.write_text(zone.read_text(encoding="utf-8") + "edited:\n  type: A\n  value: 192.0.2.1\n")
    head = repo.head.commit.hexsha
    again = _cli(tmp_path, "--sandbox", "init", "--import")
    assert again.returncode == 0, again.stderr
    assert "nothing new to commit" in again.stdout
    assert repo.head.commit.hexsha == head
    assert "state/dns/example.ch.yaml" in repo.git.diff("--name-only")


def test_init_inside_another_repository_says_where_workflows_run(tmp_path: Path) -> None:
    git.Repo.init(tmp_path).close()
    result = _cli(tmp_path, "init", "infra/config", "--account", "7")
    assert result.returncode == 0, result.stderr
    assert "initialised" not in result.stdout
    assert f"is inside the git repository at {tmp_path}" in result.stderr
    assert str(tmp_path / ".github" / "workflows") in result.stderr


def test_init_refuses_a_file_as_directory_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("", encoding="utf-8")
    for target, message in (
        ("afile", "afile is a file, not a directory"),
        ("afile/sub", "a part of that path is a file"),
    ):
        result = _cli(tmp_path, "init", target)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert "infomaniak-gitops init DIR" in result.stderr


def test_init_refuses_a_state_directory_it_would_ignore(tmp_path: Path) -> None:
    for args in (("--state", "elsewhere", "init", "cfg"), ("init", "cfg", "--state", "elsewhere")):
        result = _cli(tmp_path, *args)
        assert result.returncode == 1
        assert "into DIR/state; --state elsewhere does not apply to it" in result.stderr
        assert not (tmp_path / "cfg").exists()


def test_init_force_keeps_the_account_file_and_says_how_to_regenerate_it(tmp_path: Path) -> None:
    assert _cli(tmp_path, "--sandbox", "init", "cfg").returncode == 0
    config = tmp_path / "cfg" / "state" / "infomaniak.yaml"
    mine = 'account: 42\nprotect:\n  - "dns/*/@ MX"\n  - "dns/example.ch/www A"\n'
    config.write_text(mine, encoding="utf-8")
    forced = _cli(tmp_path, "init", "cfg", "--force")  # no token: the account id would have been lost
    assert forced.returncode == 0, forced.stderr
    assert config.read_text() == mine
    assert "kept  state/infomaniak.yaml" in forced.stdout
    assert "overwritten  .mcp.json" in forced.stdout
    assert "--force never rewrites state/infomaniak.yaml" in forced.stderr
    assert "delete it, then run init again" in forced.stderr
