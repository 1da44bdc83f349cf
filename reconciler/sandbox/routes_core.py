"""Core resources: accounts, products (and the legacy singular ``/1/product``), the user profile.

Scopes: accounts and products need ``accounts:read``; the profile needs ``user_info:read`` (names from the
manager's own scope list; the real mapping of fine-grained scopes to these routes is undocumented).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.wire import ApiRoute, list_response, not_found, sandbox_state, success

# Query filters of /1/products: parameter → product field. ids compare as strings so "123" matches 123.
_PRODUCT_FILTERS = {
    "account_id": "account_id",
    "service_id": "service_id",
    "service_name": "service_name",
    "customer_name": "customer_name",
    "internal_name": "internal_name",
    "fqdn": "fqdn",
    "product_id": "id",
}


def _account(request: Request, raw: str) -> dict[str, Any]:
    accounts = sandbox_state(request).accounts
    if raw == "current" and accounts:
        return accounts[0]
    found = next((a for a in accounts if str(a["id"]) == raw), None)
    if found is None:
        raise not_found("Account")
    return found


async def list_accounts(request: Request) -> Response:
    return list_response(request, sandbox_state(request).accounts)


async def show_account(request: Request) -> Response:
    return success(_account(request, request.path_params["account_id"]))


def _matching_products(request: Request, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    selected = products
    for param, field in _PRODUCT_FILTERS.items():
        wanted = request.query_params.get(param)
        if wanted is None or wanted == "":
            continue
        if field == "customer_name":
            # Exact match, case-insensitive: certbot walks parent names and wants exactly one hit.
            selected = [p for p in selected if str(p.get(field, "")).lower() == wanted.lower()]
        else:
            selected = [p for p in selected if str(p.get(field)) == wanted]
    return selected


async def list_products(request: Request) -> Response:
    return list_response(request, _matching_products(request, sandbox_state(request).products))


async def account_products(request: Request) -> Response:
    account = _account(request, request.path_params["account_id"])
    products = [p for p in sandbox_state(request).products if p.get("account_id") == account["id"]]
    return list_response(request, _matching_products(request, products))


async def show_profile(request: Request) -> Response:
    return success(sandbox_state(request).profile)


ROUTES = [
    ApiRoute("/1/accounts", list_accounts, scope="accounts"),
    ApiRoute("/1/accounts/{account_id}", show_account, scope="accounts"),
    ApiRoute("/1/accounts/{account_id}/products", account_products, scope="accounts"),
    ApiRoute("/1/products", list_products, scope="accounts"),
    # Undocumented singular form used by v1-era DNS clients (certbot, lego ≤ v4, libdns, Posh-ACME).
    ApiRoute("/1/product", list_products, scope="accounts"),
    ApiRoute("/2/profile", show_profile, scope="user_info"),
]
