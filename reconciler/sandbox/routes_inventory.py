"""Read-only routes of the account inventory: one generic handler per shape, driven by a table.

Every route here only reads. Stored layout (``data/demo_inventory.json``; ``sandbox reset --account
dirty`` loads ``data/dirty.json`` on top of the demo)::

    "inventory": {
      "<collection>": {"<owner id in the path>": [item, ...] | {object}},   # "drive_users": {"140946": [...]}
      "short_urls":   {"*": [...]},                                          # account-wide lists
      "ssl_certificates": {"<hosting id>": {"<site id>": certificate}},   # the trash comes from drive_files
      "invitations":  {"<invitation id>": invitation},
      "domains":      {"<domain name>": v2 domain object},
      "ai_status":    {"<product id>": "ok" | ...},
      "product_extras": {"<product id>": {fields of a SwissBackup / PublicCloud beyond the product's}}
    }

Product-shaped lists (``/1/swiss_backups``, ``/1/public_clouds``, ``/1/ai``) are computed from the demo's
``products`` so that an expiry or a lock shows the same everywhere. kChat (Mattermost v4, no envelope, 0-based
``page``) is served under ``/kchat/{host}/api/v4/…`` since a local server cannot answer for
``{host}.kchat.infomaniak.com`` (``reconciler.inventory.kchat_base`` maps it).

Invented where nothing documents it: the shape of ``app_accesses`` (the spec says "object"), and the fields of
a mailing list (the spec has no answer schema). Web hosting routes are not in the official files at all (see
``docs/api-fidelity.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import drive_files
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiRoute,
    CompactJSONResponse,
    int_param,
    list_response,
    not_found,
    sandbox_state,
    success,
)

Handler = Callable[[Request], Any]


def _inventory(state: SandboxState, collection: str) -> dict[str, Any]:
    stored: dict[str, Any] = state.data.setdefault("inventory", {}).setdefault(collection, {})
    return stored


def _owned(request: Request, collection: str, param: str, model: str) -> Any:
    owner = str(request.path_params[param])
    stored = _inventory(sandbox_state(request), collection)
    if owner not in stored:
        raise not_found(model)
    return stored[owner]


def owned_list(collection: str, param: str, model: str) -> Handler:
    """``GET …/{param}/<list>``: the stored list of that owner, paginated like every list."""

    async def endpoint(request: Request) -> Response:
        return list_response(request, list(_owned(request, collection, param, model)))

    return endpoint


def owned_object(collection: str, param: str, model: str) -> Handler:
    """``GET …/{param}/<object>``: one stored object."""

    async def endpoint(request: Request) -> Response:
        return success(_owned(request, collection, param, model))

    return endpoint


def _products(request: Request, service: str) -> list[dict[str, Any]]:
    wanted = request.query_params.get("account_id")
    return [
        p
        for p in sandbox_state(request).products
        if p.get("service_name") == service and (not wanted or str(p.get("account_id")) == wanted)
    ]


def product_list(service: str) -> Handler:
    """A product family's own list: the products, plus the fields only that family's objects carry."""

    async def endpoint(request: Request) -> Response:
        extras = _inventory(sandbox_state(request), "product_extras")
        items = [{**p, **extras.get(str(p["id"]), {})} for p in _products(request, service)]
        return list_response(request, items)

    return endpoint


async def list_short_urls(request: Request) -> Response:
    return list_response(request, list(_inventory(sandbox_state(request), "short_urls").get("*", [])))


async def list_ai(request: Request) -> Response:
    state = sandbox_state(request)
    names = {a["id"]: a["name"] for a in state.accounts}
    status = _inventory(state, "ai_status")
    items = [
        {
            "product_name": p["customer_name"],
            "product_id": p["id"],
            "account_name": names.get(p["account_id"], ""),
            "status": "locked" if p.get("is_locked") else status.get(str(p["id"]), "ok"),
        }
        for p in _products(request, "ai_tools")
    ]
    return success(items)


async def show_invitation(request: Request) -> Response:
    state = sandbox_state(request)
    account = str(request.path_params["account"])
    if not any(str(a["id"]) == account for a in state.accounts):
        raise not_found("Account")
    found = _inventory(state, "invitations").get(str(request.path_params["invitation"]))
    if found is None or str(found.get("account_id")) != account:
        raise not_found("Invitation")
    return success(found)


async def show_domain(request: Request) -> Response:
    name = str(request.path_params["name"]).rstrip(".").lower()
    state = sandbox_state(request)
    found = _inventory(state, "domains").get(name)
    product = next(
        (p for p in state.products if p.get("service_name") == "domain" and p["customer_name"] == name), None
    )
    if found is None or product is None:
        raise not_found("Domain")
    return success({**found, "id": product["id"], "expires_at": product.get("expired_at")})


async def show_certificate(request: Request) -> Response:
    certificates = _owned(request, "ssl_certificates", "hosting", "WebHosting")
    found = certificates.get(str(request.path_params["site"]))
    if found is None:
        raise not_found("Certificate")
    return success(found)


def _trashed(request: Request) -> tuple[SandboxState, int, list[dict[str, Any]]]:
    """The drive's files and folders in the trash (the kDrive routes' tree, ``status: trashed``)."""
    state = sandbox_state(request)
    drive_id = int(request.path_params["drive_id"])
    if not any(d["id"] == drive_id for d in drive_files.drives(state)):
        raise not_found("Drive")
    return state, drive_id, [f for f in drive_files.files(state, drive_id) if drive_files.trashed(f)]


async def trash_count(request: Request) -> Response:
    _, _, trashed = _trashed(request)
    directories = sum(1 for f in trashed if f["type"] == "dir")
    return success({"count": len(trashed), "files": len(trashed) - directories, "directories": directories})


async def list_trash(request: Request) -> Response:
    """``GET /3/drive/{id}/trash``: trashed files and folders, in kDrive v3 cursor pages."""
    state, drive_id, items = _trashed(request)
    trashed = [drive_files.file_view(state, drive_id, f) for f in items]
    limit = int_param(request, "limit", minimum=1) or 10
    offset = drive_files.decode_cursor(request.query_params.get("cursor"))
    page = trashed[offset : offset + limit]
    end = offset + len(page)
    extra = {
        "cursor": drive_files.encode_cursor(end),
        "has_more": end < len(trashed),
        "response_at": int(state.data["clock"]),
    }
    return success(page, extra=extra)


# -- kChat: Mattermost v4, no envelope ---------------------------------------------------------------------


def _mattermost_page(request: Request, items: list[Any]) -> Response:
    page = int_param(request, "page", minimum=0) or 0
    per_page = min(int_param(request, "per_page", minimum=1) or 60, 200)
    start = page * per_page
    return CompactJSONResponse(items[start : start + per_page])


def _mattermost_missing(what: str) -> Response:
    return CompactJSONResponse(
        {
            "id": f"app.{what}.get.find.app_error",
            "message": f"Unable to find the existing {what}.",
            "status_code": 404,
        },
        status_code=404,
    )


async def kchat_teams(request: Request) -> Response:
    teams = _inventory(sandbox_state(request), "kchat_teams").get(str(request.path_params["host"]))
    if teams is None:
        return _mattermost_missing("team")
    return _mattermost_page(request, list(teams))


async def kchat_channels(request: Request) -> Response:
    channels = _inventory(sandbox_state(request), "kchat_channels").get(str(request.path_params["team"]))
    if channels is None:
        return _mattermost_missing("team")
    return _mattermost_page(request, list(channels))


_MAIL = "/1/mail_hostings/{mail_hosting_id}"
_WEB = "/1/web_hostings/{hosting}"

ROUTES = [
    ApiRoute(
        "/2/accounts/{account}/users/{user}/app_accesses",
        owned_object("app_accesses", "user", "User"),
        scope="accounts",
    ),
    ApiRoute("/1/accounts/{account}/invitations/{invitation}", show_invitation, scope="accounts"),
    ApiRoute("/2/domains/domains/{name}", show_domain, scope="domain"),
    ApiRoute(
        f"{_MAIL}/redirections",
        owned_list("mail_redirections", "mail_hosting_id", "MailHosting"),
        scope="mail",
    ),
    ApiRoute(
        f"{_MAIL}/auto_replies",
        owned_list("mail_auto_replies", "mail_hosting_id", "MailHosting"),
        scope="mail",
    ),
    ApiRoute(
        f"{_MAIL}/mailing_lists", owned_list("mailing_lists", "mail_hosting_id", "MailHosting"), scope="mail"
    ),
    ApiRoute(
        f"{_MAIL}/preferences",
        owned_object("mail_preferences", "mail_hosting_id", "MailHosting"),
        scope="mail",
    ),
    ApiRoute("/2/drive/{drive_id:int}/users", owned_list("drive_users", "drive_id", "Drive"), scope="drive"),
    ApiRoute(
        "/2/drive/{drive_id:int}/settings", owned_object("drive_settings", "drive_id", "Drive"), scope="drive"
    ),
    ApiRoute("/2/drive/{drive_id:int}/trash/count", trash_count, scope="drive"),
    ApiRoute("/3/drive/{drive_id:int}/trash", list_trash, scope="drive"),
    ApiRoute(f"{_WEB}/sites", owned_list("web_sites", "hosting", "WebHosting"), scope="web"),
    ApiRoute(f"{_WEB}/databases", owned_list("web_databases", "hosting", "WebHosting"), scope="web"),
    ApiRoute(
        f"{_WEB}/database_users", owned_list("web_database_users", "hosting", "WebHosting"), scope="web"
    ),
    ApiRoute(f"{_WEB}/users", owned_list("web_users", "hosting", "WebHosting"), scope="web"),
    ApiRoute(f"{_WEB}/certificates/{{site}}", show_certificate, scope="web"),
    ApiRoute("/1/swiss_backups", product_list("swiss_backup"), scope="swiss_backup"),
    ApiRoute(
        "/1/swiss_backups/{backup}/slots",
        owned_list("swiss_backup_slots", "backup", "SwissBackup"),
        scope="swiss_backup",
    ),
    ApiRoute("/2/url-shortener", list_short_urls, scope="url_shortener"),
    ApiRoute(
        "/1/newsletters/{domain}/groups",
        owned_list("newsletter_groups", "domain", "Newsletter"),
        scope="newsletter",
    ),
    ApiRoute("/1/ai", list_ai, scope="ai_tools"),
    ApiRoute("/1/public_clouds", product_list("public_cloud"), scope="public_cloud"),
    ApiRoute(
        "/1/public_clouds/{cloud}/projects",
        owned_list("cloud_projects", "cloud", "PublicCloud"),
        scope="public_cloud",
    ),
    ApiRoute("/kchat/{host}/api/v4/teams", kchat_teams, scope="kchat"),
    ApiRoute("/kchat/{host}/api/v4/teams/{team}/channels", kchat_channels, scope="kchat"),
]

__all__ = ["ROUTES"]
