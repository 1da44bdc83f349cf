"""The README's sandbox path runs as written: init, plan, edit, commit, apply, plan again to zero.

The block is taken from README.md itself (the one after the ``tests/test_readme.py runs the next block``
marker) and run by bash in an empty folder, with ``infomaniak-gitops`` on PATH as the installed command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest

from reconciler.engine import mcp_config
from tests.cli.conftest import clean_env

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "<!-- tests/test_readme.py runs the next block -->"

pytestmark = pytest.mark.e2e


def readme_block(marker: str = MARKER) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(marker) + r"\n```sh\n(.*?)\n```", text, re.DOTALL)
    assert found, f"README.md has no ```sh block right after {marker!r}"
    return found.group(1)


def _command_on_path(folder: Path) -> Path:
    """``infomaniak-gitops`` as an install puts it on PATH, running this checkout's code."""
    folder.mkdir()
    command = folder / "infomaniak-gitops"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    return folder


def test_the_readme_sandbox_path_runs_as_written(tmp_path: Path) -> None:
    block = readme_block()
    bin_dir = _command_on_path(tmp_path / "bin")
    work = tmp_path / "work"
    work.mkdir()
    env = clean_env(
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        GIT_AUTHOR_NAME="Readme Test",
        GIT_AUTHOR_EMAIL="readme@example.invalid",
        GIT_COMMITTER_NAME="Readme Test",
        GIT_COMMITTER_EMAIL="readme@example.invalid",
    )
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # What the block's comments promise, in order: zero, the new record, applied, zero again.
    expected = [
        "committed ",
        "No changes.",
        "+ blog CNAME  (create)",
        "1 change(s) applied",
        "Verified: live state now matches the desired state.",
        "No changes.",
    ]
    position = 0
    for text in expected:
        found = result.stdout.find(text, position)
        assert found >= 0, f"{text!r} missing after offset {position}:\n{output}"
        position = found + len(text)
    repo = git.Repo(work / "demo-config")
    assert repo.head.commit.message.strip() == "A blog"
    assert not repo.is_dirty(untracked_files=True)


def test_the_readme_inspector_commands_name_the_server_init_writes() -> None:
    # The Inspector needs Node and the network, so the suite cannot run it; tests/mcp/test_mcp_json.py
    # starts the same .mcp.json with the Python SDK's client. Here: the README's commands point at it.
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"npx -y @modelcontextprotocol/inspector --cli (.*?)(?:\\\n|\n)", text)
    assert len(commands) == 2, commands
    (server,) = mcp_config("infomaniak-gitops", sandbox=True)["mcpServers"]
    for command in commands:
        assert f"--config .mcp.json --server {server}" in command
