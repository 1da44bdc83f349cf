"""The DNS kind: one focused test per normalisation rule (shared/dns-normalization.md §3, numbered below),
then keys, validation errors with their paths, fetch, the exact call sequences of apply, and the file helpers.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jsonschema
import pytest

from reconciler.errors import DesiredStateError, PlanError
from reconciler.kinds import get_kind
from reconciler.kinds.base import DesiredObject, Kind
from reconciler.kinds.dns import DEFAULT_TTL, KIND, Record, RecordSet
from tests.kinds.helpers import FakeDnsApi, FakeSource

ZONE = "example.ch"
RECORDS = f"/2/zones/{ZONE}/records"


def parse(document, file=f"state/dns/{ZONE}.yaml"):
    source = FakeSource(file)
    return KIND.parse(document, source), source.errors


def normalized(document):
    objects, errors = parse(document)
    assert errors == []
    return {obj.key: KIND.normalize(obj.spec, ZONE) for obj in objects}


def values(rtype, *raw, name="www"):
    record = {"type": rtype, "values": list(raw)} if len(raw) > 1 else {"type": rtype, "value": raw[0]}
    return normalized({name: record})[(name or "@", rtype)]["values"]


def errors_of(document, file=f"state/dns/{ZONE}.yaml"):
    return parse(document, file)[1]


async def fetched(api, zone=ZONE):
    return {obj.key: KIND.normalize(obj.spec, zone) for obj in await KIND.fetch(api.context(), zone)}


def live(zone_rows):
    return FakeDnsApi({ZONE: zone_rows})


def row(record_id, source, rtype, target, ttl=3600):
    return {"id": record_id, "source": source, "type": rtype, "ttl": ttl, "target": target}


def test_kind_is_registered_and_satisfies_the_protocol():
    assert get_kind("dns") is KIND
    assert isinstance(KIND, Kind)
    assert (KIND.name, KIND.directory, KIND.apply_order, KIND.sensitive_fields) == (
        "dns",
        "dns",
        10,
        frozenset(),
    )


# -- §3 rules --------------------------------------------------------------------------------------------


def test_rule1_txt_quoted_and_unquoted_are_the_same_value():
    assert values("TXT", "v=spf1 -all") == values("TXT", '"v=spf1 -all"') == ["v=spf1 -all"]


@pytest.mark.anyio
@pytest.mark.parametrize("target", ['"v=spf1 -all"', "v=spf1 -all"])
async def test_rule1_txt_from_the_api_quoted_or_not(target):
    api = live([row(1, ".", "TXT", target)])
    assert (await fetched(api))[("@", "TXT")]["values"] == ["v=spf1 -all"]


def test_rule2_txt_semicolon_escaped_or_plain():
    assert (
        values("TXT", "v=DMARC1\\; p=reject") == values("TXT", "v=DMARC1; p=reject") == ["v=DMARC1; p=reject"]
    )


def test_rule2_render_escapes_semicolons_for_octodns():
    spec = RecordSet(type="TXT", ttl=300, values=["v=DMARC1; p=reject"])
    document = KIND.render([DesiredObject(("_dmarc", "TXT"), spec)], ZONE)
    assert document == {"_dmarc": {"type": "TXT", "ttl": 300, "value": "v=DMARC1\\; p=reject"}}


def test_rule3_txt_chunks_are_joined():
    key = "a" * 255
    assert values("TXT", f'"v=DKIM1; k=rsa; p={key}" "{key}"') == [f"v=DKIM1; k=rsa; p={key}{key}"]


@pytest.mark.anyio
async def test_rule3_txt_chunked_by_the_api_equals_one_long_string():
    long = "p=" + "b" * 400
    api = live([row(1, "dkim._domainkey", "TXT", f'"{long[:255]}" "{long[255:]}"')])
    assert (await fetched(api))[("dkim._domainkey", "TXT")]["values"] == values("TXT", long)


def test_rule4_dotless_target_in_yaml_is_an_error_naming_the_field():
    assert errors_of({"": {"type": "MX", "value": {"preference": 10, "exchange": "mail.example.ch"}}}) == [
        (
            ("", "value"),
            "exchange: 'mail.example.ch' is not fully qualified: write 'mail.example.ch.' "
            "(relative targets are not guessed)",
            "dns_value",
        )
    ]
    (error,) = errors_of({"www": {"type": "CNAME", "value": "web.example.ch"}})
    assert error[0] == ("www", "value") and "write 'web.example.ch.'" in error[1]


@pytest.mark.anyio
async def test_rule4_api_targets_without_dot_are_absolute():
    api = live([row(1, "www", "CNAME", "web.example.net"), row(2, ".", "MX", "5 mta-gw.infomaniak.ch")])
    assert await fetched(api) == {
        ("www", "CNAME"): {"ttl": 3600, "values": ["web.example.net."]},
        ("@", "MX"): {"ttl": 3600, "values": ["5 mta-gw.infomaniak.ch."]},
    }


@pytest.mark.anyio
async def test_rule4_targets_are_sent_without_dot():
    api = live([])
    spec = RecordSet(type="CNAME", ttl=300, values=["web.example.net."])
    await KIND.create(api.context(), ZONE, DesiredObject(("www", "CNAME"), spec))
    assert api.writes() == [
        ("POST", RECORDS, {"source": "www", "type": "CNAME", "target": "web.example.net", "ttl": 300})
    ]


@pytest.mark.parametrize("apex", ["", "@", "."])
def test_rule5_apex_spellings(apex):
    assert normalized({apex: {"type": "A", "value": "192.0.2.1"}}) == {
        ("@", "A"): {"ttl": DEFAULT_TTL, "values": ["192.0.2.1"]}
    }


def test_rule5_two_spellings_of_the_apex_are_a_duplicate():
    document = {"": {"type": "A", "value": "192.0.2.1"}, "@": {"type": "AAAA", "value": "2001:db8::1"}}
    assert errors_of(document) == [
        (("@",), "'@' names the same records as '' (the apex); merge them", "dns-duplicate-name")
    ]


def test_rule6_names_and_targets_are_lowercased():
    assert normalized({"WWW": {"type": "CNAME", "value": "Web.Example.NET."}}) == {
        ("www", "CNAME"): {"ttl": DEFAULT_TTL, "values": ["web.example.net."]}
    }


def test_rule6_a_name_ending_with_the_zone_is_refused():
    assert errors_of({"www.example.ch": {"type": "A", "value": "192.0.2.1"}}) == [
        (
            ("www.example.ch",),
            "'www.example.ch' ends with the zone name 'example.ch'; "
            "names are relative to the zone: write 'www'",
            "dns-name",
        )
    ]
    assert errors_of({"www.": {"type": "A", "value": "192.0.2.1"}})[0][2] == "dns-name"


def test_rule6_idn_names_and_targets_are_punycoded():
    assert normalized({"bücher": {"type": "CNAME", "value": "bücher.example.net."}}) == {
        ("xn--bcher-kva", "CNAME"): {"ttl": DEFAULT_TTL, "values": ["xn--bcher-kva.example.net."]}
    }


def test_rule7_mx_forms_alias_and_order():
    mapping = values(
        "MX",
        {"preference": 10, "exchange": "mx1.example.ch."},
        {"priority": 20, "exchange": "MX2.example.ch."},
    )
    text = values("MX", "20 mx2.example.ch.", "10 mx1.example.ch.")
    assert mapping == text == ["10 mx1.example.ch.", "20 mx2.example.ch."]


def test_rule7_null_mx():
    assert values("MX", {"preference": 0, "exchange": "."}, name="") == ["0 ."]
    assert values("MX", "0 .", name="") == ["0 ."]


@pytest.mark.anyio
@pytest.mark.parametrize("target", ["0 .", "0"])
async def test_rule7_null_mx_from_the_api(target):
    api = live([row(1, ".", "MX", target)])
    assert (await fetched(api))[("@", "MX")]["values"] == ["0 ."]


def test_rule8_caa_tag_case_flags_and_quotes():
    assert values("CAA", {"flags": 0, "tag": "ISSUE", "value": "letsencrypt.org"}) == [
        '0 issue "letsencrypt.org"'
    ]
    assert values("CAA", '128 issue "letsencrypt.org; validationmethods=dns-01"') == [
        '128 issue "letsencrypt.org; validationmethods=dns-01"'
    ]
    assert values("CAA", {"tag": "iodef", "value": "mailto:ca@example.ch"}) == [
        '0 iodef "mailto:ca@example.ch"'
    ]
    (error,) = errors_of({"": {"type": "CAA", "value": {"flags": 256, "tag": "issue", "value": "x"}}})
    assert error[0] == ("", "value") and error[1].startswith(
        "flags: Input should be less than or equal to 255"
    )


@pytest.mark.anyio
async def test_rule8_caa_from_the_api_equals_yaml():
    api = live([row(1, ".", "CAA", '0 issue "letsencrypt.org; validationmethods=dns-01"')])
    yaml = values(
        "CAA", {"flags": 0, "tag": "issue", "value": "letsencrypt.org; validationmethods=dns-01"}, name=""
    )
    assert (await fetched(api))[("@", "CAA")]["values"] == yaml


def test_rule9_srv_fields_weight_zero_and_null_target():
    assert values(
        "SRV",
        {"priority": 10, "weight": 0, "port": 993, "target": "Mail.example.ch."},
        "0 0 0 .",
        name="_imaps._tcp",
    ) == ["0 0 0 .", "10 0 993 mail.example.ch."]


def test_rule9_srv_name_must_be_service_and_protocol():
    assert errors_of({"imap": {"type": "SRV", "value": "0 0 993 mail.example.ch."}}) == [
        (("imap",), "an SRV name is _service._proto[.name] (e.g. _imap._tcp), got 'imap'", "dns-srv-name")
    ]
    assert errors_of({"_imap._tcp.mail": {"type": "SRV", "value": "0 0 993 mail.example.ch."}}) == []


def test_rule10_hex_fields_drop_spaces_and_case():
    assert (
        values("DS", "2371 13 2 2371 1321F987cc")
        == values("DS", {"key_tag": 2371, "algorithm": 13, "digest_type": 2, "digest": "23711321f987CC"})
        == ["2371 13 2 23711321f987cc"]
    )
    assert values("SSHFP", {"algorithm": 4, "fingerprint_type": 2, "fingerprint": "ABCD EF01"}) == [
        "4 2 abcdef01"
    ]
    assert values("TLSA", "3 1 1 2B8C 10F4", name="_443._tcp.www") == ["3 1 1 2b8c10f4"]
    (error,) = errors_of({"sub": {"type": "DS", "value": "2371 13 2 XYZ"}})
    assert error[0] == ("sub", "value") and error[1].startswith("digest: expected hexadecimal digits")


def test_rule11_default_ttl_and_bounds():
    assert (
        normalized({"www": {"type": "A", "value": "192.0.2.1"}})[("www", "A")]["ttl"] == DEFAULT_TTL == 3600
    )
    (error,) = errors_of({"www": {"type": "A", "ttl": 30, "value": "192.0.2.1"}})
    assert error[0] == ("www", "ttl") and "greater than or equal to 60" in error[1]
    assert errors_of({"www": {"type": "A", "ttl": True, "value": "192.0.2.1"}})[0][0] == ("www", "ttl")


def test_rule11_a_per_file_default_ttl_only_replaces_an_absent_ttl():
    assert Record(type="A", value="192.0.2.1").to_record_set(default_ttl=300).ttl == 300
    assert Record(type="A", ttl=3600, value="192.0.2.1").to_record_set(default_ttl=300).ttl == 3600


@pytest.mark.anyio
async def test_rule11_mixed_live_ttls_show_in_the_diff_and_apply_fixes_them():
    api = live(
        [
            row(1, "www", "A", "192.0.2.1", 300),
            row(2, "www", "A", "192.0.2.2", 3600),
            row(3, "www", "A", "192.0.2.3", 300),
        ]
    )
    (obj,) = await KIND.fetch(api.context(), ZONE)
    assert KIND.normalize(obj.spec, ZONE) == {
        "ttl": 300,
        "values": ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
        "ttl_per_value": {"192.0.2.1": 300, "192.0.2.2": 3600, "192.0.2.3": 300},
    }
    desired = DesiredObject(
        ("www", "A"), RecordSet(type="A", ttl=300, values=["192.0.2.1", "192.0.2.2", "192.0.2.3"])
    )
    await KIND.update(api.context(), ZONE, desired, obj)
    assert api.writes() == [("PUT", f"{RECORDS}/2", {"ttl": 300})]
    assert await fetched(api) == {("www", "A"): KIND.normalize(desired.spec, ZONE)}


@pytest.mark.anyio
async def test_rule12_update_is_make_before_break():
    api = live(
        [
            row(1, "www", "A", "192.0.2.1", 300),
            row(2, "www", "A", "192.0.2.2"),
            row(3, "www", "A", "192.0.2.3"),
        ]
    )
    (obj,) = await KIND.fetch(api.context(), ZONE)
    spec = RecordSet(type="A", ttl=3600, values=["192.0.2.1", "192.0.2.4", "192.0.2.5"])
    await KIND.update(api.context(), ZONE, DesiredObject(("www", "A"), spec), obj)
    assert api.writes() == [
        ("POST", RECORDS, {"source": "www", "type": "A", "target": "192.0.2.4", "ttl": 3600}),
        ("POST", RECORDS, {"source": "www", "type": "A", "target": "192.0.2.5", "ttl": 3600}),
        ("PUT", f"{RECORDS}/1", {"ttl": 3600}),
        ("DELETE", f"{RECORDS}/2", None),
        ("DELETE", f"{RECORDS}/3", None),
    ]
    assert await fetched(api) == {("www", "A"): {"ttl": 3600, "values": spec.values}}


@pytest.mark.anyio
async def test_rule12_one_value_replaced_by_one_other_is_one_put():
    api = live([row(1, ".", "MX", "10 old.example.ch"), row(2, ".", "MX", "20 backup.example.ch")])
    (obj,) = await KIND.fetch(api.context(), ZONE)
    spec = RecordSet(type="MX", ttl=3600, values=["10 new.example.ch.", "20 backup.example.ch."])
    await KIND.update(api.context(), ZONE, DesiredObject(("@", "MX"), spec), obj)
    assert api.writes() == [("PUT", f"{RECORDS}/1", {"target": "10 new.example.ch", "ttl": 3600})]


@pytest.mark.anyio
async def test_rule12_cname_change_is_one_put_on_the_same_record():
    api = live([row(7, "www", "CNAME", "old.example.net", 300)])
    (obj,) = await KIND.fetch(api.context(), ZONE)
    spec = RecordSet(type="CNAME", ttl=600, values=["new.example.net."])
    await KIND.update(api.context(), ZONE, DesiredObject(("www", "CNAME"), spec), obj)
    assert api.writes() == [("PUT", f"{RECORDS}/7", {"target": "new.example.net", "ttl": 600})]
    assert await fetched(api) == {("www", "CNAME"): {"ttl": 600, "values": ["new.example.net."]}}


@pytest.mark.anyio
async def test_rule13_unsupported_live_types_are_skipped_and_logged(caplog):
    api = live(
        [
            row(1, ".", "SOA", "ns41.infomaniak.com. hostmaster 1 2 3 4 5"),
            row(2, "x", "SMIMEA", "3 0 0 ab"),
            row(3, "www", "A", "192.0.2.1"),
        ]
    )
    with caplog.at_level(logging.INFO, logger="reconciler.kinds.dns"):
        assert list(await fetched(api)) == [("www", "A")]
    assert "SMIMEA x1, SOA x1" in caplog.text


def test_rule14_acme_challenges_are_unmanaged():
    assert KIND.is_unmanaged(("_acme-challenge", "TXT"), ZONE)
    assert KIND.is_unmanaged(("_acme-challenge.mail", "TXT"), ZONE)
    assert not KIND.is_unmanaged(("_acme-challenge", "CNAME"), ZONE)  # a delegation the user set up
    assert not KIND.is_unmanaged(("_acme", "TXT"), ZONE)


def test_rule15_apex_ns_is_unmanaged_but_sub_zone_ns_is_not():
    assert KIND.is_unmanaged(("@", "NS"), ZONE)
    assert not KIND.is_unmanaged(("sub", "NS"), ZONE)
    # Declared in YAML it is an ordinary record (the engine only asks about live-only keys).
    declared = normalized({"": {"type": "NS", "values": ["ns41.infomaniak.com.", "ns42.infomaniak.com."]}})
    assert declared == {
        ("@", "NS"): {"ttl": 3600, "values": ["ns41.infomaniak.com.", "ns42.infomaniak.com."]}
    }


def test_rule16_ipv6_canonical_and_ipv4_leading_zeros():
    assert values("AAAA", "2001:0DB8:0000::0001") == ["2001:db8::1"]
    (error,) = errors_of({"www": {"type": "A", "value": "192.000.2.1"}})
    assert error[0] == ("www", "value") and "leading zeros" in error[1].lower()


# -- keys ------------------------------------------------------------------------------------------------


def test_keys_format_and_parse():
    assert KIND.format_key(("www", "A")) == "www A"
    assert KIND.format_key(("@", "MX")) == "@ MX"
    assert KIND.parse_key("www a") == ("www", "A")
    assert KIND.parse_key("@ MX") == KIND.parse_key("'' MX") == KIND.parse_key(". MX") == ("@", "MX")
    for bad in ("www", "www SOA", "a b c", "bad..name A"):
        with pytest.raises(ValueError):
            KIND.parse_key(bad)


# -- validation --------------------------------------------------------------------------------------------


def test_empty_document_is_an_empty_zone():
    assert parse(None) == ([], [])
    assert parse({}) == ([], [])
    assert errors_of(["not", "a", "mapping"]) == [
        ((), "a zone file is a mapping of record names to records", "dns-document")
    ]


def test_list_of_records_at_one_name():
    document = {
        "": [{"type": "A", "value": "192.0.2.1"}, {"type": "MX", "ttl": 300, "value": "10 mx.example.ch."}]
    }
    objects, errors = parse(document)
    assert errors == []
    assert [(obj.key, obj.located.path) for obj in objects] == [(("@", "A"), ("", 0)), (("@", "MX"), ("", 1))]


def test_record_errors_carry_their_paths():
    document = {
        "www": [{"type": "A", "value": "192.0.2.1"}, {"type": "A", "value": "192.0.2.2"}],
        "api": {"type": "A", "values": ["192.0.2.1", "bad"], "colour": "red"},
        "mail": {"type": "MX"},
        "both": {"type": "A", "value": "192.0.2.1", "values": ["192.0.2.2"]},
        "typo": {"type": "AXFR", "value": "x"},
        "dup": {"type": "A", "values": ["192.0.2.1", "192.0.2.1"]},
        "one": {"type": "CNAME", "values": ["a.example.net.", "b.example.net."]},
    }
    errors = {(path, rule) for path, _, rule in errors_of(document)}
    assert errors == {
        (("www", 1, "type"), "dns-duplicate-type"),
        (("api", "values", 1), "dns_value"),
        (("api", "colour"), "extra_forbidden"),
        (("mail",), "dns_value_count"),
        (("both",), "dns_value_count"),
        (("typo", "type"), "dns_type"),
        (("dup",), "dns_duplicate_value"),
        (("one",), "dns_single_value"),
    }


def test_cname_conflicts():
    assert errors_of(
        {"www": [{"type": "CNAME", "value": "web.example.net."}, {"type": "TXT", "value": "x"}]}
    ) == [
        (
            ("www", 0, "type"),
            "a CNAME cannot coexist with other records at 'www' (found TXT)",
            "dns-cname-conflict",
        )
    ]
    assert errors_of({"": {"type": "CNAME", "value": "web.example.net."}}) == [
        (
            ("", "type"),
            "a CNAME cannot be at the apex: it would hide the zone's NS and SOA records",
            "dns-cname-apex",
        )
    ]


def test_values_must_have_the_right_shape():
    assert (
        errors_of({"www": {"type": "A", "value": 12}})[0][1]
        == "a A value is a string, got 12 (quote it in YAML)"
    )
    assert errors_of({"": {"type": "MX", "value": "mx.example.ch."}})[0][1] == (
        "expected 2 fields '<preference> <exchange>', got 'mx.example.ch.'"
    )
    assert errors_of({"": {"type": "MX", "value": {"priority": 1, "preference": 1, "exchange": "."}}})[0][
        1
    ] == ("priority: Extra inputs are not permitted")
    assert errors_of({"": {"type": "TXT", "value": '""'}})[0][1] == "a TXT value must not be empty"
    assert "only allowed as a null MX" in errors_of({"www": {"type": "CNAME", "value": "."}})[0][1]


def test_file_schema_accepts_a_zone_and_rejects_mistakes():
    schema = KIND.file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    good = {
        "": [
            {
                "type": "MX",
                "values": [{"preference": 10, "exchange": "mx.example.ch."}, "20 mx2.example.ch."],
            },
            {"type": "TXT", "ttl": 300, "value": "v=spf1 include:spf.infomaniak.ch -all"},
        ],
        "www": {"type": "CNAME", "value": "example.ch."},
    }
    jsonschema.validate(good, schema)
    jsonschema.validate(None, schema)
    for bad in (
        {"www": {"type": "A"}},
        {"www": {"type": "A", "value": "x", "values": ["y"]}},
        {"www": {"type": "A", "value": "x", "color": 1}},
        {"": {"type": "MX", "value": {"preference": 1}}},
        {"www": {"type": "SPF", "value": "x"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


# -- fetch and discover ------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_fetch_groups_records_by_name_and_type_and_keeps_ids():
    api = live(
        [row(11, ".", "A", "192.0.2.1"), row(12, ".", "A", "192.0.2.2"), row(13, "WWW", "A", "192.0.2.1")]
    )
    objects = await KIND.fetch(api.context(), "Example.CH.")
    assert api.calls == [("GET", RECORDS, None)]
    assert [(obj.key, [record.id for record in obj.native]) for obj in objects] == [
        (("@", "A"), [11, 12]),
        (("www", "A"), [13]),
    ]


@pytest.mark.anyio
async def test_fetch_of_an_unknown_zone_is_a_plan_error_naming_the_file(tmp_path):
    api = FakeDnsApi({})
    with pytest.raises(PlanError) as caught:
        await KIND.fetch(api.context(), "missing.ch")
    assert "DNS zone 'missing.ch' does not exist in the account (state/dns/missing.ch.yaml)" in str(
        caught.value
    )
    with pytest.raises(PlanError, match=str(tmp_path / "dns" / "missing.ch.yaml")):
        await KIND.fetch(api.context(tmp_path), "missing.ch")


@pytest.mark.anyio
async def test_fetch_keeps_an_unparseable_live_value_so_the_plan_replaces_it(caplog):
    api = live([row(1, "www", "A", "192.0.2.300")])
    with caplog.at_level(logging.WARNING):
        assert await fetched(api) == {("www", "A"): {"ttl": 3600, "values": ["192.0.2.300"]}}
    assert "kept as the API gave it" in caplog.text


@pytest.mark.anyio
async def test_discover_lists_domains_whose_zone_is_hosted_here():
    api = FakeDnsApi(
        {"example.ch": [], "shop.example": []},
        products=[
            {"customer_name": "Shop.Example"},
            {"customer_name": "example.ch"},
            {"customer_name": "elsewhere.io"},
        ],
    )
    assert await KIND.discover(api.context()) == ["example.ch", "shop.example"]
    assert api.calls == [
        ("GET", "/1/products", {"service_name": "domain"}),
        ("GET", "/2/zones/elsewhere.io/exists", None),
        ("GET", "/2/zones/example.ch/exists", None),
        ("GET", "/2/zones/shop.example/exists", None),
    ]


# -- apply call sequences --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_create_posts_one_record_per_value_in_api_form():
    api = live([])
    specs = {
        ("@", "MX"): RecordSet(type="MX", ttl=3600, values=["10 mx1.example.ch.", "0 ."]),
        ("@", "TXT"): RecordSet(type="TXT", ttl=300, values=["v=spf1 -all", 'say "hi"']),
        ("_imap._tcp", "SRV"): RecordSet(type="SRV", ttl=3600, values=["0 1 993 mail.example.ch."]),
    }
    for key, spec in specs.items():
        await KIND.create(api.context(), ZONE, DesiredObject(key, spec))
    assert api.writes() == [
        ("POST", RECORDS, {"source": ".", "type": "MX", "target": "0 .", "ttl": 3600}),
        ("POST", RECORDS, {"source": ".", "type": "MX", "target": "10 mx1.example.ch", "ttl": 3600}),
        ("POST", RECORDS, {"source": ".", "type": "TXT", "target": '"say \\"hi\\""', "ttl": 300}),
        ("POST", RECORDS, {"source": ".", "type": "TXT", "target": "v=spf1 -all", "ttl": 300}),
        (
            "POST",
            RECORDS,
            {"source": "_imap._tcp", "type": "SRV", "target": "0 1 993 mail.example.ch", "ttl": 3600},
        ),
    ]
    assert await fetched(api) == {key: KIND.normalize(spec, ZONE) for key, spec in specs.items()}


@pytest.mark.anyio
async def test_delete_removes_every_record_of_the_set():
    api = live(
        [row(1, "www", "A", "192.0.2.1"), row(2, "www", "A", "192.0.2.2"), row(3, "api", "A", "192.0.2.1")]
    )
    obj = next(obj for obj in await KIND.fetch(api.context(), ZONE) if obj.key == ("www", "A"))
    await KIND.delete(api.context(), ZONE, obj)
    assert api.writes() == [("DELETE", f"{RECORDS}/1", None), ("DELETE", f"{RECORDS}/2", None)]
    assert list(await fetched(api)) == [("api", "A")]


def test_change_order_frees_a_name_for_a_cname_first():
    changes = [
        ("create", ("www", "CNAME")),
        ("delete", ("www", "A")),
        ("delete", ("old", "A")),
        ("update", ("api", "A")),
        ("create", ("new", "A")),
        ("delete", ("legacy", "CNAME")),
    ]
    order = sorted(changes, key=lambda change: (KIND.change_order(*change, changes), change[1]))
    assert order == [
        ("delete", ("legacy", "CNAME")),
        ("delete", ("www", "A")),
        ("create", ("new", "A")),
        ("create", ("www", "CNAME")),
        ("update", ("api", "A")),
        ("delete", ("old", "A")),
    ]


@pytest.mark.anyio
async def test_replacing_records_by_a_cname_in_change_order_never_conflicts():
    api = live([row(1, "www", "A", "192.0.2.1"), row(2, "www", "AAAA", "2001:db8::1")])
    by_key = {obj.key: obj for obj in await KIND.fetch(api.context(), ZONE)}
    cname = DesiredObject(("www", "CNAME"), RecordSet(type="CNAME", ttl=300, values=["web.example.net."]))
    changes = [("delete", ("www", "A")), ("create", ("www", "CNAME")), ("delete", ("www", "AAAA"))]
    for action, key in sorted(changes, key=lambda change: KIND.change_order(*change, changes)):
        if action == "create":
            await KIND.create(api.context(), ZONE, cname)
        else:
            await KIND.delete(api.context(), ZONE, by_key[key])
    assert await fetched(api) == {("www", "CNAME"): {"ttl": 300, "values": ["web.example.net."]}}


def test_risks_flag_mail_delegation_and_address_removal():
    assert KIND.risks("update", ("@", "MX"), None, None) == ["changes where mail for this name is delivered"]
    assert (
        "mail authentication"
        in KIND.risks("create", ("@", "TXT"), None, {"ttl": 1, "values": ["v=spf1 -all"]})[0]
    )
    assert (
        "mail authentication" in KIND.risks("delete", ("_dmarc", "TXT"), {"ttl": 1, "values": ["x"]}, None)[0]
    )
    assert KIND.risks("delete", ("www", "A"), {"ttl": 1, "values": ["192.0.2.1"]}, None) == [
        "removes an address of www: clients stop reaching it"
    ]
    assert KIND.risks("create", ("www", "A"), None, {"ttl": 1, "values": ["192.0.2.1"]}) == []


# -- files and documents ---------------------------------------------------------------------------------


def test_scope_files_and_path_for(tmp_path):
    folder = tmp_path / "dns"
    folder.mkdir()
    for name in ("example.ch.yaml", "Shop.Example.yaml", "notes.txt"):
        (folder / name).write_text("{}\n")
    assert KIND.scope_files(tmp_path) == {
        "example.ch": folder / "example.ch.yaml",
        "shop.example": folder / "Shop.Example.yaml",
    }
    assert KIND.path_for(tmp_path, "Example.CH.") == folder / "example.ch.yaml"
    assert KIND.scope_files(tmp_path / "nowhere") == {}
    (folder / "example.ch..yaml").write_text("{}\n")
    with pytest.raises(DesiredStateError, match=r"two files hold zone 'example\.ch'"):
        KIND.scope_files(tmp_path)


def test_render_is_octodns_shaped():
    objects = [
        DesiredObject(("www", "A"), RecordSet(type="A", ttl=300, values=["192.0.2.2", "192.0.2.1"])),
        DesiredObject(("@", "TXT"), RecordSet(type="TXT", ttl=3600, values=["v=spf1 -all"])),
        DesiredObject(("@", "MX"), RecordSet(type="MX", ttl=3600, values=["10 mx.example.ch."])),
    ]
    assert KIND.render(objects, ZONE) == {
        "": [
            {"type": "MX", "ttl": 3600, "value": {"preference": 10, "exchange": "mx.example.ch."}},
            {"type": "TXT", "ttl": 3600, "value": "v=spf1 -all"},
        ],
        "www": {"type": "A", "ttl": 300, "values": ["192.0.2.1", "192.0.2.2"]},
    }


def test_upsert_and_remove_entries_edit_in_place():
    document = {"@": {"type": "A", "value": "192.0.2.1"}}
    assert KIND.upsert_entry(document, ("@", "MX"), {"value": "10 mx.example.ch."}) is document
    assert document == {
        "@": [{"type": "A", "value": "192.0.2.1"}, {"type": "MX", "value": "10 mx.example.ch."}]
    }
    KIND.upsert_entry(document, ("@", "A"), {"type": "a", "value": "192.0.2.9"})
    assert document["@"][0] == {"type": "a", "value": "192.0.2.9"}
    assert KIND.upsert_entry(None, ("www", "A"), {"value": "192.0.2.1"}) == {
        "www": {"type": "A", "value": "192.0.2.1"}
    }
    with pytest.raises(ValueError, match="does not match"):
        KIND.upsert_entry(document, ("www", "A"), {"type": "AAAA", "value": "::1"})
    assert KIND.remove_entry(document, ("@", "A")) is True
    assert KIND.remove_entry(document, ("@", "A")) is False
    assert KIND.remove_entry(document, ("@", "MX")) is True
    assert document == {}
    assert KIND.remove_entry(None, ("www", "A")) is False


def test_docs_example_parses(tmp_path):
    text = (Path(__file__).parents[2] / "docs" / "format-dns.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    from ruamel.yaml import YAML

    objects, errors = parse(YAML(typ="rt").load(example))
    assert errors == []
    assert len(objects) > 10


def test_ptr_is_read_only_refused_in_files_and_never_deleted() -> None:
    from tests.kinds.helpers import FakeSource

    source = FakeSource()
    objects = KIND.parse({"1": {"type": "PTR", "value": "host.example.ch."}}, source)
    assert objects == []
    ((path, message, rule),) = source.errors
    assert path == ("1", "type") and rule == "dns_read_only_type" and "read-only" in message
    assert KIND.is_unmanaged(("1", "PTR"), "example.ch")


@pytest.mark.anyio
async def test_fetch_puts_the_zone_in_one_encoded_path_segment() -> None:
    # The engine refuses such a scope earlier; the kind still never lets a name reshape the request.
    api = FakeDnsApi({"example.ch": []})
    with pytest.raises(PlanError, match="does not exist"):
        await KIND.fetch(api.context(), "example.ch?x=1")
    assert api.calls == [("GET", "/2/zones/example.ch%3Fx%3D1/records", None)]
