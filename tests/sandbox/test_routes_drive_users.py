"""kDrive user writes (invite, role, removal): answers and the kind's requests checked against kdrive.json."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator

from .helpers import OpenApi, field_errors, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

DRIVE = 140946
USERS = "/2/drive/{drive_id}/users"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("kdrive.json")
    repair_nullables(spec)
    return load_openapi("kdrive.json", spec)


def validate_request(openapi: OpenApi, path: str, method: str, body: Any) -> None:
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
    Draft202012Validator({"$ref": f"{openapi.uri}#{quote(pointer)}"}, registry=openapi.registry).validate(
        body
    )


def users(state: Any) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in state.data["inventory"]["drive_users"][str(DRIVE)]}


async def test_invite_change_role_and_remove_match_the_spec(state, client, openapi):
    invite = {"emails": ["Eva.Brun@partner.example"], "role": "external", "send_email": True}
    validate_request(openapi, USERS, "post", invite)
    created = (await client.post(f"/2/drive/{DRIVE}/users", json=invite)).json()
    assert created["result"] == "success" and users(state)["eva.brun@partner.example"]["status"] == "pending"
    listed = (await client.get(f"/2/drive/{DRIVE}/users")).json()
    validate(openapi, USERS, "get", 200, listed)
    bruno = users(state)["bruno.keller@example.ch"]["id"]
    validate_request(openapi, f"{USERS}/{{user_id}}", "put", {"role": "admin"})
    updated = (await client.put(f"/2/drive/{DRIVE}/users/{bruno}", json={"role": "admin"})).json()
    validate(openapi, f"{USERS}/{{user_id}}", "put", 200, updated)
    assert users(state)["bruno.keller@example.ch"]["role"] == "admin"
    removed = (await client.delete(f"/2/drive/{DRIVE}/users/{bruno}")).json()
    validate(openapi, f"{USERS}/{{user_id}}", "delete", 200, removed)
    assert "bruno.keller@example.ch" not in users(state)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"emails": ["x@example.ch"], "role": "owner"}, [("role", "validation_rule_in")]),
        ({"emails": [], "role": "user"}, [("emails", "validation_rule_between")]),
        ({"emails": ["alice.martin@example.ch"], "role": "user"}, [("emails.0", "validation_rule_unique")]),
        ({"emails": ["nope"], "role": "user"}, [("emails.0", "validation_rule_email")]),
    ],
)
async def test_an_invitation_that_cannot_be_sent_changes_nothing(state, client, body, expected):
    before = len(users(state))
    assert field_errors(await client.post(f"/2/drive/{DRIVE}/users", json=body)) == expected
    assert len(users(state)) == before


async def test_role_changes_the_spec_refuses(state, client):
    alice = users(state)["alice.martin@example.ch"]["id"]
    assert field_errors(await client.put(f"/2/drive/{DRIVE}/users/{alice}", json={"role": "external"})) == [
        ("role", "validation_rule_in")
    ]
    missing = await client.delete(f"/2/drive/{DRIVE}/users/1")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "object_not_found"
