"""The account file ``infomaniak.yaml``: which account, safety thresholds, protect/ignore rules."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONFIG_FILE = "infomaniak.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SafetyConfig(_Strict):
    """octoDNS-style thresholds: refuse a plan that rewrites too much of a scope at once."""

    min_existing: int = Field(
        10, ge=0, description="Thresholds apply only to scopes with at least this many live resources."
    )
    max_update_fraction: float = Field(
        0.3, ge=0, le=1, description="Largest share of a scope's live resources one plan may update."
    )
    max_delete_fraction: float = Field(
        0.3, ge=0, le=1, description="Largest share of a scope's live resources one plan may delete."
    )


class DefaultsConfig(_Strict):
    """Values used where a file leaves them out."""

    ttl: int = Field(3600, ge=60, le=86400, description="DNS TTL in seconds when a record sets none.")


class ApprovalConfig(_Strict):
    """How the MCP front gets a human's approval; this file can only make it stricter."""

    mode: Literal["auto", "elicitation", "page", "token", "pull_request"] | None = Field(
        None,
        description="A stricter MCP approval mode than the server's launch configuration "
        "(INFOMANIAK_APPROVAL_MODE or `mcp --approval`); a looser one, above all token, is ignored.",
    )


class AccountConfig(_Strict):
    """Contents of ``state/infomaniak.yaml``."""

    account: int | None = Field(
        None, description="Numeric id of the Infomaniak account. Optional when the token sees one account."
    )
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    protect: list[str] = Field(
        default_factory=list,
        description="Patterns `kind/scope/key` (shell globs) of resources that are never deleted, "
        "e.g. `dns/example.ch/@ MX`.",
    )
    ignore: list[str] = Field(
        default_factory=list,
        description="Patterns `kind/scope/key` of live resources this tool neither changes nor deletes, "
        "e.g. `dns/*/_acme-challenge* TXT`.",
    )
    no_prune: list[str] = Field(
        default_factory=list,
        description="Patterns `kind/scope` where live resources absent from the files are kept "
        "(create and update only).",
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Patterns `kind/scope/key` of guarded changes (registrar nameservers, DNSSEC) that apply "
        "without --force, e.g. `domains/example.ch/dnssec`. Only the committed file counts: an allow rule "
        "that is not committed yet does nothing.",
    )
    approval: ApprovalConfig = Field(default_factory=ApprovalConfig)

    def matches(self, patterns: list[str], address: str, *, any_case: bool = False) -> bool:
        """Whether a pattern matches; ``any_case`` also matches it without case.

        Rules that keep things (protect, ignore, no_prune) match without case: a rule written for a scope's
        older spelling (``share_links/demo drive//…`` before drive scopes kept their case) keeps working,
        and matching more only keeps more. ``allow`` loosens, so it matches exactly.
        """
        if any(fnmatchcase(address, pattern) for pattern in patterns):
            return True
        return any_case and any(fnmatchcase(address.casefold(), p.casefold()) for p in patterns)

    def is_allowed(self, address: str) -> bool:
        return self.matches(self.allow, address)

    def is_protected(self, address: str) -> bool:
        return self.matches(self.protect, address, any_case=True)

    def is_ignored(self, address: str) -> bool:
        return self.matches(self.ignore, address, any_case=True)

    def prunes(self, kind: str, scope: str) -> bool:
        return not self.matches(self.no_prune, f"{kind}/{scope}", any_case=True)
