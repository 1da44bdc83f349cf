"""Fixtures for the MCP tests: a sandbox state directory in tmp, the app, the server, and scripted humans."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import git
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext

from reconciler.mcp import McpApp, ReconcilerServer, build_server
from reconciler.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
# A value that must never appear in any tool output, whatever the tool.
SECRET = "ik-secret-token-0123456789abcdef-DO-NOT-LEAK"
ACCOUNT_FILE = "# Demo account, as the sandbox simulates it.\naccount: 123456\n"

# Both protocol eras: the 2026 multi-round-trip flow (default) and the 2025 initialize handshake.
MODES = ["auto", "legacy"]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A small state directory: our own account file and the repository's example.ch zone (with comments)."""
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    (root / "infomaniak.yaml").write_text(ACCOUNT_FILE, encoding="utf-8")
    shutil.copy(REPO / "state" / "dns" / "example.ch.yaml", root / "dns" / "example.ch.yaml")
    return root


@pytest.fixture
def settings(tmp_path: Path, state_dir: Path) -> Settings:
    env = {"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "INFOMANIAK_API_TOKEN": SECRET}
    return load_settings(state_dir=state_dir, sandbox=True, env=env, cwd=tmp_path)


@pytest.fixture
def app(settings: Settings) -> McpApp:
    return McpApp(settings, env={"INFOMANIAK_API_TOKEN": SECRET})


@pytest.fixture
def server(app: McpApp) -> ReconcilerServer:
    return build_server(app)


class Human:
    """Answers elicitations like a user would, and remembers what they were asked."""

    def __init__(self, action: str = "accept", approve: bool = True) -> None:
        self.action = action
        self.approve = approve
        self.asked: list[str] = []

    async def __call__(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        self.asked.append(params.message)
        if self.action == "accept":
            return types.ElicitResult(action="accept", content={"approve": self.approve})
        return types.ElicitResult(action="decline" if self.action == "decline" else "cancel")


def client(server: ReconcilerServer, mode: str, human: Human | None = None, **kwargs: Any) -> Client:
    """An in-memory client; with ``human`` it declares elicitation and answers through it."""
    if human is not None:
        kwargs["elicitation_callback"] = human
    return Client(server, mode=mode, **kwargs)


def text_of(result: types.CallToolResult) -> str:
    return "".join(item.text for item in result.content if isinstance(item, types.TextContent))


def data_of(result: types.CallToolResult) -> str:
    """The text without the lines that open and close the untrusted account-data block."""
    lines = text_of(result).splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(("<<account-data ", "<<end account-data ")))


def commit_all(root: Path, message: str = "Desired state") -> git.Repo:
    """A git repository at ``root`` (created if needed) with everything under it committed."""
    try:
        repo = git.Repo(root)
    except git.InvalidGitRepositoryError:
        repo = git.Repo.init(root, initial_branch="main")
        with repo.config_writer() as config:
            config.set_value("user", "name", "Test User")
            config.set_value("user", "email", "test@example.invalid")
    repo.git.add("--all", "state")
    repo.git.commit("-m", message)
    return repo
