"""The one engine every front calls: plan, render, approve, apply; and what runs need around them.

This is the engine's face: the fronts (``cli``, ``mcp``) import from here, never from its modules (the
import contract in pyproject.toml checks it). It also re-exports the audit log, the git facts and the secret
masking, so that a front needs no module outside the faces (``reconciler.settings``, the run's settings from
flags and environment, is a one-module layer the fronts import directly, which keeps ``--help`` cheap).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from reconciler.errors import PlanError
from reconciler.lazy import lazy_names

if TYPE_CHECKING:
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

# Lazy: each name is imported from its module on first use, so a verb pays only for the engine parts it
# calls (a plan never loads drift, undo, the audits, the inventory or the scaffolding). The imports above
# under TYPE_CHECKING are the same names for mypy and editors; tests/engine/test_init.py keeps the two lists
# equal.
_SOURCES: dict[str, str] = {
    "AuditLog": "reconciler.audit",
    "verify_chain": "reconciler.audit",
    "AUDIT_RENDERERS": "reconciler.audits",
    "AUDITS": "reconciler.audits",
    "AuditReport": "reconciler.audits",
    "Severity": "reconciler.audits",
    "Thresholds": "reconciler.audits",
    "parse_severity": "reconciler.audits",
    "run_audits": "reconciler.audits",
    "apply_plan": "reconciler.engine.applier",
    "describe_moves": "reconciler.engine.applier",
    "settle_interrupted": "reconciler.engine.applier",
    "describe_commit": "reconciler.engine.committed",
    "is_dirty": "reconciler.engine.committed",
    "tree_state": "reconciler.engine.committed",
    "DRIFT_RENDERERS": "reconciler.engine.drift",
    "DriftReport": "reconciler.engine.drift",
    "compute_drift": "reconciler.engine.drift",
    "memo_kinds": "reconciler.engine.drift",
    "relabel_files": "reconciler.engine.drift",
    "scope_commits": "reconciler.engine.drift",
    "ApplyReport": "reconciler.engine.execution",
    "ImportedScope": "reconciler.engine.importer",
    "LiveDocument": "reconciler.engine.importer",
    "import_scopes": "reconciler.engine.importer",
    "live_document": "reconciler.engine.importer",
    "resolve_scopes": "reconciler.engine.importer",
    "interruption_notice": "reconciler.engine.journal",
    "journal_notices": "reconciler.engine.journal",
    "read_journal": "reconciler.engine.journal",
    "Change": "reconciler.engine.model",
    "FieldChange": "reconciler.engine.model",
    "Plan": "reconciler.engine.model",
    "ScopeSummary": "reconciler.engine.model",
    "scope_title": "reconciler.engine.model",
    "AccountOverview": "reconciler.engine.overview",
    "ManagedScopes": "reconciler.engine.overview",
    "account_overview": "reconciler.engine.overview",
    "Target": "reconciler.engine.planner",
    "load_for_plan": "reconciler.engine.planner",
    "make_plan": "reconciler.engine.planner",
    "parse_targets": "reconciler.engine.planner",
    "plan_desired": "reconciler.engine.planner",
    "Progress": "reconciler.engine.progress",
    "progress_text": "reconciler.engine.progress",
    "GITHUB_COMMENT_LIMIT": "reconciler.engine.render",
    "QUESTION_LIMIT": "reconciler.engine.render",
    "RENDERERS": "reconciler.engine.render",
    "ApprovalBlock": "reconciler.engine.render",
    "approval_content": "reconciler.engine.render",
    "comment_length": "reconciler.engine.render",
    "comment_marker": "reconciler.engine.render",
    "md_text": "reconciler.engine.render",
    "parse_plan_marker": "reconciler.engine.render",
    "render_approval": "reconciler.engine.render",
    "render_json": "reconciler.engine.render",
    "render_markdown": "reconciler.engine.render",
    "render_text": "reconciler.engine.render",
    "InitResult": "reconciler.engine.scaffold",
    "ScaffoldReport": "reconciler.engine.scaffold",
    "commit_all": "reconciler.engine.scaffold",
    "detect_account": "reconciler.engine.scaffold",
    "init_repository": "reconciler.engine.scaffold",
    "installed_command": "reconciler.engine.scaffold",
    "mcp_config": "reconciler.engine.scaffold",
    "scaffold_repository": "reconciler.engine.scaffold",
    "schema_document": "reconciler.engine.scaffold",
    "Session": "reconciler.engine.session",
    "load_last_apply": "reconciler.engine.session",
    "plan_undo": "reconciler.engine.undo",
    "undo_source": "reconciler.engine.undo",
    "DIRTY_SUFFIX": "reconciler.gitinfo",
    "TreeState": "reconciler.gitinfo",
    "default_branch_ref": "reconciler.gitinfo",
    "exported_state": "reconciler.gitinfo",
    "head_commit": "reconciler.gitinfo",
    "resolve_commit": "reconciler.gitinfo",
    "READ_RENDERERS": "reconciler.inventory",
    "ApiGetResult": "reconciler.inventory",
    "ReadResult": "reconciler.inventory",
    "api_get": "reconciler.inventory",
    "find_read_kind": "reconciler.inventory",
    "read_live": "reconciler.inventory",
    "render_catalogue": "reconciler.inventory",
    "mask_secrets": "reconciler.redaction",
}


__getattr__, __dir__ = lazy_names(__name__, _SOURCES, globals())


def load_plan_file(path: Path) -> Plan:
    """Read a plan saved with ``plan --out``; a damaged or foreign file is a clear PlanError."""
    from reconciler.engine.model import Plan

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
