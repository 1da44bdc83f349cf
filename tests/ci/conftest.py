"""A desired-state git repository imported from the sandbox's demo account, and the CLI run in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.cli import main
from reconciler.sandbox import SandboxState

ZONE = "example.ch"
ZONE_FILE = Path("state/dns/example.ch.yaml")
BOT = "github-actions[bot]"


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Flow:
    """The temporary repository, its sandbox home, and helpers to drive them."""

    root: Path
    home: Path
    repo: git.Repo
    run: Callable[..., Result]

    @property
    def zone_file(self) -> Path:
        return self.root / ZONE_FILE

    def commit_all(self, message: str) -> str:
        self.repo.git.add("--all", "state")
        self.repo.git.commit("-m", message)
        return str(self.repo.head.commit.hexsha)

    def edit_zone(self, old: str, new: str) -> None:
        text = self.zone_file.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {self.zone_file}"
        self.zone_file.write_text(text.replace(old, new, 1), encoding="utf-8")

    def sandbox(self) -> SandboxState:
        return SandboxState.load(self.home / "sandbox.json")

    def set_live(self, source: str, rtype: str, old: str, new: str) -> None:
        """Change one record of the sandbox account directly, as someone in the Infomaniak manager would."""
        state = self.sandbox()
        for record in state.records(ZONE):
            if record["source"] == source and record["type"] == rtype and record["target"] == old:
                record["target"] = new
                break
        else:
            raise AssertionError(f"no live {source} {rtype} {old}")
        state.save(self.home / "sandbox.json")

    def live_targets(self, source: str, rtype: str) -> list[str]:
        return sorted(
            r["target"] for r in self.sandbox().records(ZONE) if r["source"] == source and r["type"] == rtype
        )

    def audit_events(self) -> list[dict[str, Any]]:
        path = self.home / "audit.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def bot_comments(self, body: str, *, comment_id: int = 7) -> Path:
        """The GitHub comments API answer for a pull request carrying ``body`` as the bot's comment."""
        path = self.root.parent / f"comments-{comment_id}.json"
        noise = {"id": 1, "user": {"login": "octocat"}, "body": "LGTM"}
        mine = {"id": comment_id, "user": {"login": BOT}, "body": body, "html_url": f"https://x/{comment_id}"}
        path.write_text(json.dumps([noise, mine]), encoding="utf-8")
        return path


@pytest.fixture
def flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Flow]:
    root = tmp_path / "config-repo"
    home = tmp_path / "home"
    root.mkdir()
    for name in ("INFOMANIAK_API_TOKEN", "INFOMANIAK_STATE_DIR", "INFOMANIAK_SANDBOX", "INFOMANIAK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INFOMANIAK_GITOPS_HOME", str(home))
    monkeypatch.chdir(root)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Reviewer")
        config.set_value("user", "email", "reviewer@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    imported = run("import", "--sandbox", "dns", ZONE)
    assert imported.code == 0, imported.err
    result = Flow(root=root, home=home, repo=repo, run=run)
    result.commit_all("Import example.ch from the account")
    try:
        yield result
    finally:
        repo.close()
