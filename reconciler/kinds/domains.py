"""The domains kind: a registered domain's nameservers and DNSSEC at the registry, one file per domain.

``state/domains/<domain>.yaml`` holds the domain's two registrar settings (docs/format-domains.md)::

    nameservers: [ns41.infomaniak.com, ns42.infomaniak.com]
    dnssec: true

Each setting is one resource: key ``("nameservers",)`` or ``("dnssec",)``, so a plan shows
``domains/example.ch/nameservers`` and ``domains/example.ch/dnssec`` as separate changes that an ``allow``
rule can name one by one. Both are **guarded** (:meth:`DomainsKind.guard`): moving the nameservers moves the
whole domain's DNS, and a DNSSEC change can make the domain unresolvable, so apply refuses them without
``--force`` or a committed ``allow`` rule. A setting absent from the file is left as it is (never "deleted").

Live side (``domain_zones.json``): nameservers from the domain's base zone in ``GET
/2/domains/{domain}/zones`` (the spec has no GET of the registrar's delegation; docs/api-fidelity.md),
DNSSEC from ``GET /2/domains/{domain}/dnssec/check``; writes ``PUT /2/domains/{domain}/nameservers``
and ``POST /2/domains/{domain}/dnssec/enable|disable``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from reconciler.api.paths import segment
from reconciler.errors import ApiNotFound, PlanError
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.mapping_file import SCHEMA_DIALECT, FilePerScope, SettingsFileKind, shown

KIND_NAME = "domains"
SETTINGS = ("nameservers", "dnssec")
"""The keys of a domain file, in the order ``import`` writes them."""
APPLY_ORDER = ("dnssec", "nameservers")
"""DNSSEC first: see :meth:`DomainsKind.change_order`."""
NAMESERVERS_MIN = 2
"""``minItems`` of ``nameservers`` in the spec."""

_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def domain_name(text: str) -> str:
    """A domain as used in scopes and file names: lowercased, without a trailing dot."""
    return text.strip().lower().rstrip(".")


FILES = FilePerScope(
    "domains",
    domain_name,
    duplicate="two files hold domain {scope!r}: {first} and {second}",
    rule="domains-duplicate-file",
)


def _host(raw: str) -> str:
    host = raw.strip().lower().rstrip(".")
    if not _HOST.fullmatch(host):
        raise PydanticCustomError("domains_host", "{value} is not a host name", {"value": repr(raw)})
    return host


Host = Annotated[str, AfterValidator(_host)]


class DomainSetting(SpecModel):
    """One registrar setting of a domain: the file's ``nameservers`` or its ``dnssec`` (the other unset)."""

    nameservers: list[Host] | None = Field(
        default=None,
        min_length=NAMESERVERS_MIN,
        description="Nameservers the registry delegates the domain to (at least 2). A set: order, case and "
        "trailing dots never matter. Infomaniak's are ns41.infomaniak.com and ns42.infomaniak.com.",
    )
    dnssec: bool | None = Field(
        default=None,
        description="DNSSEC at the registry: the DS record that makes resolvers check signatures.",
    )


def _setting(spec: SpecModel) -> DomainSetting:
    if not isinstance(spec, DomainSetting):
        raise TypeError(f"not a domains spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the one setting an entry holds (nameservers sorted)."""
    setting = _setting(spec)
    if setting.nameservers is not None:
        return {"nameservers": sorted(set(setting.nameservers))}
    return {"dnssec": bool(setting.dnssec)}


def is_infomaniak(nameservers: Iterable[str]) -> bool:
    """True when every nameserver is Infomaniak's (the zone is then served by Infomaniak)."""
    hosts = list(nameservers)
    return bool(hosts) and all(host.endswith(".infomaniak.com") for host in hosts)


def to_api(spec: SpecModel) -> dict[str, Any]:
    """The body of ``PUT …/nameservers`` (only for a nameservers entry)."""
    setting = _setting(spec)
    if setting.nameservers is None:
        raise TypeError("only a nameservers entry has a PUT body")
    return {"nameservers": sorted(set(setting.nameservers))}


# -- the file -----------------------------------------------------------------------------------------------


def file_schema() -> dict[str, Any]:
    """JSON Schema of a whole domain file."""
    properties = DomainSetting.model_json_schema()["properties"]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Domain registrar settings (state/domains/<domain>.yaml)",
        "description": "Nameservers and DNSSEC of a registered domain; a setting left out is not managed. "
        "Both changes are guarded (need --force or an allow rule). See docs/format-domains.md.",
        "type": ["object", "null"],
        "properties": {
            "nameservers": {
                "type": "array",
                "items": {"type": "string", "pattern": _HOST.pattern},
                "minItems": NAMESERVERS_MIN,
                "description": properties["nameservers"]["description"],
            },
            "dnssec": {"type": "boolean", "description": properties["dnssec"]["description"]},
        },
        "additionalProperties": False,
    }


class DomainsKind(SettingsFileKind):
    """Registrar nameservers and DNSSEC of the account's domains."""

    settings: ClassVar[tuple[str, ...]] = SETTINGS
    unknown_setting: ClassVar[str] = f"a domain file holds {' and '.join(SETTINGS)}; got {{got}}"
    not_a_document: ClassVar[str] = "a domain file is a mapping: nameservers: [..], dnssec: true|false"
    document_rule: ClassVar[str] = "domains-document"
    rule: ClassVar[str] = "domains"
    one_field_entry: ClassVar[str] = (
        "a domains entry is a mapping with one field, {field} (see docs/format-domains.md)"
    )
    not_a_mapping: ClassVar[str] = "the domain file is not a mapping of settings"

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = FILES.directory
    spec_model: ClassVar[type[SpecModel]] = DomainSetting
    apply_order: ClassVar[int] = 5
    """First of all kinds, so that the most dangerous changes head every plan."""
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()
    files: ClassVar[FileLayout] = FILES

    # -- files (scope_files, path_for: KindBase; parse, parse_key: SettingsFileKind) --------------------
    def file_schema(self) -> dict[str, Any]:
        return file_schema()

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def format_key(self, key: Key) -> str:
        return key[0]

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        # A domain always has nameservers and a DNSSEC state; a setting left out of the file is not managed.
        return True

    def guard(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> str | None:
        """Every nameserver or DNSSEC change is guarded, with what it risks in plain words."""
        if after is None:
            return None
        if "nameservers" in after:
            old = (before or {}).get("nameservers") or []
            if is_infomaniak(old) and not is_infomaniak(after["nameservers"]):
                return "changing nameservers moves the whole domain's DNS away from Infomaniak"
            return "changing nameservers moves the whole domain's DNS to other servers"
        if after["dnssec"]:
            return "enabling DNSSEC: a wrong DS record makes the whole domain unresolvable"
        return "disabling DNSSEC: resolvers stop checking the domain's signatures"

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        # The guard's reason heads the change's risks (the engine adds it); nothing else to say.
        return []

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        # DNSSEC first: turn it off before the delegation moves away (a DS record for keys the new
        # nameservers do not have breaks resolution). Turning it on after a move needs two plans anyway.
        return APPLY_ORDER.index(key[0]) if key[0] in APPLY_ORDER else len(APPLY_ORDER)

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        params: dict[str, Any] = {"service_name": "domain"}
        if ctx.account_id is not None:
            params["account_id"] = ctx.account_id
        products = await ctx.client.get_all("/1/products", params=params)
        return sorted({domain_name(str(p["customer_name"])) for p in products if p.get("customer_name")})

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        domain = domain_name(scope)
        try:
            zones = await ctx.client.get_all(f"/2/domains/{segment(domain)}/zones")
            check = await ctx.client.get(f"/2/domains/{segment(domain)}/dnssec/check")
        except ApiNotFound as exc:
            state_dir = ctx.state_dir or Path("state")
            file = shown(self.path_for(state_dir, domain), state_dir)
            raise PlanError(
                f"domain {domain!r} is not registered in the account ({file})\n"
                "  rename the file after a domain of the account, or remove it"
            ) from exc
        base = next((z for z in zones if domain_name(str(z.get("fqdn") or "")) == domain), None)
        objects = [
            LiveObject(
                ("dnssec",), DomainSetting(dnssec=bool((check or {}).get("has_dnssec"))), native=domain
            )
        ]
        hosts = [domain_name(str(ns)) for ns in (base or {}).get("nameservers") or [] if str(ns).strip()]
        if len(hosts) >= NAMESERVERS_MIN:
            objects.insert(0, LiveObject(("nameservers",), DomainSetting(nameservers=hosts), native=domain))
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """Enabling DNSSEC on nameservers that are not Infomaniak's needs their keys, which the file lacks."""
        wanted = {obj.key[0]: obj for obj in desired}
        have = {obj.key[0]: normalize(obj.spec) for obj in live}
        dnssec = wanted.get("dnssec")
        if dnssec is None or not normalize(dnssec.spec)["dnssec"] or have.get("dnssec", {}).get("dnssec"):
            return []
        servers = wanted.get("nameservers")
        hosts = (
            normalize(servers.spec)["nameservers"]
            if servers
            else have.get("nameservers", {}).get("nameservers", [])
        )
        if is_infomaniak(hosts):
            return []
        return [
            (
                dnssec,
                f"DNSSEC cannot be enabled here while {scope} uses other nameservers ({', '.join(hosts)}): "
                "their operator signs the zone; publish its DS record at the registry in the manager",
            )
        ]

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        await self._write(ctx, domain_name(scope), desired.spec)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        await self._write(ctx, domain_name(scope), desired.spec)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        raise RuntimeError(
            f"domains never deletes a setting ({scope} {live.key[0]}); is_unmanaged keeps them"
        )

    async def _write(self, ctx: RunContext, domain: str, spec: SpecModel) -> None:
        setting = _setting(spec)
        if setting.nameservers is not None:
            await ctx.client.put(f"/2/domains/{segment(domain)}/nameservers", json=to_api(setting))
        else:
            verb = "enable" if setting.dnssec else "disable"
            await ctx.client.post(f"/2/domains/{segment(domain)}/dnssec/{verb}")


KIND = DomainsKind()
