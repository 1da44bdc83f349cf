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


# -- forwarding ---------------------------------------------------------------------------------------------

FORWARDING = "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/forwarding_addresses"


async def test_forwarding_answer_matches_the_spec(client, openapi):
    body = (await client.get(f"{MAILBOXES}/noreply/forwarding_addresses")).json()
    validate(openapi, FORWARDING, "get", 200, body)
    assert body["data"] == {
        "is_enabled": "1",
        "redirect_adresses": [{"email": "it@example.ch", "email_idn": "it@example.ch"}],
        "has_dont_deliver": "1",
        "has_forward_spam": "0",
    }
    off = (await client.get(f"{MAILBOXES}/ceo/forwarding_addresses")).json()
    validate(openapi, FORWARDING, "get", 200, off)
    assert (off["data"]["is_enabled"], off["data"]["redirect_adresses"]) == ("0", [])


async def test_put_sets_the_list_and_flags_and_the_mailbox_view_follows(state, client, openapi):
    request = {
        "is_enabled": True,
        "redirect_addresses": ["Assistant@example.ch"],
        "has_dont_deliver": True,
        "has_forward_spam": False,
    }
    validate_request(openapi, FORWARDING, "put", request)
    body = (await client.put(f"{MAILBOXES}/ceo/forwarding_addresses", json=request)).json()
    validate(openapi, FORWARDING, "put", 200, body)
    data = (await client.get(f"{MAILBOXES}/ceo/forwarding_addresses")).json()["data"]
    assert (data["redirect_adresses"][0]["email"], data["has_dont_deliver"]) == ("assistant@example.ch", "1")
    view = (await client.get(f"{MAILBOXES}/ceo")).json()["data"]
    assert (view["has_redirection"], view["redirection"]) == (True, ["assistant@example.ch"])
    assert "has_dont_deliver" not in view and "forwarding_options" not in stored(state, "ceo")


async def test_disabling_drops_every_address(state, client, openapi):
    validate_request(openapi, FORWARDING, "put", {"is_enabled": False})
    await client.put(f"{MAILBOXES}/sales/forwarding_addresses", json={"is_enabled": False})
    assert (stored(state, "sales")["redirection"], stored(state, "sales")["has_redirection"]) == ([], False)


async def test_post_adds_and_deletes_remove_one_or_all(state, client, openapi):
    validate_request(openapi, FORWARDING, "post", {"redirect_address": "b@x.example"})
    await client.post(f"{MAILBOXES}/sales/forwarding_addresses", json={"redirect_address": "b@x.example"})
    assert stored(state, "sales")["redirection"] == ["crm@partner.example", "b@x.example"]
    one = (await client.delete(f"{MAILBOXES}/sales/forwarding_addresses/crm@partner.example")).json()
    validate(openapi, f"{FORWARDING}/{{redirect_addresses}}", "delete", 200, one)
    assert stored(state, "sales")["redirection"] == ["b@x.example"]
    every = (await client.delete(f"{MAILBOXES}/sales/forwarding_addresses")).json()
    validate(openapi, FORWARDING, "delete", 200, every)
    assert stored(state, "sales")["has_redirection"] is False
    missing = await client.delete(f"{MAILBOXES}/sales/forwarding_addresses/crm@partner.example")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"redirect_addresses": []}, [("redirect_addresses", "validation_rule_between")]),
        ({"redirect_addresses": ["nope"]}, [("redirect_addresses.0", "validation_rule_email")]),
        (
            {"redirect_addresses": ["sales@example.ch"]},
            [("redirect_addresses.0", "validation_rule_different")],
        ),
        ({"is_enabled": "yes"}, [("is_enabled", "validation_rule_boolean")]),
    ],
)
async def test_put_refuses_bad_bodies_and_changes_nothing(state, client, body, expected):
    assert field_errors(await client.put(f"{MAILBOXES}/sales/forwarding_addresses", json=body)) == expected
    assert stored(state, "sales")["redirection"] == ["crm@partner.example"]


# -- preferences (the GET is routes_inventory's) ------------------------------------------------------------

PREFERENCES = "/1/mail_hostings/{mail_hosting_id}/preferences"


async def test_preferences_patch_matches_the_spec_and_reads_back(state, client, openapi):
    request = {
        "spam_filter_enabled": False,
        "blocked_senders": ["@Spam.example"],
        "default_permissions": {"can_manage_redirections": False},
    }
    validate_request(openapi, PREFERENCES, "patch", request)
    body = (await client.patch(f"/1/mail_hostings/{HOSTING}/preferences", json=request)).json()
    validate(openapi, PREFERENCES, "patch", 200, body)
    data = (await client.get(f"/1/mail_hostings/{HOSTING}/preferences")).json()["data"]
    assert (data["spam_filter_enabled"], data["blocked_senders"]) == (False, ["spam.example"])
    assert data["default_permissions"]["can_manage_redirections"] is False
    assert data["default_permissions"]["can_access_logs"] is True


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"spam_filter_enabled": "no"}, [("spam_filter_enabled", "validation_rule_boolean")]),
        ({"blocked_senders": ["a b"]}, [("blocked_senders.0", "validation_rule_email")]),
        ({"spam_filter": True}, [("spam_filter", "validation_rule_prohibited")]),
        ({"default_permissions": {"can_fly": True}}, [("default_permissions", "validation_rule_array")]),
    ],
)
async def test_preferences_patch_refuses_bad_bodies(state, client, body, expected):
    before = dict(state.data["inventory"]["mail_preferences"][str(HOSTING)])
    assert field_errors(await client.patch(f"/1/mail_hostings/{HOSTING}/preferences", json=body)) == expected
    assert state.data["inventory"]["mail_preferences"][str(HOSTING)] == before


# -- redirections (the list is routes_inventory's) -----------------------------------------------------------

REDIRECTIONS = "/1/mail_hostings/{mail_hosting_id}/redirections"


async def test_redirection_writes_match_the_spec_and_read_back_in_the_list(state, client, openapi):
    request = {"name": "jobs", "targets": ["HR@example.ch"]}
    validate_request(openapi, REDIRECTIONS, "post", request)
    created = await client.post(f"/1/mail_hostings/{HOSTING}/redirections", json=request)
    validate(openapi, REDIRECTIONS, "post", 201, created.json())
    identifier = created.json()["data"]
    shown = (await client.get(f"/1/mail_hostings/{HOSTING}/redirections/{identifier}")).json()
    validate(openapi, f"{REDIRECTIONS}/{{redirection_id}}", "get", 200, shown)
    assert (shown["data"]["address"]["address"], shown["data"]["targets"][0]["state"]) == (
        "jobs@example.ch",
        "pending",
    )
    update = {"targets": ["hr@example.ch", "ceo@example.ch"]}
    validate_request(openapi, f"{REDIRECTIONS}/{{redirection_id}}", "put", update)
    updated = (await client.put(f"/1/mail_hostings/{HOSTING}/redirections/{identifier}", json=update)).json()
    validate(openapi, f"{REDIRECTIONS}/{{redirection_id}}", "put", 200, updated)
    listed = (await client.get(f"/1/mail_hostings/{HOSTING}/redirections")).json()
    validate(openapi, REDIRECTIONS, "get", 200, listed)
    jobs = next(r for r in listed["data"] if r["id"] == identifier)
    assert [t["address"] for t in jobs["targets"]] == ["hr@example.ch", "ceo@example.ch"]
    deleted = (await client.delete(f"/1/mail_hostings/{HOSTING}/redirections/{identifier}")).json()
    validate(openapi, f"{REDIRECTIONS}/{{redirection_id}}", "delete", 200, deleted)
    assert (await client.get(f"/1/mail_hostings/{HOSTING}/redirections/{identifier}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "info", "targets": ["a@x.example"]}, [("name", "validation_rule_unique")]),
        ({"name": "help", "targets": ["a@x.example"]}, [("name", "validation_rule_unique")]),
        ({"name": "a b", "targets": ["a@x.example"]}, [("name", "validation_rule_regex")]),
        ({"name": "x", "targets": []}, [("targets", "validation_rule_between")]),
        ({"name": "x", "targets": ["nope"]}, [("targets.0", "validation_rule_email")]),
    ],
)
async def test_redirection_create_refuses_bad_bodies(state, client, body, expected):
    before = len(state.data["inventory"]["mail_redirections"][str(HOSTING)])
    assert field_errors(await client.post(f"/1/mail_hostings/{HOSTING}/redirections", json=body)) == expected
    assert len(state.data["inventory"]["mail_redirections"][str(HOSTING)]) == before
