"""The plan as data: changes with before/after values, a summary, verdicts and a hash.

Renderers only format a :class:`Plan`; nothing re-diffs. ``plan_hash`` is the SHA-256 of the canonical
JSON of every change's hash form (kind, scope, key, action, live before-value, desired after-value).
Sensitive fields enter the hash as fingerprints and leave the process only as ``(sensitive)``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from reconciler.engine.quoting import reveal
from reconciler.kinds.base import SENSITIVE_MARK, Action, DesiredObject, LiveObject

PLAN_FORMAT_VERSION: Literal[1] = 1
POLICY_KIND = "policy"
"""The pseudo-kind of a working-tree change to the rules of ``infomaniak.yaml`` (nothing to execute live)."""


def scope_title(kind: str, scope: str) -> str:
    """``dns/example.ch``, ``share_links/Demo Drive``, ``teams``: a scope as plan headers, targets and MCP
    arguments spell it (the kind's name, then the scope as its file names it).

    A kind with one scope names that scope after itself (``teams`` in ``account/teams.yaml``); saying it
    twice (``teams/teams``) told the reader nothing, so the kind's name alone is the title, and the target
    ``teams`` selects the same scope. Only what is shown changes: the machine address stays
    ``teams/teams/Support`` (rules, journal, audit, plan JSON and hash).
    """
    return reveal(kind if scope == kind else f"{kind}/{scope}")


def change_title(kind: str, scope: str, display_key: str) -> str:
    """``share_links/Demo Drive: /Marketing/logo.png``, ``teams: Support``: one resource as a person reads it.

    The plan's header for the scope, then the key as the plan lists it under that header. The machine
    address (:attr:`Change.address`, ``kind/scope/key``) is what rules match and what journal and audit
    entries carry; this is only ever shown.
    """
    return f"{scope_title(kind, scope)}: {reveal(display_key)}"


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class FieldChange(BaseModel):
    """One changed field of an update; lists that act as sets report added/removed items."""

    model_config = ConfigDict(frozen=True)

    path: str
    before: Any = None
    after: Any = None
    added: list[Any] | None = None
    removed: list[Any] | None = None


class Change(BaseModel):
    """One create, update or delete of one resource."""

    kind: str
    scope: str
    key: list[str]
    display_key: str
    action: Action
    before: dict[str, Any] | None = Field(None, description="Live value (normalised); null for creates.")
    after: dict[str, Any] | None = Field(None, description="Desired value (normalised); null for deletes.")
    fields: list[FieldChange] = Field(default_factory=list, description="Field-level detail of an update.")
    risky: list[str] = Field(default_factory=list, description="Why a reviewer should look twice.")
    blocked: str | None = Field(None, description="Set when a protect rule forbids this change.")

    # Kept for apply and for the hash; never serialised.
    _desired: DesiredObject | None = PrivateAttr(default=None)
    _live: LiveObject | None = PrivateAttr(default=None)
    _hash_before: dict[str, Any] | None = PrivateAttr(default=None)
    _hash_after: dict[str, Any] | None = PrivateAttr(default=None)

    @property
    def is_policy(self) -> bool:
        """A change of the rules, not of a resource: it only needs a human's approval."""
        return self.kind == POLICY_KIND

    @property
    def address(self) -> str:
        """``kind/scope/key``: how rules, logs and the audit log name this resource."""
        return f"{self.kind}/{self.scope}/{self.display_key}"

    @property
    def title(self) -> str:
        """``share_links/Demo Drive: /Marketing/logo.png`` (see :func:`change_title`)."""
        return change_title(self.kind, self.scope, self.display_key)

    @property
    def label(self) -> str:
        """``create share_links/Demo Drive: /Marketing/logo.png``: how apply reports and notices name it."""
        return f"{self.action} {self.title}"

    def hash_form(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scope": self.scope,
            "key": self.key,
            "action": self.action,
            "before": self._hash_before if self._hash_before is not None else self.before,
            "after": self._hash_after if self._hash_after is not None else self.after,
        }

    def attach(
        self,
        *,
        desired: DesiredObject | None,
        live: LiveObject | None,
        hash_before: dict[str, Any] | None,
        hash_after: dict[str, Any] | None,
    ) -> None:
        self._desired = desired
        self._live = live
        self._hash_before = hash_before
        self._hash_after = hash_after

    @property
    def desired(self) -> DesiredObject | None:
        return self._desired

    @property
    def live(self) -> LiveObject | None:
        return self._live


class ScopeSummary(BaseModel):
    """Counts for one planned scope, used by safety thresholds and summaries."""

    kind: str
    scope: str
    file: str
    live_count: int
    desired_count: int
    create: int = 0
    update: int = 0
    delete: int = 0
    kept_unmanaged: int = Field(0, description="Live resources kept because they are unmanaged or ignored.")
    unsafe: str | None = Field(None, description="Set when the scope's changes exceed a safety threshold.")


class Plan(BaseModel):
    """A computed plan; the same object feeds every renderer and the apply step."""

    format_version: Literal[1] = PLAN_FORMAT_VERSION
    plan_hash: str = ""
    created_at: str = ""
    account_id: int | None = None
    sandbox: bool = False
    git_commit: str | None = None
    targets: list[str] = Field(default_factory=list)
    scopes: list[ScopeSummary] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    undo_of: str | None = Field(
        None, description="Set on an `undo` plan: the apply whose before-values it restores."
    )

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def policy_changes(self) -> list[Change]:
        return [change for change in self.changes if change.is_policy]

    def counts(self) -> dict[str, int]:
        """Resource changes per action (a policy change is not a resource change)."""
        counter = Counter(change.action for change in self.changes if not change.is_policy)
        return {action: counter.get(action, 0) for action in ("create", "update", "delete")}

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for change in self.changes:
            row = result.setdefault(change.kind, {"create": 0, "update": 0, "delete": 0})
            row[change.action] += 1
        return result

    @property
    def unsafe_reasons(self) -> list[str]:
        reasons = [f"{scope_title(s.kind, s.scope)}: {s.unsafe}" for s in self.scopes if s.unsafe]
        reasons += [f"{c.address}: {c.blocked}" for c in self.changes if c.blocked]
        return reasons

    def summary_line(self) -> str:
        counts = self.counts()
        if not self.changes:
            return "No changes. Live state matches the desired state."
        line = (
            f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete."
        )
        if self.policy_changes:
            line += " The rules (policy) change too."
        return line

    def compute_hash(self) -> str:
        forms = [change.hash_form() for change in self.changes]
        digest = hashlib.sha256(canonical_json({"v": PLAN_FORMAT_VERSION, "changes": forms}).encode())
        return digest.hexdigest()

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


def redact(value: dict[str, Any] | None, sensitive: frozenset[str]) -> dict[str, Any] | None:
    """Replace sensitive top-level fields of a normalised value with the sensitive mark."""
    if value is None or not sensitive:
        return value
    return {k: (SENSITIVE_MARK if k in sensitive and v is not None else v) for k, v in value.items()}
