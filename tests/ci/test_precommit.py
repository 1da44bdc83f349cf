"""The pre-commit hook definition configuration repositories use: it runs a verb that exists, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from reconciler.cli import build_parser
from tests.cli.conftest import clean_env

ROOT = Path(__file__).resolve().parents[2]


def _hooks() -> list[dict[str, object]]:
    loaded = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


def test_hook_has_the_fields_pre_commit_requires() -> None:
    (hook,) = _hooks()
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["id"] == "infomaniak-gitops-validate"
    assert hook["language"] == "python"  # pre-commit installs this repository into the hook's venv
    assert hook["pass_filenames"] is False  # validate checks the whole state directory, not one file


def test_hook_entry_is_an_installed_console_script_verb() -> None:
    (hook,) = _hooks()
    command, *argv = str(hook["entry"]).split()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'{command} = "reconciler.cli:main"' in pyproject
    assert build_parser().parse_args(argv).command == "validate"


def test_hook_command_fails_on_an_invalid_file_without_a_token(tmp_path: Path) -> None:
    (tmp_path / "state" / "dns").mkdir(parents=True)
    (tmp_path / "state" / "dns" / "example.ch.yaml").write_text("www:\n  type: A\n  value: 300.1.1.1\n")
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "state/dns/example.ch.yaml:3" in result.stderr
