"""kDrive routes: shapes checked against the official spec (kdrive.json), cursor pages, share-link CRUD.

Spec repairs before checking (spec bugs, not simulator choices): the ones of ``test_routes_mail.py``
(``nullable``, empty ``properties``); ``Drive`` lists ``current`` and ``max`` as required although they are
no properties; and file listings are documented as ``oneOf`` [all directories, all files], which no real
folder holding both satisfies, so they are checked as a list of directories-or-files.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.sandbox import create_app

from .helpers import OpenApi, client_for, field_errors, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

DRIVE = 140946
FILES = f"/3/drive/{DRIVE}/files"
LINK = f"/2/drive/{DRIVE}/files/{{}}/link"
LISTINGS = ("/3/drive/{drive_id}/files/links", "/3/drive/{drive_id}/files/{file_id}/files")


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("kdrive.json")
    repair_nullables(spec)
    drive = spec["components"]["schemas"]["91ac10ff_Drive"]
    drive["required"] = [key for key in drive["required"] if key in drive["properties"]]
    for path in LISTINGS:
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        data = schema["allOf"][1]["properties"]["data"]
        items = [alternative["items"] for alternative in data.pop("oneOf")]
        data.update({"type": "array", "items": {"anyOf": items}})
    return load_openapi("kdrive.json", spec)


def stored(state: Any, file_id: int) -> dict[str, Any]:
    return next(f for f in state.data["drive_files"][str(DRIVE)] if f["id"] == file_id)


# -- drives and listings -------------------------------------------------------------------------------------


async def test_drives_need_an_account_and_match_the_spec(client, openapi):
    assert field_errors(await client.get("/2/drive")) == [("account_id", "validation_rule_required")]
    body = (await client.get("/2/drive", params={"account_id": 123456, "page": 1})).json()
    validate(openapi, "/2/drive", "get", 200, body)
    assert [(d["id"], d["name"], d["product_id"]) for d in body["data"]] == [(DRIVE, "Demo Drive", 4000101)]
    assert (await client.get(f"/2/drive/{DRIVE}")).json()["data"]["name"] == "Demo Drive"


async def test_a_drive_in_maintenance_answers_503(state, client):
    state.data["drives"][0]["in_maintenance"] = True
    response = await client.get(f"{FILES}/links")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "drive_is_in_maintenance_error"


async def test_links_inventory_matches_the_spec_and_hides_trashed_files(client, openapi):
    body = (await client.get(f"{FILES}/links")).json()
    validate(openapi, "/3/drive/{drive_id}/files/links", "get", 200, body)
    assert [(f["path"], f["sharelink"]["right"]) for f in body["data"]] == [
        ("/Finance/q3-report.xlsx", "password"),
        ("/Marketing/Campaign 2026", "inherit"),
        ("/Marketing/brochure.pdf", "public"),
        ("/Press/press-kit.zip", "public"),
    ]
    assert (body["has_more"], isinstance(body["cursor"], str)) == (False, True)
    public = (await client.get(f"{FILES}/links", params={"right[]": "public", "type[]": "file"})).json()
    assert [f["id"] for f in public["data"]] == [101, 121]


async def test_folder_listing_pages_with_a_cursor(state, client, openapi):
    for index in range(7):
        state.data["drive_files"][str(DRIVE)].append(
            {"id": 900 + index, "name": f"scan-{index}.pdf", "type": "file", "parent_id": 13}
        )
    first = (await client.get(f"{FILES}/13/files", params={"limit": 5})).json()
    validate(openapi, "/3/drive/{drive_id}/files/{file_id}/files", "get", 200, first)
    assert (len(first["data"]), first["has_more"]) == (5, True)
    second = (await client.get(f"{FILES}/13/files", params={"limit": 5, "cursor": first["cursor"]})).json()
    names = [f["name"] for f in first["data"] + second["data"]]
    assert (len(second["data"]), second["has_more"]) == (3, False)
    assert names[0] == "handbook.pdf" and len(set(names)) == 8  # the trashed draft is not listed


async def test_root_listing_shows_folders_first_with_paths(client):
    data = (await client.get(f"{FILES}/1/files")).json()["data"]
    assert [(f["path"], f["depth"], f["type"]) for f in data] == [
        ("/Common documents", 1, "dir"),
        ("/Finance", 1, "dir"),
        ("/Marketing", 1, "dir"),
        ("/Press", 1, "dir"),
    ]


async def test_cursor_and_limit_are_validated(client):
    assert field_errors(await client.get(f"{FILES}/1/files", params={"cursor": "garbage"})) == [
        ("cursor", "validation_rule_cursor")
    ]
    assert field_errors(await client.get(f"{FILES}/1/files", params={"limit": 2})) == [
        ("limit", "validation_rule_min")
    ]
    assert field_errors(await client.get(f"{FILES}/1/files", params={"limit": 5000})) == [
        ("limit", "validation_rule_max")
    ]
    assert field_errors(await client.get(f"{FILES}/1/files", params={"type": "folder"})) == [
        ("type", "validation_rule_in")
    ]
    listing_a_file = await client.get(f"{FILES}/101/files")
    assert listing_a_file.status_code == 404


# -- share links ---------------------------------------------------------------------------------------------


async def test_get_link_matches_the_spec_and_a_file_without_link_is_404(client, openapi):
    body = (await client.get(LINK.format(101))).json()
    validate(openapi, "/2/drive/{drive_id}/files/{file_id}/link", "get", 200, body)
    assert (
        body["data"]["url"]
        == f"https://kdrive.infomaniak.com/app/share/{DRIVE}/4f1e2a7c-9b3d-4c21-8e5f-0a1b2c3d4e5f"
    )
    missing = await client.get(LINK.format(102))
    assert missing.status_code == 404 and missing.json()["error"]["context"] == {"model": "ShareLink"}
    assert (await client.get(LINK.format(1))).status_code == 404  # the root is never shared


async def test_create_is_201_with_defaults_and_a_second_create_is_409(client, openapi):
    response = await client.post(LINK.format(102), json={"right": "public", "can_edit": True})
    assert response.status_code == 201
    validate(openapi, "/2/drive/{drive_id}/files/{file_id}/link", "post", 201, response.json())
    capabilities = response.json()["data"]["capabilities"]
    # can_comment is unset, so it takes can_edit's value (spec); the rest are the documented defaults.
    assert capabilities == {
        "can_edit": True,
        "can_see_stats": False,
        "can_see_info": True,
        "can_download": True,
        "can_comment": True,
        "can_request_access": False,
    }
    again = await client.post(LINK.format(102), json={"right": "public"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "object_already_exists"


async def test_create_validates_every_field_at_once(client):
    body = {
        "right": "everyone",
        "can_download": "yes",
        "valid_until": "tomorrow",
        "password": "",
        "expires": 1,
    }
    assert field_errors(await client.post(LINK.format(102), json=body)) == [
        ("expires", "validation_rule_prohibited"),
        ("right", "validation_rule_in"),
        ("can_download", "validation_rule_boolean"),
        ("valid_until", "validation_rule_integer"),
        ("password", "validation_rule_string"),
    ]
    assert field_errors(await client.post(LINK.format(102), json={})) == [
        ("right", "validation_rule_required")
    ]


@pytest.mark.parametrize(
    ("file_id", "body", "attribute"),
    [
        (102, {"right": "password"}, "password"),
        (102, {"right": "public", "password": "x1"}, "password"),
        (102, {"right": "inherit", "can_request_access": True}, "can_request_access"),
    ],
)
async def test_create_refuses_inconsistent_links(client, file_id, body, attribute):
    assert [a for a, _ in field_errors(await client.post(LINK.format(file_id), json=body))] == [attribute]


async def test_passwords_are_stored_hashed_and_dropped_when_the_link_goes_public(state, client):
    created = await client.post(LINK.format(112), json={"right": "password", "password": "Budget-Secret-9"})
    assert created.status_code == 201
    assert "Budget-Secret-9" not in json.dumps(state.data) and "password_hash" not in created.text
    assert len(stored(state, 112)["sharelink"]["password_hash"]) == 64
    # A PUT that keeps `right: password` needs no password: the link already has one.
    assert (await client.put(LINK.format(112), json={"can_download": False})).json()["data"] is True
    assert (await client.put(LINK.format(112), json={"right": "public"})).json()["data"] is True
    assert "password_hash" not in stored(state, 112)["sharelink"]
    back = await client.put(LINK.format(112), json={"right": "password"})
    assert [a for a, _ in field_errors(back)] == ["password"]


async def test_update_is_partial_and_can_comment_follows_can_edit(state, client, openapi):
    response = await client.put(LINK.format(101), json={"valid_until": 1909008000, "can_edit": True})
    validate(openapi, "/2/drive/{drive_id}/files/{file_id}/link", "put", 200, response.json())
    link = (await client.get(LINK.format(101))).json()["data"]
    assert (link["valid_until"], link["capabilities"]["can_edit"], link["capabilities"]["can_comment"]) == (
        1909008000,
        True,
        True,
    )
    await client.put(LINK.format(101), json={"can_edit": False, "can_comment": True})
    capabilities = (await client.get(LINK.format(101))).json()["data"]["capabilities"]
    assert (capabilities["can_edit"], capabilities["can_comment"], capabilities["can_download"]) == (
        False,
        True,
        True,
    )
    assert link["updated_at"] > link["created_at"]


async def test_delete_then_404_and_method_override(client):
    assert (await client.delete(LINK.format(121))).json() == {"result": "success", "data": True}
    assert (await client.delete(LINK.format(121))).status_code == 404
    overridden = await client.post(LINK.format(101), headers={"X-HTTP-METHOD-OVERRIDE": "DELETE"})
    assert overridden.json()["data"] is True
    assert (await client.get(LINK.format(101))).status_code == 404


async def test_drive_routes_need_the_drive_scope(state):
    app = create_app(state, token_scopes={"reader": ["drive:read"]})
    async with client_for(app, "reader") as reader:
        assert (await reader.get(f"{FILES}/links")).status_code == 200
        denied = await reader.delete(LINK.format(101))
        assert denied.status_code == 403 and denied.json()["error"]["context"] == {"scope": "drive:write"}
