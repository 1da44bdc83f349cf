"""Live state for the MCP tools: account overview, one scope in the desired files' shape, import."""

from __future__ import annotations

from reconciler.desired import EditResult, display_path, dump_yaml, scope_path, shown_path
from reconciler.engine import account_overview, import_scopes, live_document, scope_title
from reconciler.kinds import get_kind
from reconciler.mcp.app import McpApp
from reconciler.mcp.models import KindScopes, Overview


async def overview(app: McpApp) -> Overview:
    """Account, products, the scopes the files manage, the last apply and the approval mode."""
    async with app.session() as session:
        found = await account_overview(session)
    return Overview(
        account_id=found.account_id,
        account_name=found.account_name,
        sandbox=app.settings.sandbox,
        read_only=app.read_only,
        approval_mode=app.mode().value,
        state_dir=display_path(app.settings.state_dir),
        products=found.products,
        managed=[KindScopes(kind=m.kind, directory=m.directory, scopes=m.scopes) for m in found.managed],
        last_apply=found.last_apply,
    )


async def live_yaml(app: McpApp, kind_name: str, scope: str | None) -> str:
    """One live scope as YAML in its desired file's shape; without a scope, the scopes that exist live."""
    kind = get_kind(kind_name)
    if scope is None:
        async with app.session() as session:
            scopes = await kind.discover(session.ctx)
        return f"live {kind.name} scopes: {', '.join(scopes) or 'none'}\n"
    async with app.session() as session:
        live = await live_document(session, kind, scope)
    path = shown_path(app.settings.state_dir, scope_path(app.settings.state_dir, kind, scope))
    head = f"# live {scope_title(kind.name, scope)}: {live.resources} resource(s), in the shape of {path}\n"
    return head + dump_yaml(live.document)


async def import_live(app: McpApp, kind_name: str, scope: str, *, overwrite: bool) -> EditResult:
    """Write a scope's desired file from live state (so the next plan for it is empty)."""
    app.require_writable()
    async with app.session() as session:
        (imported,) = await import_scopes(session, get_kind(kind_name), [scope], overwrite=overwrite)
    return imported.edit


__all__ = ["import_live", "live_yaml", "overview"]
