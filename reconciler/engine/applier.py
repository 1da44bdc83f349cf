"""The apply orchestrator: lock → re-plan → refuse stale or unsafe → journal → execute → audit → verify.

Every exit path keeps the same promise: whatever is raised (an API error, a kind's bug, Ctrl-C, a lost
answer, a failed verification), the audit log gets an ``apply_done`` entry with what was applied, what
failed, what has an unknown outcome and what was not attempted, the last-apply record covers what was
applied, and the journal tells the next run where this one stopped (engine/execution.py does that part).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import httpx

from reconciler.audit import AuditLog
from reconciler.engine.diff import field_changes
from reconciler.engine.execution import ApplyReport, PlanSource, Run
from reconciler.engine.journal import Journal, read_journal
from reconciler.engine.lock import account_lock_name, apply_lock, user_lock_dir
from reconciler.engine.model import Plan, scope_title
from reconciler.engine.planner import Target, load_for_plan, plan_desired
from reconciler.engine.render import field_lines
from reconciler.engine.session import Session
from reconciler.errors import ApprovalError, LockError, StalePlan, UnsafePlan

log = logging.getLogger(__name__)

HUMAN_APPROVALS = frozenset({"interactive", "saved_plan", "expected_hash", "mcp_elicitation", "mcp_page"})
# The approvals that may not change the rules, named as the refusal says them.
_APPROVAL_WORDS = {
    "auto_approve": "an --auto-approve apply",
    "mcp_token (model-satisfiable)": "an MCP approval token (the model can satisfy it)",
    "mcp_pull_request": "an MCP pull request apply",
    "mcp_none": "an MCP apply without approval",
}
"""Approvals a person gave after seeing the plan; only these may approve a change of the rules (policy)."""


def _moved(what: str, title: str, was: Any, now: Any) -> list[str]:
    """A moved value field by field, in the plan's own words (``ttl: 3600 → 300``)."""
    if was is None or now is None:
        return [f"{what}: {title} ({'appeared' if was is None else 'disappeared'})"]
    return [
        f"{what}: {title}",
        *(f"  {line}" for item in field_changes(was, now) for line in field_lines(item)),
    ]


def describe_moves(approved: Plan | None, current: Plan) -> list[str]:
    """Human lines naming what differs between an approved plan and the plan computed now."""
    if approved is None:
        head = [f"expected plan hash differs from the current one ({current.plan_hash[:12]})"]
        head += [f"now planned: {c.label}" for c in current.changes[:20]]
        return head
    old = {(c.address, c.action): c for c in approved.changes}
    new = {(c.address, c.action): c for c in current.changes}
    lines: list[str] = []
    for ident, change in new.items():
        before = old.get(ident)
        if before is None:
            lines.append(f"new change: {change.label}")
        elif before.before != change.before:
            lines += _moved("live value moved", change.title, before.before, change.before)
        elif before.after != change.after:
            lines += _moved("desired value moved", change.title, before.after, change.after)
    lines += [f"no longer planned: {change.label}" for ident, change in old.items() if ident not in new]
    if not lines:
        lines.append("a sensitive value or the plan format changed")
    return lines


def desired_source(targets: Sequence[Target], git_commit: str | None) -> PlanSource:
    """The ordinary plan source: reload the desired files, re-fetch live state, diff."""
    target_list = list(targets)

    async def compute(session: Session) -> Plan:
        desired = load_for_plan(session, target_list)
        return await plan_desired(session, desired, targets=target_list, git_commit=git_commit)

    return compute


def _account_lock(session: Session) -> AbstractContextManager[None]:
    settings = session.settings
    if settings.sandbox:
        # The built-in simulator's account lives in the work directory, whose lock is already held.
        return nullcontext()
    name = account_lock_name(
        api_host=httpx.URL(settings.api_url).netloc.decode(),
        # The configured account, never one a plan resolved lazily: every apply must pick the same name.
        account_id=session.config.account,
        token=settings.token,
    )
    folder = settings.lock_dir or user_lock_dir()
    return apply_lock(folder / name, scope=f"on account {name.removesuffix('.lock')} on this machine")


def settle_interrupted(session: Session) -> str | None:
    """Close the journal of an interrupted apply once a plan finds nothing left to do; returns its id.

    ``apply`` calls it when its plan is empty, so that the next plans stop reporting an interruption
    whose changes are all in place. The audit log records the interrupted apply (its ``apply_done`` may
    never have been written). Skipped while another apply holds the work directory's lock.
    """
    settings = session.settings
    state = read_journal(settings.journal_file)
    if state is None or not state.interrupted:
        return None
    try:
        with apply_lock(settings.lock_file, scope="in this work directory"):
            AuditLog(settings.audit_file, secrets=session.secrets).write(
                "apply_interrupted", **state.summary(), settled=True
            )
            Journal(settings.journal_file).end("settled")
    except LockError:
        return None
    return state.apply_id


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
    source: PlanSource | None = None,
    on_first_write: Callable[[], None] | None = None,
    undo_of: str | None = None,
) -> ApplyReport:
    """Apply the plan whose hash a human approved.

    1. take the work-directory lock, then the account lock (one apply per account on this machine)
    2. note an interrupted earlier apply (journal) in the audit log
    3. recompute the plan (``source``: the desired files by default)
    4. refuse when the hash differs from ``expected_hash`` (StalePlan names what moved)
    5. refuse protect-rule violations always, threshold violations unless ``force``, and a change of the
       rules (policy) unless a human approved (``HUMAN_APPROVALS``)
    6. journal each write's intent, execute changes in plan order, audit each one; ``on_first_write`` runs
       once something may have changed (MCP consumes the approval there)
    7. stop at the first failure; any exception becomes part of an exact report (ApplyError)
    8. re-plan to verify convergence and to check writes of unknown outcome; record the last apply

    Raises ApplyError (something failed), UnverifiedApply (all applied, the verification could not run),
    or re-raises KeyboardInterrupt / CancelledError after recording what was done.
    """
    compute = source or desired_source(targets, git_commit)
    settings = session.settings
    audit = AuditLog(settings.audit_file, secrets=session.secrets)
    with apply_lock(settings.lock_file, scope="in this work directory"), _account_lock(session):
        # Lookups cached by a plan made earlier in this session (the interactive apply's) would hide what
        # moved since: the re-plan reads live state afresh.
        session.ctx.cache.clear()
        current = await compute(session)
        if current.plan_hash != expected_hash:
            moved = describe_moves(approved, current)
            audit.write("refused", reason="stale", expected=expected_hash, actual=current.plan_hash)
            raise StalePlan(
                f"stale plan: the approved plan {expected_hash[:12]} no longer matches live and desired "
                f"state (now {current.plan_hash[:12]})",
                moved=moved,
            )
        blocked = [f"{c.address}: {c.blocked}" for c in current.changes if c.blocked]
        unsafe = [f"{scope_title(s.kind, s.scope)}: {s.unsafe}" for s in current.scopes if s.unsafe]
        if blocked or (unsafe and not force):
            audit.write("refused", reason="unsafe", plan_hash=current.plan_hash, details=blocked + unsafe)
            raise UnsafePlan("unsafe plan refused:\n" + "\n".join(f"  {line}" for line in blocked + unsafe))
        policy = [reason for change in current.policy_changes for reason in change.risky[1:]]
        if policy and approval not in HUMAN_APPROVALS:
            audit.write(
                "refused", reason="policy", plan_hash=current.plan_hash, approval=approval, details=policy
            )
            raise ApprovalError(
                f"plan {current.plan_hash[:12]} changes the rules in infomaniak.yaml (policy), and "
                f"{_APPROVAL_WORDS.get(approval, f'the {approval!r} approval')} cannot approve that: "
                "a person must (interactive, page, elicitation, reviewed plan hash)\n"
                + "\n".join(f"  {line}" for line in policy)
            )
        run = Run(session, current, audit, approval=approval, git_commit=git_commit, undo_of=undo_of)
        run.on_first_write = on_first_write
        run.policy = policy
        await run.execute(stop_on_failure=stop_on_failure)
        return await run.verify(compute)


__all__ = [
    "HUMAN_APPROVALS",
    "ApplyReport",
    "PlanSource",
    "apply_plan",
    "describe_moves",
    "desired_source",
    "settle_interrupted",
]
