"""DNS v2 routes: shapes, normalisation on write, validation errors, filters, domain → zones."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.sandbox import Faults, SandboxState

pytestmark = pytest.mark.anyio

RECORDS = "/2/zones/example.ch/records"


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(RECORDS, json={"ttl": 300, **body})


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["result"] == "error"
    return str(body["error"]["code"])


# -- reads ---------------------------------------------------------------------------------------


async def test_zone_without_with_has_no_records(client):
    data = (await client.get("/2/zones/example.ch")).json()["data"]
    assert list(data) == ["id", "fqdn", "dnssec", "nameservers", "skel"]
    assert data["nameservers"] == ["ns41.infomaniak.com", "ns42.infomaniak.com"]


async def test_zone_with_records_and_idn(client):
    data = (await client.get("/2/zones/example.ch", params={"with": "records,idn"})).json()["data"]
    assert len(data["records"]) == 14
    first = data["records"][0]
    assert list(first) == ["id", "source", "source_idn", "type", "ttl", "target", "updated_at"]
    assert first["source"] == "." and first["source_idn"] == "example.ch"


async def test_zone_trailing_dot_and_case_are_tolerated(client):
    assert (await client.get("/2/zones/Example.CH./exists")).json() == {"result": "success", "data": True}


async def test_record_key_order_without_idn(client):
    record = (await client.get(RECORDS)).json()["data"][0]
    assert list(record) == ["id", "source", "type", "ttl", "target", "updated_at"]
    assert isinstance(record["updated_at"], int)


async def test_unknown_with_value_lists_allowed_values(client):
    response = await client.get(RECORDS, params={"with": "bogus"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["errors"][0]["context"] == {"attribute": "with", "values": ["idn", "records_description"]}


async def test_records_description(client):
    records = (await client.get(RECORDS, params={"with[]": "records_description"})).json()["data"]
    srv = next(r for r in records if r["type"] == "SRV")
    assert srv["description"]["port"] == {"value": 993, "label": "993"}


async def test_exists_unknown_zone_is_404_with_model(client):
    response = await client.get("/2/zones/unknown.ch/exists")
    assert response.status_code == 404
    assert response.json() == {
        "result": "error",
        "error": {
            "code": "object_not_found",
            "description": "Object not found",
            "context": {"model": "DelegatedSubDomain"},
        },
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2/zones/unknown.ch"),
        ("GET", "/2/zones/unknown.ch/records"),
        ("POST", "/2/zones/unknown.ch/records"),
        ("GET", "/2/zones/unknown.ch/records/17781140"),
        ("DELETE", "/2/zones/unknown.ch/records/17781140"),
    ],
)
async def test_unknown_zone_on_record_routes(client, method, path):
    response = await client.request(method, path, json={"type": "A", "target": "192.0.2.1", "ttl": 300})
    assert response.status_code == 404
    assert error_code(response) == "zone_does_not_exists"


@pytest.mark.parametrize("record", ["99999999", "abc", "18204410"])  # unknown, not a number, other zone
async def test_unknown_record_id(client, record):
    response = await client.get(f"{RECORDS}/{record}")
    assert response.status_code == 404
    assert error_code(response) == "object_not_found"


async def test_check_record(client):
    assert (await client.get(f"{RECORDS}/17781140/check")).json()["data"] is True


# -- filters, order, caps ----------------------------------------------------------------------------


async def test_filter_source_apex_and_types(client):
    params = [("filter[source]", "."), ("filter[types][]", "NS"), ("filter[types][]", "MX")]
    records = (await client.get(RECORDS, params=params)).json()["data"]
    assert sorted(r["type"] for r in records) == ["MX", "NS", "NS"]
    assert {r["source"] for r in records} == {"."}


async def test_search_over_source_and_target(client):
    by_source = (await client.get(RECORDS, params={"search": "_dmarc"})).json()["data"]
    assert [r["source"] for r in by_source] == ["_dmarc"]
    by_target = (await client.get(RECORDS, params={"search": "mta-gw"})).json()["data"]
    assert [r["type"] for r in by_target] == ["MX"]


async def test_order_by_ttl_desc_and_return_total(client):
    records = (await client.get(RECORDS, params={"order_by": "ttl", "order": "desc"})).json()["data"]
    ttls = [r["ttl"] for r in records]
    assert ttls == sorted(ttls, reverse=True)
    total = await client.get(RECORDS, params={"return": "total", "filter[types][]": "TXT"})
    assert total.json() == {"result": "success", "data": 4}


async def test_unknown_order_by_is_422(client):
    response = await client.get(RECORDS, params={"order_by": "colour"})
    assert response.status_code == 422


async def test_default_list_cap_only_without_pagination(client, faults: Faults):
    faults.default_list_cap = 5
    assert len((await client.get(RECORDS)).json()["data"]) == 5
    paged = (await client.get(RECORDS, params={"page": 1, "per_page": 100})).json()
    assert len(paged["data"]) == 14 and paged["total"] == 14


# -- create ---------------------------------------------------------------------------------------------


async def test_create_returns_201_and_record(client, state: SandboxState):
    response = await create(client, source="_acme-challenge.www", type="TXT", target="token-1")
    assert response.status_code == 201
    data = response.json()["data"]
    assert list(data) == ["id", "source", "type", "ttl", "target", "updated_at"]
    assert data["target"] == '"token-1"'
    assert state.find_record("example.ch", data["id"]) is not None
    fetched = (await client.get(f"{RECORDS}/{data['id']}", params={"with": "idn"})).json()["data"]
    assert fetched["source_idn"] == "_acme-challenge.www.example.ch"


@pytest.mark.parametrize("target", ["abc", '"abc"'])
async def test_txt_wrapped_in_exactly_one_pair_of_quotes(client, target):
    created = (await create(client, source="q", type="TXT", target=target)).json()["data"]
    assert created["target"] == '"abc"'
    listed = (await client.get(RECORDS, params={"filter[source]": "q"})).json()["data"]
    assert [r["target"] for r in listed] == ['"abc"']


async def test_txt_quoting_off_returns_unquoted(client, faults: Faults):
    faults.txt_quoting = False
    created = (await create(client, source="q", type="TXT", target='"abc"')).json()["data"]
    assert created["target"] == "abc"
    spf = (await client.get(RECORDS, params={"search": "spf1"})).json()["data"][0]
    assert spf["target"] == "v=spf1 include:spf.infomaniak.ch -all"


async def test_long_txt_is_one_string(client):
    value = "v=DKIM1; k=rsa; p=" + "A" * 400
    created = (await create(client, source="sel._domainkey", type="TXT", target=value)).json()["data"]
    assert created["target"] == f'"{value}"'


async def test_wire_form_of_txt_is_escaped_quotes(client):
    # acme.sh matches the raw body for exactly this form.
    response = await create(client, source="q", type="TXT", target="abc")
    assert '"target":"\\"abc\\""' in response.text


@pytest.mark.parametrize("source", ["", ".", "@", None, "MISSING"])
async def test_apex_spellings_are_stored_as_dot(client, source):
    body: dict[str, Any] = {"type": "A", "target": "192.0.2.50"}
    if source != "MISSING":
        body["source"] = source
    created = (await create(client, **body)).json()["data"]
    assert created["source"] == "."


@pytest.mark.parametrize(
    ("rtype", "target", "stored"),
    [
        ("CNAME", "target.example.net.", "target.example.net"),
        ("NS", "ns1.example.net.", "ns1.example.net"),
        ("MX", "10 mx.example.net.", "10 mx.example.net"),
        ("SRV", "10 5 5060 sip.example.net.", "10 5 5060 sip.example.net"),
        ("DNAME", "other.example.net.", "other.example.net"),
    ],
)
async def test_trailing_dots_stripped_from_host_targets(client, rtype, target, stored):
    created = (await create(client, source="_sip._tcp.x", type=rtype, target=target)).json()["data"]
    assert created["target"] == stored


async def test_form_encoded_body(client):
    response = await client.post(
        RECORDS, data={"source": "form", "type": "A", "target": "192.0.2.7", "ttl": "600"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["ttl"] == 600


@pytest.mark.parametrize(
    ("body", "attributes"),
    [
        ({"target": "192.0.2.1", "ttl": 300}, ["type"]),
        ({"type": "A", "ttl": 300}, ["target"]),
        ({"ttl": 300}, ["type", "target"]),
        ({"type": "A", "target": "192.0.2.1"}, ["ttl"]),
    ],
)
async def test_missing_attributes_are_422(client, body, attributes):
    response = await client.post(RECORDS, json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [e["context"]["attribute"] for e in error["errors"]] == attributes


@pytest.mark.parametrize("ttl", [59, 86401, "soon", True, 3.5])
async def test_bad_ttl_is_422(client, ttl):
    response = await client.post(RECORDS, json={"type": "A", "target": "192.0.2.1", "ttl": ttl})
    assert response.status_code == 422
    [error] = response.json()["error"]["errors"]
    assert error["context"]["attribute"] == "ttl"
    assert {"code", "description", "context"} <= set(error)


@pytest.mark.parametrize("ttl", [60, 86400])
async def test_ttl_bounds_are_inclusive(client, ttl):
    assert (await create(client, source=f"t{ttl}", type="A", target="192.0.2.1", ttl=ttl)).status_code == 201


@pytest.mark.parametrize("rtype", ["SOA", "PTR", "DNSKEY", "SPF", "BOGUS"])
async def test_unsupported_type_is_400(client, rtype):
    response = await create(client, source="x", type=rtype, target="whatever")
    assert response.status_code == 400
    assert error_code(response) == "unsupported_dns_record_type"


@pytest.mark.parametrize(
    ("rtype", "target"),
    [
        ("A", "2001:db8::1"),
        ("A", "192.0.2.256"),
        ("A", "010.0.0.1"),
        ("AAAA", "192.0.2.1"),
        ("MX", "mx.example.net"),
        ("MX", "ten mx.example.net"),
        ("SRV", "10 5 sip.example.net"),
        ("SRV", "10 5 99999 sip.example.net"),
        ("CAA", "0 issue letsencrypt.org"),
        ("CAA", 'issue "letsencrypt.org"'),
        ("CNAME", "two words"),
    ],
)
async def test_bad_rdata_is_400_invalid_dns_record(client, rtype, target):
    response = await create(client, source="bad", type=rtype, target=target)
    assert response.status_code == 400
    assert error_code(response) == "invalid_dns_record"


async def test_exact_duplicate_is_400(client):
    response = await create(client, source="app", type="A", target="203.0.113.21")
    assert response.status_code == 400
    assert error_code(response) == "dns_record_already_exists"


async def test_second_value_at_a_name_is_fine(client):
    assert (await create(client, source="app", type="A", target="203.0.113.23")).status_code == 201


@pytest.mark.parametrize(
    ("source", "rtype", "target"),
    [
        ("app", "CNAME", "example.ch"),  # CNAME onto a name holding A records
        ("www", "A", "192.0.2.1"),  # data onto a name holding a CNAME
        ("www", "CNAME", "other.example.net"),  # a second CNAME
    ],
)
async def test_cname_mutual_exclusion(client, source, rtype, target):
    response = await create(client, source=source, type=rtype, target=target)
    assert response.status_code == 400
    assert error_code(response) == "dns_record_mutual_exclusion"


async def test_lowercase_type_is_accepted(client):
    created = (await create(client, source="low", type="a", target="192.0.2.9")).json()["data"]
    assert created["type"] == "A"


# -- update and delete ------------------------------------------------------------------------------


async def test_put_partial_ttl_only(client, state: SandboxState):
    before = dict(state.find_record("example.ch", 17781142) or {})
    response = await client.put(f"{RECORDS}/17781142", json={"ttl": 600})
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["ttl"], data["target"]) == (600, before["target"])
    assert data["updated_at"] > before["updated_at"]


async def test_put_partial_target_only_is_normalised(client):
    data = (await client.put(f"{RECORDS}/17781144", json={"target": "other.example.net."})).json()["data"]
    assert (data["target"], data["ttl"]) == ("other.example.net", 3600)


async def test_put_accepts_equal_type_and_source(client):
    body = {"source": "www", "type": "CNAME", "target": "example.ch", "ttl": 300}
    assert (await client.put(f"{RECORDS}/17781144", json=body)).status_code == 200


@pytest.mark.parametrize(("field", "value"), [("type", "A"), ("source", "elsewhere")])
async def test_put_cannot_change_type_or_source(client, field, value):
    response = await client.put(f"{RECORDS}/17781144", json={field: value})
    assert response.status_code == 422
    assert response.json()["error"]["errors"][0]["context"]["attribute"] == field


async def test_put_validates_ttl_and_rdata(client):
    assert (await client.put(f"{RECORDS}/17781142", json={"ttl": 10})).status_code == 422
    bad = await client.put(f"{RECORDS}/17781142", json={"target": "not-an-ip"})
    assert error_code(bad) == "invalid_dns_record"


async def test_put_onto_an_existing_value_is_duplicate(client):
    response = await client.put(f"{RECORDS}/17781152", json={"target": "203.0.113.22"})
    assert error_code(response) == "dns_record_already_exists"


async def test_delete_returns_true_and_removes(client, state: SandboxState):
    response = await client.delete(f"{RECORDS}/17781151")
    assert response.json() == {"result": "success", "data": True}
    assert state.find_record("example.ch", 17781151) is None
    assert (await client.delete(f"{RECORDS}/17781151")).status_code == 404


async def test_delete_by_method_override(client, state: SandboxState):
    response = await client.post(f"{RECORDS}/17781151", headers={"X-HTTP-METHOD-OVERRIDE": "DELETE"})
    assert response.json()["data"] is True
    assert state.find_record("example.ch", 17781151) is None


# -- domains → zones ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/2/domains", "/2/domains/domains"])
@pytest.mark.parametrize("name", ["example.ch", "_acme-challenge.www.example.ch", "WWW.Example.ch."])
async def test_domain_zones_resolves_sub_names(client, prefix, name):
    data = (await client.get(f"{prefix}/{name}/zones")).json()["data"]
    assert data == [
        {
            "fqdn": "example.ch",
            "dnssec": {"is_enabled": False},
            "nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"],
        }
    ]


async def test_domain_zones_lists_deepest_containing_zone_first(client, state: SandboxState):
    for fqdn in ("shop.example.ch", "eu.shop.example.ch"):
        state.zones[fqdn] = {**state.zones["example.ch"], "fqdn": fqdn, "records": []}
    deep = (await client.get("/2/domains/x.eu.shop.example.ch/zones")).json()["data"]
    assert [z["fqdn"] for z in deep] == ["eu.shop.example.ch", "shop.example.ch", "example.ch"]
    apex = (await client.get("/2/domains/www.example.ch/zones")).json()["data"]
    assert apex[0]["fqdn"] == "example.ch"


async def test_domain_zones_unknown_domain_is_404(client):
    response = await client.get("/2/domains/unknown.ch/zones")
    assert response.status_code == 404 and error_code(response) == "object_not_found"


async def test_domains_list_has_name_and_customer_name(client):
    data = (await client.get("/2/domains/domains", params={"account_id": 123456})).json()["data"]
    assert [(d["name"], d["customer_name"]) for d in data] == [
        ("example.ch", "example.ch"),
        ("demo-shop.ch", "demo-shop.ch"),
    ]
