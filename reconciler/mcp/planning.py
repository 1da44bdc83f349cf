"""Plan, apply and drift for the MCP tools, written against the engine and testable without MCP."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from reconciler.desired import load_desired
from reconciler.engine import (
    QUESTION_LIMIT,
    Plan,
    apply_plan,
    compute_drift,
    head_commit,
    load_last_apply,
    make_plan,
    memo_kinds,
    parse_targets,
    render_approval,
    render_text,
    tree_state,
)
from reconciler.errors import ApiError, ApprovalError, LockError
from reconciler.kinds import all_kinds
from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import (
    APPROVAL_MODE_ENV,
    STRICTNESS,
    TOKEN_TTL_SECONDS,
    ApprovalMode,
    Channel,
    Registration,
    choose_channel,
)
from reconciler.mcp.models import ApplyResult, DriftEntry, DriftResult, PlanResult

UNSAFE_HOWTO = (
    "This plan is unsafe, so it cannot be applied from here. Protect rules are never overridden; a threshold "
    "can be overridden only by a human running `infomaniak-gitops apply --force`. Narrow the change instead."
)


def no_channel_howto(app: McpApp) -> str:
    """Why no approval is possible, and only the settings that would change that (none already in force)."""
    mode = app.mode()
    options: list[str] = []
    if app.page_url is None:
        if not app.read_only:
            options.append("restart the server without --no-approval-page (the page is the fallback)")
    elif mode is ApprovalMode.ELICITATION:
        options.append(
            f"restart the server with --approval auto (or {APPROVAL_MODE_ENV}=auto) and remove any stricter "
            "`approval: {mode: ...}` from infomaniak.yaml, so the approval page can be used"
        )
    options += [
        "use a client that supports elicitation",
        "apply from a terminal with `infomaniak-gitops apply`",
    ]
    page = "disabled" if app.page_url is None else f"not allowed in approval mode {mode.value!r}"
    return (
        f"No approval channel is available (approval mode {mode.value!r}): this client cannot ask the user "
        f"to confirm (no elicitation support) and the local approval page is {page}. The user can "
        + "; or ".join(options)
        + "."
    )


def channel_for(app: McpApp, plan: Plan, *, can_elicit: bool) -> Channel:
    """The channel ``plan`` is approved through; a change of the rules never goes to the token."""
    mode = app.mode()
    if plan.policy_changes and mode is ApprovalMode.TOKEN:
        mode = ApprovalMode.AUTO
    return choose_channel(mode, can_elicit=can_elicit, page_available=app.page_url is not None)


def mode_note(app: McpApp) -> str | None:
    """Says so when infomaniak.yaml asks for a looser approval mode than the launch configuration."""
    asked = app.config().approval.mode
    launch = app.launch_mode()
    if asked is None or STRICTNESS[ApprovalMode(asked)] >= STRICTNESS[launch]:
        return None
    return (
        f"infomaniak.yaml asks for approval mode {asked!r}, looser than the server's {launch.value!r}: "
        "ignored. Only the server's launch configuration (--approval or "
        f"{APPROVAL_MODE_ENV} in the MCP client's settings) can loosen it."
    )


def uncommitted(app: McpApp) -> str | None:
    """Why the desired state cannot be applied to a real account as it is; None when it is a commit.

    Sandbox runs are exempt: the sandbox is where edits are tried before they are committed.
    """
    if app.settings.sandbox:
        return None
    state_dir = app.settings.state_dir
    found = tree_state(state_dir)
    if found.repository is None:
        return (
            f"the state directory {state_dir.resolve()} is not in a git repository, and what is applied to "
            "a real account must be a commit: the user runs `git init` there and commits it, or starts a "
            "configuration repository with `infomaniak-gitops init` and the server in its root"
        )
    if found.commit is None:
        return (
            "the desired state is not in a git commit, and what is applied to a real account must be one: "
            "the user can `git init` the repository and commit the state directory"
        )
    unseen = found.unseen()
    if unseen:
        return (
            "desired files that plans read are not in any commit, and ik_git_commit cannot add them: "
            + "; ".join(unseen)
            + ". The user fixes this in the repository, then ik_git_commit"
        )
    if found.changed:
        return (
            "the desired files have uncommitted changes, and what is applied to a real account is a commit: "
            "call ik_git_commit (with a branch for review), then ik_apply with the same plan_hash"
        )
    return None


def require_committed(app: McpApp) -> None:
    """Refuse, before anyone is asked, to apply a working tree that is not a commit to a real account."""
    reason = uncommitted(app)
    if reason is not None:
        raise ApprovalError(f"refusing to apply: {reason}")


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
            f"Ask the user to open {url} , review the plan and click Approve (one-time link, 30 minutes; "
            "it works only while this server process runs, so a client that starts the server per call "
            f"loses it). Then call ik_apply with plan_hash={plan_hash}."
        )
    if channel is Channel.TOKEN and item.approval_token is not None:
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
    channel = channel_for(app, plan, can_elicit=can_elicit)
    item = app.store.register(
        plan, text, tuple(targets), page=channel is Channel.PAGE, token=channel is Channel.TOKEN
    )
    app.audit().write(
        "approval_requested",
        plan_hash=plan.plan_hash,
        channel=channel.value,
        model_satisfiable=channel is Channel.TOKEN,
        policy=bool(plan.policy_changes),
    )
    notes = [note for note in (mode_note(app),) if note]
    if plan.policy_changes:
        notes.append(
            "This plan changes the rules in infomaniak.yaml (policy, shown first): only the user can approve "
            "it, never a token. Tell the user what it loosens."
        )
    reason = uncommitted(app)
    if reason is not None:
        notes.append(f"Before applying: {reason}.")
    result.approval = " ".join([*notes, approval_howto(app, channel, item)])
    return result


def full_plan_pointer(app: McpApp, item: Registration) -> str:
    """Where the human reads the whole plan when the question cannot hold it: the page, else a terminal."""
    if app.page_url is not None and not app.read_only:
        if item.page_token is None:
            item.page_token = secrets.token_urlsafe(32)
        return f"{app.page_url}/approve/{item.page_token} (the approval page, every value in full)"
    return f"run `infomaniak-gitops --state {app.settings.state_dir} plan` in a terminal"


def confirm_question(app: McpApp, item: Registration, *, limit: int = QUESTION_LIMIT) -> str:
    """The elicitation message: only the registered plan, never text the model sent with the call."""
    return render_approval(item.plan, limit=limit, full_plan=full_plan_pointer(app, item))


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
    require_committed(app)
    try:
        async with app.session() as session:
            report = await apply_plan(
                session,
                expected_hash=item.plan_hash,
                approval=channel.audit_name,
                targets=parse_targets(item.targets),
                approved=item.plan,
                git_commit=head_commit(app.settings.state_dir),
                # One approval never covers two applies: spent as soon as anything may have changed.
                on_first_write=lambda: app.store.consume(item.plan_hash),
            )
    except (LockError, ApiError):
        raise  # raised before any write (the engine reports later ones as ApplyError): approval kept
    except BaseException:
        app.store.consume(item.plan_hash)
        raise
    app.store.consume(item.plan_hash)
    return ApplyResult(
        plan_hash=report.plan_hash,
        approval=report.approval,
        apply_id=report.apply_id,
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
    "channel_for",
    "check_approval",
    "compute_plan",
    "confirm_question",
    "drift",
    "full_plan_pointer",
    "no_channel_howto",
    "plan_and_register",
    "require_committed",
    "uncommitted",
]
