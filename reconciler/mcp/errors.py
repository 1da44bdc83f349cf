"""The one place where our errors become MCP tool errors: what happened, then what the model should do next.

Only ``ToolError`` text reaches the model (anything else becomes a bare "Error executing tool"), so every
handler is wrapped with :func:`tool_errors`. The server redacts secrets from every result and error after.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import git
from mcp.server.mcpserver.exceptions import ToolError

from reconciler.desired import NO_STATE_DIR_HINT, STATE_DIR_MISSING
from reconciler.errors import (
    ApiAuthError,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiRejected,
    ApiUnavailable,
    ApplyError,
    ApprovalError,
    DesiredStateError,
    LockError,
    PlanError,
    ReconcilerError,
    SettingsError,
    StalePlan,
    UnsafePlan,
    UnverifiedApply,
)

P = ParamSpec("P")
R = TypeVar("R")

# The next step per error class; the most specific class in the MRO wins.
NEXT_STEP: dict[type[Exception], str] = {
    ReconcilerError: "Check the arguments and try again.",
    SettingsError: "Fix the argument named above and call the tool again.",
    DesiredStateError: "Fix the entries named above (ik_desired_set / ik_desired_remove), then ik_validate.",
    ApiError: "Check the scope with ik_overview, then retry.",
    ApiAuthError: "The API token was refused: the user must set a valid INFOMANIAK_API_TOKEN in the MCP "
    "server's environment and restart it (never paste tokens into the chat).",
    ApiForbidden: "The API token lacks a scope for this call: the user must create a token with the needed "
    "scopes (e.g. dns:read dns:write) and restart the server.",
    ApiNotFound: "The object does not exist in the account: check the scope name with ik_overview.",
    ApiRejected: "The API refused the value: fix the desired entry (ik_desired_set), then ik_plan again.",
    ApiRateLimited: "The API rate limit was hit: wait a minute, then retry.",
    ApiUnavailable: "The API is unavailable: retry in a few minutes.",
    PlanError: "Fix the cause named above, then call ik_plan again.",
    UnsafePlan: "Nothing was applied. Protect rules are never overridden; a threshold can be overridden only "
    "by a human running `infomaniak-gitops apply --force`. Narrow the change or ask the user.",
    StalePlan: "Nothing was applied. Call ik_plan again and get the new plan approved.",
    ApprovalError: "Nothing was applied. The user approves a plan through the approval link ik_plan returned "
    "or the question ik_apply asks; if the plan changed or is unknown here, call ik_plan again for a new "
    "approval.",
    LockError: "Nothing was applied: another apply is running. Wait for it, then call ik_apply again.",
    ApplyError: "Call ik_plan to see what remains; tell the user what was applied.",
    UnverifiedApply: "Every change was applied; only the check failed. Call ik_plan to confirm nothing "
    "remains; do not apply again before that.",
    git.GitError: "Check the repository state with ik_git_status; the user may need to fix git by hand.",
}

# A setting the server read at launch (its environment or arguments): a new call cannot change it.
_SERVER_SETTING = re.compile(r"\bINFOMANIAK_[A-Z_]+\b|--read-only|--approval")
RESTART_STEP = (
    "The fix is in the server's launch configuration (its environment or arguments in the MCP client's "
    "settings), not in a tool argument: the user fixes the setting named above there and restarts the "
    "server; calling the tool again changes nothing until then."
)
NO_STATE_DIR_STEP = (
    "The server reads the desired files from the folder named above, which does not exist: it was started "
    "outside the configuration repository. The user starts the server in the root of the configuration "
    "repository (`cwd` in the MCP client's server config, or INFOMANIAK_STATE_DIR in its `env`), then "
    "restarts it; `infomaniak-gitops init` starts a new configuration repository."
)

_CLI_HINTS = (
    "  fix the files, then run `infomaniak-gitops validate`",
    f"  {NO_STATE_DIR_HINT}",
    "  run `infomaniak-gitops plan` again and approve the new plan",
    "  run `infomaniak-gitops plan` to see what remains",
)


def next_step(exc: Exception) -> str:
    if isinstance(exc, DesiredStateError) and any(
        reason.rule == STATE_DIR_MISSING for reason in getattr(exc, "reasons", ())
    ):
        return NO_STATE_DIR_STEP
    if type(exc) is SettingsError and _SERVER_SETTING.search(str(exc)):
        return RESTART_STEP
    for cls in type(exc).__mro__:
        if cls in NEXT_STEP:
            return NEXT_STEP[cls]
    raise TypeError(f"{type(exc).__name__} has no MCP translation")


def describe(exc: ReconcilerError | git.GitError) -> str:
    """The model-facing text of an error: its own message (without CLI hints) and the next step."""
    if isinstance(exc, git.GitCommandError):
        detail = (exc.stderr or "").strip().removeprefix("stderr:").strip(" '\n")
        text = f"git {exc.command[1] if len(exc.command) > 1 else ''} failed: {detail or exc.status}"
    elif isinstance(exc, git.GitError):
        text = f"git failed: {exc}"
    else:
        text = str(exc)
        # The engine's messages end with a CLI hint; the MCP next step replaces it.
        lines = [line for line in text.splitlines() if line not in _CLI_HINTS]
        text = "\n".join(lines)
    return f"{text}\nNext: {next_step(exc)}"


def tool_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate a handler so that our error families leave it as ToolErrors the model can act on."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except (ReconcilerError, git.GitError) as exc:
            raise ToolError(describe(exc)) from exc

    return wrapper


__all__ = ["NEXT_STEP", "describe", "next_step", "tool_errors"]
