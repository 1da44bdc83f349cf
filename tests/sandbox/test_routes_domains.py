"""Registrar routes (nameservers, DNSSEC): answers and the kind's requests checked against domain_zones.json.

One repair of the spec before checking: the DNSSEC record lists ``algorithm`` and ``public_key`` as required
top-level keys although they are properties of ``ksk`` only, and the zone item lists ``is_enabled`` (a
property of ``dnssec``); only required keys that are properties stay.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator

from .helpers import OpenApi, field_errors, load_openapi, read_openapi, repair_nullables, validate

pytestmark = pytest.mark.anyio

NAMESERVERS = "/2/domains/{domain}/nameservers"
CHECK = "/2/domains/{domain}/dnssec/check"


@pytest.fixture(scope="module")
def openapi() -> OpenApi:
    spec = read_openapi("domain_zones.json")
    repair_nullables(spec)
    for name in ("6a791d9b_api_domain_dnssec_record", "6a791d9b_api_domain_zone"):
        schema = spec["components"]["schemas"][name]
        schema["required"] = [key for key in schema["required"] if key in schema["properties"]]
    return load_openapi("domain_zones.json", spec)


def validate_request(openapi: OpenApi, path: str, method: str, body: Any) -> None:
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
    Draft202012Validator({"$ref": f"{openapi.uri}#{quote(pointer)}"}, registry=openapi.registry).validate(
        body
    )


async def test_nameservers_put_matches_the_spec_and_reads_back_in_the_zones_list(state, client, openapi):
    request = {"nameservers": ["NS1.other.example.", "ns2.other.example"]}
    validate_request(openapi, NAMESERVERS, "put", request)
    body = (await client.put("/2/domains/example.ch/nameservers", json=request)).json()
    validate(openapi, NAMESERVERS, "put", 200, body)
    zones = (await client.get("/2/domains/example.ch/zones")).json()
    validate(openapi, "/2/domains/{domain}/zones", "get", 200, zones)
    assert zones["data"][0]["nameservers"] == ["ns1.other.example", "ns2.other.example"]
    back = {"use_infomaniak_ns": True, "verify_ns_availability": True}
    validate_request(openapi, NAMESERVERS, "put", back)
    await client.put("/2/domains/example.ch/nameservers", json=back)
    assert state.zones["example.ch"]["nameservers"] == ["ns41.infomaniak.com", "ns42.infomaniak.com"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("nameservers", "validation_rule_required_without")]),
        (
            {"nameservers": ["a.example.net", "b.example.net"], "use_infomaniak_ns": True},
            [("nameservers", "validation_rule_required_without")],
        ),
        ({"nameservers": ["a.example.net"]}, [("nameservers", "validation_rule_min")]),
        ({"nameservers": ["a.example.net", "not a host"]}, [("nameservers.1", "validation_rule_hostname")]),
        ({"use_infomaniak_ns": False}, [("use_infomaniak_ns", "validation_rule_accepted")]),
    ],
)
async def test_nameservers_put_refuses_bad_bodies_and_changes_nothing(state, client, body, expected):
    assert field_errors(await client.put("/2/domains/example.ch/nameservers", json=body)) == expected
    assert state.zones["example.ch"]["nameservers"] == ["ns41.infomaniak.com", "ns42.infomaniak.com"]


async def test_dnssec_check_enable_disable_match_the_spec(state, client, openapi):
    off = (await client.get("/2/domains/example.ch/dnssec/check")).json()
    validate(openapi, CHECK, "get", 200, off)
    assert (off["data"]["has_dnssec"], off["data"]["dnssec_data"]) == (False, [])
    enabled = (await client.post("/2/domains/example.ch/dnssec/enable")).json()
    validate(openapi, "/2/domains/{domain}/dnssec/enable", "post", 200, enabled)
    on = (await client.get("/2/domains/example.ch/dnssec/check")).json()
    validate(openapi, CHECK, "get", 200, on)
    assert on["data"]["has_dnssec"] is True and on["data"]["dnssec_data"][0]["algorithm"] == "13"
    zones = (await client.get("/2/domains/example.ch/zones")).json()["data"]
    assert zones[0]["dnssec"] == {"is_enabled": True}
    disabled = (await client.post("/2/domains/example.ch/dnssec/disable")).json()
    validate(openapi, "/2/domains/{domain}/dnssec/disable", "post", 200, disabled)
    assert state.zones["example.ch"]["dnssec"] == {"is_enabled": False}


async def test_enabling_dnssec_on_external_nameservers_needs_the_key_data(state, client, openapi):
    state.zones["example.ch"]["nameservers"] = ["ns1.other.example", "ns2.other.example"]
    assert field_errors(await client.post("/2/domains/example.ch/dnssec/enable")) == [
        ("dnssec_data", "validation_rule_required")
    ]
    request = {"dnssec_data": ["2371 13 2 1f9c0b8c"]}
    validate_request(openapi, "/2/domains/{domain}/dnssec/enable", "post", request)
    assert (await client.post("/2/domains/example.ch/dnssec/enable", json=request)).status_code == 200


async def test_a_domain_not_in_the_account_is_not_found(client):
    for response in (
        await client.get("/2/domains/example.org/dnssec/check"),
        await client.put("/2/domains/example.org/nameservers", json={"use_infomaniak_ns": True}),
    ):
        assert response.status_code == 404 and response.json()["error"]["code"] == "object_not_found"
