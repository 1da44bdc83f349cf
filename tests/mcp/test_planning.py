"""The trust boundary over MCP: the rules come from the committed files and the approval mode from the
launch configuration, so an out-of-band edit of infomaniak.yaml cannot lower the bar for its own apply; and
what is applied to a real account is a commit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.mcp import McpApp, ReconcilerServer, ToolName, build_server
from reconciler.mcp.approval import APPROVAL_MODE_ENV
from reconciler.sandbox import SANDBOX_TOKEN, SandboxState, create_app
from reconciler.settings import load_settings
from tests.mcp.conftest import ACCOUNT_FILE, SECRET, Human, client, commit_all, text_of

pytestmark = pytest.mark.anyio

COMMITTED_RULES = ACCOUNT_FILE + 'protect:\n  - "dns/*/@ MX"\n'
ESCALATED = ACCOUNT_FILE + "approval:\n  mode: token\nsafety:\n  min_existing: 1000\n"


@pytest.mark.parametrize("launch", ["auto", "token"])
async def test_escalation_through_the_working_tree_gets_no_token_and_deletes_nothing(
    tmp_path: Path, state_dir: Path, app: McpApp, launch: str
) -> None:
    (state_dir / "infomaniak.yaml").write_text(COMMITTED_RULES, encoding="utf-8")
    commit_all(tmp_path)
    app.env = {**app.env, APPROVAL_MODE_ENV: launch}
    server = build_server(app)
    # The assistant's own file-edit tool (not an MCP tool) rewrites the account file mid-conversation.
    (state_dir / "infomaniak.yaml").write_text(ESCALATED, encoding="utf-8")
    async with client(server, "auto") as c:
        removed = await c.call_tool(
            ToolName.DESIRED_REMOVE.value, {"kind": "dns", "scope": "example.ch", "key": "@ MX"}
        )
        assert not removed.is_error, text_of(removed)
        planned = await c.call_tool(ToolName.PLAN.value, {})
        plan = planned.structured_content
        h = plan["plan_hash"]
        item = app.store.get(h)
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
        guessed = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h, "approval_token": "x" * 32})
        live = text_of(await c.call_tool(ToolName.LIVE_GET.value, {"kind": "dns", "scope": "example.ch"}))

    # No token: the file cannot choose token mode, and a change of the rules never goes to the token.
    assert item is not None and item.approval_token is None
    assert "approval_token" not in plan["approval"] and "only the user can approve" in plan["approval"]
    # The policy change comes first, marked risky, naming what it loosens.
    lines = plan["text"].splitlines()
    assert lines[0] == "policy/infomaniak.yaml" and lines[1].strip() == "~ rules  (update)"
    first_risk = next(line for line in lines if line.strip().startswith("!"))
    assert "policy change" in first_risk
    assert "removes the protect rule 'dns/*/@ MX'" in plan["text"]
    assert "raises safety.min_existing from 10 to 1000" in plan["text"]
    assert "- @ MX  (delete)" in plan["text"]
    if launch == "auto":
        assert "approval mode 'token'" in plan["approval"] and "ignored" in plan["approval"]
    # Nothing applied: the apex MX is still live.
    assert applied.is_error and guessed.is_error
    assert "mta-gw.infomaniak.ch." in live
    attempts = [e for e in app.audit().entries() if e["event"] == "apply_attempt"]
    assert attempts == []


async def test_a_human_can_approve_the_policy_change_in_the_client(
    tmp_path: Path, state_dir: Path, app: McpApp
) -> None:
    (state_dir / "infomaniak.yaml").write_text(COMMITTED_RULES, encoding="utf-8")
    commit_all(tmp_path)
    (state_dir / "infomaniak.yaml").write_text(ACCOUNT_FILE, encoding="utf-8")  # drops the protect rule
    human = Human("accept")
    async with client(build_server(app), "auto", human) as c:
        await c.call_tool(
            ToolName.DESIRED_REMOVE.value, {"kind": "dns", "scope": "example.ch", "key": "@ MX"}
        )
        h = (await c.call_tool(ToolName.PLAN.value, {})).structured_content["plan_hash"]
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": h})
    assert not applied.is_error, text_of(applied)
    assert "delete dns/example.ch: @ MX" in applied.structured_content["applied"]
    assert applied.structured_content["remaining"] == []
    (question,) = human.asked
    assert question.index("policy") < question.index("@ MX")


async def test_tightening_the_rules_takes_effect_at_once(state_dir: Path, server: ReconcilerServer) -> None:
    account = state_dir / "infomaniak.yaml"
    account.write_text(account.read_text() + 'protect:\n  - "dns/*/app A"\n', encoding="utf-8")
    async with client(server, "auto") as c:
        plan = (await c.call_tool(ToolName.PLAN.value, {})).structured_content
    assert plan["unsafe"] and "policy/" not in plan["text"]


# -- what is applied to a real account is a commit -------------------------------------------------------


@pytest.fixture
def real_app(tmp_path: Path, state_dir: Path) -> McpApp:
    """The simulator served as if it were a real account: not a sandbox run, so the commit rule holds."""
    env = {
        "INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"),
        "INFOMANIAK_API_TOKEN": SANDBOX_TOKEN,
        # A real account's lock is machine-wide; this test's must not meet another run's.
        "INFOMANIAK_GITOPS_LOCK_DIR": str(tmp_path / "locks"),
    }
    settings = load_settings(state_dir=state_dir, sandbox=False, env=env, cwd=tmp_path)
    assert not settings.sandbox
    transport = httpx.ASGITransport(app=create_app(SandboxState.demo()))
    return McpApp(settings, env={"INFOMANIAK_API_TOKEN": SECRET}, transport=transport)


async def test_uncommitted_change_to_a_real_account_is_refused_until_committed(
    tmp_path: Path, real_app: McpApp
) -> None:
    repo = commit_all(tmp_path)
    human = Human("accept")
    spec = {"type": "A", "ttl": 600, "value": "203.0.113.7"}
    async with client(build_server(real_app), "auto", human) as c:
        await c.call_tool(
            ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": spec}
        )
        planned = (await c.call_tool(ToolName.PLAN.value, {})).structured_content
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": planned["plan_hash"]})
        committed = await c.call_tool(
            ToolName.GIT_COMMIT.value, {"message": "dns: add api", "branch": "dns/add-api"}
        )
        applied = await c.call_tool(ToolName.APPLY.value, {"plan_hash": planned["plan_hash"]})
    assert "ik_git_commit" in planned["approval"]
    text = text_of(refused)
    assert refused.is_error and "uncommitted changes" in text and "Next:" in text and "ik_git_commit" in text
    assert len(human.asked) == 1  # asked only once the tree was a commit
    assert "The checkout is now on branch 'dns/add-api'" in text_of(committed)
    assert not applied.is_error, text_of(applied)
    (attempt,) = [e for e in real_app.audit().entries() if e["event"] == "apply_attempt"]
    assert attempt["git_commit"] == repo.head.commit.hexsha and attempt["sandbox"] is False


async def test_an_ignored_desired_file_is_refused_and_cannot_be_committed(
    tmp_path: Path, real_app: McpApp
) -> None:
    repo = commit_all(tmp_path)
    # The zone leaves the commit but stays on disk, ignored: plans read it, no commit holds it.
    (tmp_path / ".gitignore").write_text("state/dns/\n", encoding="utf-8")
    repo.git.rm("--cached", "-q", "state/dns/example.ch.yaml")
    repo.git.add(".gitignore")
    repo.git.commit("-m", "untrack the zone")
    human = Human("accept")
    spec = {"type": "A", "ttl": 600, "value": "203.0.113.7"}
    async with client(build_server(real_app), "auto", human) as c:
        await c.call_tool(
            ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": spec}
        )
        planned = (await c.call_tool(ToolName.PLAN.value, {})).structured_content
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": planned["plan_hash"]})
        committed = await c.call_tool(ToolName.GIT_COMMIT.value, {"message": "dns: add api"})
    assert "state/dns/example.ch.yaml: read by plans but ignored by git" in planned["approval"]
    text = text_of(refused)
    assert refused.is_error and "ignored by git" in text and "Next:" in text
    assert committed.is_error and "nothing was committed" in text_of(committed)
    assert human.asked == []
    assert [e for e in real_app.audit().entries() if e["event"] == "apply_attempt"] == []


async def test_a_state_directory_outside_git_is_refused_with_its_path(
    state_dir: Path, real_app: McpApp
) -> None:
    human = Human("accept")
    spec = {"type": "A", "ttl": 600, "value": "203.0.113.7"}
    async with client(build_server(real_app), "auto", human) as c:
        await c.call_tool(
            ToolName.DESIRED_SET.value, {"kind": "dns", "scope": "example.ch", "key": "api A", "spec": spec}
        )
        planned = (await c.call_tool(ToolName.PLAN.value, {})).structured_content
        refused = await c.call_tool(ToolName.APPLY.value, {"plan_hash": planned["plan_hash"]})
    text = text_of(refused)
    assert refused.is_error and f"{state_dir.resolve()} is not in a git repository" in text
    assert "infomaniak-gitops init" in text and "Next:" in text
    assert human.asked == []
