"""One apply's execution and its bookkeeping: journal, audit entries, report, last-apply record.

``applier.apply_plan`` decides whether to apply; :class:`Run` does it, so that every exit
path (an API error, a kind's bug, Ctrl-C, a lost answer, a failed verification) ends with an ``apply_done``
entry, a last-apply record covering what was applied, and the journal's end.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, Field

from reconciler.audit import AuditLog
from reconciler.engine.journal import Journal, JournalChange, read_journal
from reconciler.engine.model import Change, Plan
from reconciler.engine.planner import reuse_unchanged
from reconciler.engine.session import Session, load_last_apply, save_last_apply
from reconciler.errors import ApiError, ApplyError, ReconcilerError, UnverifiedApply
from reconciler.kinds.base import SENSITIVE_MARK

log = logging.getLogger(__name__)

PlanSource = Callable[[Session], Awaitable[Plan]]
"""Recomputes the plan being applied (from the desired files, or from an apply to undo)."""

# Raised before a byte of the request left the machine: the write certainly did not run.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class ApplyReport(BaseModel):
    """What an apply did; also the body of the ``apply_done`` audit entry."""

    apply_id: str = ""
    plan_hash: str
    approval: str
    outcome: str = Field(
        "converged",
        description="converged, not_converged (verification still plans changes), failed, unverified "
        "(verification could not run), interrupted.",
    )
    applied: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)
    outcome_unknown: list[str] = Field(
        default_factory=list, description="Writes whose answer was lost; the verification says if they ran."
    )
    not_attempted: list[str] = Field(default_factory=list)
    remaining: list[str] = Field(
        default_factory=list, description="Changes the verification re-plan still finds (should be empty)."
    )
    verification_error: str | None = None
    addresses: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The machine address (kind/scope/key, what rules and per-change audit entries name) of "
        "each line of applied, failed, outcome_unknown, not_attempted and remaining, in the same order.",
    )

    def note(self, status: str, change: Change, line: str) -> None:
        """Add ``line`` to the ``status`` list and ``change``'s address to the same place of ``addresses``."""
        lines: list[str] = getattr(self, status)
        lines.append(line)
        self.addresses.setdefault(status, []).append(change.address)

    @property
    def converged(self) -> bool:
        return self.outcome == "converged"


def new_apply_id() -> str:
    """Sortable and short: ``20260131T101500Z-3fa2c1``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


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


def answer_lost(exc: BaseException) -> bool:
    """True when a request went out but its answer never came back: the write may or may not have run."""
    cause = exc.__cause__
    return (
        isinstance(exc, ApiError)
        and exc.status is None
        and isinstance(cause, httpx.TransportError)
        and not isinstance(cause, _NOT_SENT)
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ReconcilerError):
        return str(exc)
    # A kind's bug: name the exception class, which is all a user can report.
    return f"{type(exc).__name__}: {exc}"


def _fingerprints(session: Session, change: Change) -> dict[str, str]:
    """Non-secret fingerprints of sensitive fields, recorded so the next plan can tell a secret changed."""
    kind = session.kind(change.kind)
    hashed = change.hash_form()["after"] or {}
    return {
        f"{change.kind}/{change.scope}/{change.display_key}/{name}": str(hashed[name])
        for name in kind.sensitive_fields
        if hashed.get(name) is not None
    }


def _before_spec(session: Session, change: Change) -> dict[str, Any] | None:
    """The live spec before the change, for ``undo``; sensitive fields only as the sensitive mark."""
    if change.live is None:
        return None
    spec = change.live.spec.model_dump(mode="json")
    for name in session.kind(change.kind).sensitive_fields:
        if spec.get(name) is not None:
            spec[name] = SENSITIVE_MARK
    return spec


def _model_name(change: Change) -> str | None:
    """``module:Class`` of the live spec, so that undo rebuilds the before-value in the same model."""
    if change.live is None:
        return None
    model = type(change.live.spec)
    return f"{model.__module__}:{model.__qualname__}"


class Run:
    """One apply's execution and its bookkeeping (journal, audit, report, last-apply record)."""

    def __init__(
        self,
        session: Session,
        plan: Plan,
        audit: AuditLog,
        *,
        approval: str,
        git_commit: str | None,
        undo_of: str | None,
    ) -> None:
        self.session = session
        self.plan = plan
        self.audit = audit
        self.git_commit = git_commit
        self.report = ApplyReport(apply_id=new_apply_id(), plan_hash=plan.plan_hash, approval=approval)
        # A policy change has nothing to execute: approving it let the plan run under the working-tree rules.
        self.changes = [change for change in plan.changes if not change.is_policy]
        self.labels = [change.label for change in self.changes]
        self.policy: list[str] = []
        self.journal = Journal(session.settings.journal_file)
        self.fingerprints: dict[str, str] = dict(session.ctx.secret_fingerprints)
        self.unknown: list[tuple[int, Change]] = []
        self.failed_changes: list[Change] = []
        self.on_first_write: Callable[[], None] | None = None
        self.undo_of = undo_of

    def _ids(self) -> dict[str, Any]:
        return {"apply_id": self.report.apply_id, "plan_hash": self.plan.plan_hash}

    def _touched(self) -> None:
        callback, self.on_first_write = self.on_first_write, None
        if callback is not None:
            callback()

    async def execute(self, *, stop_on_failure: bool) -> None:
        report = self.report
        previous = read_journal(self.journal.path)
        if previous is not None and previous.interrupted:
            # Its apply_done may never have been written (kill -9): the audit log learns of it here.
            self.audit.write("apply_interrupted", **previous.summary())
        self.journal.begin(
            apply_id=report.apply_id,
            plan_hash=self.plan.plan_hash,
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            changes=[JournalChange.of(change) for change in self.changes],
        )
        self.audit.write(
            "apply_attempt",
            **self._ids(),
            approval=report.approval,
            sandbox=self.session.settings.sandbox,
            git_commit=self.git_commit,
            changes=len(self.changes),
            policy=self.policy,
            **({"undo_of": self.undo_of} if self.undo_of else {}),
        )
        in_flight: int | None = None
        try:
            for index, change in enumerate(self.changes):
                in_flight = index
                self.journal.intent(index)
                try:
                    await _execute(self.session, change)
                except Exception as exc:  # every failure is reported; a kind's bug is also logged
                    in_flight = None
                    self._record_failure(index, change, exc)
                    if stop_on_failure:
                        self._not_attempted(index + 1)
                        return
                    continue
                in_flight = None
                self._record_applied(index, change)
        except BaseException:
            # Ctrl-C (KeyboardInterrupt or the task's CancelledError) or SystemExit: record, then re-raise.
            if in_flight is not None:
                label = self.labels[in_flight]
                self.journal.result(in_flight, "unknown")
                self.unknown.append((in_flight, self.changes[in_flight]))
                report.note(
                    "outcome_unknown",
                    self.changes[in_flight],
                    f"{label}: interrupted while the write was under way",
                )
                self._touched()
                start = in_flight + 1
            else:
                start = len(report.applied) + len(report.failed) + len(report.outcome_unknown)
            self._not_attempted(start)
            report.outcome = "interrupted"
            self._finish(None)
            raise

    def _not_attempted(self, start: int) -> None:
        for index in range(start, len(self.changes)):
            self.report.note("not_attempted", self.changes[index], self.labels[index])

    def _record_failure(self, index: int, change: Change, exc: Exception) -> None:
        label = self.labels[index]
        detail = _describe(exc)
        if not isinstance(exc, ReconcilerError):
            log.error("apply %s: %s raised a bug", self.report.apply_id, label, exc_info=exc)
        if answer_lost(exc):
            self.journal.result(index, "unknown")
            self.unknown.append((index, change))
            self.report.note("outcome_unknown", change, f"{label}: {detail}")
            self.audit.write(
                "outcome_unknown",
                **self._ids(),
                change=change.address,
                label=label,
                action=change.action,
                error=detail,
            )
            self._touched()
            return
        self.journal.result(index, "failed")
        self.failed_changes.append(change)
        self.report.note("failed", change, f"{label}: {detail}")
        self.audit.write(
            "failed", **self._ids(), change=change.address, label=label, action=change.action, error=detail
        )

    def _record_applied(self, index: int, change: Change, *, confirmed_by: str | None = None) -> None:
        if confirmed_by is None:
            self.journal.result(index, "applied")
            self.report.note("applied", change, self.labels[index])
        self._touched()
        self.fingerprints.update(_fingerprints(self.session, change))
        self.audit.write(
            "applied",
            **self._ids(),
            change=change.address,
            label=change.label,
            kind=change.kind,
            scope=change.scope,
            key=change.key,
            action=change.action,
            before=change.before,
            after=change.after,
            before_spec=_before_spec(self.session, change),
            before_model=_model_name(change),
            **({"confirmed_by": confirmed_by} if confirmed_by else {}),
        )

    async def verify(self, compute: PlanSource) -> ApplyReport:
        report = self.report
        ctx = self.session.ctx
        ctx.secret_fingerprints = self.fingerprints
        ctx.cache.clear()
        verify: Plan | None = None
        try:
            with reuse_unchanged(self.session, self.plan):
                verify = await compute(self.session)
        except Exception as exc:
            # The changes stay applied; only the check is missing, and the report says so.
            report.verification_error = _describe(exc)
        except BaseException:
            report.outcome = "interrupted"
            report.verification_error = "interrupted before the verification finished"
            self._finish(None)
            raise
        notes: list[str] = []
        if verify is not None:
            for change in verify.changes:
                if not change.is_policy:
                    report.note("remaining", change, change.label)
            planned = {c.address for c in verify.changes}
            for position, (index, change) in enumerate(self.unknown):
                if change.address in planned:
                    verdict = "verification: it did not take effect (still planned)"
                else:
                    verdict = "verification: it took effect"
                    self._record_applied(index, change, confirmed_by="verification")
                report.outcome_unknown[position] += f" — {verdict}"
            for position, change in enumerate(self.failed_changes):
                if change.address not in planned:
                    report.failed[position] += " — verification: it is in place now"
        else:
            notes.append(
                f"verification: could not re-plan ({report.verification_error}); "
                "the changes above stay applied — run `infomaniak-gitops plan` to check"
            )
        stopped = bool(report.failed or report.not_attempted)
        unresolved = bool(report.outcome_unknown) and (verify is None or bool(report.remaining))
        if stopped or unresolved:
            report.outcome = "failed"
        elif verify is None:
            report.outcome = "unverified"
        elif report.remaining:
            report.outcome = "not_converged"
        else:
            report.outcome = "converged"
        self._finish(verify)
        if report.outcome == "failed":
            count = len(report.failed) + len(report.outcome_unknown)
            raise ApplyError(
                f"apply {report.apply_id} stopped: {count} change(s) failed or have an unknown outcome",
                applied=report.applied,
                failed=report.failed,
                outcome_unknown=report.outcome_unknown,
                not_attempted=report.not_attempted,
                apply_id=report.apply_id,
                notes=notes,
            )
        if report.outcome == "unverified":
            raise UnverifiedApply(
                f"apply {report.apply_id}: all {len(report.applied)} change(s) were applied, "
                "but the verification could not run",
                applied=report.applied,
                failed=[],
                not_attempted=[],
                apply_id=report.apply_id,
                notes=notes,
            )
        return report

    def _finish(self, verify: Plan | None) -> None:
        """apply_done in the audit log, the last-apply record, then the journal's end (in that order)."""
        self.audit.write("apply_done", **self.report.model_dump())
        record_last_apply(
            self.session, self.report, verify, self.fingerprints, self.git_commit, self.audit.last_hash
        )
        self.journal.end(self.report.outcome)


def record_last_apply(
    session: Session,
    report: ApplyReport,
    verify: Plan | None,
    fingerprints: dict[str, str],
    git_commit: str | None,
    audit_head: str | None,
) -> None:
    path = session.settings.last_apply_file
    record: dict[str, Any] = load_last_apply(path)
    record.update(
        {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "apply_id": report.apply_id,
            "plan_hash": report.plan_hash,
            "approval": report.approval,
            "git_commit": git_commit,
            "outcome": report.outcome,
            "applied": len(report.applied),
            # Drift trusts a scope's commit only after a clean apply; unknown outcomes count as failures.
            "failed": len(report.failed) + len(report.outcome_unknown),
            "verified": verify is not None,
            "secret_fingerprints": fingerprints,
            "audit_head": audit_head,
        }
    )
    if verify is None:
        # Nothing verified: the scopes keep their older entries, whose time no longer matches the record's,
        # so drift falls back to the audit log's applied values for them.
        save_last_apply(path, record)
        return
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


__all__ = ["ApplyReport", "PlanSource", "Run", "answer_lost", "new_apply_id", "record_last_apply"]
