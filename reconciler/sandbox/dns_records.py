"""DNS record rules of the real API: how a written record is normalised, validated and rendered.

Stored form (what ``state.zones[z]["records"]`` holds) is what the real API returns:

* ``source``: relative, lowercase, apex ``"."``. On write ``""``, ``"."``, ``"@"``, missing and ``null`` all
  mean the apex. ``"@"`` is accepted (only an unverified client sends it) because rejecting it would only
  punish a harmless spelling.
* host-name targets (CNAME, NS, DNAME, PTR, the MX exchange, the SRV target) without trailing dot;
* TXT wrapped in exactly one pair of literal double quotes, whether or not the client sent them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.sandbox.wire import ApiError, field_error, validation_failed

WRITABLE_TYPES = (
    "A",
    "AAAA",
    "CAA",
    "CNAME",
    "DNAME",
    "DS",
    "MX",
    "NS",
    "SMIMEA",
    "SRV",
    "SSHFP",
    "TLSA",
    "TXT",
)
ORDER_FIELDS = ("id", "source_idn", "target", "type", "ttl", "updated_at", "source")
TTL_MIN = 60
TTL_MAX = 86400

_HOST_TYPES = frozenset({"CNAME", "NS", "DNAME", "PTR"})
_INT = r"\d{1,5}"
_RDATA = {
    "MX": re.compile(rf"^{_INT} \S+$"),
    "SRV": re.compile(rf"^{_INT} {_INT} {_INT} \S+$"),
    "CAA": re.compile(r'^\d{1,3} [A-Za-z0-9]+ "[^"]*"$'),
    "DS": re.compile(rf"^{_INT} \d{{1,3}} \d{{1,3}} [0-9A-Fa-f ]+$"),
    "SSHFP": re.compile(r"^\d{1,3} \d{1,3} [0-9A-Fa-f]+$"),
    "TLSA": re.compile(r"^\d{1,3} \d{1,3} \d{1,3} [0-9A-Fa-f ]+$"),
    "SMIMEA": re.compile(r"^\d{1,3} \d{1,3} \d{1,3} [0-9A-Fa-f ]+$"),
}
_HOST = re.compile(r"^[A-Za-z0-9_*.-]+$")


def normalise_source(value: Any) -> str:
    if value is None:
        return "."
    text = str(value).strip().lower().rstrip(".")
    return "." if text in ("", "@") else text


def _strip_host(host: str) -> str:
    # The null MX / SRV "no service" target "." must stay a dot.
    return host if host == "." else host.rstrip(".")


def normalise_target(rtype: str, target: str) -> str:
    """The stored form of a target: trailing dots off host names, TXT wrapped in one pair of quotes."""
    if rtype == "TXT":
        if len(target) >= 2 and target.startswith('"') and target.endswith('"'):
            return target
        return f'"{target}"'
    text = " ".join(target.split())
    if rtype in _HOST_TYPES:
        return _strip_host(text)
    if rtype in ("MX", "SRV"):
        parts = text.split(" ")
        parts[-1] = _strip_host(parts[-1])
        return " ".join(parts)
    return text


def rdata_is_valid(rtype: str, target: str) -> bool:
    """Whether a normalised target parses for its type (the real API answers 400 invalid_dns_record)."""
    if rtype == "A":
        return _is_ip(target, ipaddress.IPv4Address)
    if rtype == "AAAA":
        return _is_ip(target, ipaddress.IPv6Address)
    if rtype in _HOST_TYPES:
        return bool(_HOST.match(target))
    if rtype == "TXT":
        return len(target) > 2
    pattern = _RDATA.get(rtype)
    if pattern is None or not pattern.match(target):
        return False
    if rtype in ("MX", "SRV"):
        numbers = target.split(" ")[:-1]
        return all(int(n) <= 65535 for n in numbers) and bool(_HOST.match(target.split(" ")[-1]))
    return True


def _is_ip(value: str, kind: type[ipaddress.IPv4Address] | type[ipaddress.IPv6Address]) -> bool:
    try:
        kind(value)
    except ValueError:
        return False
    return True


def _ttl_error(value: Any) -> dict[str, Any] | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return field_error("ttl", "validation_rule_integer", "The ttl must be an integer.")
    try:
        ttl = int(value)
    except ValueError:
        return field_error("ttl", "validation_rule_integer", "The ttl must be an integer.")
    if ttl < TTL_MIN:
        return field_error("ttl", "validation_rule_min", f"The ttl must be at least {TTL_MIN}.", min=TTL_MIN)
    if ttl > TTL_MAX:
        return field_error(
            "ttl", "validation_rule_max", f"The ttl may not be greater than {TTL_MAX}.", max=TTL_MAX
        )
    return None


def _required(attribute: str) -> dict[str, Any]:
    return field_error(attribute, "validation_rule_required", f"The {attribute} field is required.")


def validate_create(body: Mapping[str, Any]) -> tuple[str, str, str, int]:
    """Check a POST body; returns ``(source, type, target, ttl)`` normalised, or raises :class:`ApiError`.

    Order follows the real API: request validation (422) first, then the type (400
    ``unsupported_dns_record_type``), then the RDATA (400 ``invalid_dns_record``).
    """
    errors: list[dict[str, Any]] = []
    rtype, target, ttl = body.get("type"), body.get("target"), body.get("ttl")
    if not isinstance(rtype, str) or not rtype.strip():
        errors.append(_required("type"))
    if not isinstance(target, str) or not target.strip():
        errors.append(_required("target"))
    if ttl is None:
        errors.append(_required("ttl"))
    elif (ttl_error := _ttl_error(ttl)) is not None:
        errors.append(ttl_error)
    source = body.get("source")
    if source is not None and not isinstance(source, str):
        errors.append(field_error("source", "validation_rule_string", "The source must be a string."))
    if errors:
        raise validation_failed(errors)
    assert isinstance(rtype, str) and isinstance(target, str) and ttl is not None
    kind = _check_type(rtype)
    return normalise_source(source), kind, _check_rdata(kind, target), int(ttl)


def validate_update(record: Mapping[str, Any], body: Mapping[str, Any]) -> tuple[str, int]:
    """Check a PUT body against a stored record; returns the new ``(target, ttl)``.

    ``type`` and ``source`` may be sent (external-dns and terraform do) but must equal the record's.
    """
    errors: list[dict[str, Any]] = []
    if "type" in body and str(body["type"]).strip().upper() != record["type"]:
        errors.append(
            field_error("type", "validation_rule_prohibited", "The type of a record cannot change.")
        )
    if "source" in body and normalise_source(body["source"]) != record["source"]:
        errors.append(
            field_error("source", "validation_rule_prohibited", "The source of a record cannot change.")
        )
    target = body.get("target")
    if "target" in body and (not isinstance(target, str) or not target.strip()):
        errors.append(_required("target"))
    if body.get("ttl") is not None and (ttl_error := _ttl_error(body["ttl"])) is not None:
        errors.append(ttl_error)
    if errors:
        raise validation_failed(errors)
    new_target = _check_rdata(record["type"], target) if isinstance(target, str) else record["target"]
    new_ttl = int(body["ttl"]) if body.get("ttl") is not None else int(record["ttl"])
    return new_target, new_ttl


def _check_type(rtype: str) -> str:
    kind = rtype.strip().upper()
    if kind not in WRITABLE_TYPES:
        raise ApiError(400, "unsupported_dns_record_type", f"Unsupported dns record type: {rtype}")
    return kind


def _check_rdata(rtype: str, target: str) -> str:
    stored = normalise_target(rtype, target.strip())
    if not rdata_is_valid(rtype, stored):
        raise ApiError(400, "invalid_dns_record", f"Invalid {rtype} record target: {target}")
    return stored


def check_conflicts(
    records: Sequence[Mapping[str, Any]],
    source: str,
    rtype: str,
    target: str,
    *,
    ignore_id: int | None = None,
) -> None:
    """400 ``dns_record_already_exists`` for an exact duplicate, 400 ``dns_record_mutual_exclusion`` when a
    CNAME would share its name with any other record (either direction)."""
    same_name = [r for r in records if r["source"] == source and r["id"] != ignore_id]
    for other in same_name:
        if other["type"] == rtype and _same_target(rtype, other["target"], target):
            raise ApiError(400, "dns_record_already_exists", "The dns record already exists")
    if same_name and (rtype == "CNAME" or any(r["type"] == "CNAME" for r in same_name)):
        raise ApiError(
            400,
            "dns_record_mutual_exclusion",
            f"A CNAME record cannot coexist with another record on {source}",
        )


def _same_target(rtype: str, left: str, right: str) -> bool:
    # Host names and hex are case-insensitive; TXT content is not.
    return left == right if rtype == "TXT" else left.lower() == right.lower()


def source_idn(zone: str, source: str) -> str:
    fqdn = zone if source == "." else f"{source}.{zone}"
    labels = []
    for label in fqdn.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def render(
    zone: str, record: Mapping[str, Any], *, idn: bool, describe: bool, txt_quoting: bool
) -> dict[str, Any]:
    """A stored record as the API serves it, keys in the order clients parse them."""
    out: dict[str, Any] = {"id": record["id"], "source": record["source"]}
    if idn:
        out["source_idn"] = source_idn(zone, record["source"])
    target = record["target"]
    if record["type"] == "TXT" and not txt_quoting and len(target) >= 2 and target[0] == target[-1] == '"':
        target = target[1:-1]
    out.update(type=record["type"], ttl=record["ttl"], target=target, updated_at=record["updated_at"])
    if describe:
        out["description"] = describe_target(record["type"], record["target"])
    return out


_DESCRIPTION_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "MX": (("priority", True),),
    "SRV": (("priority", True), ("weight", True), ("port", True)),
    "CAA": (("flags", True), ("tag", False)),
    "DS": (("key_tag", True), ("algorithm", True), ("digest_type", True), ("digest", False)),
    "TLSA": (("usage", True), ("selector", True), ("matching_type", True)),
    "SMIMEA": (("usage", True), ("selector", True), ("matching_type", True)),
}


def describe_target(rtype: str, target: str) -> dict[str, dict[str, Any]]:
    """``with=records_description``: the parsed RDATA parts, each ``{value, label}``."""
    parts = target.split(" ")
    described: dict[str, dict[str, Any]] = {}
    for (name, numeric), raw in zip(_DESCRIPTION_FIELDS.get(rtype, ()), parts, strict=False):
        value: Any = int(raw) if numeric and raw.isdigit() else raw
        described[name] = {"value": value, "label": str(raw)}
    return described
