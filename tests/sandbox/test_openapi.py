"""The simulator's DNS answers validate against the official OpenAPI 3.1 spec's response schemas.

Where the spec and the real API disagree the simulator follows the real API, and the test says so:

* ``POST /2/zones/{zone}/records`` is documented 200; the real API answers 201. The body is checked
  against the documented 200 schema.
* The zone schemas list ``is_enabled`` as a required top-level key although it only exists inside
  ``dnssec``; real zone objects have no top-level ``is_enabled``, so the test drops it from ``required``.
"""

from __future__ import annotations

import pytest

from .helpers import OpenApi, load_openapi, read_openapi, validate

pytestmark = pytest.mark.anyio

RECORDS = "/2/zones/example.ch/records"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("domain_zones.json")
    schemas = spec["components"]["schemas"]
    for name in ("2f8071fd_api_dns_zone", "6a791d9b_api_domain_zone"):
        # Spec bug: "is_enabled" belongs to "dnssec", not to the zone (see the module docstring).
        schemas[name]["required"] = [key for key in schemas[name]["required"] if key != "is_enabled"]
    return load_openapi("domain_zones.json", spec)


async def test_show_zone(client, openapi):
    for params in ({}, {"with": "records,idn"}):
        response = await client.get("/2/zones/example.ch", params=params)
        validate(openapi, "/2/zones/{zone}", "get", 200, response.json())


async def test_show_zone_unknown_and_unauthorised(client, openapi):
    missing = await client.get("/2/zones/unknown.ch")
    validate(openapi, "/2/zones/{zone}", "get", 404, missing.json())
    unauthorised = await client.get("/2/zones/example.ch", headers={"Authorization": "Bearer nope"})
    validate(openapi, "/2/zones/{zone}", "get", 401, unauthorised.json())


async def test_list_records(client, openapi):
    for params in ({}, {"with": "idn", "page": 1, "per_page": 5}, {"with": "records_description"}):
        response = await client.get(RECORDS, params=params)
        validate(openapi, "/2/zones/{zone}/records", "get", 200, response.json())


async def test_show_record(client, openapi):
    response = await client.get(f"{RECORDS}/17781145", params={"with": "idn"})
    validate(openapi, "/2/zones/{zone}/records/{record}", "get", 200, response.json())
    missing = await client.get(f"{RECORDS}/1")
    validate(openapi, "/2/zones/{zone}/records/{record}", "get", 404, missing.json())


async def test_create_record(client, openapi):
    body = {"source": "_acme-challenge", "type": "TXT", "target": "token", "ttl": 300}
    response = await client.post(RECORDS, json=body)
    assert response.status_code == 201  # real behaviour; the spec documents 200
    validate(openapi, "/2/zones/{zone}/records", "post", 200, response.json())
    duplicate = await client.post(RECORDS, json=body)
    validate(openapi, "/2/zones/{zone}/records", "post", 400, duplicate.json())


async def test_update_and_delete_record(client, openapi):
    updated = await client.put(f"{RECORDS}/17781142", json={"ttl": 600})
    validate(openapi, "/2/zones/{zone}/records/{record}", "put", 200, updated.json())
    deleted = await client.delete(f"{RECORDS}/17781142")
    validate(openapi, "/2/zones/{zone}/records/{record}", "delete", 200, deleted.json())


async def test_zone_exists(client, openapi):
    response = await client.get("/2/zones/example.ch/exists")
    validate(openapi, "/2/zones/{zone}/exists", "get", 200, response.json())
    missing = await client.get("/2/zones/unknown.ch/exists")
    validate(openapi, "/2/zones/{zone}/exists", "get", 404, missing.json())


async def test_domain_zones(client, openapi):
    for params in ({}, {"page": 1}, {"return": "total"}):
        response = await client.get("/2/domains/www.example.ch/zones", params=params)
        validate(openapi, "/2/domains/{domain}/zones", "get", 200, response.json())


async def test_schema_check_catches_a_wrong_shape(openapi):
    # Guard against a vacuous test: a record without "target" must fail the record schema.
    from jsonschema import ValidationError

    bad = {"result": "success", "data": {"id": 1, "source": ".", "type": "A", "ttl": 60, "updated_at": 1}}
    with pytest.raises(ValidationError):
        validate(openapi, "/2/zones/{zone}/records/{record}", "get", 200, bad)
