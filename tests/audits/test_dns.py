"""DNS health rules on hand-made zones, then on the demo and dirty accounts."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.audits.dns import Zone, check_zone, dmarc_policy, spf_lookups
from reconciler.audits.model import Edit, Severity
from reconciler.sandbox import SandboxState
from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import audit, brief

pytestmark = pytest.mark.anyio

HEALTHY: dict[str, Any] = {
    "@ MX": ["5 mta-gw.infomaniak.ch."],
    "@ TXT": ["v=spf1 include:spf.infomaniak.ch -all"],
    "_dmarc TXT": ["v=DMARC1; p=reject"],
    "sel1._domainkey TXT": ["v=DKIM1; k=rsa; p=MIIBIjAN"],
    "www CNAME": ["example.ch."],
}


def zone(name: str = "example.ch", records: dict[str, Any] | None = None, ttl: int = 3600) -> Zone:
    rows = [{"key": key, "ttl": ttl, "values": values} for key, values in (records or HEALTHY).items()]
    return Zone(name, rows)


def problems(
    z: Zone, *others: Zone, mail: bool = True, dnssec: bool | None = True, min_ttl: int = 300
) -> list[str]:
    found = check_zone(z, [z, *others], mail=mail, dnssec=dnssec, min_ttl=min_ttl, file="state/dns/x.yaml")
    return [f"{f.severity.value} {f.resource}: {f.problem}" for f in found]


def test_a_healthy_mail_zone_has_no_findings() -> None:
    assert problems(zone()) == []


def test_spf_missing_several_or_plus_all() -> None:
    missing = zone(records={**HEALTHY, "@ TXT": ["google-site-verification=x"]})
    assert problems(missing) == [
        "medium dns/example.ch/@: no SPF record: anyone can send mail as this domain"
    ]
    twice = zone(records={**HEALTHY, "@ TXT": ["v=spf1 -all", "v=spf1 mx -all"]})
    assert problems(twice) == [
        "high dns/example.ch/@: 2 SPF records: receivers treat SPF as a permanent error"
    ]
    open_all = zone(records={**HEALTHY, "@ TXT": ["v=spf1 mx +all"]})
    assert problems(open_all) == [
        "high dns/example.ch/@: SPF ends with +all: every server may send as this domain"
    ]
    no_all = zone(records={**HEALTHY, "@ TXT": ["v=spf1 mx"]})
    assert problems(no_all) == ["low dns/example.ch/@: SPF has no 'all' term: unlisted senders are neutral"]


def test_spf_lookups_follow_includes_inside_the_account() -> None:
    nested = zone(
        "spf.example.net",
        {"@ TXT": ["v=spf1 a mx ptr exists:x.example include:a.example include:b.example -all"]},
    )
    record = "v=spf1 ip4:192.0.2.1 a mx include:spf.example.net include:c.example include:d.example"
    record += " redirect=e.example"
    assert spf_lookups(record, [nested]) == 6 + 6
    heavy = zone(records={**HEALTHY, "@ TXT": [record]})
    assert problems(heavy, nested) == [
        "high dns/example.ch/@: SPF needs 12 DNS lookups (limit 10): it fails as permerror"
    ]
    looping = zone("loop.example", {"@ TXT": ["v=spf1 include:loop.example -all"]})
    assert spf_lookups("v=spf1 include:loop.example -all", [looping]) == 2


def test_dmarc_missing_or_none() -> None:
    assert dmarc_policy("v=DMARC1; p=Reject; rua=mailto:x") == "reject"
    no_dmarc = {k: v for k, v in HEALTHY.items() if k != "_dmarc TXT"}
    (finding,) = check_zone(zone(records=no_dmarc), [], mail=True, dnssec=True, min_ttl=300, file="f")
    assert (finding.severity, finding.resource) == (Severity.MEDIUM, "dns/example.ch/_dmarc")
    assert finding.edit == Edit(
        "dns",
        "example.ch",
        "_dmarc TXT",
        {"type": "TXT", "value": "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.ch"},
    )
    weak = zone(records={**HEALTHY, "_dmarc TXT": ["v=DMARC1; p=none"]})
    assert problems(weak) == [
        "low dns/example.ch/_dmarc: DMARC policy is p=none: failing mail is only reported"
    ]


def test_dkim_and_mx_only_where_a_mail_hosting_expects_them() -> None:
    bare = {"@ A": ["192.0.2.1"]}
    assert problems(zone(records=bare), mail=False) == []
    found = problems(zone(records={"@ TXT": ["v=spf1 -all"], "_dmarc TXT": ["v=DMARC1; p=reject"]}))
    assert found == [
        "medium dns/example.ch/_domainkey: no DKIM key published for the mail hosting: its mail is not signed"
        " verifiably",
        "high dns/example.ch/@: the mail hosting serves this domain but the zone has no MX",
    ]
    revoked = zone(records={**HEALTHY, "sel1._domainkey TXT": ["v=DKIM1; p="]})
    assert [p.split(":")[0] for p in problems(revoked)] == ["medium dns/example.ch/_domainkey"]
    foreign = zone(records={**HEALTHY, "@ MX": ["10 mx.other.example."]})
    assert problems(foreign) == [
        "medium dns/example.ch/@: MX points to mx.other.example, not to the mail hosting"
        " (mta-gw.infomaniak.ch)"
    ]


def test_dnssec_dangling_cname_wildcard_and_low_ttl() -> None:
    other = zone("demo-shop.ch", {"@ A": ["192.0.2.2"], "shop CNAME": ["demo-shop.ch."]})
    records = {
        **HEALTHY,
        "old CNAME": ["gone.demo-shop.ch."],
        "ok CNAME": ["shop.demo-shop.ch."],
        "ext CNAME": ["elsewhere.example.org."],
        "* A": ["192.0.2.1"],
    }
    found = problems(zone(records=records), other, dnssec=False)
    assert found == [
        "low dns/example.ch/@: DNSSEC is off: answers for this zone can be forged",
        "low dns/example.ch/*: wildcard A record: every name under example.ch answers, typos and forgotten"
        " hosts included",
        "medium dns/example.ch/old: CNAME to gone.demo-shop.ch., a name zone demo-shop.ch lacks: it resolves"
        " to nothing (and the name can be taken over if that zone changes hands)",
    ]
    short = zone(records={**HEALTHY, "_acme-challenge TXT": ["t"]}, ttl=60)
    assert [p.split(":")[0] for p in problems(short)] == [
        f"low dns/example.ch/{n}" for n in ("@", "@", "_dmarc", "sel1._domainkey", "www")
    ]


async def test_demo_zones_only_have_low_findings() -> None:
    report = await audit(SandboxState.demo(), ["dns"])
    assert brief(report) == [
        ("low", "dns", "dns/demo-shop.ch/@"),
        ("low", "dns", "dns/demo-shop.ch/_dmarc"),
        ("low", "dns", "dns/example.ch/@"),
    ]


async def test_dirty_zones_trip_spf_dmarc_dkim_mx_cname_ttl_and_wildcards() -> None:
    report = await audit(dirty_state(), ["dns"])
    text = "\n".join(f.problem for f in report.findings)
    expected = (
        "2 SPF records", "no DMARC record", "no DKIM key", "MX points to mx.old-provider.example",
        "CNAME to shop.demo-shop.ch.", "TTL is 60s", "wildcard A record", "DNSSEC is off",
    )  # fmt: skip
    assert [e for e in expected if e not in text] == []
