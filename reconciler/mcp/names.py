"""Tool names, in one place.

The ``ik_`` prefix keeps them apart from other servers' tools (the official git server has ``git_status``).
"""

from __future__ import annotations

from enum import StrEnum


class ToolName(StrEnum):
    OVERVIEW = "ik_overview"
    LIVE_GET = "ik_live_get"
    DESIRED_GET = "ik_desired_get"
    DESIRED_SET = "ik_desired_set"
    DESIRED_REMOVE = "ik_desired_remove"
    VALIDATE = "ik_validate"
    IMPORT_LIVE = "ik_import_live"
    PLAN = "ik_plan"
    APPLY = "ik_apply"
    DRIFT = "ik_drift"
    GIT_STATUS = "ik_git_status"
    GIT_COMMIT = "ik_git_commit"
    AUDIT_LOG = "ik_audit_log"
    CATALOG = "ik_catalog"
    AUDIT = "ik_audit"
    API_GET = "ik_api_get"


__all__ = ["ToolName"]
