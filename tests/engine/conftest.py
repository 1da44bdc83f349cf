from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.engine import Session
from reconciler.settings import load_settings
from tests.engine.fakes import FakeKind

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tok-engine-0123456789abcdef0123456789abcdef"


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"engine tests must not call the API: {request.method} {request.url}")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    root = tmp_path / "state"
    (root / "items").mkdir(parents=True)
    return root


@pytest.fixture
def write_items(state_dir: Path) -> Callable[[str, str], Path]:
    def write(scope: str, text: str) -> Path:
        path = state_dir / "items" / f"{scope}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def fake_kind() -> FakeKind:
    return FakeKind({"main": {"keep": {"value": "k"}, "old": {"value": "o"}, "change": {"value": "1"}}})


@pytest.fixture
def make_session(tmp_path: Path, state_dir: Path, fake_kind: FakeKind) -> Callable[..., Session]:
    def make(**kwargs: Any) -> Session:
        settings = load_settings(
            state_dir=state_dir,
            sandbox=False,
            env={"INFOMANIAK_API_TOKEN": TOKEN, "INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")},
            cwd=tmp_path,
        )
        return Session(settings, transport=httpx.MockTransport(_no_network), kinds=[fake_kind], **kwargs)

    return make


@pytest.fixture
def demo_settings(tmp_path: Path):
    """Sandbox settings on a copy of the repository's demo state (every kind has a file)."""
    shutil.copytree(REPO / "state", tmp_path / "state")
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox=True,
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")},
        cwd=tmp_path,
    )
