"""The one engine every front calls: plan, render, approve, apply; and what runs need around them.

This is the engine's face: the fronts (``cli``, ``mcp``) import from here, never from its modules (the
import contract in pyproject.toml checks it). It also re-exports the audit log, the git facts and the secret
masking, so that a front needs no module outside the faces (``reconciler.settings``, the run's settings from
flags and environment, is a one-module layer the fronts import directly, which keeps ``--help`` cheap).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from reconciler.audit import AuditLog, verify_chain
from reconciler.audits import (
    AUDIT_RENDERERS,
    AUDITS,
    AuditReport,
    Severity,
    Thresholds,
    parse_severity,
    run_audits,
)
from reconciler.engine.applier import apply_plan, describe_moves, settle_interrupted
from reconciler.engine.committed import describe_commit, is_dirty, tree_state
from reconciler.engine.drift import (
    DRIFT_RENDERERS,
    DriftReport,
    compute_drift,
    memo_kinds,
    relabel_files,
    scope_commits,
)
from reconciler.engine.execution import ApplyReport
from reconciler.engine.importer import (
    ImportedScope,
    LiveDocument,
    import_scopes,
    live_document,
    resolve_scopes,
)
from reconciler.engine.journal import interruption_notice, journal_notices, read_journal
from reconciler.engine.model import Change, FieldChange, Plan, ScopeSummary, scope_title
from reconciler.engine.overview import AccountOverview, ManagedScopes, account_overview
from reconciler.engine.planner import Target, load_for_plan, make_plan, parse_targets, plan_desired
from reconciler.engine.progress import Progress, progress_text
from reconciler.engine.render import (
    GITHUB_COMMENT_LIMIT,
    QUESTION_LIMIT,
    RENDERERS,
    ApprovalBlock,
    approval_content,
    comment_length,
    comment_marker,
    md_text,
    parse_plan_marker,
    render_approval,
    render_json,
    render_markdown,
    render_text,
)
from reconciler.engine.scaffold import (
    InitResult,
    ScaffoldReport,
    commit_all,
    detect_account,
    init_repository,
    installed_command,
    mcp_config,
    scaffold_repository,
    schema_document,
)
from reconciler.engine.session import Session, load_last_apply
from reconciler.engine.undo import plan_undo, undo_source
from reconciler.errors import PlanError
from reconciler.gitinfo import (
    DIRTY_SUFFIX,
    TreeState,
    default_branch_ref,
    exported_state,
    head_commit,
    resolve_commit,
)
from reconciler.inventory import (
    READ_RENDERERS,
    ApiGetResult,
    ReadResult,
    api_get,
    find_read_kind,
    read_live,
    render_catalogue,
)
from reconciler.redaction import mask_secrets


def load_plan_file(path: Path) -> Plan:
    """Read a plan saved with ``plan --out``; a damaged or foreign file is a clear PlanError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the plan file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not a JSON plan file (not UTF-8 at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path}:{exc.lineno}: not a JSON plan file ({exc.msg})") from exc
    except RecursionError as exc:
        raise PlanError(f"{path}: not a JSON plan file (nested too deeply)") from exc
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlanError(
            f"{path}: not a plan written by `infomaniak-gitops plan --out` ({where}: {first['msg']})"
        ) from exc
    if not plan.plan_hash:
        raise PlanError(f"{path}: the plan has no plan_hash; re-create it with `plan --out`")
    return plan


__all__ = [
    "AUDITS",
    "AUDIT_RENDERERS",
    "DIRTY_SUFFIX",
    "DRIFT_RENDERERS",
    "GITHUB_COMMENT_LIMIT",
    "QUESTION_LIMIT",
    "READ_RENDERERS",
    "RENDERERS",
    "AccountOverview",
    "ApiGetResult",
    "ApplyReport",
    "ApprovalBlock",
    "AuditLog",
    "AuditReport",
    "Change",
    "DriftReport",
    "FieldChange",
    "ImportedScope",
    "InitResult",
    "LiveDocument",
    "ManagedScopes",
    "Plan",
    "Progress",
    "ReadResult",
    "ScaffoldReport",
    "ScopeSummary",
    "Session",
    "Severity",
    "Target",
    "Thresholds",
    "TreeState",
    "account_overview",
    "api_get",
    "apply_plan",
    "approval_content",
    "comment_length",
    "comment_marker",
    "commit_all",
    "compute_drift",
    "default_branch_ref",
    "describe_commit",
    "describe_moves",
    "detect_account",
    "exported_state",
    "find_read_kind",
    "head_commit",
    "import_scopes",
    "init_repository",
    "installed_command",
    "interruption_notice",
    "is_dirty",
    "journal_notices",
    "live_document",
    "load_for_plan",
    "load_last_apply",
    "load_plan_file",
    "make_plan",
    "mask_secrets",
    "mcp_config",
    "md_text",
    "memo_kinds",
    "parse_plan_marker",
    "parse_severity",
    "parse_targets",
    "plan_desired",
    "plan_undo",
    "progress_text",
    "read_journal",
    "read_live",
    "relabel_files",
    "render_approval",
    "render_catalogue",
    "render_json",
    "render_markdown",
    "render_text",
    "resolve_commit",
    "resolve_scopes",
    "run_audits",
    "scaffold_repository",
    "schema_document",
    "scope_commits",
    "scope_title",
    "settle_interrupted",
    "tree_state",
    "undo_source",
    "verify_chain",
]
