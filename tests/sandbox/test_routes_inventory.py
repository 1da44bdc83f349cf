"""Inventory routes: every answer checked against the official spec where the route is documented.

The spec repairs are those of the other route tests: ``repair_nullables``, and required keys that are no
properties dropped (``ServiceMailpreferences`` requires the permission names that sit in
``default_permissions``; ``PublicCloud`` requires the fields of its nested ``public_cloud``), and an
integer whose ``enum`` lists strings (a mailing list's ``who_can_send``) gets integer values. The kChat
document describes Mattermost paths (``/api/v4/…``), which the simulator serves under ``/kchat/{host}``.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import Route

from reconciler.sandbox.app import discover_routes

from .helpers import OpenApi, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

HOSTING, DRIVE, WEB, BACKUP, CLOUD, NEWSLETTER = 2300101, 140946, 5100101, 5200101, 5300101, 5400101
TEAM = "kc1a2b3c4d5e6f7g8h9i0j1k2l"

_SPECS: dict[str, OpenApi] = {}


def _integer_enums(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer" and all(
            isinstance(v, str) and v.isdigit() for v in node.get("enum", [1])
        ):
            node["enum"] = [int(v) for v in node["enum"]]
        for value in node.values():
            _integer_enums(value)
    elif isinstance(node, list):
        for value in node:
            _integer_enums(value)


def spec(name: str) -> OpenApi:
    if name not in _SPECS:
        document = read_openapi(f"{name}.json")
        repair_nullables(document)
        for schema in document["components"]["schemas"].values():
            if isinstance(schema.get("required"), list) and isinstance(schema.get("properties"), dict):
                schema["required"] = [key for key in schema["required"] if key in schema["properties"]]
        _integer_enums(document)
        _SPECS[name] = load_openapi(f"{name}.json", document)
    return _SPECS[name]


# Path parameters of the documented routes, as the demo account fills them.
IDS = {
    "account": 123456, "user": 5000101, "invitation": 7000201, "mail_hosting_id": HOSTING, "drive_id": DRIVE,
    "swiss_backup_id": BACKUP, "domain": NEWSLETTER, "public_cloud_id": CLOUD, "team_id": TEAM,
}  # fmt: skip

# (spec file, documented path, query)
DOCUMENTED: list[tuple[str, str, dict[str, Any]]] = [
    ("core_ressource", "/2/accounts/{account}/users/{user}/app_accesses", {}),
    ("core_ressource", "/1/accounts/{account}/invitations/{invitation}", {}),
    ("mail", "/1/mail_hostings/{mail_hosting_id}/redirections", {}),
    ("mail", "/1/mail_hostings/{mail_hosting_id}/auto_replies", {}),
    ("mail", "/1/mail_hostings/{mail_hosting_id}/mailing_lists", {}),
    ("mail", "/1/mail_hostings/{mail_hosting_id}/preferences", {}),
    ("kdrive", "/2/drive/{drive_id}/users", {"page": 1}),
    ("kdrive", "/2/drive/{drive_id}/settings", {}),
    ("kdrive", "/2/drive/{drive_id}/trash/count", {}),
    ("kdrive", "/3/drive/{drive_id}/trash", {"limit": 5}),
    ("swiss_backup", "/1/swiss_backups", {"account_id": 123456}),
    ("swiss_backup", "/1/swiss_backups/{swiss_backup_id}/slots", {}),
    ("url_shortner", "/2/url-shortener", {"page": 1}),
    ("newsletter", "/1/newsletters/{domain}/groups", {"page": 1}),
    ("aitools", "/1/ai", {}),
    ("public_cloud", "/1/public_clouds", {"account_id": 123456}),
    ("public_cloud", "/1/public_clouds/{public_cloud_id}/projects", {"page": 1}),
    ("kchat", "/api/v4/teams", {"page": 0}),
    ("kchat", "/api/v4/teams/{team_id}/channels", {}),
]


def served_path(name: str, documented: str) -> str:
    path = documented.format(**IDS)
    return f"/kchat/demo-agency{path}" if name == "kchat" else path


@pytest.mark.parametrize(("name", "documented", "query"), DOCUMENTED, ids=[d[1] for d in DOCUMENTED])
async def test_answers_match_the_official_spec(client, name, documented, query) -> None:
    path = served_path(name, documented)
    response = await client.get(path, params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    validate(spec(name), documented, "get", 200, body)
    data = body if name == "kchat" else body["data"]
    assert data, f"{path} serves nothing in the demo"


async def test_undocumented_web_hosting_routes_serve_the_shapes_clients_read(client) -> None:
    sites = (await client.get(f"/1/web_hostings/{WEB}/sites")).json()["data"]
    assert [(s["main_fqdn"], s["ssl_status"]) for s in sites] == [
        ("example.ch", "free"),
        ("demo-shop.ch", "free"),
    ]
    certificate = (await client.get(f"/1/web_hostings/{WEB}/certificates/{sites[1]['id']}")).json()["data"]
    assert (certificate["main_fqdn"], certificate["type"], certificate["is_valid"]) == (
        "demo-shop.ch",
        "free",
        True,
    )
    users = (await client.get(f"/1/web_hostings/{WEB}/users")).json()["data"]
    assert users[0]["login"].startswith("q387gx_") and users[0]["has_ssh"] is True
    for part in ("databases", "database_users"):
        assert (await client.get(f"/1/web_hostings/{WEB}/{part}")).json()["data"][0]["name"] == "q387gx_wp"


async def test_domain_detail_takes_expiry_from_the_product(client, state) -> None:
    body = (await client.get("/2/domains/domains/example.ch")).json()["data"]
    assert (body["id"], body["expires_at"], body["status"]) == (
        1600101,
        1790460000,
        ["ok", "clientTransferProhibited"],
    )
    assert (await client.get("/2/domains/domains/unknown.ch")).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/2/drive/1/users",
        "/1/mail_hostings/1/preferences",
        f"/1/web_hostings/{WEB}/certificates/1",
        "/1/accounts/123456/invitations/1",
        "/1/accounts/1/invitations/7000201",
    ],
)
async def test_unknown_owners_are_404_object_not_found(client, path) -> None:
    response = await client.get(path)
    assert response.status_code == 404 and response.json()["error"]["code"] == "object_not_found"


async def test_kchat_has_no_envelope_zero_based_pages_and_mattermost_errors(client) -> None:
    page = await client.get(
        f"/kchat/demo-agency/api/v4/teams/{TEAM}/channels", params={"page": 1, "per_page": 2}
    )
    assert [c["name"] for c in page.json()] == ["management"]
    missing = await client.get("/kchat/nobody/api/v4/teams")
    assert missing.status_code == 404 and missing.json()["status_code"] == 404


async def test_product_lists_follow_the_products(client, state) -> None:
    next(p for p in state.products if p["service_name"] == "ai_tools")["is_locked"] = True
    (ai,) = (await client.get("/1/ai")).json()["data"]
    assert (ai["product_name"], ai["status"]) == ("Demo AI", "locked")
    assert (await client.get("/1/public_clouds", params={"account_id": 1})).json()["data"] == []


def test_no_two_routes_answer_the_same_method_and_path() -> None:
    seen: dict[tuple[str, str], int] = {}
    for route in discover_routes():
        assert isinstance(route, Route)
        for method in route.methods or ():
            key = (method, route.path)
            seen[key] = seen.get(key, 0) + 1
    assert [key for key, count in seen.items() if count > 1] == []
