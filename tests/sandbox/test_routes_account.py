"""Account routes of the simulator: users, teams, team users, tags.

Answers are checked against the official spec's schemas (core resources) where it has them. Spec bugs the
test works around, each where it applies: the users list documents ``data`` as one object (items are checked
one by one), and the tags list documents ``data`` as a string (checked against the ``Tag`` schema instead).
The export also marks nullable fields the OpenAPI 3.0 way (``nullable: true``), which JSON Schema ignores; the
``openapi`` fixture turns those into ``type: [T, "null"]`` so a documented null validates.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox import create_app

from .helpers import OpenApi, client_for, field_errors, load_openapi, read_openapi, validate, validate_schema

pytestmark = pytest.mark.anyio

TEAMS = "/1/accounts/123456/teams"
TAGS = "/1/accounts/123456/tags"
USERS = "/2/accounts/123456/users"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    return load_openapi("core_ressource.json", allow_nulls(read_openapi("core_ressource.json")))


def allow_nulls(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: null joins the allowed types."""
    if isinstance(node, dict):
        node = {key: allow_nulls(value) for key, value in node.items()}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [allow_nulls(item) for item in node]
    return node


# -- users ---------------------------------------------------------------------------------------------------


async def test_users_list_holds_users_and_a_pending_invitation(client, openapi):
    response = await client.get(USERS)
    users = response.json()["data"]
    for user in users:
        validate_schema(openapi, "087adaad_Userorpendinguser", user)
    pending = [u for u in users if u["user_id"] is None]
    assert [(u["email"], u["state_in_account"], u["invitation_id"]) for u in pending] == [
        ("emma.favre@example.ch", "pending", 7000201)
    ]
    paged = (await client.get(USERS, params={"page": 2, "per_page": 4})).json()
    assert (paged["total"], paged["pages"], len(paged["data"])) == (6, 2, 2)
    only_valid = await client.get(USERS, params={"filter[state_in_account]": "valid", "search": "MARTIN"})
    assert [u["email"] for u in only_valid.json()["data"]] == ["alice.martin@example.ch"]


async def test_users_with_teams_name_each_users_teams(client):
    plain = (await client.get(USERS)).json()["data"]
    assert all("teams" not in user for user in plain)
    users = (await client.get(USERS, params={"with": "teams"})).json()["data"]
    teams = {user["email"]: [team["name"] for team in user["teams"]] for user in users}
    assert teams == {
        "admin@example.ch": ["Support"],
        "alice.martin@example.ch": ["Support"],
        "bruno.keller@example.ch": ["Marketing"],
        "chloe.rochat@example.ch": ["Marketing"],
        "david.meier@example.ch": ["Interns 2024"],
        "emma.favre@example.ch": [],  # pending: in no team yet
    }
    support = next(user for user in users if user["email"] == "admin@example.ch")["teams"][0]
    assert support["id"] == 81001 and support["user_count"] == 2


async def test_unknown_account_is_object_not_found(client):
    for path in ("/2/accounts/1/users", "/1/accounts/1/teams", "/1/accounts/1/tags"):
        response = await client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "object_not_found")


# -- teams ---------------------------------------------------------------------------------------------------


async def test_list_and_show_teams_match_the_spec(client, openapi):
    listed = await client.get(TEAMS, params={"page": 1})
    validate(openapi, "/1/accounts/{account}/teams", "get", 200, listed.json())
    assert [(t["name"], t["user_count"]) for t in listed.json()["data"]] == [
        ("Support", 2),
        ("Marketing", 2),
        ("Interns 2024", 1),
    ]
    assert "user_ids" not in listed.json()["data"][0]  # storage detail, never served
    shown = await client.get(f"{TEAMS}/81001")
    validate(openapi, "/1/accounts/{account}/teams/{team}", "get", 200, shown.json())
    missing = await client.get(f"{TEAMS}/1")
    validate(openapi, "/1/accounts/{account}/teams/{team}", "get", 404, missing.json())


async def test_create_team_answers_201_with_the_team(client, openapi, state):
    response = await client.post(TEAMS, json={"name": " Security ", "color_id": 2})
    assert response.status_code == 201
    validate(openapi, "/1/accounts/{account}/teams", "post", 201, response.json())
    team = response.json()["data"]
    assert (team["name"], team["color_id"], team["user_count"]) == ("Security", 2, 0)
    assert team["created_by_id"] == state.profile["id"]
    default = (await client.post(TEAMS, json={"name": "Ops"})).json()["data"]
    assert default["color_id"] == 1


async def test_team_bodies_are_validated_like_the_api(client):
    assert field_errors(await client.post(TEAMS, json={})) == [("name", "validation_rule_required")]
    assert field_errors(await client.post(TEAMS, content=b"not json")) == [
        ("name", "validation_rule_required")
    ]
    assert field_errors(await client.post(TEAMS, json={"name": "x" * 129, "color_id": "blue"})) == [
        ("name", "validation_rule_max"),
        ("color_id", "validation_rule_integer"),
    ]
    assert field_errors(await client.post(TEAMS, json={"name": "Support"})) == [
        ("name", "validation_rule_unique")
    ]
    assert field_errors(await client.patch(f"{TEAMS}/81002", json={"name": "Support"})) == [
        ("name", "validation_rule_unique")
    ]


async def test_patch_and_delete_team(client, openapi):
    patched = await client.patch(f"{TEAMS}/81002", json={"color_id": 6})
    validate(openapi, "/1/accounts/{account}/teams/{team}", "patch", 200, patched.json())
    assert (patched.json()["data"]["name"], patched.json()["data"]["color_id"]) == ("Marketing", 6)
    renamed = await client.patch(f"{TEAMS}/81002", json={"name": "Marketing"})  # its own name: fine
    assert renamed.status_code == 200
    deleted = await client.delete(f"{TEAMS}/81003")
    validate(openapi, "/1/accounts/{account}/teams/{team}", "delete", 200, deleted.json())
    assert deleted.json()["data"] is True
    assert (await client.get(f"{TEAMS}/81003")).status_code == 404


async def test_team_users_list_add_and_remove(client, openapi):
    path = f"{TEAMS}/81001/users"
    listed = await client.get(path)
    validate(openapi, "/1/accounts/{account}/teams/{team}/users", "get", 200, listed.json())
    assert [u["email"] for u in listed.json()["data"]] == ["admin@example.ch", "alice.martin@example.ch"]
    assert listed.json()["data"][0]["teams"][0]["name"] == "Support"

    added = await client.post(path, json={"user_ids": [5000105, 5000101]})  # 5000101 is already in
    assert added.status_code == 201
    validate(openapi, "/1/accounts/{account}/teams/{team}/users", "post", 201, added.json())
    removed = await client.request("DELETE", path, json={"user_ids": [5000102]})
    validate(openapi, "/1/accounts/{account}/teams/{team}/users", "delete", 200, removed.json())
    emails = [u["email"] for u in (await client.get(path)).json()["data"]]
    assert emails == ["admin@example.ch", "david.meier@example.ch"]
    assert (await client.get(f"{TEAMS}/81001")).json()["data"]["user_count"] == 2


async def test_team_users_bodies_are_validated(client):
    path = f"{TEAMS}/81001/users"
    assert field_errors(await client.post(path, json={})) == [("user_ids", "validation_rule_required")]
    assert field_errors(await client.post(path, json={"user_ids": [0, 99, 5000102]})) == [
        ("user_ids.0", "validation_rule_integer"),
        ("user_ids.1", "validation_rule_exists"),
    ]
    assert field_errors(await client.request("DELETE", path, json={"user_ids": "5000102"})) == [
        ("user_ids", "validation_rule_required")
    ]
    # A pending invitation has no user id yet (its invitation id is not one): it cannot join a team.
    assert field_errors(await client.post(path, json={"user_ids": [7000201]})) == [
        ("user_ids.0", "validation_rule_exists")
    ]


async def test_method_override_deletes_team_users_from_a_post(client):
    path = f"{TEAMS}/81001/users"
    response = await client.post(
        path, json={"user_ids": [5000102]}, headers={"X-HTTP-METHOD-OVERRIDE": "DELETE"}
    )
    assert response.status_code == 200
    assert [u["email"] for u in (await client.get(path)).json()["data"]] == ["admin@example.ch"]


# -- tags ----------------------------------------------------------------------------------------------------


async def test_tags_list_is_not_paginated_and_items_match_the_spec(client, openapi):
    response = await client.get(TAGS, params={"page": 1, "per_page": 1})
    body = response.json()
    assert "page" not in body and len(body["data"]) == 3
    for tag in body["data"]:
        validate_schema(openapi, "087adaad_Tag", tag)


async def test_tag_create_update_delete(client, openapi):
    created = await client.post(TAGS, json={"name": "clients", "color": 3})
    assert created.status_code == 201
    tag = created.json()["data"]
    validate_schema(openapi, "087adaad_Tag", tag)
    assert (tag["name"], tag["color"], tag["product_count"]) == ("clients", 3, 0)
    updated = await client.put(f"{TAGS}/{tag['id']}", json={"name": "customers", "color": 5})
    assert (updated.json()["data"]["name"], updated.json()["data"]["color"]) == ("customers", 5)
    deleted = await client.delete(f"{TAGS}/{tag['id']}")
    assert deleted.json() == {"result": "success", "data": True}
    assert (await client.delete(f"{TAGS}/{tag['id']}")).status_code == 404


async def test_tag_bodies_are_validated(client):
    assert field_errors(await client.post(TAGS, json={"color": 3})) == [("name", "validation_rule_required")]
    assert field_errors(await client.post(TAGS, json={"name": "production", "color": True})) == [
        ("color", "validation_rule_integer"),
        ("name", "validation_rule_unique"),
    ]
    assert field_errors(await client.put(f"{TAGS}/91002", json={"name": " "})) == [
        ("name", "validation_rule_string")
    ]


async def test_account_routes_need_the_accounts_scope(state):
    app = create_app(state, tokens=(), token_scopes={"dns-only": {"dns"}, "reader": {"accounts:read"}})
    async with client_for(app, token="dns-only") as client:
        denied = await client.get(TEAMS)
        assert (denied.status_code, denied.json()["error"]["context"]) == (403, {"scope": "accounts:read"})
    async with client_for(app, token="reader") as client:
        assert (await client.get(TAGS)).status_code == 200
        assert (await client.post(TAGS, json={"name": "x"})).status_code == 403
