"""Registrar side of a domain: nameservers and DNSSEC (``domain_zones.json``, 2025 spec).

* ``PUT /2/domains/{domain}/nameservers``: ``{nameservers: [..]}`` (at least 2) or ``{use_infomaniak_ns:
  true}``, plus ``verify_ns_availability``;
* ``GET /2/domains/{domain}/dnssec/check``, ``POST …/dnssec/enable`` (``{dnssec_data: [..]}``, only needed
  with external nameservers), ``POST …/dnssec/disable``.

The delegation is kept on the domain's base zone (``zones[<domain>].nameservers`` and ``.dnssec.is_enabled``),
which ``GET /2/domains/{domain}/zones`` (``routes_dns``) serves, so what is written here reads back there.
A domain is one of the account's ``domain`` products; anything else is 404 ``object_not_found``.

Invented where the spec is silent (docs/api-fidelity.md): both or neither of ``nameservers`` and
``use_infomaniak_ns`` → 422; ``verify_ns_availability`` is accepted and, in the simulator, always passes;
enabling DNSSEC on external nameservers without ``dnssec_data`` → 422 (the spec says it is needed then);
the key material served by ``check`` is a fixed example, and enable/disable are idempotent.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.state import SandboxState, zone_key
from reconciler.sandbox.wire import (
    ApiRoute,
    field_error,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
)

INFOMANIAK_NS = ["ns41.infomaniak.com", "ns42.infomaniak.com"]
"""The nameservers ``use_infomaniak_ns`` sets (the demo zones' own)."""

_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# An example key of algorithm 13 (ECDSA P-256), as registries show it; the simulator signs nothing.
_KSK = {
    "algorithm": "13",
    "public_key": "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
}


def _zone(request: Request) -> tuple[SandboxState, str, dict[str, Any]]:
    state = sandbox_state(request)
    domain = zone_key(str(request.path_params["domain"]))
    zone = state.zone(domain)
    if domain not in state.domain_names() or zone is None:
        raise not_found("Domain")
    return state, domain, zone


def _is_infomaniak(nameservers: list[str]) -> bool:
    return bool(nameservers) and all(ns.endswith(".infomaniak.com") for ns in nameservers)


async def update_nameservers(request: Request) -> Response:
    _, _, zone = _zone(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    raw, use_ours = body.get("nameservers"), body.get("use_infomaniak_ns")
    if (raw is None) == (use_ours is None):
        errors.append(
            field_error(
                "nameservers",
                "validation_rule_required_without",
                "Give either nameservers or use_infomaniak_ns.",
            )
        )
    elif use_ours is not None and use_ours is not True:
        errors.append(
            field_error("use_infomaniak_ns", "validation_rule_accepted", "use_infomaniak_ns must be true.")
        )
    nameservers: list[str] = []
    if raw is not None:
        if not isinstance(raw, list) or len(raw) < 2:
            errors.append(field_error("nameservers", "validation_rule_min", "Give at least 2 nameservers."))
        else:
            for index, item in enumerate(raw):
                host = str(item).strip().lower().rstrip(".") if isinstance(item, str) else ""
                if not _HOST.fullmatch(host):
                    errors.append(
                        field_error(
                            f"nameservers.{index}", "validation_rule_hostname", "Must be a host name."
                        )
                    )
                elif host not in nameservers:
                    nameservers.append(host)
    if "verify_ns_availability" in body and not isinstance(body["verify_ns_availability"], bool):
        errors.append(
            field_error("verify_ns_availability", "validation_rule_boolean", "Must be true or false.")
        )
    if errors:
        raise validation_failed(errors)
    zone["nameservers"] = list(INFOMANIAK_NS) if use_ours else nameservers
    return success(True)


async def check_dnssec(request: Request) -> Response:
    _, _, zone = _zone(request)
    enabled = bool((zone.get("dnssec") or {}).get("is_enabled"))
    data = [
        {
            "key": "2371",
            "flags": "257",
            "protocol": "3",
            "algorithm": _KSK["algorithm"],
            "public_key": _KSK["public_key"],
            "digest_type": "2",
            "digest": "1f9c0b8cd1c2d6b7b3e0b1a4c5d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1",
        }
    ]
    return success(
        {
            "has_dnssec": enabled,
            "dnssec_type": "dsdata",
            "dnssec_data": data if enabled else [],
            "ksk": dict(_KSK),
        }
    )


async def enable_dnssec(request: Request) -> Response:
    _, _, zone = _zone(request)
    body = await read_body(request)
    raw = body.get("dnssec_data")
    if raw is not None and (
        not isinstance(raw, list) or not all(isinstance(i, str) and i.strip() for i in raw)
    ):
        raise validation_failed(
            [field_error("dnssec_data", "validation_rule_array", "Must be a list of records.")]
        )
    if not raw and not _is_infomaniak(list(zone.get("nameservers") or [])):
        raise validation_failed(
            [
                field_error(
                    "dnssec_data",
                    "validation_rule_required",
                    "The domain uses external nameservers: give the DS or DNSKEY data to publish.",
                )
            ]
        )
    zone["dnssec"] = {"is_enabled": True}
    return success(True)


async def disable_dnssec(request: Request) -> Response:
    _, _, zone = _zone(request)
    zone["dnssec"] = {"is_enabled": False}
    return success(True)


ROUTES = [
    ApiRoute("/2/domains/{domain}/nameservers", update_nameservers, methods=("PUT",), scope="domain"),
    ApiRoute("/2/domains/{domain}/dnssec/check", check_dnssec, scope="domain"),
    ApiRoute("/2/domains/{domain}/dnssec/enable", enable_dnssec, methods=("POST",), scope="domain"),
    ApiRoute("/2/domains/{domain}/dnssec/disable", disable_dnssec, methods=("POST",), scope="domain"),
]
