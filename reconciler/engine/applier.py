"""The apply orchestrator: lock → re-plan → refuse stale or unsafe → execute in order → audit → verify."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from reconciler.audit import AuditLog
from reconciler.engine.lock import apply_lock
from reconciler.engine.model import Change, Plan
from reconciler.engine.planner import Target, load_for_plan, plan_desired
from reconciler.engine.session import Session, load_last_apply, save_last_apply
from reconciler.errors import ApiError, ApplyError, ApprovalError, StalePlan, UnsafePlan

log = logging.getLogger(__name__)

HUMAN_APPROVALS = frozenset({"interactive", "saved_plan", "expected_hash", "mcp_elicitation", "mcp_page"})
"""Approvals a person gave after seeing the plan; only these may approve a change of the rules (policy)."""


class ApplyReport(BaseModel):
    """What an apply did; also the body of the ``applied`` audit entry."""

    plan_hash: str
    approval: str
    applied: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    not_attempted: list[str] = Field(default_factory=list)
    remaining: list[str] = Field(
        default_factory=list, description="Changes the verification re-plan still finds (should be empty)."
    )

    @property
    def converged(self) -> bool:
        return not self.failed and not self.remaining


def describe_moves(approved: Plan | None, current: Plan) -> list[str]:
    """Human lines naming what differs between an approved plan and the plan computed now."""
    if approved is None:
        head = [f"expected plan hash differs from the current one ({current.plan_hash[:12]})"]
        head += [f"now planned: {c.action} {c.address}" for c in current.changes[:20]]
        return head
    old = {(c.address, c.action): c for c in approved.changes}
    new = {(c.address, c.action): c for c in current.changes}
    lines: list[str] = []
    for ident, change in new.items():
        before = old.get(ident)
        if before is None:
            lines.append(f"new change: {change.action} {change.address}")
        elif before.before != change.before:
            lines.append(f"live value moved: {change.address} (was {before.before}, now {change.before})")
        elif before.after != change.after:
            lines.append(f"desired value moved: {change.address} (was {before.after}, now {change.after})")
    lines += [
        f"no longer planned: {action} {address}" for (address, action) in old if (address, action) not in new
    ]
    if not lines:
        lines.append("a sensitive value or the plan format changed")
    return lines


async def _execute(session: Session, change: Change) -> None:
    kind = session.kind(change.kind)
    ctx = session.ctx
    if change.action == "create" and change.desired is not None:
        await kind.create(ctx, change.scope, change.desired)
    elif change.action == "update" and change.desired is not None and change.live is not None:
        await kind.update(ctx, change.scope, change.desired, change.live)
    elif change.action == "delete" and change.live is not None:
        await kind.delete(ctx, change.scope, change.live)
    else:
        raise RuntimeError(f"change {change.address} has no attached objects; it was not computed here")


def _fingerprints(session: Session, change: Change) -> dict[str, str]:
    """Non-secret fingerprints of sensitive fields, recorded so the next plan can tell a secret changed."""
    kind = session.kind(change.kind)
    hashed = change.hash_form()["after"] or {}
    return {
        f"{change.kind}/{change.scope}/{change.display_key}/{name}": str(hashed[name])
        for name in kind.sensitive_fields
        if hashed.get(name) is not None
    }


async def apply_plan(
    session: Session,
    *,
    expected_hash: str,
    approval: str,
    targets: Sequence[Target] = (),
    approved: Plan | None = None,
    force: bool = False,
    stop_on_failure: bool = True,
    git_commit: str | None = None,
) -> ApplyReport:
    """Apply the plan whose hash a human approved.

    1. take the account lock (one apply at a time)
    2. reload desired state and re-fetch live state; recompute the plan
    3. refuse when the hash differs from ``expected_hash`` (StalePlan names what moved)
    4. refuse protect-rule violations always, threshold violations unless ``force``, and a change of the
       rules (policy) unless a human approved (``HUMAN_APPROVALS``)
    5. execute changes in plan order (kinds' apply order, then their own); audit each one
    6. stop at the first failure with an exact report (ApplyError)
    7. re-plan the touched scopes to verify convergence; record the last apply
    """
    target_list = list(targets)
    settings = session.settings
    audit = AuditLog(settings.audit_file, secrets=session.secrets)
    with apply_lock(settings.lock_file):
        # Lookups cached by a plan made earlier in this session (the interactive apply's) would hide what
        # moved since: the re-plan reads live state afresh.
        session.ctx.cache.clear()
        desired = load_for_plan(session, target_list)
        current = await plan_desired(session, desired, targets=target_list, git_commit=git_commit)
        if current.plan_hash != expected_hash:
            moved = describe_moves(approved, current)
            audit.write("refused", reason="stale", expected=expected_hash, actual=current.plan_hash)
            raise StalePlan(
                f"stale plan: the approved plan {expected_hash[:12]} no longer matches live and desired "
                f"state (now {current.plan_hash[:12]})",
                moved=moved,
            )
        blocked = [f"{c.address}: {c.blocked}" for c in current.changes if c.blocked]
        unsafe = [f"{s.kind}/{s.scope}: {s.unsafe}" for s in current.scopes if s.unsafe]
        if blocked or (unsafe and not force):
            audit.write("refused", reason="unsafe", plan_hash=current.plan_hash, details=blocked + unsafe)
            raise UnsafePlan("unsafe plan refused:\n" + "\n".join(f"  {line}" for line in blocked + unsafe))
        policy = [reason for change in current.policy_changes for reason in change.risky[1:]]
        if policy and approval not in HUMAN_APPROVALS:
            audit.write(
                "refused", reason="policy", plan_hash=current.plan_hash, approval=approval, details=policy
            )
            raise ApprovalError(
                f"plan {current.plan_hash[:12]} changes the rules in infomaniak.yaml (policy), and a "
                f"{approval} approval cannot approve that: a person must (interactive, page, elicitation, "
                "reviewed plan hash)\n" + "\n".join(f"  {line}" for line in policy)
            )

        report = ApplyReport(plan_hash=current.plan_hash, approval=approval)
        audit.write(
            "apply_attempt",
            plan_hash=current.plan_hash,
            approval=approval,
            sandbox=settings.sandbox,
            git_commit=git_commit,
            changes=len(current.changes),
            policy=policy,
        )
        fingerprints: dict[str, str] = dict(session.ctx.secret_fingerprints)
        # A policy change has nothing to execute: approving it let the plan run under the working-tree rules.
        pending = [change for change in current.changes if not change.is_policy]
        while pending:
            change = pending.pop(0)
            label = f"{change.action} {change.address}"
            try:
                await _execute(session, change)
            except ApiError as exc:
                report.failed.append(f"{label}: {exc}")
                audit.write(
                    "failed",
                    plan_hash=current.plan_hash,
                    change=change.address,
                    action=change.action,
                    error=str(exc),
                )
                if stop_on_failure:
                    report.not_attempted.extend(f"{c.action} {c.address}" for c in pending)
                    break
                continue
            report.applied.append(label)
            fingerprints.update(_fingerprints(session, change))
            audit.write(
                "applied",
                plan_hash=current.plan_hash,
                change=change.address,
                action=change.action,
                before=change.before,
                after=change.after,
            )

        session.ctx.secret_fingerprints = fingerprints
        session.ctx.cache.clear()
        verify = await plan_desired(session, load_for_plan(session, target_list), targets=target_list)
        report.remaining = [f"{c.action} {c.address}" for c in verify.changes if not c.is_policy]
        _record_last_apply(session, report, verify, fingerprints, git_commit)
        audit.write("apply_done", **report.model_dump())
        if report.failed:
            raise ApplyError(
                f"apply stopped: {len(report.failed)} change(s) failed",
                applied=report.applied,
                failed=report.failed,
                not_attempted=report.not_attempted,
            )
        return report


def _record_last_apply(
    session: Session, report: ApplyReport, verify: Plan, fingerprints: dict[str, str], git_commit: str | None
) -> None:
    path = session.settings.last_apply_file
    record: dict[str, Any] = load_last_apply(path)
    record.update(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "plan_hash": report.plan_hash,
            "approval": report.approval,
            "git_commit": git_commit,
            "applied": len(report.applied),
            "failed": len(report.failed),
            "secret_fingerprints": fingerprints,
        }
    )
    # The live state the verification saw, per scope, lets `drift` tell "live moved" from "desired moved".
    scopes = record.setdefault("scopes", {})
    for summary in verify.scopes:
        scopes[f"{summary.kind}/{summary.scope}"] = {
            "verified_hash": verify.plan_hash,
            "time": record["time"],
            # Per scope, because an apply narrowed with --target leaves the other scopes' record as it was.
            "git_commit": git_commit,
        }
    save_last_apply(path, record)
