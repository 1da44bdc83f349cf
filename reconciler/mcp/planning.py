"""Plan, apply and drift for the MCP tools, written against the engine and testable without MCP."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.desired import load_desired
from reconciler.engine import Plan, apply_plan, make_plan, parse_targets, render_text
from reconciler.engine.drift import compute_drift, memo_kinds
from reconciler.engine.session import load_last_apply
from reconciler.errors import ApiError, ApprovalError, LockError
from reconciler.gitinfo import head_commit
from reconciler.kinds import all_kinds
from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import TOKEN_TTL_SECONDS, Channel, Registration, choose_channel
from reconciler.mcp.models import ApplyResult, DriftEntry, DriftResult, PlanResult

UNSAFE_HOWTO = (
    "This plan is unsafe, so it cannot be applied from here. Protect rules are never overridden; a threshold "
    "can be overridden only by a human running `infomaniak-gitops apply --force`. Narrow the change instead."
)


def no_channel_howto(app: McpApp) -> str:
    """Why no approval is possible, and what the user can change."""
    mode = app.mode().value
    return (
        f"No approval channel is available (approval mode {mode!r}): this client cannot ask the user to "
        "confirm (no elicitation support) and the local approval page is "
        f"{'disabled' if app.page_url is None else 'not allowed in this mode'}. The user can set "
        "`approval: {mode: auto}` in infomaniak.yaml (page fallback), start the server without "
        "--no-approval-page, use a client with elicitation, or apply from a terminal with "
        "`infomaniak-gitops apply`."
    )


def pull_request_howto(plan_hash: str) -> str:
    return (
        "Approval mode is pull_request: commit the edits on a branch (ik_git_commit with branch), push it "
        "and open a pull request; after review, CI applies with "
        f"`infomaniak-gitops apply --expect-plan-hash {plan_hash}`."
    )


def approval_howto(app: McpApp, channel: Channel, item: Registration) -> str:
    """What the model should do (and tell the user) to get ``item`` approved over ``channel``."""
    plan_hash = item.plan_hash
    if item.decision == "approved":
        return f"Already approved by the user. Call ik_apply with plan_hash={plan_hash}."
    if channel is Channel.ELICITATION:
        return f"Call ik_apply with plan_hash={plan_hash}; the user will be asked to confirm in the client."
    if channel is Channel.PAGE and item.page_token is not None:
        url = f"{app.page_url}/approve/{item.page_token}"
        return (
            f"Ask the user to open {url} , review the plan and click Approve (one-time link, 30 minutes). "
            f"Then call ik_apply with plan_hash={plan_hash}."
        )
    if channel is Channel.TOKEN:
        return (
            f"Token mode (headless automation): call ik_apply with plan_hash={plan_hash} and "
            f"approval_token={item.approval_token} within {TOKEN_TTL_SECONDS // 60} minutes (single use)."
        )
    if channel is Channel.PULL_REQUEST:
        return pull_request_howto(plan_hash)
    return no_channel_howto(app)


async def compute_plan(app: McpApp, targets: Sequence[str]) -> Plan:
    async with app.session() as session:
        return await make_plan(
            session, targets=parse_targets(targets), git_commit=head_commit(app.settings.state_dir)
        )


async def plan_and_register(app: McpApp, targets: Sequence[str], *, can_elicit: bool) -> PlanResult:
    """Plan; register an applicable plan for approval; say how to approve it."""
    plan = await compute_plan(app, targets)
    text = render_text(plan)
    result = PlanResult(
        plan_hash=plan.plan_hash if plan.has_changes else None,
        counts=plan.counts(),
        unsafe=plan.unsafe_reasons,
        approval="Nothing to apply.",
        text=text,
    )
    if not plan.has_changes:
        return result
    if plan.unsafe_reasons:
        result.approval = UNSAFE_HOWTO
        return result
    if app.read_only:
        result.approval = "This server is read-only: it cannot apply. Use `infomaniak-gitops apply`."
        return result
    channel = choose_channel(app.mode(), can_elicit=can_elicit, page_available=app.page_url is not None)
    item = app.store.register(
        plan, text, tuple(targets), page=channel is Channel.PAGE, token=channel is Channel.TOKEN
    )
    app.audit().write(
        "approval_requested",
        plan_hash=plan.plan_hash,
        channel=channel.value,
        model_satisfiable=channel is Channel.TOKEN,
    )
    result.approval = approval_howto(app, channel, item)
    return result


def confirm_question(item: Registration, *, max_changes: int = 15) -> str:
    """The elicitation message: only the registered plan, never text the model sent with the call."""
    plan = item.plan
    where = "the sandbox" if plan.sandbox else f"Infomaniak account {plan.account_id or '(token default)'}"
    lines = [f"Apply plan {plan.plan_hash[:12]} to {where}?", plan.summary_line()]
    marks = {"create": "+", "update": "~", "delete": "-"}
    lines += [f"  {marks[c.action]} {c.address}" for c in plan.changes[:max_changes]]
    if len(plan.changes) > max_changes:
        lines.append(f"  … and {len(plan.changes) - max_changes} more")
    return "\n".join(lines)


def check_approval(app: McpApp, plan_hash: str, channel: Channel, token: str | None) -> Registration:
    """The registration once ``channel`` approved it (elicitation is checked by the caller first)."""
    if channel is Channel.PAGE:
        item = app.store.require(plan_hash)
        if item.page_token is None and item.decision == "pending":
            # Planned by a client that could ask the user; this one cannot, so it needs its own link.
            raise ApprovalError(f"plan {plan_hash[:12]} has no approval link yet; call ik_plan to get one")
        return app.store.check_page_approval(plan_hash)
    if channel is Channel.TOKEN:
        return app.store.redeem_token(plan_hash, token)
    if channel is Channel.ELICITATION:
        return app.store.require(plan_hash)
    if channel is Channel.PULL_REQUEST:
        raise ApprovalError(pull_request_howto(plan_hash))
    raise ApprovalError(no_channel_howto(app))


async def apply_registered(app: McpApp, item: Registration, channel: Channel) -> ApplyResult:
    """Apply exactly the approved plan; the engine re-plans and refuses a stale one."""
    app.require_writable()
    try:
        async with app.session() as session:
            report = await apply_plan(
                session,
                expected_hash=item.plan_hash,
                approval=channel.audit_name,
                targets=parse_targets(item.targets),
                approved=item.plan,
                git_commit=head_commit(app.settings.state_dir),
            )
    except (LockError, ApiError):
        raise  # nothing was applied; the approval stays valid for a retry
    except BaseException:
        app.store.consume(item.plan_hash)
        raise
    app.store.consume(item.plan_hash)
    return ApplyResult(
        plan_hash=report.plan_hash,
        approval=report.approval,
        applied=report.applied,
        remaining=report.remaining,
    )


async def drift(app: McpApp, targets: Sequence[str]) -> DriftResult:
    """Differences between live state and the desired files here, with the side that moved.

    The side comes from the audit log's last applied value of each resource (the CLI's ``drift`` also plans
    the commits the last apply verified; that orchestration lives in the CLI, not the engine).
    """
    target_list = parse_targets(targets)
    kinds = memo_kinds(all_kinds())
    selected = [(t.kind, t.scope) for t in target_list] or None
    state_dir = app.settings.state_dir
    base = load_desired(state_dir, kinds, selected=selected)
    async with app.session(kinds=kinds) as session:
        report = await compute_drift(
            session,
            base,
            base_label="working tree",
            base_commit=head_commit(state_dir),
            targets=target_list,
            record=load_last_apply(app.settings.last_apply_file),
            audit_entries=app.audit().entries(),
        )
    differences = [
        DriftEntry(address=item.address, action=item.action, side=item.side, reason=item.reason)
        for item in report.items
    ]
    return DriftResult(in_sync=not report.drifted, differences=differences, notes=report.notes)


__all__ = [
    "apply_registered",
    "approval_howto",
    "check_approval",
    "compute_plan",
    "confirm_question",
    "drift",
    "no_channel_howto",
    "plan_and_register",
]
