"""The DNS kind: record sets of the account's zones, one file per zone (``state/dns/<zone>.yaml``).

A key is ``(name, type)``: the name relative to the zone, lowercased, ``@`` for the apex (``www A``,
``@ MX``). ``normalize`` gives ``{"ttl": int, "values": [canonical strings, sorted]}``, plus
``ttl_per_value`` for a live set whose records carry different TTLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from reconciler.api.paths import segment
from reconciler.errors import ApiNotFound, PlanError
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    KindBase,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.dns.api import Call, LiveRecord, create_calls, delete_calls, live_objects, update_calls
from reconciler.kinds.dns.names import APEX, normalize_host, normalize_name
from reconciler.kinds.dns.spec import (
    READ_ONLY_TYPES,
    WRITABLE_TYPES,
    Record,
    as_record_set,
    parse_zone,
    remove_record,
    render_zone,
    upsert_record,
    zone_schema,
)
from reconciler.kinds.mapping_file import FilePerScope

ACME_CHALLENGE = "_acme-challenge"
"""TXT records under this label belong to certbot and other ACME clients, which add and remove them."""


_RISKS = {
    "MX": "changes where mail for this name is delivered",
    "NS": "changes a delegation: wrong name servers make the name unresolvable",
    "DS": "changes the DNSSEC chain: a wrong DS makes the delegated zone fail validation",
    "CAA": "changes which certificate authorities may issue certificates for this name",
}


def zone_name(text: str) -> str:
    """A zone as used in scopes, paths and URLs: lowercased, IDNA-encoded, without a trailing dot.

    ``straße.ch`` and ``xn--strae-oqa.ch`` name one zone (and one file); a name the rules refuse is kept as
    written, for the API to answer 404 on.
    """
    zone = text.strip().lower().rstrip(".")
    try:
        return normalize_host(zone + ".", absolute=True)[:-1] if zone else zone
    except ValueError:
        return zone


FILES = FilePerScope(
    "dns",
    zone_name,
    duplicate="two files hold zone {scope!r}: {first} and {second}; keep one",
    rule="dns-duplicate-zone",
)


def _records(live: LiveObject) -> Sequence[LiveRecord]:
    records = live.native
    if not isinstance(records, tuple) or not all(isinstance(record, LiveRecord) for record in records):
        raise TypeError(f"dns {live.key}: live object was not built by fetch (native={records!r})")
    return records


class DnsKind(KindBase):
    """Record sets of DNS zones hosted by Infomaniak."""

    name: ClassVar[str] = "dns"
    directory: ClassVar[str] = FILES.directory
    spec_model: ClassVar[type[SpecModel]] = Record
    apply_order: ClassVar[int] = 10
    files: ClassVar[FileLayout] = FILES

    # -- files (scope_files, path_for: KindBase) ------------------------------------------------------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_zone(document, source, zone=zone_name(Path(source.file).stem))

    def file_schema(self) -> dict[str, Any]:
        return zone_schema()

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return render_zone(objects)

    def parse_key(self, text: str) -> Key:
        parts = text.split()
        if len(parts) != 2:
            raise ValueError(
                f"a DNS key is '<name> <type>', e.g. 'www A' or '@ MX' for the apex; got {text!r}"
            )
        name = APEX if parts[0] in ("''", '""') else normalize_name(parts[0])
        rtype = parts[1].upper()
        if rtype not in WRITABLE_TYPES:
            raise ValueError(
                f"unsupported record type {parts[1]!r}; a zone file may use {', '.join(WRITABLE_TYPES)}"
            )
        return (name, rtype)

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        return upsert_record(document, key, entry)

    def remove_entry(self, document: Any, key: Key) -> bool:
        return remove_record(document, key)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        record_set = as_record_set(spec)
        result: dict[str, Any] = {"ttl": record_set.ttl, "values": list(record_set.values)}
        if record_set.ttl_per_value:
            result["ttl_per_value"] = dict(sorted(record_set.ttl_per_value.items()))
        return result

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        name, rtype = key
        if name == APEX and rtype == "NS":
            return True  # Infomaniak sets the apex NS; deleting it would break the delegation
        if rtype in READ_ONLY_TYPES:
            return True
        return rtype == "TXT" and (name == ACME_CHALLENGE or name.startswith(ACME_CHALLENGE + "."))

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        name, rtype = key
        reasons = []
        if rtype in _RISKS:
            reasons.append(_RISKS[rtype])
        values = [*(before or {}).get("values", []), *(after or {}).get("values", [])]
        labels = name.split(".")
        if rtype == "TXT" and (
            "_dmarc" in labels[:1] or "_domainkey" in labels or any(v.startswith("v=spf1") for v in values)
        ):
            reasons.append(
                "changes mail authentication (SPF, DKIM or DMARC): mail may be rejected as spoofed"
            )
        if action == "delete" and rtype in ("A", "AAAA", "CNAME"):
            reasons.append(
                f"removes an address of {'the apex' if name == APEX else name}: clients stop reaching it"
            )
        return reasons

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        """Deletes that free a name for a CNAME first, then creates, updates, and the other deletes last."""
        name, rtype = key
        if action == "delete":
            frees_cname = rtype == "CNAME" or any(
                other_action == "create" and other_key == (name, "CNAME")
                for other_action, other_key in changes
            )
            return 0 if frees_cname else 3
        return 1 if action == "create" else 2

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        params: dict[str, Any] = {"service_name": "domain"}
        if ctx.account_id is not None:
            params["account_id"] = ctx.account_id
        products = await ctx.client.get_all("/1/products", params=params)
        candidates = sorted({zone_name(str(p["customer_name"])) for p in products if p.get("customer_name")})
        zones = []
        for zone in candidates:
            # A domain registered here may have its DNS elsewhere: only zones Infomaniak hosts are scopes.
            try:
                exists = await ctx.client.get(f"/2/zones/{segment(zone)}/exists")
            except ApiNotFound:
                continue
            if exists:
                zones.append(zone)
        return zones

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        zone = zone_name(scope)
        path = f"/2/zones/{segment(zone)}/records"
        try:
            rows = await ctx.client.get_all(path)
        except ApiNotFound as exc:
            file = self.path_for(ctx.state_dir or Path("state"), zone)
            raise PlanError(
                f"DNS zone {zone!r} does not exist in the account ({file})\n"
                f"  GET {path} answered 404\n"
                "  create the zone in the Infomaniak manager, or remove or rename the file"
            ) from exc
        return live_objects(rows, zone)

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        await self._run(ctx, create_calls(zone_name(scope), desired.key, as_record_set(desired.spec)))

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        spec = as_record_set(desired.spec)
        await self._run(ctx, update_calls(zone_name(scope), desired.key, spec, _records(live)))

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        await self._run(ctx, delete_calls(zone_name(scope), _records(live)))

    async def _run(self, ctx: RunContext, calls: Sequence[Call]) -> None:
        # Sequential on purpose: the order is the make-before-break order, and a failure stops the rest.
        for call in calls:
            if call.method == "POST":
                await ctx.client.post(call.path, json=call.json)
            elif call.method == "PUT":
                await ctx.client.put(call.path, json=call.json)
            else:
                await ctx.client.delete(call.path)


KIND = DnsKind()
