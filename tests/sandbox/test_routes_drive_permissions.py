"""kDrive file accesses of users and teams: answers and request bodies checked against ``kdrive.json``.

Spec repairs before checking: the ones of ``test_routes_mail.py`` (``nullable``, empty ``properties``). The
``POST …/access``
answers document ``id`` as ``type: object`` with a ``oneOf`` of integer and string, which nothing satisfies,
and ``access`` as a ``oneOf`` of three schemas every access satisfies at once: next to ``type: object``, a
``oneOf`` is read as ``anyOf`` and a bare ``object`` type is dropped.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from .helpers import OpenApi, client_for, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

DRIVE = 140946
USERS = f"/2/drive/{DRIVE}/users"
ACCESS = f"/2/drive/{DRIVE}/files/{{}}/access"
SPEC_ACCESS = "/2/drive/{drive_id}/files/{file_id}/access"


def _strip_object_type(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") in ("object", ["object", "null"]) and "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
            if node["type"] == "object":
                del node["type"]
        for value in node.values():
            _strip_object_type(value)
    elif isinstance(node, list):
        for value in node:
            _strip_object_type(value)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document = read_openapi("kdrive.json")
    repair_nullables(document)
    _strip_object_type(document)  # the answers' schemas are shared components
    return document


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenApi:
    return load_openapi("kdrive.json", spec)


def check_request(spec: dict[str, Any], openapi: OpenApi, path: str, method: str, body: Any) -> None:
    """``body`` against the documented request body of ``method path`` (what our client sends)."""
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema).validate(body)


async def test_a_user_removed_from_the_drive_loses_their_accesses(app, state):
    async with client_for(app) as client:
        assert (await client.delete(f"{USERS}/5000103")).status_code == 200
        rows = (await client.get(ACCESS.format(10) + "/users")).json()["data"]
    assert rows == []
    assert state.data["drive_file_access"][str(DRIVE)]["10"]["users"] == {}


async def test_access_lists_match_the_spec(app, openapi):
    async with client_for(app) as client:
        users = (await client.get(ACCESS.format(11) + "/users")).json()
        teams = (await client.get(ACCESS.format(10) + "/teams")).json()
    validate(openapi, f"{SPEC_ACCESS}/users", "get", 200, users)
    validate(openapi, f"{SPEC_ACCESS}/teams", "get", 200, teams)
    assert [(r["id"], r["access"], r["name"], r["right"]) for r in users["data"]] == [
        (5000102, "user", "Alice Martin", "read"),
        (5000104, "user", "Chloé Rochat", "manage"),
    ]
    assert [(r["id"], r["access"], r["name"], r["right"]) for r in teams["data"]] == [
        (81002, "team", "Marketing", "write")
    ]


async def test_one_access_answer_lists_users_teams_and_invitations(app, openapi):
    # What drive_permissions reads: one request per folder instead of …/users plus …/teams.
    async with client_for(app) as client:
        for file_id in (1, 10, 11):
            whole = (await client.get(ACCESS.format(file_id))).json()
            validate(openapi, SPEC_ACCESS, "get", 200, whole)
            users = (await client.get(ACCESS.format(file_id) + "/users")).json()["data"]
            teams = (await client.get(ACCESS.format(file_id) + "/teams")).json()["data"]
            assert whole["data"] == {"users": users, "teams": teams, "invitations": []}
        assert [r["name"] for r in (await client.get(ACCESS.format(10))).json()["data"]["teams"]] == [
            "Marketing"
        ]
        assert (await client.get(ACCESS.format(999))).status_code == 404


@pytest.mark.parametrize(
    ("who", "ids_field", "grantee"), [("users", "user_ids", 5000105), ("teams", "team_ids", 81001)]
)
async def test_access_add_update_remove_match_the_spec(app, spec, openapi, who, ids_field, grantee):
    path = ACCESS.format(11) + f"/{who}"
    spec_path = f"{SPEC_ACCESS}/{who}"
    async with client_for(app) as client:
        request = {"right": "write", ids_field: [grantee]}
        check_request(spec, openapi, spec_path, "post", request)
        answer = await client.post(path, json=request)
        assert answer.status_code == 201
        validate(openapi, spec_path, "post", 201, answer.json())
        assert [r["result"] for r in answer.json()["data"]] == [True]
        request = {"right": "read"}
        check_request(spec, openapi, f"{spec_path}/{{{who[:-1]}_id}}", "put", request)
        answer = await client.put(f"{path}/{grantee}", json=request)
        validate(openapi, f"{spec_path}/{{{who[:-1]}_id}}", "put", 200, answer.json())
        rows = {r["id"]: r["right"] for r in (await client.get(path)).json()["data"]}
        assert rows[grantee] == "read"
        answer = await client.delete(f"{path}/{grantee}")
        validate(openapi, f"{spec_path}/{{{who[:-1]}_id}}", "delete", 200, answer.json())
        assert grantee not in {r["id"] for r in (await client.get(path)).json()["data"]}
        assert (await client.delete(f"{path}/{grantee}")).status_code in (400, 404)


async def test_bad_bodies_and_unknown_grantees(app):
    async with client_for(app) as client:
        answer = await client.post(
            ACCESS.format(11) + "/users", json={"right": "admin", "user_ids": [5000105]}
        )
        assert answer.status_code == 422
        answer = await client.post(ACCESS.format(11) + "/users", json={"right": "read", "user_ids": [42]})
        assert [r["result"] for r in answer.json()["data"]] == [False]
        assert (
            await client.put(ACCESS.format(11) + "/teams/81003", json={"right": "read"})
        ).status_code == 404
        assert (await client.get(ACCESS.format(999) + "/users")).status_code == 404
