"""The scripted conversation of issue 4: read live DNS → set a record (comments kept) → plan → the user
approves in the client → apply → plan is empty → commit the edit on a branch of a temporary git repo."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.mcp import ReconcilerServer, ToolName
from tests.mcp.conftest import MODES, Human, client, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path: Path, state_dir: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test User")
        config.set_value("user", "email", "test@example.invalid")
    repo.git.add("state")
    repo.git.commit("-m", "Desired state")
    return repo


@pytest.mark.parametrize("mode", MODES)
async def test_conversation(repo: git.Repo, state_dir: Path, server: ReconcilerServer, mode: str) -> None:
    zone = state_dir / "dns" / "example.ch.yaml"
    comments = [line for line in zone.read_text().splitlines() if "#" in line]
    human = Human("accept")
    async with client(server, mode, human) as c:
        # 1. The assistant reads the live zone.
        live = text_of(await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns", "scope": "example.ch"}))
        assert "app:" in live and "api:" not in live

        # 2. It adds a record to the desired file; the file's comments stay.
        spec = {"type": "A", "ttl": 600, "value": "203.0.113.7"}
        edit = await c.call_tool(
            ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": spec}
        )
        assert not edit.is_error, text_of(edit)
        assert [line for line in zone.read_text().splitlines() if "#" in line] == comments

        # 3. It plans; the new record is in the plan.
        planned = await c.call_tool(ToolName.PLAN.value, {"targets": ["dns/example.ch"]})
        plan = planned.structured_content
        assert "+ api A" in plan["text"] and plan["counts"]["create"] == 2

        # 4. The user approves in the client; 5. the plan is applied and verified.
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": plan["plan_hash"]})
        assert not applied.is_error, text_of(applied)
        assert "create dns/example.ch: api A" in applied.structured_content["applied"]
        assert len(human.asked) == 1 and "+ dns/example.ch: api A" in human.asked[0]

        # 6. A new plan is empty.
        again = await c.call_tool(ToolName.PLAN.value, {})
        assert again.structured_content["plan_hash"] is None

        # 7. The edit is committed on a branch, and only the desired-state files go in.
        status = text_of(await c.call_tool(ToolName.GIT_STATUS.value, {"diff": True}))
        assert "M state/dns/example.ch.yaml" in status and "+api:" in status
        committed = await c.call_tool(
            ToolName.GIT_COMMIT.value, {"message": "dns: add api.example.ch", "branch": "dns/add-api"}
        )
        assert not committed.is_error, text_of(committed)
    result = committed.structured_content
    assert result["branch"] == "dns/add-api" and result["files"] == ["state/dns/example.ch.yaml"]
    assert repo.head.commit.hexsha == result["commit"]
    assert str(repo.head.commit.message).strip() == "dns: add api.example.ch"
    assert not repo.is_dirty(path="state", untracked_files=True)
    # The audit log and sandbox state next to the state directory stay out of the commit.
    blobs = repo.git.ls_tree("-r", "--name-only", "HEAD").splitlines()
    assert blobs and all(path.startswith("state/") for path in blobs)
