"""Live state for the MCP tools: account overview, one scope in the desired files' shape, import."""

from __future__ import annotations

from typing import Any

from reconciler.desired import display_path, dump_yaml
from reconciler.desired.edit import EditResult, check_scope, scope_path, shown_path
from reconciler.engine import Session, import_scopes
from reconciler.engine.session import load_last_apply
from reconciler.errors import ApiForbidden
from reconciler.kinds import all_kinds, get_kind
from reconciler.mcp.app import McpApp
from reconciler.mcp.models import KindScopes, Overview

_LAST_APPLY_FIELDS = ("time", "plan_hash", "approval", "applied", "failed", "git_commit")


async def _account(session: Session) -> tuple[int | None, str | None, list[str]]:
    client = session.client
    try:
        accounts = await client.get_all("/1/accounts")
    except ApiForbidden:
        # A token limited to e.g. dns scopes still gets the rest of the overview.
        return session.config.account, None, ["(not readable: the token lacks the accounts scope)"]
    wanted = session.config.account
    account = next((a for a in accounts if wanted is None or a.get("id") == wanted), None)
    params = {"account_id": account["id"]} if account else None
    products = await client.get_all("/1/products", params=params)
    names = sorted(f"{p.get('service_name')}: {p.get('customer_name')}" for p in products)
    if account is None:
        return wanted, None, names
    return int(account["id"]), str(account.get("name")), names


async def overview(app: McpApp) -> Overview:
    """Account, products, the scopes the files manage, the last apply and the approval mode."""
    state_dir = app.settings.state_dir
    managed = [
        KindScopes(kind=kind.name, directory=kind.directory, scopes=sorted(kind.scope_files(state_dir)))
        for kind in all_kinds()
    ]
    async with app.session() as session:
        account_id, name, products = await _account(session)
    record = load_last_apply(app.settings.last_apply_file)
    last = {key: record[key] for key in _LAST_APPLY_FIELDS if key in record} or None
    return Overview(
        account_id=account_id,
        account_name=name,
        sandbox=app.settings.sandbox,
        read_only=app.read_only,
        approval_mode=app.mode().value,
        state_dir=display_path(state_dir),
        products=products,
        managed=managed,
        last_apply=last,
    )


async def _live_document(app: McpApp, kind_name: str, scope: str) -> tuple[Any, int]:
    kind = get_kind(kind_name)
    # The scope goes into API paths as well as file names: the same guard keeps both in place.
    scope = check_scope(scope)
    async with app.session() as session:
        live = await kind.fetch(session.ctx, scope)
    return kind.render(live, scope), len(live)


async def live_yaml(app: McpApp, kind_name: str, scope: str | None) -> str:
    """One live scope as YAML in its desired file's shape; without a scope, the scopes that exist live."""
    kind = get_kind(kind_name)
    if scope is None:
        async with app.session() as session:
            scopes = await kind.discover(session.ctx)
        return f"live {kind.name} scopes: {', '.join(scopes) or 'none'}\n"
    document, count = await _live_document(app, kind.name, scope)
    path = shown_path(app.settings.state_dir, scope_path(app.settings.state_dir, kind, scope))
    head = f"# live {kind.name}/{scope}: {count} resource(s), in the shape of {path}\n"
    return head + dump_yaml(document)


async def import_live(app: McpApp, kind_name: str, scope: str, *, overwrite: bool) -> EditResult:
    """Write a scope's desired file from live state (so the next plan for it is empty)."""
    app.require_writable()
    async with app.session() as session:
        (imported,) = await import_scopes(session, get_kind(kind_name), [scope], overwrite=overwrite)
    return imported.edit


__all__ = ["import_live", "live_yaml", "overview"]
