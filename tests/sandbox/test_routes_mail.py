"""Mail routes: shapes checked against the official spec (mail.json), sender-list forms, PATCH validation.

Three repairs of the spec before checking, all spec bugs rather than simulator choices:

* the document is OpenAPI 3.1 but marks nullable fields the 3.0 way (``nullable: true``), which JSON Schema
  ignores; such a field's ``type`` is widened to accept ``null`` (the real API sends ``"note": null``);
* an empty ``properties`` is exported as a list (``[]``, PHP's empty array), which is no schema; it becomes
  ``{}``;
* the ``Mailbox`` schema lists permission names (``can_access_logs`` ...) and ``is_active`` as required
  top-level keys although they are no properties of a mailbox; only required keys that are properties stay.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.sandbox import create_app

from .helpers import OpenApi, client_for, field_errors, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

HOSTING = 2300101
MAILBOXES = f"/1/mail_hostings/{HOSTING}/mailboxes"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("mail.json")
    repair_nullables(spec)
    mailbox = spec["components"]["schemas"]["93e74a89_Mailbox"]
    mailbox["required"] = [key for key in mailbox["required"] if key in mailbox["properties"]]
    return load_openapi("mail.json", spec)


def mailbox(state: Any, name: str) -> dict[str, Any]:
    return next(m for m in state.data["mailboxes"][str(HOSTING)] if m["mailbox_name"] == name)


# -- reads ---------------------------------------------------------------------------------------------------


async def test_mail_hostings_list_and_show(client):
    listed = (await client.get("/1/mail_hostings", params={"account_id": 123456})).json()["data"]
    assert [(h["id"], h["customer_name"], h["main_fqdn"]) for h in listed] == [
        (HOSTING, "example.ch", "example.ch")
    ]
    assert (await client.get("/1/mail_hostings", params={"account_id": 1})).json()["data"] == []
    assert (await client.get(f"/1/mail_hostings/{HOSTING}")).json()["data"]["id"] == HOSTING
    missing = await client.get("/1/mail_hostings/1")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "object_not_found"


async def test_mailbox_list_matches_the_spec_and_paginates(client, openapi):
    body = (await client.get(MAILBOXES, params={"page": 1, "per_page": 2})).json()
    validate(openapi, "/1/mail_hostings/{mail_hosting_id}/mailboxes", "get", 200, body)
    assert (body["total"], body["pages"], [m["mailbox_name"] for m in body["data"]]) == (
        5,
        3,
        ["ceo", "info"],
    )
    found = (await client.get(MAILBOXES, params={"search": "sal"})).json()["data"]
    assert [m["mailbox"] for m in found] == ["sales@example.ch"]


async def test_mailbox_matches_the_spec_with_senders_as_objects(client, openapi):
    body = (await client.get(f"{MAILBOXES}/info")).json()
    validate(openapi, "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}", "get", 200, body)
    data = body["data"]
    assert (data["mailbox"], data["full_aliases"]) == ("info@example.ch", ["contact@example.ch"])
    assert data["authorized_senders"] == [{"email": "boss@partner.example", "locked": "0"}]
    assert "password_hash" not in data


async def test_sender_lists_can_be_served_as_strings(state, client):
    state.data["mail_settings"]["sender_list_form"] = "strings"
    data = (await client.get(f"{MAILBOXES}/info")).json()["data"]
    assert data["blocked_senders"] == ["spam@bad.example"]


async def test_unknown_mailbox_and_unknown_with(client):
    missing = await client.get(f"{MAILBOXES}/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["context"] == {"model": "Mailbox"}
    assert field_errors(await client.get(MAILBOXES, params={"with": "secrets"})) == [
        ("with", "validation_rule_in")
    ]


async def test_mail_routes_need_the_mail_scope(state):
    app = create_app(state, token_scopes={"dns-only": ["dns"], "reader": ["mail:read"]})
    async with client_for(app, "dns-only") as dns_only:
        denied = await dns_only.get(MAILBOXES)
        assert denied.status_code == 403 and denied.json()["error"]["context"] == {"scope": "mail:read"}
    async with client_for(app, "reader") as reader:
        assert (await reader.get(MAILBOXES)).status_code == 200
        assert (await reader.patch(f"{MAILBOXES}/info", json={"has_move_spam": False})).status_code == 403


# -- PATCH ---------------------------------------------------------------------------------------------------


async def test_patch_accepts_strings_and_objects_and_normalises(state, client):
    body = {
        "authorized_senders": ["Boss@Partner.example", {"email": "@Friends.example", "locked": "0"}],
        "blocked_senders": ["spam@bad.example", "SPAM@bad.example"],
        "has_move_spam": False,
        "has_mail_filtering": True,
        "mail_filtering_folder_commercials": "Promotions",
    }
    response = await client.patch(f"{MAILBOXES}/info", json=body)
    assert response.json() == {"result": "success", "data": True}
    data = (await client.get(f"{MAILBOXES}/info")).json()["data"]
    assert [s["email"] for s in data["authorized_senders"]] == ["boss@partner.example", "friends.example"]
    assert [s["email"] for s in data["blocked_senders"]] == ["spam@bad.example"]
    assert (data["has_move_spam"], data["has_mail_filtering"], data["mail_filtering_folder_commercials"]) == (
        False,
        True,
        "Promotions",
    )


async def test_patch_reports_every_problem_at_once_and_changes_nothing(state, client):
    before = json.dumps(mailbox(state, "info"), sort_keys=True)
    body = {
        "authorized_senders": ["ok.example", "not an address"],
        "blocked_senders": "spam@bad.example",
        "has_move_spam": "maybe",
        "mail_filtering_folder_social_networks": "",
        "spam_score": 5,
    }
    assert field_errors(await client.patch(f"{MAILBOXES}/info", json=body)) == [
        ("spam_score", "validation_rule_prohibited"),
        ("authorized_senders.1", "validation_rule_email"),
        ("blocked_senders", "validation_rule_array"),
        ("has_move_spam", "validation_rule_boolean"),
        ("mail_filtering_folder_social_networks", "validation_rule_string"),
    ]
    assert json.dumps(mailbox(state, "info"), sort_keys=True) == before


async def test_a_sender_cannot_be_both_authorized_and_blocked(client):
    response = await client.patch(f"{MAILBOXES}/info", json={"blocked_senders": ["Boss@partner.example"]})
    assert field_errors(response) == [("blocked_senders", "validation_rule_distinct")]


async def test_locked_senders_survive_a_patch_that_leaves_them_out(state, client):
    mailbox(state, "info")["blocked_senders"] = [{"email": "hosting.example", "locked": True}]
    await client.patch(f"{MAILBOXES}/info", json={"blocked_senders": ["new.example"]})
    data = (await client.get(f"{MAILBOXES}/info")).json()["data"]
    assert data["blocked_senders"] == [
        {"email": "hosting.example", "locked": "1"},
        {"email": "new.example", "locked": "0"},
    ]


async def test_a_mailbox_password_is_stored_hashed_only(state, client):
    await client.patch(f"{MAILBOXES}/info", json={"password": "Mailbox-Secret-1"})
    assert "Mailbox-Secret-1" not in json.dumps(state.data)
    assert "password_hash" not in (await client.get(f"{MAILBOXES}/info")).json()["data"]
