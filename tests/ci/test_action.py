"""The composite action's own scripts, run with bash against the sandbox and a fake `gh`.

The plan step posts then updates ONE comment; the apply step reads the hash back from the merged pull
request and applies it; every missing or doubtful piece stops the job before `apply` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import reconciler
from tests.ci.conftest import Flow

ROOT = Path(__file__).resolve().parents[2]
ACTION = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
SCRIPTS = {step["id"]: step["run"] for step in ACTION["runs"]["steps"] if "run" in step and "id" in step}
BOT = "github-actions[bot]"

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name == "nt", reason="bash scripts")]


@dataclass
class Step:
    code: int
    out: str
    err: str
    outputs: dict[str, str]


class Runner:
    """Runs one step of action.yml the way the runner would: bash -e, env from the step, files for outputs."""

    def __init__(self, flow: Flow, tmp: Path) -> None:
        self.flow = flow
        self.tmp = tmp
        self.bin = tmp / "bin"
        self.bin.mkdir(parents=True)
        self.state = tmp / "gh-state.json"
        self.state.write_text(json.dumps({"comments": {}, "pulls": {}, "next_id": 100, "calls": []}))
        source = Path(reconciler.__file__).resolve().parents[1]
        (self.bin / "infomaniak-gitops").write_text(
            f'#!/bin/sh\nPYTHONPATH="{source}" exec "{sys.executable}" -m reconciler "$@"\n'
        )
        (self.bin / "gh").write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).parent / "fake_gh.py"}" "$@"\n'
        )
        for name in ("infomaniak-gitops", "gh"):
            (self.bin / name).chmod(0o755)
        (self.bin / "python").symlink_to(sys.executable)

    def gh(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state.read_text())
        return data

    def comment(self, pr: int, body: str) -> None:
        data = self.gh()
        data["comments"].setdefault(str(pr), []).append({"id": 50, "user": {"login": BOT}, "body": body})
        self.state.write_text(json.dumps(data))

    def merged(self, sha: str, *numbers: int) -> None:
        data = self.gh()
        data["pulls"][sha] = [{"number": n, "merged_at": "2026-01-01T00:00:00Z"} for n in numbers]
        data["pulls"][sha].append({"number": 99, "merged_at": None})  # an open PR containing the commit
        self.state.write_text(json.dumps(data))

    def run(self, step: str, **env: str) -> Step:
        outputs = self.tmp / f"output-{step}"
        outputs.write_text("")
        base = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.tmp),
            "FAKE_GH_STATE": str(self.state),
            "GITHUB_REPOSITORY": "acme/dns-config",
            "GITHUB_SHA": str(self.flow.repo.head.commit.hexsha),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md"),
            "RUNNER_TEMP": str(self.tmp / "runner"),
            "INFOMANIAK_STATE_DIR": "state",
            "INFOMANIAK_SANDBOX": "true",
            "INFOMANIAK_GITOPS_HOME": str(self.flow.home),
            "GH_TOKEN": "ghs_fake_github_token",
            "ACCOUNT": "state",
            "COMMENT": "true",
            "COMMENT_AUTHOR": BOT,
            "PR_NUMBER": "",
            "PLAN_HASH": "",
            "POLICY_BASE": "",
            "PUSH_BEFORE": "",
            "RUN_URL": "https://github.invalid/acme/dns-config/actions/runs/1",
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", SCRIPTS[step]],
            cwd=self.flow.root,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        pairs = (line.partition("=") for line in outputs.read_text().splitlines() if line)
        return Step(done.returncode, done.stdout, done.stderr, {k: v for k, _, v in pairs})


@pytest.fixture
def runner(flow: Flow, tmp_path: Path) -> Runner:
    return Runner(flow, tmp_path / "action")


def test_plan_comment_then_apply_on_merge(flow: Flow, runner: Runner) -> None:
    flow.repo.git.checkout("-b", "apex")
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("Move the apex")

    first = runner.run("plan", PR_NUMBER="12")
    assert first.code == 0, first.err
    assert first.outputs["has-changes"] == "true"
    planned = first.outputs["plan-hash"]
    again = runner.run("plan", PR_NUMBER="12")  # a re-run (new push) updates the same comment
    assert again.code == 0, again.err
    comments = runner.gh()["comments"]["12"]
    assert len(comments) == 1
    assert [m for m, _ in runner.gh()["calls"] if m in ("POST", "PATCH")] == ["POST", "PATCH"]
    assert comments[0]["body"].startswith("<!-- infomaniak-gitops:comment id=state -->")
    assert f"plan_hash={planned}" in comments[0]["body"]
    assert "ghs_fake_github_token" not in comments[0]["body"]

    flow.repo.git.checkout("main")
    flow.repo.git.merge("--no-ff", "apex", "-m", "Merge pull request #12")
    runner.merged(str(flow.repo.head.commit.hexsha), 12)
    applied = runner.run("apply")
    assert applied.code == 0, applied.err
    assert applied.outputs["plan-hash"] == planned
    assert flow.live_targets(".", "A") == ["203.0.113.99"]

    # After a live change the drift job fails with exit 2 (in-process tests cover the no-drift case).
    flow.set_live("app", "A", "203.0.113.21", "203.0.113.77")
    drift = runner.run("drift")
    assert drift.code == 2
    assert drift.outputs["drift"] == "true"
    assert "Live moved" in drift.out


def test_apply_refuses_without_exactly_one_merged_pull_request(flow: Flow, runner: Runner) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    sha = flow.commit_all("Pushed straight to main")
    result = runner.run("apply")
    assert result.code == 1
    assert "not the merge of exactly one pull request (found: none)" in result.out
    runner.merged(sha, 12, 13)
    assert runner.run("apply").code == 1
    assert flow.live_targets(".", "A") == ["203.0.113.10"]
    assert not [e for e in flow.audit_events() if e["event"] in ("apply_attempt", "refused")]


def test_failed_plan_leaves_nothing_to_apply(flow: Flow, runner: Runner) -> None:
    flow.repo.git.checkout("-b", "apex")
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("Move the apex")
    # The comment an earlier, successful plan run left (see the test above for how it is written).
    runner.comment(
        13,
        "<!-- infomaniak-gitops:comment id=state -->\n"
        + flow.run("plan", "--sandbox", "--format", "markdown").out,
    )
    flow.edit_zone("ttl: 600", "ttl: [not a number")  # the next push breaks the YAML
    flow.commit_all("Broken")
    failed = runner.run("plan", PR_NUMBER="13")
    assert failed.code == 1
    comments = runner.gh()["comments"]["13"]
    assert len(comments) == 1
    assert "The plan failed" in comments[0]["body"]
    assert "plan_hash=" not in comments[0]["body"]  # the old hash is gone

    flow.repo.git.checkout("main")
    flow.repo.git.merge("--no-ff", "apex", "-m", "Merge pull request #13")
    runner.merged(str(flow.repo.head.commit.hexsha), 13)
    result = runner.run("apply")
    assert result.code == 1
    assert "no plan marker" in result.err
    assert flow.live_targets(".", "A") == ["203.0.113.10"]


def test_explicit_plan_hash_is_validated(flow: Flow, runner: Runner) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("change")
    result = runner.run("apply", PLAN_HASH="$(echo injected)")
    assert result.code == 1
    assert "is not a plan hash" in result.err
    assert runner.gh()["calls"] == []  # the given hash is used as is: no lookup
    assert flow.live_targets(".", "A") == ["203.0.113.10"]


def test_a_pull_request_loosening_the_rules_is_planned_as_a_policy_change_and_applies_on_merge(
    flow: Flow, runner: Runner
) -> None:
    base = str(flow.repo.head.commit.hexsha)
    flow.repo.git.checkout("-b", "loosen")
    (flow.root / "state" / "infomaniak.yaml").write_text("safety:\n  max_delete_fraction: 1.0\n")
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("Allow large deletes")

    # Measured against its own commit the loosening would be invisible; against the base it is the
    # first, risky change of the comment.
    planned = runner.run("plan", PR_NUMBER="21", POLICY_BASE=base)
    assert planned.code == 0, planned.err
    body = runner.gh()["comments"]["21"][0]["body"]
    assert "max_delete_fraction from 30% to 100%" in body
    assert body.index("policy") < body.index("203.0.113.99")

    flow.repo.git.checkout("main")
    flow.repo.git.merge("--no-ff", "loosen", "-m", "Merge pull request #21")
    runner.merged(str(flow.repo.head.commit.hexsha), 21)
    applied = runner.run("apply", PUSH_BEFORE=base)
    assert applied.code == 0, applied.err
    assert applied.outputs["plan-hash"] == planned.outputs["plan-hash"]
    assert flow.live_targets(".", "A") == ["203.0.113.99"]


def test_an_unknown_policy_base_fails_closed(flow: Flow, runner: Runner) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("change")
    result = runner.run("plan", PR_NUMBER="22", POLICY_BASE="f" * 40)
    assert result.code == 1
    assert f"cannot fetch the pull request's base {'f' * 40}" in result.out
    assert runner.gh()["comments"] == {}  # no plan comment without the rules in force
    assert flow.live_targets(".", "A") == ["203.0.113.10"]
