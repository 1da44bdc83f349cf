"""The account at a glance: which account, its products, the scopes the files manage, the last apply.

One verb for every front (the MCP ``ik_overview`` tool today), so that no front calls the API itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.engine.session import Session, load_last_apply
from reconciler.errors import ApiForbidden

LAST_APPLY_FIELDS = ("time", "plan_hash", "approval", "applied", "failed", "git_commit")
"""What the overview shows of the last-apply record (not its secret fingerprints)."""
NOT_READABLE = "(not readable: the token lacks the accounts scope)"


@dataclass(frozen=True)
class ManagedScopes:
    """The scopes of one kind that have a desired file."""

    kind: str
    directory: str
    scopes: list[str]


@dataclass(frozen=True)
class AccountOverview:
    account_id: int | None
    account_name: str | None
    products: list[str]
    """``service: name`` of each product, sorted; one note instead when the token cannot read them."""
    managed: list[ManagedScopes]
    last_apply: dict[str, Any] | None


async def account_overview(session: Session) -> AccountOverview:
    """The overview of the session's account (the configured one, or the only one the token sees)."""
    account_id, name, products = await _account(session)
    state_dir = session.settings.state_dir
    managed = [
        ManagedScopes(kind.name, kind.directory, sorted(kind.scope_files(state_dir)))
        for kind in session.kinds
    ]
    record = load_last_apply(session.settings.last_apply_file)
    last = {key: record[key] for key in LAST_APPLY_FIELDS if key in record} or None
    return AccountOverview(account_id, name, products, managed, last)


async def _account(session: Session) -> tuple[int | None, str | None, list[str]]:
    client = session.client
    wanted = session.config.account
    try:
        accounts = await client.get_all("/1/accounts")
    except ApiForbidden:
        # A token limited to e.g. dns scopes still gets the rest of the overview.
        return wanted, None, [NOT_READABLE]
    account = next((a for a in accounts if wanted is None or a.get("id") == wanted), None)
    params = {"account_id": account["id"]} if account else None
    products = await client.get_all("/1/products", params=params)
    names = sorted(f"{p.get('service_name')}: {p.get('customer_name')}" for p in products)
    if account is None:
        return wanted, None, names
    return int(account["id"]), str(account.get("name")), names
