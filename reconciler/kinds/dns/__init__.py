"""DNS zones as octoDNS-style YAML files (``state/dns/<zone>.yaml``); ``kind.py`` describes key and diff form.

Modules: ``names`` (record and host names), ``records`` (value grammar per record type), ``spec`` (the zone
file), ``api`` (live records and apply calls), ``kind`` (the :class:`DnsKind` the engine uses, registered as
:data:`KIND`).
"""

from __future__ import annotations

from reconciler.kinds.dns.api import Call, LiveRecord
from reconciler.kinds.dns.kind import ACME_CHALLENGE, KIND, DnsKind, zone_name
from reconciler.kinds.dns.names import APEX
from reconciler.kinds.dns.records import SUPPORTED_TYPES, RecordType
from reconciler.kinds.dns.spec import DEFAULT_TTL, MAX_TTL, MIN_TTL, Record, RecordSet

__all__ = [
    "ACME_CHALLENGE",
    "APEX",
    "DEFAULT_TTL",
    "KIND",
    "MAX_TTL",
    "MIN_TTL",
    "SUPPORTED_TYPES",
    "Call",
    "DnsKind",
    "LiveRecord",
    "Record",
    "RecordSet",
    "RecordType",
    "zone_name",
]
