"""Approval modes and which one is in force: standard library only, so the stdio front checks the launch
configuration before it answers anything (and fails as fast as the SDK path did)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from reconciler.errors import SettingsError

APPROVAL_MODE_ENV = "INFOMANIAK_APPROVAL_MODE"


class ApprovalMode(StrEnum):
    """Set by the server's launch configuration; ``infomaniak.yaml`` can only make it stricter."""

    AUTO = "auto"
    ELICITATION = "elicitation"
    PAGE = "page"
    TOKEN = "token"
    PULL_REQUEST = "pull_request"


# How much a mode asks of a human: token asks nothing; auto takes the client dialog or the page; the page
# can be clicked by a local process with a shell; elicitation is only the client's own dialog; pull_request
# leaves applying to reviewed CI. A file may move the mode up this scale, never down.
STRICTNESS = {
    ApprovalMode.TOKEN: 0,
    ApprovalMode.AUTO: 1,
    ApprovalMode.PAGE: 2,
    ApprovalMode.ELICITATION: 3,
    ApprovalMode.PULL_REQUEST: 4,
}


def launch_mode(flag: str | None, env: Mapping[str, str]) -> ApprovalMode:
    """The mode of the launch configuration (``mcp --approval``, else INFOMANIAK_APPROVAL_MODE, else auto).

    Only a human writes these (the MCP client's configuration), so only they can choose ``token``.
    """
    text = flag or env.get(APPROVAL_MODE_ENV) or ApprovalMode.AUTO.value
    try:
        return ApprovalMode(text)
    except ValueError:
        names = ", ".join(mode.value for mode in ApprovalMode)
        where = "--approval" if flag else APPROVAL_MODE_ENV
        raise SettingsError(f"{where}={text!r} is not an approval mode; use one of {names}") from None


def mode_from(configured: str | None, launch: ApprovalMode) -> ApprovalMode:
    """The active mode: the launch configuration's, unless the account file asks for a stricter one.

    The account file is in the working tree, where an assistant with a file-edit tool can write; a looser
    mode there (``token`` above all) is therefore ignored, and a stricter one takes effect at once.
    """
    if configured is None:
        return launch
    asked = ApprovalMode(configured)
    return asked if STRICTNESS[asked] >= STRICTNESS[launch] else launch


__all__ = ["APPROVAL_MODE_ENV", "STRICTNESS", "ApprovalMode", "launch_mode", "mode_from"]
