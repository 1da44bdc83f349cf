"""DNS health of every zone of the account: SPF, DMARC, DKIM, MX, DNSSEC, dangling CNAMEs, TTLs, wildcards.

The zones are read through the managed ``dns`` kind (so names and values are normalised exactly as plans
show them). Only what the account's own zones hold is resolved: an SPF ``include:`` of a name outside the
account counts as one lookup (its own nested lookups are not known without a resolver).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.audits.model import AuditContext, Edit, Finding, Severity

AUDIT = "dns"
SPF_LOOKUP_LIMIT = 10
INFOMANIAK_MX = "mta-gw.infomaniak.ch"
_LOOKUP_TERMS = re.compile(
    r"^(?:[+\-~?]?)(include:|a(?::|/|$)|mx(?::|/|$)|ptr(?::|$)|exists:|redirect=)", re.I
)


class Zone:
    """The records of one zone as (name, type) → values, names relative (``@`` for the apex)."""

    def __init__(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        self.name = name
        self.records: dict[tuple[str, str], list[str]] = {}
        self.ttls: dict[tuple[str, str], int] = {}
        for row in rows:
            label, _, rtype = str(row["key"]).rpartition(" ")
            values = row.get("values") or ([row["value"]] if row.get("value") is not None else [])
            self.records[(label, rtype)] = [str(v) for v in values]
            ttl = row.get("ttl")
            if isinstance(ttl, int):
                self.ttls[(label, rtype)] = ttl

    def relative(self, fqdn: str) -> str | None:
        """``fqdn`` as a name of this zone, or None when it is outside."""
        name = fqdn.rstrip(".").lower()
        if name == self.name:
            return "@"
        if name.endswith("." + self.name):
            return name[: -len(self.name) - 1]
        return None

    def txt(self, label: str) -> list[str]:
        return self.records.get((label, "TXT"), [])

    def has_name(self, label: str) -> bool:
        return any(name == label for name, _ in self.records) or any(
            name.startswith("*.") and label.endswith(name[1:]) for name, _ in self.records
        )


def _fqdn(zone: Zone, label: str) -> str:
    return zone.name if label == "@" else f"{label}.{zone.name}"


def _owner(zones: list[Zone], fqdn: str) -> tuple[Zone, str] | None:
    """The most specific zone of the account holding ``fqdn``, and the name inside it."""
    best: tuple[Zone, str] | None = None
    for zone in zones:
        label = zone.relative(fqdn)
        if label is not None and (best is None or len(zone.name) > len(best[0].name)):
            best = (zone, label)
    return best


def spf_records(values: list[str]) -> list[str]:
    return [v for v in values if v.lower().startswith("v=spf1")]


def spf_lookups(record: str, zones: list[Zone], *, seen: frozenset[str] = frozenset()) -> int:
    """DNS lookups an SPF evaluation makes (RFC 7208 §4.6.4), following includes inside the account."""
    count = 0
    for term in record.split()[1:]:
        match = _LOOKUP_TERMS.match(term)
        if not match:
            continue
        count += 1
        if match.group(1).lower() in ("include:", "redirect="):
            target = term.split(":", 1)[1] if ":" in term else term.split("=", 1)[1]
            owner = _owner(zones, target)
            if owner is not None and target not in seen:
                for nested in spf_records(owner[0].txt(owner[1])):
                    count += spf_lookups(nested, zones, seen=seen | {target})
    return count


def dmarc_policy(record: str) -> str | None:
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "p":
            return value.strip().lower()
    return None


def _finding(
    severity: Severity, zone: Zone, label: str, problem: str, fix: str, edit: Edit | None = None
) -> Finding:
    return Finding(AUDIT, severity, f"dns/{zone.name}/{label}", problem, fix, edit)


def _txt_edit(zone: Zone, label: str, value: str) -> Edit:
    return Edit("dns", zone.name, f"{label} TXT", {"type": "TXT", "value": value})


def check_zone(
    zone: Zone, zones: list[Zone], *, mail: bool, dnssec: bool | None, min_ttl: int, file: str
) -> list[Finding]:
    """Every DNS health finding of one zone; ``mail``: a mail hosting of the account serves this domain."""
    found: list[Finding] = []
    has_mx = ("@", "MX") in zone.records
    spf = spf_records(zone.txt("@"))
    if not spf:
        if mail or has_mx:
            value = "v=spf1 include:spf.infomaniak.ch -all"
            found.append(
                _finding(
                    Severity.MEDIUM,
                    zone,
                    "@",
                    "no SPF record: anyone can send mail as this domain",
                    f"in {file} add a TXT record at '' with `{value}`",
                    _txt_edit(zone, "@", value),
                )
            )
    elif len(spf) > 1:
        found.append(
            _finding(
                Severity.HIGH,
                zone,
                "@",
                f"{len(spf)} SPF records: receivers treat SPF as a permanent error",
                f"in {file} merge them into one TXT value at ''",
            )
        )
    else:
        lookups = spf_lookups(spf[0], zones)
        if lookups > SPF_LOOKUP_LIMIT:
            found.append(
                _finding(
                    Severity.HIGH,
                    zone,
                    "@",
                    f"SPF needs {lookups} DNS lookups (limit {SPF_LOOKUP_LIMIT}): it fails as permerror",
                    f"in {file} flatten includes (ip4:/ip6:) until at most {SPF_LOOKUP_LIMIT} lookups remain",
                )
            )
        terms = spf[0].lower().split()
        if "+all" in terms or "all" in terms[1:]:
            found.append(
                _finding(
                    Severity.HIGH,
                    zone,
                    "@",
                    "SPF ends with +all: every server may send as this domain",
                    f"in {file} end the SPF value with -all (or ~all)",
                )
            )
        elif not any(t.endswith("all") for t in terms) and not any(t.startswith("redirect=") for t in terms):
            found.append(
                _finding(
                    Severity.LOW,
                    zone,
                    "@",
                    "SPF has no 'all' term: unlisted senders are neutral",
                    f"in {file} end the SPF value with -all",
                )
            )
    dmarc = [v for v in zone.txt("_dmarc") if v.lower().startswith("v=dmarc1")]
    if mail or has_mx or spf:
        suggested = f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{zone.name}"
        if not dmarc:
            found.append(
                _finding(
                    Severity.MEDIUM,
                    zone,
                    "_dmarc",
                    "no DMARC record: spoofed mail is not rejected",
                    f"in {file} add `_dmarc` TXT `{suggested}`",
                    _txt_edit(zone, "_dmarc", suggested),
                )
            )
        elif dmarc_policy(dmarc[0]) in (None, "none"):
            found.append(
                _finding(
                    Severity.LOW,
                    zone,
                    "_dmarc",
                    "DMARC policy is p=none: failing mail is only reported",
                    f"in {file} set `_dmarc` to p=quarantine (then p=reject)",
                    _txt_edit(zone, "_dmarc", dmarc[0].replace("p=none", "p=quarantine")),
                )
            )
    if mail:
        selectors = [
            label.split("._domainkey")[0]
            for (label, rtype), values in zone.records.items()
            if rtype == "TXT"
            and label.endswith("._domainkey")
            and any("p=" in v and not re.search(r"p=\s*(;|$)", v) for v in values)
        ]
        if not selectors:
            found.append(
                _finding(
                    Severity.MEDIUM,
                    zone,
                    "_domainkey",
                    "no DKIM key published for the mail hosting: its mail is not signed verifiably",
                    f"enable DKIM for the mail hosting in the manager, then add its `<selector>._domainkey`"
                    f" TXT record in {file}",
                )
            )
        exchanges = [v.split()[-1].rstrip(".").lower() for v in zone.records.get(("@", "MX"), [])]
        if not exchanges:
            found.append(
                _finding(
                    Severity.HIGH,
                    zone,
                    "@",
                    "the mail hosting serves this domain but the zone has no MX",
                    f"in {file} add an MX record at '' to {INFOMANIAK_MX}.",
                    Edit(
                        "dns",
                        zone.name,
                        "@ MX",
                        {"type": "MX", "value": {"preference": 5, "exchange": f"{INFOMANIAK_MX}."}},
                    ),
                )
            )
        elif INFOMANIAK_MX not in exchanges:
            found.append(
                _finding(
                    Severity.MEDIUM,
                    zone,
                    "@",
                    f"MX points to {', '.join(exchanges)}, not to the mail hosting ({INFOMANIAK_MX})",
                    f"in {file} point the MX at '' to {INFOMANIAK_MX}.",
                )
            )
    if dnssec is False:
        found.append(
            _finding(
                Severity.LOW,
                zone,
                "@",
                "DNSSEC is off: answers for this zone can be forged",
                "enable DNSSEC for the domain in the manager (Domain > DNSSEC)",
            )
        )
    for (label, rtype), values in sorted(zone.records.items()):
        if rtype == "CNAME":
            for value in values:
                owner = _owner(zones, value)
                if owner is not None and not owner[0].has_name(owner[1]):
                    found.append(
                        _finding(
                            Severity.MEDIUM,
                            zone,
                            label,
                            f"CNAME to {value}, a name zone {owner[0].name} lacks: it resolves to nothing"
                            " (and the name can be taken over if that zone changes hands)",
                            f"in {file} remove `{label}`, or create {value} in the zone {owner[0].name}",
                        )
                    )
        ttl = zone.ttls.get((label, rtype))
        if ttl is not None and ttl < min_ttl and not label.startswith("_acme-challenge"):
            found.append(
                _finding(
                    Severity.LOW,
                    zone,
                    label,
                    f"{rtype} TTL is {ttl}s (under {min_ttl}s): every resolver asks again this often",
                    f"in {file} set ttl: {min_ttl} or more on `{label}` {rtype} (unless migrating)",
                )
            )
        if label == "*" or label.startswith("*."):
            found.append(
                _finding(
                    Severity.LOW,
                    zone,
                    label,
                    f"wildcard {rtype} record: every name under {_fqdn(zone, label[2:] or '@')} answers,"
                    " typos and forgotten hosts included",
                    f"in {file} replace `{label}` by the names that need it",
                )
            )
    return found


async def check(audit: AuditContext) -> list[Finding]:
    rows = await audit.rows("dns")
    by_zone: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_zone[str(row["scope"])].append(row)
    zones = [Zone(name, zone_rows) for name, zone_rows in sorted(by_zone.items())]
    mail_domains = {str(r["name"]).lower() for r in await audit.rows("mail_hostings")}
    dnssec = {str(r["name"]).lower(): bool(r.get("dnssec")) for r in await audit.rows("registered_domains")}
    found: list[Finding] = []
    for zone in zones:
        found += check_zone(
            zone,
            zones,
            mail=zone.name in mail_domains,
            dnssec=dnssec.get(zone.name),
            min_ttl=audit.thresholds.min_ttl,
            file=audit.file_for("dns", zone.name),
        )
    return found


__all__ = ["AUDIT", "Zone", "check", "check_zone", "dmarc_policy", "spf_lookups", "spf_records"]
