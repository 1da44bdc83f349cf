"""What an audit reports: findings with a severity, the resource, what is wrong and the fix."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.inventory import Reader, ReadResult, find_read_kind, read_live
from reconciler.kinds import RunContext, get_kind
from reconciler.kinds.mapping_file import shown


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Edit:
    """A desired-state edit that fixes a finding: merge ``set`` into the entry ``key`` of ``kind/scope``."""

    kind: str
    scope: str
    key: str
    set: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    audit: str
    severity: Severity
    resource: str
    problem: str
    fix: str
    edit: Edit | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "audit": self.audit,
            "severity": self.severity.value,
            "resource": self.resource,
            "problem": self.problem,
            "fix": self.fix,
        }
        if self.edit is not None:
            data["edit"] = {
                "kind": self.edit.kind,
                "scope": self.edit.scope,
                "key": self.edit.key,
                "set": self.edit.set,
            }
        return data


@dataclass
class Thresholds:
    expiry_days: int = 30
    """Products, domains and certificates expiring within this many days are findings."""
    invitation_days: int = 30
    """Pending invitations older than this are findings."""
    idle_days: int = 90
    """Privileged users who have not logged in for this long are findings."""
    min_ttl: int = 300
    """Records with a TTL below this (outside ACME challenges) are findings."""


@dataclass
class AuditContext:
    """What every audit gets: the run's API context, a shared reader (each list is read once), thresholds."""

    ctx: RunContext
    now: float = field(default_factory=time.time)
    thresholds: Thresholds = field(default_factory=Thresholds)
    reader: Reader | None = None
    _managed: dict[tuple[str, str | None], ReadResult] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.reader is None:
            self.reader = Reader(self.ctx, now=self.now)

    def file_for(self, kind: str, scope: str) -> str:
        """The desired file of a managed kind's ``scope``, as messages name it (``state/dns/x.yaml``)."""
        managed = get_kind(kind)
        state_dir = self.ctx.state_dir
        if state_dir is None:
            return f"state/{managed.directory}/{scope}.yaml"
        return shown(managed.path_for(state_dir, scope), state_dir)

    async def rows(self, kind: str, scope: str | None = None) -> list[dict[str, Any]]:
        """Every row of a kind (managed or read-only) in ``scope``; read once per audit run."""
        read_kind = find_read_kind(kind)
        if read_kind is not None:
            assert self.reader is not None
            return [row for _, row in await self.reader.rows(read_kind, scope)]
        key = (kind, scope)
        if key not in self._managed:
            self._managed[key] = await read_live(self.ctx, kind, scope, limit=10**9, now=self.now)
        return self._managed[key].rows


Check = Callable[[AuditContext], Awaitable[list[Finding]]]


@dataclass(frozen=True)
class Audit:
    name: str
    title: str
    security: bool
    """Security audits must find nothing on the clean demo account."""
    check: Check


@dataclass
class AuditReport:
    audits: list[str]
    findings: list[Finding]
    errors: dict[str, str] = field(default_factory=dict)
    """Audits that could not run, with why (e.g. the token lacks a scope)."""

    def count(self, audit: str, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.audit == audit and f.severity is severity)

    def at_least(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= severity.rank]

    def to_data(self) -> dict[str, Any]:
        return {
            "audits": self.audits,
            "summary": {a: {s.value: self.count(a, s) for s in Severity} for a in self.audits},
            "errors": self.errors,
            "findings": [f.to_data() for f in self.findings],
        }


__all__ = [
    "Audit",
    "AuditContext",
    "AuditReport",
    "Check",
    "Edit",
    "Finding",
    "Severity",
    "Thresholds",
]
