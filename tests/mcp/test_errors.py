"""Every error family the tools can raise is translated to a ToolError with a next step (STYLE 8)."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from mcp.server.mcpserver.exceptions import ToolError

import reconciler.errors as errors_module
from reconciler.errors import (
    ApplyError,
    ApprovalError,
    DesiredStateError,
    Reason,
    ReconcilerError,
    SettingsError,
    StalePlan,
)
from reconciler.mcp import McpApp, ToolName, build_server
from reconciler.mcp.errors import NEXT_STEP, describe, next_step, tool_errors
from reconciler.settings import load_settings
from tests.mcp.conftest import SECRET, client, text_of


def _all_subclasses(cls: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_error_class_of_the_tree_has_its_own_next_step() -> None:
    exported = {getattr(errors_module, name) for name in errors_module.__all__}
    tree = {cls for cls in exported if isinstance(cls, type) and issubclass(cls, ReconcilerError)}
    assert tree, "reconciler.errors exports the tree"
    missing = sorted(cls.__name__ for cls in tree if cls not in NEXT_STEP)
    assert missing == []


def test_subclasses_defined_elsewhere_still_get_a_next_step() -> None:
    for cls in _all_subclasses(ReconcilerError):
        assert next_step(cls.__new__(cls))


def test_git_errors_are_mapped() -> None:
    family: list[type[Exception]] = [git.GitError, *_all_subclasses(git.GitError)]
    for cls in family:
        assert next_step(cls.__new__(cls))


def test_foreign_errors_are_not_silently_mapped() -> None:
    with pytest.raises(TypeError):
        next_step(KeyError("x"))


def test_stale_plan_says_to_plan_again_without_the_cli_hint() -> None:
    text = describe(StalePlan("stale plan: abc", moved=["live value moved: dns/example.ch/www A"]))
    assert "live value moved" in text
    assert "infomaniak-gitops plan" not in text
    assert text.endswith("Next: Nothing was applied. Call ik_plan again and get the new plan approved.")


def test_desired_state_error_points_to_the_edit_tools() -> None:
    text = describe(DesiredStateError([Reason("state/dns/x.yaml", 3, 1, "www.value", "bad")]))
    assert "state/dns/x.yaml:3:1: www.value: bad" in text and "ik_validate" in text
    assert "infomaniak-gitops validate" not in text


def test_apply_error_lists_what_was_done() -> None:
    text = describe(
        ApplyError("apply stopped", applied=["create a"], failed=["update b: 500"], not_attempted=[])
    )
    assert "create a" in text and "update b: 500" in text and "ik_plan" in text


def test_git_command_error_shows_git_stderr() -> None:
    exc = git.GitCommandError(["git", "commit", "-m", "x"], 128, stderr="fatal: not a git repository")
    assert describe(exc).startswith("git commit failed: fatal: not a git repository")


@pytest.mark.anyio
async def test_decorated_handler_raises_tool_errors_only() -> None:
    @tool_errors
    async def handler() -> str:
        raise StalePlan("stale plan")

    with pytest.raises(ToolError, match="Call ik_plan again") as caught:
        await handler()
    assert isinstance(caught.value.__cause__, StalePlan)


def test_an_unapproved_plan_points_to_the_approval_channels() -> None:
    text = describe(ApprovalError("plan abc is not approved yet"))
    next_part = text.split("Next: ", 1)[1]
    assert next_part != "Nothing was applied."
    assert "approval link" in next_part and "ik_apply asks" in next_part and "ik_plan" in next_part


@pytest.mark.anyio
async def test_a_server_started_outside_the_repository_says_where_it_looked(tmp_path: Path) -> None:
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    env = {"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), "INFOMANIAK_API_TOKEN": SECRET}
    settings = load_settings(sandbox=True, env=env, cwd=elsewhere)  # the default ./state, not there
    app = McpApp(settings, env=env)
    async with client(build_server(app), "auto") as c:
        planned = await c.call_tool(ToolName.PLAN.value, {})
        validated = await c.call_tool(ToolName.VALIDATE.value, {})
    for result in (planned, validated):
        text = text_of(result)
        assert result.is_error
        assert f"looked for {(elsewhere / 'state').resolve()}" in text
        next_part = text.split("Next: ", 1)[1]
        assert "root of the configuration repository" in next_part and "INFOMANIAK_STATE_DIR" in next_part
        assert "`cwd`" in next_part and "restart" in next_part
        assert "ik_desired_set" not in text  # editing files cannot help: there is no folder to edit
        assert "infomaniak-gitops validate" not in text and "--state" not in text  # the CLI's hint


def test_a_setting_of_the_server_says_to_restart_it() -> None:
    text = describe(SettingsError("no API token: set INFOMANIAK_API_TOKEN to an Infomaniak API token"))
    next_part = text.split("Next: ", 1)[1]
    assert "restart" in next_part and "call the tool again" not in next_part
    argument = describe(
        SettingsError("branch '-x' is empty or starts with '-'; give a name like dns/add-api")
    )
    assert argument.endswith("Next: Fix the argument named above and call the tool again.")
