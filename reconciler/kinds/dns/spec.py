"""The zone file: the YAML record model, the canonical record set, and parsing and rendering whole files.

A zone file (``state/dns/<zone>.yaml``) maps relative names to one record or a list of records, in octoDNS's
format. :class:`Record` is one YAML entry; :class:`RecordSet` is what both the YAML and the API side are
reduced to before diffing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, MutableMapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator
from pydantic_core import PydanticCustomError

from reconciler.kinds.base import DesiredObject, DocumentSource, LiveObject, SpecModel
from reconciler.kinds.dns.names import APEX, normalize_name
from reconciler.kinds.dns.records import (
    SUPPORTED_TYPES,
    TYPES,
    RecordType,
    canonical_value,
    raw_reason,
    value_to_yaml,
)
from reconciler.kinds.live import comment_text, unwritable_text
from reconciler.kinds.mapping_file import SCHEMA_DIALECT, editable, entries, find_key

DEFAULT_TTL = 3600
"""TTL of a record that does not give one (octoDNS's documented default, and the Terraform provider's)."""

# The API lists these but refuses to write them (unsupported_dns_record_type): they are shown, never managed.
READ_ONLY_TYPES = frozenset({"PTR"})
WRITABLE_TYPES: tuple[str, ...] = tuple(rtype for rtype in SUPPORTED_TYPES if rtype not in READ_ONLY_TYPES)
"""The types a zone file may hold."""

MIN_TTL = 60
"""The API's minimum: a lower TTL would be clamped and show as a change on every plan."""

MAX_TTL = 86_400
"""The API's maximum (the Infomaniak manager and admin tools accept 60-86400; the simulator enforces it)."""


def _lenient(info: ValidationInfo) -> bool:
    options = info.data.get("octodns")
    return isinstance(options, OctodnsOptions) and options.lenient


def _check_value(raw: Any, info: ValidationInfo) -> Any:
    rtype = info.data.get("type")
    if raw is None or rtype is None:  # no type: its own error is already reported
        return raw
    try:
        return canonical_value(rtype, raw, lenient=_lenient(info))
    except ValueError as exc:
        raise PydanticCustomError("dns_value", "{reason}", {"reason": str(exc)}) from None


_VALUE_SCHEMA: dict[str, Any] = {
    "description": "A string in presentation form, or a mapping for MX, SRV, CAA, DS, SSHFP and TLSA.",
    "anyOf": [{"type": "string"}, {"type": "object"}],
}

YamlValue = Annotated[Any, AfterValidator(_check_value), WithJsonSchema(_VALUE_SCHEMA)]


def _not_bool(raw: Any) -> Any:
    if isinstance(raw, bool):
        raise PydanticCustomError("int_type", "expected a number of seconds, got {value}", {"value": raw})
    return raw


class OctodnsOptions(SpecModel):
    """octoDNS's per-record ``octodns`` options; the tool reads ``lenient`` only."""

    lenient: bool = Field(
        default=False,
        description="Keep values the rules cannot read as written (what `import` writes for such live "
        "values, with a comment saying why); also relaxes the TTL range and the per-name rules. octoDNS "
        "reads it the same way.",
    )


class Record(SpecModel):
    """One record set of a zone file: ``type``, ``ttl``, and exactly one of ``value`` or ``values``.

    After validation, ``value`` / ``values`` hold canonical strings (see ``records.py``).
    """

    type: RecordType = Field(description="Record type, e.g. A, MX, TXT.")
    octodns: OctodnsOptions | None = Field(
        default=None, description="octoDNS's record options: `{lenient: true}` keeps odd values as written."
    )
    ttl: int = Field(
        default=DEFAULT_TTL,
        description=f"Time to live in seconds ({MIN_TTL}-{MAX_TTL}); {DEFAULT_TTL} when absent.",
        json_schema_extra={"minimum": 0},
    )
    value: YamlValue | None = Field(default=None, description="The only value; use `values` for several.")
    values: list[YamlValue] | None = Field(
        default=None, min_length=1, description="Several values; their order does not matter."
    )

    @field_validator("type", mode="before")
    @classmethod
    def _type_case(cls, raw: Any) -> Any:
        rtype = raw.strip().upper() if isinstance(raw, str) else raw
        if isinstance(rtype, str) and rtype not in SUPPORTED_TYPES:
            raise PydanticCustomError(
                "dns_type",
                "unsupported record type {type}; a zone file may use {types}",
                {"type": repr(raw), "types": ", ".join(WRITABLE_TYPES)},
            )
        return rtype

    @field_validator("type")
    @classmethod
    def _writable(cls, rtype: str) -> str:
        if rtype in READ_ONLY_TYPES:
            raise PydanticCustomError(
                "dns_read_only_type",
                "{type} records are read-only in the Infomaniak API (the address owner manages reverse "
                "zones); remove the record from the file",
                {"type": rtype},
            )
        return rtype

    @field_validator("ttl", mode="before")
    @classmethod
    def _ttl_not_bool(cls, raw: Any) -> Any:
        return _not_bool(raw)

    @field_validator("ttl")
    @classmethod
    def _ttl_range(cls, ttl: int, info: ValidationInfo) -> int:
        # Lenient records keep what the API holds, whatever the range (import writes them so).
        if ttl < 0 or (not _lenient(info) and ttl < MIN_TTL):
            floor = 0 if _lenient(info) else MIN_TTL
            raise PydanticCustomError(
                "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": floor}
            )
        if not _lenient(info) and ttl > MAX_TTL:
            raise PydanticCustomError(
                "less_than_equal", "Input should be less than or equal to {le}", {"le": MAX_TTL}
            )
        return ttl

    @property
    def lenient(self) -> bool:
        return self.octodns is not None and self.octodns.lenient

    @model_validator(mode="after")
    def _value_count(self) -> Self:
        if (self.value is None) == (self.values is None):
            raise PydanticCustomError(
                "dns_value_count", "give exactly one of `value` (one value) or `values` (a list)"
            )
        values: list[Any] = self.values if self.values is not None else [self.value]
        if TYPES[self.type].single and len(values) > 1 and not self.lenient:
            raise PydanticCustomError(
                "dns_single_value",
                "a {type} record has exactly one value, got {count}",
                {"type": self.type, "count": len(values)},
            )
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise PydanticCustomError(
                    "dns_duplicate_value", "value {value} is listed twice", {"value": value}
                )
            seen.add(value)
        return self

    def to_record_set(self, *, default_ttl: int | None = None) -> RecordSet:
        """The canonical set; ``default_ttl`` replaces :data:`DEFAULT_TTL` when the record gives no ttl."""
        ttl = self.ttl if default_ttl is None or "ttl" in self.model_fields_set else default_ttl
        values = self.values if self.values is not None else [self.value]
        return RecordSet(type=self.type, ttl=ttl, values=values)


class RecordSet(SpecModel):
    """A record set in canonical form: the ``spec`` of both desired and live objects."""

    type: RecordType
    ttl: int = Field(description="The set's TTL; for a live set with mixed TTLs, the most common one.")
    values: list[str] = Field(description="Canonical values, sorted.")
    ttl_per_value: dict[str, int] | None = Field(
        default=None, description="Live sets only: each value's TTL, when the API holds different ones."
    )

    @field_validator("values")
    @classmethod
    def _sorted(cls, values: list[str]) -> list[str]:
        return sorted(set(values))


def as_record_set(spec: SpecModel) -> RecordSet:
    """The canonical set of a spec, whether it is already one or a validated YAML :class:`Record`."""
    if isinstance(spec, RecordSet):
        return spec
    if isinstance(spec, Record):
        return spec.to_record_set()
    raise TypeError(f"not a DNS spec: {type(spec).__name__}")


def display_name(name: str) -> str:
    return "the apex" if name == APEX else repr(name)


def _srv_name_ok(name: str) -> bool:
    labels = name.split(".")
    return len(labels) >= 2 and all(len(label) > 1 and label.startswith("_") for label in labels[:2])


def parse_zone(document: Any, source: DocumentSource, *, zone: str | None) -> list[DesiredObject]:
    """Desired objects of a zone document (a mapping; null is an empty zone); problems go to ``source``."""
    objects: list[DesiredObject] = []
    names: dict[str, object] = {}
    for item in entries(
        document,
        source,
        lambda raw: normalize_name(raw, zone=zone),
        not_a_mapping="a zone file is a mapping of record names to records",
        document_rule="dns-document",
        key_rule="dns-name",
    ):
        raw_key, name, entry, (key_path,) = item
        if name in names:
            source.error(
                (key_path,),
                f"{raw_key!r} names the same records as {names[name]!r} ({display_name(name)}); merge them",
                rule="dns-duplicate-name",
            )
            continue
        names[name] = raw_key
        items: list[tuple[tuple[str | int, ...], Any]]
        if isinstance(entry, list):
            if not entry:
                source.error((key_path,), "an empty list of records; remove the name", rule="dns-record")
            items = [((key_path, index), raw) for index, raw in enumerate(entry)]
        else:
            items = [((key_path,), entry)]
        records: list[tuple[tuple[str | int, ...], Record]] = []
        for path, raw in items:
            record = source.validate(Record, raw, path)
            if isinstance(record, Record):
                records.append((path, record))
        objects.extend(_check_name(name, records, source))
    return objects


def _check_name(
    name: str, records: list[tuple[tuple[str | int, ...], Record]], source: DocumentSource
) -> list[DesiredObject]:
    """Problems that involve several records at one name, then the objects of the ones that pass."""
    accepted: dict[str, tuple[tuple[str | int, ...], Record]] = {}
    for path, record in records:
        if record.type in accepted:
            source.error(
                (*path, "type"),
                f"{record.type} is declared twice at {display_name(name)}; merge the values into one record",
                rule="dns-duplicate-type",
            )
            continue
        if record.type == "SRV" and not _srv_name_ok(name) and not record.lenient:
            source.error(
                path,
                f"an SRV name is _service._proto[.name] (e.g. _imap._tcp), got {display_name(name)}",
                rule="dns-srv-name",
            )
            continue
        if record.type == "CNAME" and name == APEX and not record.lenient:
            source.error(
                (*path, "type"),
                "a CNAME cannot be at the apex: it would hide the zone's NS and SOA records",
                rule="dns-cname-apex",
            )
            continue
        accepted[record.type] = (path, record)
    if "CNAME" in accepted and len(accepted) > 1 and not accepted["CNAME"][1].lenient:
        others = ", ".join(sorted(rtype for rtype in accepted if rtype != "CNAME"))
        source.error(
            (*accepted["CNAME"][0], "type"),
            f"a CNAME cannot coexist with other records at {display_name(name)} (found {others})",
            rule="dns-cname-conflict",
        )
        return []
    return [
        DesiredObject(
            key=(name, rtype),
            spec=record.to_record_set(default_ttl=source.defaults.get("ttl")),
            located=source.locate(path),
        )
        for rtype, (path, record) in accepted.items()
    ]


def natural_key(text: str) -> tuple[str | int, ...]:
    """octoDNS's default key order (natsort's): runs of digits compare as numbers (``a2`` before ``a10``).

    octoDNS's ``YamlProvider`` refuses a file whose mapping keys are not in this order, at every level.
    """
    parts: list[str | int] = [
        int(part) if index % 2 else part for index, part in enumerate(re.split(r"(\d+)", text))
    ]
    if parts and parts[-1] == "":
        parts.pop()
    return tuple(parts)


def _sorted_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in sorted(mapping, key=natural_key)}


def set_problems(
    name: str, spec: RecordSet, types_at_name: Iterable[str], *, read_back: Collection[str] = ()
) -> list[str]:
    """What the desired-file rules would refuse in a live record set; such a set is written lenient.

    ``read_back`` holds values the caller knows read back as themselves (:attr:`TypeRule.reads_back`): they
    are not read again.
    """
    problems = [
        f"value {value!r}: {reason}"
        for value in spec.values
        if value not in read_back and (reason := raw_reason(spec.type, value)) is not None
    ]
    if not MIN_TTL <= spec.ttl <= MAX_TTL:
        problems.append(f"TTL {spec.ttl} is outside {MIN_TTL}-{MAX_TTL}")
    if TYPES[spec.type].single and len(spec.values) > 1:
        problems.append(f"a {spec.type} record set holds {len(spec.values)} values")
    if spec.type == "SRV" and not _srv_name_ok(name):
        problems.append(f"an SRV record at {display_name(name)}, not at _service._proto")
    if spec.type == "CNAME" and (name == APEX or any(other != "CNAME" for other in types_at_name)):
        problems.append(f"a CNAME at {display_name(name)} beside other records or at the apex")
    return problems


def unwritable(name: str, rtype: str, values: Iterable[str] = ()) -> str | None:
    """Why a live record set cannot be written to a zone file at all (its name or type), or None."""
    if rtype in READ_ONLY_TYPES:
        return f"{rtype} records are read-only in the API"
    if (problem := unwritable_text(*values)) is not None:
        return problem
    if name == APEX:
        return None
    try:
        normalize_name(name)
    except ValueError as exc:
        return str(exc)
    return None


def render_zone(objects: Iterable[DesiredObject | LiveObject]) -> dict[str, Any]:
    """The octoDNS document of record sets, every mapping in octoDNS's key order (apex ``''`` first).

    Per name a mapping, or a type-sorted list when the name holds several types. A live set the rules
    would refuse is written as the API gave it, marked ``octodns: {lenient: true}``, under a comment that
    says why; one that no file can hold (a read-only type, a name the rules refuse) is only a comment.
    """
    by_name: dict[str, list[RecordSet]] = {}
    for obj in objects:
        by_name.setdefault(obj.key[0], []).append(as_record_set(obj.spec))
    document: dict[str, Any] = {}
    notes: dict[str, list[str]] = {}
    left_out: list[str] = []
    for name in by_name:
        written = []
        for spec in sorted(by_name[name], key=lambda spec: spec.type):
            reason = unwritable(name, spec.type, spec.values)
            if reason is not None:
                values = ", ".join(spec.values)
                left_out.append(f"{name} {spec.type} ({values}) is not written: {reason}")
                continue
            problems = set_problems(name, spec, (other.type for other in by_name[name]))
            if problems:
                notes.setdefault(name, []).append(
                    f"{spec.type} kept as the API gave it (octodns.lenient): {'; '.join(problems)}"
                )
            written.append(_render_record(spec, lenient=bool(problems)))
        if written:
            document["" if name == APEX else name] = written[0] if len(written) == 1 else written
    # Imported here: only rendering a file needs ruamel.yaml, and a plan renders none.
    from ruamel.yaml.comments import CommentedMap

    result = CommentedMap(_sorted_mapping(document))
    for name, lines in notes.items():
        key = "" if name == APEX else name
        result.yaml_set_comment_before_after_key(key, before="\n".join(comment_text(n) for n in lines))
    if left_out:
        result.yaml_set_start_comment("\n".join(comment_text(line) for line in left_out))
    return result


def _render_record(spec: RecordSet, *, lenient: bool = False) -> dict[str, Any]:
    values = [_yaml_value(spec.type, value) for value in spec.values]
    entry: dict[str, Any] = {"type": spec.type, "ttl": spec.ttl}
    if lenient:
        entry["octodns"] = {"lenient": True}
    if len(values) == 1:
        entry["value"] = values[0]
    else:
        entry["values"] = values
    return _sorted_mapping(entry)


def _yaml_value(rtype: str, value: str) -> Any:
    rendered = value_to_yaml(rtype, value)
    return _sorted_mapping(rendered) if isinstance(rendered, Mapping) else rendered


def zone_schema() -> dict[str, Any]:
    """JSON Schema of a whole zone file, built from :class:`Record` and the structured value models."""
    record = Record.model_json_schema()
    defs: dict[str, Any] = record.pop("$defs", {})
    conditions = []
    for rtype in SUPPORTED_TYPES:
        model = TYPES[rtype].model
        one: dict[str, Any] = {"type": "string"}
        if model is not None:
            defs[model.__name__] = model.model_json_schema()
            one = {"anyOf": [{"type": "string"}, {"$ref": f"#/$defs/{model.__name__}"}]}
        conditions.append(
            {
                "if": {"properties": {"type": {"const": rtype}}, "required": ["type"]},
                "then": {"properties": {"value": one, "values": {"type": "array", "items": one}}},
            }
        )
    record["allOf"] = conditions
    record["oneOf"] = [{"required": ["value"]}, {"required": ["values"]}]
    defs["Record"] = record
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "DNS zone file (state/dns/<zone>.yaml)",
        "description": (
            "Record names relative to the zone ('' is the apex) mapped to one record or a list of records "
            "with different types, in octoDNS's format. See docs/format-dns.md."
        ),
        "type": ["object", "null"],
        "additionalProperties": {
            "anyOf": [
                {"$ref": "#/$defs/Record"},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Record"}},
            ]
        },
        "$defs": defs,
    }


# -- in-place edits of a zone document (MCP desired-state tools) ----------------------------------------


def _type_of(entry: Any) -> str | None:
    if isinstance(entry, Mapping) and isinstance(entry.get("type"), str):
        return str(entry["type"]).strip().upper()
    return None


def upsert_record(document: Any, key: tuple[str, ...], entry: Any) -> Any:
    """Put ``entry`` (one record mapping) at ``key`` in a zone document, editing it in place.

    Other records at the name stay: a lone mapping becomes a list when a second type arrives.
    """
    name, rtype = key
    if not isinstance(entry, Mapping):
        raise ValueError("a DNS entry is one record: a mapping with type, ttl and value or values")
    given = _type_of(entry)
    if given is None:
        entry = {"type": rtype, **entry}
    elif given != rtype:
        raise ValueError(f"the entry's type {given} does not match the key's type {rtype}")
    document = editable(document, "the zone file is not a mapping of names to records")
    # The document's own key for the name, whichever spelling it uses ('', @, WWW ...).
    doc_key = find_key(document, name, normalize_name)
    if doc_key is None:
        document["" if name == APEX else name] = entry
        return document
    current = document[doc_key]
    if isinstance(current, list):
        for index, item in enumerate(current):
            if _type_of(item) == rtype:
                current[index] = entry
                return document
        current.append(entry)
    elif _type_of(current) in (rtype, None):
        document[doc_key] = entry
    else:
        document[doc_key] = [current, entry]
    return document


def remove_record(document: Any, key: tuple[str, ...]) -> bool:
    """Remove the record of ``key`` from a zone document in place; False when it was not there."""
    name, rtype = key
    if not isinstance(document, MutableMapping):
        return False
    doc_key = find_key(document, name, normalize_name)
    if doc_key is None:
        return False
    current = document[doc_key]
    if isinstance(current, list):
        for index, item in enumerate(current):
            if _type_of(item) == rtype:
                del current[index]
                if not current:
                    del document[doc_key]
                return True
        return False
    if _type_of(current) == rtype:
        del document[doc_key]
        return True
    return False
