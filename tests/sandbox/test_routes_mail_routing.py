"""Aliases and forwarding routes: answers and the requests our kinds send, both checked against mail.json."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator

from .helpers import OpenApi, field_errors, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

HOSTING = 2300101
MAILBOXES = f"/1/mail_hostings/{HOSTING}/mailboxes"
ALIASES = "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/aliases"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("mail.json")
    repair_nullables(spec)
    return load_openapi("mail.json", spec)


def validate_request(openapi: OpenApi, path: str, method: str, body: Any) -> None:
    """``body`` against the documented JSON request body of ``method path``."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
    Draft202012Validator({"$ref": f"{openapi.uri}#{quote(pointer)}"}, registry=openapi.registry).validate(
        body
    )


def stored(state: Any, name: str) -> dict[str, Any]:
    return next(m for m in state.data["mailboxes"][str(HOSTING)] if m["mailbox_name"] == name)


# -- aliases ------------------------------------------------------------------------------------------------


async def test_list_aliases_matches_the_spec(client, openapi):
    body = (await client.get(f"{MAILBOXES}/info/aliases")).json()
    validate(openapi, ALIASES, "get", 200, body)
    assert body["data"] == {"enabled_alias": 1, "aliases": ["contact"]}


async def test_put_replaces_the_list_and_the_mailbox_view_follows(state, client, openapi):
    request = {"aliases": ["Hello", "contact"]}
    validate_request(openapi, ALIASES, "put", request)
    body = (await client.put(f"{MAILBOXES}/info/aliases", json=request)).json()
    validate(openapi, ALIASES, "put", 200, body)
    assert stored(state, "info")["aliases"] == ["hello", "contact"]
    view = (await client.get(f"{MAILBOXES}/info")).json()["data"]
    assert view["full_aliases"] == ["hello@example.ch", "contact@example.ch"]


async def test_post_adds_one_and_delete_removes_one(state, client, openapi):
    validate_request(openapi, ALIASES, "post", {"alias": "hello"})
    added = (await client.post(f"{MAILBOXES}/info/aliases", json={"alias": "hello"})).json()
    validate(openapi, ALIASES, "post", 200, added)
    deleted = (await client.delete(f"{MAILBOXES}/info/aliases/contact")).json()
    validate(openapi, f"{ALIASES}/{{alias}}", "delete", 200, deleted)
    assert stored(state, "info")["aliases"] == ["hello"]
    missing = await client.delete(f"{MAILBOXES}/info/aliases/contact")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "object_not_found"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"aliases": []}, [("aliases", "validation_rule_required")]),
        ({}, [("aliases", "validation_rule_required")]),
        ({"aliases": ["help"]}, [("aliases.0", "validation_rule_unique")]),  # support's alias
        (
            {"aliases": ["sales", "a b"]},
            [("aliases.0", "validation_rule_unique"), ("aliases.1", "validation_rule_regex")],
        ),
        ({"aliases": ["x" * 65]}, [("aliases.0", "validation_rule_regex")]),
    ],
)
async def test_put_refuses_what_cannot_be_an_alias_and_changes_nothing(state, client, body, expected):
    assert field_errors(await client.put(f"{MAILBOXES}/info/aliases", json=body)) == expected
    assert stored(state, "info")["aliases"] == ["contact"]


async def test_post_refuses_an_alias_over_the_hosting_limit(state, client):
    state.data["mail_hostings"][0]["limit"]["alias_for_mailbox"] = 1
    assert field_errors(await client.post(f"{MAILBOXES}/info/aliases", json={"alias": "x"})) == [
        ("alias", "validation_rule_max")
    ]
