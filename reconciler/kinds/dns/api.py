"""The live side of DNS: API records grouped into record sets, and the calls that change them.

The API keeps one record (with its own id and TTL) per value; the tool diffs whole sets. So a live set keeps
its records in ``LiveObject.native`` and apply turns a set-level change into per-record calls. The call lists
are computed here as data (:class:`Call`), which keeps the make-before-break order testable on its own.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.api.paths import segment
from reconciler.kinds.base import Key, LiveObject
from reconciler.kinds.dns.names import name_from_api, name_to_api
from reconciler.kinds.dns.records import SUPPORTED_TYPES, TYPES, live_value, value_to_api
from reconciler.kinds.dns.spec import (
    DEFAULT_TTL,
    READ_ONLY_TYPES,
    RecordSet,
    set_problems,
    unwritable,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveRecord:
    """One API record, i.e. one value of a live set."""

    id: int
    value: str
    """Canonical value, or the raw target when it cannot be parsed (so the plan shows and replaces it)."""
    ttl: int


@dataclass(frozen=True)
class Call:
    """One API call of an apply."""

    method: Literal["POST", "PUT", "DELETE"]
    path: str
    json: dict[str, Any] | None = None


def live_objects(rows: Iterable[Mapping[str, Any]], zone: str) -> list[LiveObject]:
    """Group the API's records of ``zone`` into record sets keyed ``(name, type)``.

    Types the tool does not manage (SOA, DNSKEY, SMIMEA ...) are skipped, so they are never deleted.
    """
    groups: dict[tuple[str, str], list[LiveRecord]] = {}
    # Values kept as the API gave them; every other value of a `reads_back` type needs no second reading.
    raw: set[tuple[str, str]] = set()
    skipped: Counter[str] = Counter()
    for row in rows:
        rtype = str(row.get("type", "")).upper()
        if rtype not in SUPPORTED_TYPES:
            skipped[rtype] += 1
            continue
        name = name_from_api(row.get("source"))
        value, why = live_value(rtype, row.get("target"))
        if why is not None:
            raw.add((rtype, value))
            logger.warning(
                "fetch dns %s: record %s (%s %s) is kept as the API gave it: %s",
                zone,
                row.get("id"),
                name,
                rtype,
                why,
            )
        groups.setdefault((name, rtype), []).append(LiveRecord(int(row["id"]), value, _ttl(row.get("ttl"))))
    if skipped:
        logger.info(
            "fetch dns %s: left %d record(s) of unmanaged types alone: %s",
            zone,
            sum(skipped.values()),
            ", ".join(f"{rtype} x{count}" for rtype, count in sorted(skipped.items())),
        )
    types_at: dict[str, list[str]] = {}
    for name, rtype in groups:
        types_at.setdefault(name, []).append(rtype)
    objects = []
    for (name, rtype), records in groups.items():
        values = [record.value for record in records]
        if len(set(values)) != len(values):
            logger.warning(
                "fetch dns %s: %s %s holds the same value twice; an update removes the copy",
                zone,
                name,
                rtype,
            )
        spec = record_set_from_live(rtype, records)
        unfit = unwritable(name, rtype, spec.values)
        read_back = (
            [value for value in spec.values if (rtype, value) not in raw] if TYPES[rtype].reads_back else ()
        )
        problems = [unfit] if unfit else set_problems(name, spec, types_at[name], read_back=read_back)
        objects.append(
            LiveObject(
                key=(name, rtype),
                spec=spec,
                native=tuple(records),
                note="; ".join(problems) if problems and rtype not in READ_ONLY_TYPES else None,
            )
        )
    return objects


def _ttl(raw: object) -> int:
    # The schema requires an integer; anything else reads as the default rather than stopping the fetch.
    if isinstance(raw, int | str | float) and not isinstance(raw, bool):
        try:
            return int(raw)
        except ValueError:
            pass
    return DEFAULT_TTL


def record_set_from_live(rtype: str, records: Sequence[LiveRecord]) -> RecordSet:
    """The canonical set of some records; mixed TTLs are kept per value so the diff shows them."""
    ttl = records[0].ttl
    per_value = None
    if any(record.ttl != ttl for record in records):
        ttls = Counter(record.ttl for record in records)
        # The most common TTL, then the highest: deterministic whatever order the API lists records in.
        ttl = max(ttls, key=lambda candidate: (ttls[candidate], candidate))
        per_value = {record.value: record.ttl for record in records}
    return RecordSet(
        type=rtype, ttl=ttl, values=[record.value for record in records], ttl_per_value=per_value
    )


def _records_path(zone: str) -> str:
    return f"/2/zones/{segment(zone)}/records"


def _post(zone: str, key: Key, value: str, ttl: int) -> Call:
    name, rtype = key
    body = {"source": name_to_api(name), "type": rtype, "target": value_to_api(rtype, value), "ttl": ttl}
    return Call("POST", _records_path(zone), body)


def create_calls(zone: str, key: Key, desired: RecordSet) -> list[Call]:
    """One POST per value: the API has no record-set endpoint."""
    return [_post(zone, key, value, desired.ttl) for value in desired.values]


def update_calls(zone: str, key: Key, desired: RecordSet, records: Sequence[LiveRecord]) -> list[Call]:
    """Make before break: POST new values, PUT changed TTLs, then DELETE stale records.

    A set where exactly one value is replaced by one other (always the case for CNAME) becomes one PUT on the
    existing record instead: atomic, with no moment of zero or two answers, and the only way to change a
    CNAME, which cannot coexist with a second record at its name.
    """
    kept: dict[str, LiveRecord] = {}
    stale: list[LiveRecord] = []
    for record in records:
        if record.value in desired.values and record.value not in kept:
            kept[record.value] = record
        else:
            stale.append(record)
    new = [value for value in desired.values if value not in kept]
    calls: list[Call] = []
    if len(new) == 1 and len(stale) == 1:
        target = value_to_api(key[1], new[0])
        calls.append(
            Call("PUT", f"{_records_path(zone)}/{stale[0].id}", {"target": target, "ttl": desired.ttl})
        )
        new, stale = [], []
    calls.extend(_post(zone, key, value, desired.ttl) for value in new)
    calls.extend(
        Call("PUT", f"{_records_path(zone)}/{record.id}", {"ttl": desired.ttl})
        for value, record in sorted(kept.items())
        if record.ttl != desired.ttl
    )
    calls.extend(delete_calls(zone, stale))
    return calls


def delete_calls(zone: str, records: Iterable[LiveRecord]) -> list[Call]:
    """One DELETE per record id."""
    return [Call("DELETE", f"{_records_path(zone)}/{record.id}") for record in records]
