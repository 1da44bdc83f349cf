from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: no inherited Infomaniak settings, plus ``extra``."""
    # The per-test lock folder (tests/conftest.py) is kept: it is not a setting under test.
    keep = {"INFOMANIAK_GITOPS_LOCK_DIR"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOMANIAK") or k in keep}
    env.update(extra)
    return env


@pytest.fixture
def dns_state(tmp_path: Path) -> Path:
    """A copy of the repo's account file and DNS zones (the DNS part of the sandbox demo)."""
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    for zone in (REPO / "state" / "dns").glob("*.yaml"):
        shutil.copy(zone, root / "dns" / zone.name)
    return root


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=tmp_path,
            env=env or clean_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run
