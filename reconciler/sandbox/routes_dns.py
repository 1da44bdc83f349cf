"""DNS v2: zones, records, and domain → zones lookups (``/2/zones/...``, ``/2/domains/...``).

Scopes: ``/2/zones`` routes need ``dns:read`` / ``dns:write``; ``/2/domains`` routes ``domain:read``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import dns_records as rules
from reconciler.sandbox.state import SandboxState, zone_key
from reconciler.sandbox.wire import (
    ApiError,
    ApiRoute,
    by_id,
    field_error,
    list_response,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
    with_values,
)

ZONE_WITH = ("records", "idn", "records_description")
RECORD_WITH = ("idn", "records_description")


def _zone(request: Request) -> tuple[SandboxState, str, dict[str, Any]]:
    state = sandbox_state(request)
    name = zone_key(request.path_params["zone"])
    zone = state.zone(name)
    if zone is None:
        raise ApiError(404, "zone_does_not_exists", f"The zone {name} does not exist")
    return state, name, zone


def _record(request: Request, zone: dict[str, Any]) -> dict[str, Any]:
    return by_id(zone["records"], request.path_params["record"], "DnsRecord")


def _render(request: Request, zone: str, record: dict[str, Any], with_: set[str]) -> dict[str, Any]:
    return rules.render(
        zone,
        record,
        idn="idn" in with_,
        describe="records_description" in with_,
        txt_quoting=request.app.state.faults.txt_quoting,
    )


def _zone_view(zone: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": zone["id"],
        "fqdn": zone["fqdn"],
        "dnssec": dict(zone.get("dnssec") or {"is_enabled": False}),
        "nameservers": list(zone.get("nameservers", [])),
        "skel": zone.get("skel", ""),
    }


async def show_zone(request: Request) -> Response:
    with_ = with_values(request, ZONE_WITH)
    _, name, zone = _zone(request)
    data = _zone_view(zone)
    if "records" in with_:
        data["records"] = [_render(request, name, r, with_) for r in zone["records"]]
    return success(data)


async def zone_exists(request: Request) -> Response:
    # Clients (lego, Posh-ACME, certbot) probe parent names with this: unknown → 404 object_not_found with
    # the context model seen in a recorded real answer.
    if sandbox_state(request).zone(request.path_params["zone"]) is None:
        raise not_found("DelegatedSubDomain")
    return success(True)


def _filtered(request: Request, name: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    query = request.query_params
    selected = records
    if "filter[source]" in query:
        wanted = rules.normalise_source(query["filter[source]"])
        selected = [r for r in selected if r["source"] == wanted]
    types = {
        t.strip().upper()
        for raw in query.getlist("filter[types][]") + query.getlist("filter[types]")
        for t in raw.split(",")
        if t.strip()
    }
    if types:
        selected = [r for r in selected if r["type"] in types]
    search = query.get("search", "").strip().lower()
    if search:
        selected = [
            r
            for r in selected
            if search in r["source"].lower()
            or search in r["target"].lower()
            or search in rules.source_idn(name, r["source"]).lower()
        ]
    return _ordered(request, name, selected)


def _ordered(request: Request, name: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    query = request.query_params
    order_by = [f.strip() for raw in query.getlist("order_by") for f in raw.split(",") if f.strip()]
    directions = {
        key[len("order_for[") : -1]: value for key, value in query.items() if key.startswith("order_for[")
    }
    for field in order_by + list(directions):
        if field not in rules.ORDER_FIELDS:
            raise validation_failed(
                [
                    field_error(
                        "order_by",
                        "validation_rule_in",
                        "The selected order by is invalid.",
                        values=list(rules.ORDER_FIELDS),
                    )
                ]
            )
    default_desc = query.get("order", "asc").lower() == "desc"
    result = list(records)
    # Stable sorts applied from the last key to the first give a multi-key order.
    for field in reversed(order_by or list(directions) or ["id"]):
        desc = directions.get(field, "desc" if default_desc else "asc").lower() == "desc"
        result.sort(key=_sort_key(name, field), reverse=desc)
    return result


def _sort_key(zone: str, field: str) -> Callable[[dict[str, Any]], Any]:
    if field == "source_idn":
        return lambda record: rules.source_idn(zone, record["source"])
    return lambda record: record[field]


async def list_records(request: Request) -> Response:
    with_ = with_values(request, RECORD_WITH)
    _, name, zone = _zone(request)
    records = [_render(request, name, r, with_) for r in _filtered(request, name, zone["records"])]
    return list_response(request, records, implicit_cap=request.app.state.faults.default_list_cap)


async def create_record(request: Request) -> Response:
    with_ = with_values(request, RECORD_WITH)
    state, name, zone = _zone(request)
    source, rtype, target, ttl = rules.validate_create(await read_body(request))
    rules.check_conflicts(zone["records"], source, rtype, target)
    record = {"id": state.new_id(), "source": source, "type": rtype, "ttl": ttl, "target": target}
    record["updated_at"] = state.tick()
    zone["records"].append(record)
    # The spec documents 200; the real API answers 201 (community.dns comment, octodns tests).
    return success(_render(request, name, record, with_), status=201)


async def show_record(request: Request) -> Response:
    with_ = with_values(request, RECORD_WITH)
    _, name, zone = _zone(request)
    return success(_render(request, name, _record(request, zone), with_))


async def update_record(request: Request) -> Response:
    with_ = with_values(request, RECORD_WITH)
    state, name, zone = _zone(request)
    record = _record(request, zone)
    target, ttl = rules.validate_update(record, await read_body(request))
    if (target, ttl) != (record["target"], record["ttl"]):
        if target != record["target"]:
            rules.check_conflicts(
                zone["records"], record["source"], record["type"], target, ignore_id=record["id"]
            )
        record.update(target=target, ttl=ttl, updated_at=state.tick())
    return success(_render(request, name, record, with_))


async def delete_record(request: Request) -> Response:
    _, _, zone = _zone(request)
    record = _record(request, zone)
    zone["records"].remove(record)
    return success(True)


async def check_record(request: Request) -> Response:
    # The simulator's "name servers" are its own state, so a stored record always resolves.
    _, _, zone = _zone(request)
    _record(request, zone)
    return success(True)


def _contains(zone: str, name: str) -> bool:
    return name == zone or name.endswith("." + zone)


async def domain_zones(request: Request) -> Response:
    """Any name under a registered domain → that domain's zones, the deepest zone holding the name first.

    acme.sh calls this with the full record name and takes the first ``fqdn`` as the zone to write in.
    """
    state = sandbox_state(request)
    name = zone_key(request.path_params["name"])
    domains = [d for d in state.domain_names() if _contains(d, name)]
    holders = [z for z in state.zones if _contains(z, name)]
    base = max(domains, key=len) if domains else (min(holders, key=len) if holders else None)
    if base is None:
        raise not_found("Domain")
    zones = [z for z in state.zones if _contains(base, z)]
    zones.sort(key=lambda z: (not _contains(z, name), -z.count(".")))
    items = [
        {
            "fqdn": z,
            "dnssec": dict(state.zones[z].get("dnssec") or {"is_enabled": False}),
            "nameservers": list(state.zones[z].get("nameservers", [])),
        }
        for z in zones
    ]
    return list_response(request, items)


async def list_domains(request: Request) -> Response:
    """``/2/domains/domains``: items carry both ``name`` (external-dns) and ``customer_name`` (amogado)."""
    state = sandbox_state(request)
    account = request.query_params.get("account_id")
    search = request.query_params.get("search", "").lower()
    items = [
        {
            "id": p["id"],
            "account_id": p["account_id"],
            "name": p["customer_name"],
            "customer_name": p["customer_name"],
            "tld": str(p["customer_name"]).rsplit(".", 1)[-1],
            "is_premium": False,
            "created_at": p.get("created_at"),
            "expires_at": p.get("expired_at"),
        }
        for p in state.products
        if p.get("service_name") == "domain"
        and (account is None or str(p["account_id"]) == account)
        and search in str(p["customer_name"]).lower()
    ]
    return list_response(request, items)


ROUTES = [
    ApiRoute("/2/zones/{zone}", show_zone, scope="dns"),
    ApiRoute("/2/zones/{zone}/exists", zone_exists, scope="dns"),
    ApiRoute("/2/zones/{zone}/records", list_records, scope="dns"),
    ApiRoute("/2/zones/{zone}/records", create_record, methods=["POST"], scope="dns"),
    ApiRoute("/2/zones/{zone}/records/{record}", show_record, scope="dns"),
    ApiRoute("/2/zones/{zone}/records/{record}", update_record, methods=["PUT"], scope="dns"),
    ApiRoute("/2/zones/{zone}/records/{record}", delete_record, methods=["DELETE"], scope="dns"),
    ApiRoute("/2/zones/{zone}/records/{record}/check", check_record, scope="dns"),
    ApiRoute("/2/domains/domains", list_domains, scope="domain"),
    ApiRoute("/2/domains/domains/{name}/zones", domain_zones, scope="domain"),
    ApiRoute("/2/domains/{name}/zones", domain_zones, scope="domain"),
]
