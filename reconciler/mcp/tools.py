"""The tool handlers: a few lines each, calling functions that are tested without MCP.

Handlers and resolvers live at module level because the SDK evaluates their (string) annotations in this
module's namespace. Docstrings are the tool descriptions the model reads: short, with the next step.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import (
    AcceptedElicitation,
    CancelledElicitation,
    Context,
    DeclinedElicitation,
    Elicit,
    ElicitationResult,
    Resolve,
)
from mcp_types import CallToolResult, TextContent
from pydantic import AfterValidator, BaseModel, Field

from reconciler.desired import (
    STATE_DIR_MISSING,
    EditResult,
    load_desired,
    read_scope,
    remove_entry,
    set_entry,
)
from reconciler.engine import AUDITS, find_read_kind, scope_title
from reconciler.errors import ApprovalError, DesiredStateError
from reconciler.kinds import all_kinds, get_kind
from reconciler.mcp import gitops, history, inventory, live, planning
from reconciler.mcp.app import McpApp
from reconciler.mcp.approval import Channel
from reconciler.mcp.bounds import (
    MAX_ARGUMENT,
    MAX_RESULT,
    MAX_SPEC,
    MAX_TARGETS,
    NARROW,
    clip,
    size,
    untrusted,
)
from reconciler.mcp.errors import tool_errors
from reconciler.mcp.models import ApplyResult, CommitResult, DriftResult, Overview, PlanResult
from reconciler.mcp.names import ToolName

Ctx = Context[Any, Any]


def _spec_size(spec: dict[str, Any]) -> dict[str, Any]:
    if size(spec) > MAX_SPEC:
        raise ValueError(
            f"the entry is larger than {MAX_SPEC:,} characters as JSON (DNS allows 65,535 bytes)"
        )
    return spec


KindArg = Annotated[
    str, Field(description="Resource kind, e.g. dns, mailbox_security, share_links.", max_length=40)
]
ScopeArg = Annotated[
    str, Field(description="Scope as plan headers spell it: example.ch, Demo Drive, teams.", max_length=253)
]
ScopeOpt = Annotated[
    str | None,
    Field(
        description="Scope as plan headers spell it, e.g. example.ch; omit to list scopes.", max_length=253
    ),
]
KeyArg = Annotated[
    str,
    Field(
        description="Entry key as plans show it; DNS: 'NAME TYPE', e.g. 'www A', '@ MX'.",
        max_length=MAX_ARGUMENT,
    ),
]
TargetsArg = Annotated[
    list[Annotated[str, Field(max_length=MAX_ARGUMENT)]] | None,
    Field(
        description="KIND or KIND/SCOPE as plan headers spell them, e.g. ['dns/example.ch', 'teams']; "
        "omit for all.",
        max_length=MAX_TARGETS,
    ),
]
PlanHashArg = Annotated[str, Field(description="plan_hash from ik_plan.", pattern="^[0-9a-f]{64}$")]


class Confirm(BaseModel):
    """What the user answers in the client when asked to apply."""

    approve: bool = Field(title="Apply this plan", description="Apply exactly the changes shown.")


class NotAsked(BaseModel):
    """The resolver's answer when the user is not asked in the client; ``channel`` decides instead."""

    channel: Channel


def app_of(ctx: Ctx) -> McpApp:
    app = getattr(ctx.mcp_server, "app", None)
    if not isinstance(app, McpApp):
        raise RuntimeError("the reconciler tools run only on the server build_server() returns")
    return app


def client_can_elicit(ctx: Ctx) -> bool:
    """Form elicitation declared (a bare ``elicitation: {}`` means form, as in the SDK's own check)."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _edit_text(result: EditResult, what: str) -> str:
    if not result.changed:
        return f"{result.file}: unchanged ({what} was already so)\n"
    return f"{result.file}: {what}\n{result.diff}Next: ik_plan to see the effect.\n"


# -- live --------------------------------------------------------------------------------------------


@tool_errors
async def ik_overview(ctx: Ctx) -> Overview:
    """Account, products, scopes the desired files manage, last apply, approval mode. Start here."""
    return await live.overview(app_of(ctx))


@tool_errors
async def ik_live_get(
    ctx: Ctx,
    kind: KindArg,
    scope: ScopeOpt = None,
    offset: Annotated[int, Field(description="Read-only kinds: skip rows.", ge=0)] = 0,
    limit: Annotated[int, Field(description="Read-only kinds: rows.", ge=1, le=inventory.MAX_ROWS)] = 50,
) -> str:
    """Live state of any kind (ik_catalog lists them). Managed: a scope as YAML in its file's shape, or
    the scopes. Read-only: rows (all scopes if omitted)."""
    if find_read_kind(kind) is not None:
        text = await inventory.rows_text(app_of(ctx), kind, scope, offset=offset, limit=limit)
        return clip(text, "use a smaller limit or a scope")
    text = await live.live_yaml(app_of(ctx), kind, scope)
    return clip(text, "the scope is large; read its desired file with ik_desired_get instead")


@tool_errors
async def ik_catalog(
    ctx: Ctx,
    product: Annotated[
        str | None, Field(description="e.g. mail, drive, web; omit for all.", max_length=40)
    ] = None,
) -> str:
    """Every kind ik_live_get reads: product, scope, columns; unverified API routes are marked."""
    return inventory.catalog_text(product)


@tool_errors
async def ik_audit(
    ctx: Ctx,
    audits: Annotated[
        list[Annotated[str, Field(max_length=40)]] | None,
        Field(description=f"Some of: {', '.join(a.name for a in AUDITS)}; omit for all.", max_length=20),
    ] = None,
    days: Annotated[int, Field(description="Expiry window.", ge=1, le=366)] = 30,
) -> str:
    """Posture audits: findings with severity, resource, problem and fix (a desired-state edit if any)."""
    text = await inventory.audit_text(app_of(ctx), audits, days=days)
    return clip(text, "run fewer audits at once")


@tool_errors
async def ik_api_get(
    ctx: Ctx,
    path: Annotated[
        str, Field(description="API path under /1/, /2/ or /3/, e.g. /1/products.", max_length=500)
    ],
    params: Annotated[
        dict[
            Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=MAX_ARGUMENT)] | int | bool
        ]
        | None,
        Field(description="Query parameters, e.g. {per_page: 10}.", max_length=20),
    ] = None,
) -> str:
    """Read-only GET of any public API path, for what no kind covers. Answer capped."""
    return await inventory.api_get_text(app_of(ctx), path, params)


# -- desired -----------------------------------------------------------------------------------------


@tool_errors
async def ik_desired_get(ctx: Ctx, kind: KindArg, scope: ScopeOpt = None) -> str:
    """A desired-state file as text (comments included); without scope, the kind's files."""
    app = app_of(ctx)
    found = get_kind(kind)
    if scope is None:
        files = found.scope_files(app.settings.state_dir)
        return f"{found.name} scopes with a desired file: {', '.join(sorted(files)) or 'none'}\n"
    file, text = read_scope(app.settings.state_dir, found, scope)
    return f"# {file}\n{text}"


@tool_errors
async def ik_desired_set(
    ctx: Ctx,
    kind: KindArg,
    scope: ScopeArg,
    key: KeyArg,
    spec: Annotated[
        dict[str, Any],
        Field(
            description="One entry in the file's YAML shape; DNS: {type, ttl?, value | values}.",
            max_length=40,
        ),
        AfterValidator(_spec_size),
    ],
) -> str:
    """Create or replace one entry of a desired file, keeping comments. Invalid: refused, file untouched."""
    app = app_of(ctx)
    app.require_writable()
    result = set_entry(app.settings.state_dir, get_kind(kind), scope, key, spec)
    return _edit_text(result, f"set {key}")


@tool_errors
async def ik_desired_remove(ctx: Ctx, kind: KindArg, scope: ScopeArg, key: KeyArg) -> str:
    """Remove one entry from a desired file (the next apply deletes it live)."""
    app = app_of(ctx)
    app.require_writable()
    result = remove_entry(app.settings.state_dir, get_kind(kind), scope, key)
    return _edit_text(result, f"removed {key}")


@tool_errors
async def ik_validate(ctx: Ctx) -> str:
    """Validate every desired file; problems name file:line and field."""
    app = app_of(ctx)
    try:
        desired = load_desired(app.settings.state_dir, all_kinds())
    except DesiredStateError as exc:
        if any(reason.rule == STATE_DIR_MISSING for reason in exc.reasons):
            raise  # no file to fix: the server was started in the wrong folder (tool_errors says so)
        problems = "\n".join(f"  {reason}" for reason in exc.reasons)
        return f"INVALID ({len(exc.reasons)} problem(s)):\n{problems}\nNext: fix them with ik_desired_set.\n"
    count = sum(len(scope.objects) for scope in desired.scopes)
    return f"OK: {len(desired.scopes)} file(s), {count} resource(s) valid.\n"


@tool_errors
async def ik_import_live(
    ctx: Ctx,
    kind: KindArg,
    scope: ScopeArg,
    overwrite: Annotated[
        bool, Field(description="Replace an existing file (its comments are lost).")
    ] = False,
) -> str:
    """Write a scope's desired file from live state, so its plan becomes empty."""
    result = await live.import_live(app_of(ctx), kind, scope, overwrite=overwrite)
    return _edit_text(result, f"imported live {scope_title(kind, scope)}")


# -- plan / apply ------------------------------------------------------------------------------------


def _plan_text(result: PlanResult) -> str:
    # Half the cap: the structured content carries the plan too, and both count.
    head = clip(result.text, NARROW[ToolName.PLAN], limit=MAX_RESULT // 2 - len(result.approval) - 300)
    return f"{untrusted(head, source='the account and the desired files')}Approval: {result.approval}\n"


@tool_errors
async def ik_plan(ctx: Ctx, targets: TargetsArg = None) -> Annotated[CallToolResult, PlanResult]:
    """Compare desired files with live state: summary, rendered diff, plan_hash, and how the user approves."""
    result = await planning.plan_and_register(app_of(ctx), targets or [], can_elicit=client_can_elicit(ctx))
    return CallToolResult(
        content=[TextContent(type="text", text=_plan_text(result))],
        structured_content=result.model_dump(mode="json"),
    )


@tool_errors
async def ask_to_apply(plan_hash: str, ctx: Ctx) -> Elicit[Confirm] | NotAsked:
    """Resolver of ik_apply: asks the user in the client, with only the registered plan in the question."""
    app = app_of(ctx)
    item = app.store.require(plan_hash)
    if not app.read_only:
        planning.require_committed(app)
    channel = planning.channel_for(app, item.plan, can_elicit=client_can_elicit(ctx))
    if channel is not Channel.ELICITATION:
        return NotAsked(channel=channel)
    return Elicit(planning.confirm_question(app, item), Confirm)


def settle(outcome: ElicitationResult[Confirm], plan_hash: str) -> Channel:
    """The channel that approved the call, or an ApprovalError; a user who was not asked never approves."""
    short = plan_hash[:12]
    if isinstance(outcome, DeclinedElicitation):
        raise ApprovalError(
            f"the user declined plan {short}; ask what to change, edit, and call ik_plan again"
        )
    if isinstance(outcome, CancelledElicitation):
        raise ApprovalError(
            f"the user dismissed the question for plan {short}; call ik_apply when they are ready"
        )
    data: Any = outcome.data if isinstance(outcome, AcceptedElicitation) else None
    if isinstance(data, Confirm):
        if not data.approve:
            raise ApprovalError(f"the user did not tick 'Apply this plan' for plan {short}")
        return Channel.ELICITATION
    if isinstance(data, NotAsked) and data.channel is not Channel.ELICITATION:
        return data.channel
    raise ApprovalError(
        f"plan {short} is not registered here (never planned, applied already, or expired); call ik_plan"
    )


@tool_errors
async def ik_apply(
    ctx: Ctx,
    plan_hash: PlanHashArg,
    confirm: Annotated[ElicitationResult[Confirm], Resolve(ask_to_apply)],
    approval_token: Annotated[
        str | None,
        Field(description="Only in token approval mode: the token ik_plan returned.", max_length=100),
    ] = None,
) -> Annotated[CallToolResult, ApplyResult]:
    """Apply exactly the plan the user approved (as ik_plan said). Re-checks live state; refuses if stale."""
    app = app_of(ctx)
    app.require_writable()
    channel = settle(confirm, plan_hash)
    item = planning.check_approval(app, plan_hash, channel, approval_token)
    result = await planning.apply_registered(app, item, channel)
    lines = [*(f"  {line}" for line in result.applied)]
    if result.remaining:
        lines += ["Verification still shows:", *(f"  {line}" for line in result.remaining)]
        after = "Next: ik_plan to see what remains."
    else:
        after = "Verified: live state matches the desired files."
    head = (
        f"Applied {len(result.applied)} change(s) (apply {result.apply_id}, approval: {result.approval}):\n"
    )
    body = clip("\n".join(lines), NARROW[ToolName.APPLY], limit=MAX_RESULT // 2 - 400)
    return CallToolResult(
        content=[TextContent(type="text", text=head + untrusted(body) + after + "\n")],
        structured_content=result.model_dump(mode="json"),
    )


@tool_errors
async def ik_drift(ctx: Ctx, targets: TargetsArg = None) -> DriftResult:
    """Differences between live state and the desired files, and which side moved (live or desired)."""
    return await planning.drift(app_of(ctx), targets or [])


# -- git and history ---------------------------------------------------------------------------------


@tool_errors
async def ik_git_status(
    ctx: Ctx, diff: Annotated[bool, Field(description="Include the diff of the desired files.")] = False
) -> str:
    """Branch, head and uncommitted changes of the desired-state directory."""
    text = gitops.status_text(app_of(ctx).settings.state_dir, diff=diff)
    return text


@tool_errors
async def ik_git_commit(
    ctx: Ctx,
    message: Annotated[str, Field(description="Commit message.", min_length=1, max_length=2000)],
    branch: Annotated[
        str | None,
        Field(description="New branch to commit on (for a pull request); omit for current.", max_length=200),
    ] = None,
) -> CommitResult:
    """Commit the changes under the desired-state directory (only there)."""
    app = app_of(ctx)
    app.require_writable()
    return gitops.commit(app.settings.state_dir, message, branch=branch)


@tool_errors
async def ik_audit_log(
    ctx: Ctx,
    event: Annotated[
        str | None, Field(description="e.g. applied, failed, refused, apply_done.", max_length=40)
    ] = None,
    plan_hash: Annotated[str | None, Field(description="Hash or its prefix.", max_length=64)] = None,
    since: Annotated[str | None, Field(description="ISO time, e.g. 2026-01-31.", max_length=40)] = None,
    limit: Annotated[int, Field(description="Entries to return.", ge=1, le=history.MAX_LIMIT)] = 20,
    verify: Annotated[
        bool, Field(description="Also check the log's hash chain (edited, removed or moved entries).")
    ] = False,
) -> str:
    """Latest audit log entries (plans approved, changes applied or failed, refusals), newest last."""
    app = app_of(ctx)
    chosen = history.select_entries(
        app.audit().entries(), event=event, plan_hash=plan_hash, since=since, limit=limit
    )
    text = history.format_entries(chosen)
    return f"{history.chain_text(app.settings)}\n{text}" if verify else text


__all__ = [
    "Confirm",
    "NotAsked",
    "app_of",
    "ask_to_apply",
    "client_can_elicit",
    "ik_api_get",
    "ik_apply",
    "ik_audit",
    "ik_audit_log",
    "ik_catalog",
    "ik_desired_get",
    "ik_desired_remove",
    "ik_desired_set",
    "ik_drift",
    "ik_git_commit",
    "ik_git_status",
    "ik_import_live",
    "ik_live_get",
    "ik_overview",
    "ik_plan",
    "ik_validate",
    "settle",
]
