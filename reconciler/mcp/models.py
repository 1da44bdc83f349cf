"""Structured outputs of the MCP tools. Descriptions are terse on purpose: they are sent in tools/list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class KindScopes(BaseModel):
    kind: str
    directory: str
    scopes: list[str] = Field(description="Scopes that have a desired file.")


class Overview(BaseModel):
    account_id: int | None
    account_name: str | None
    sandbox: bool
    read_only: bool
    approval_mode: str
    state_dir: str
    products: list[str] = Field(description="'service: name' of the account's products.")
    managed: list[KindScopes]
    last_apply: dict[str, Any] | None


class PlanResult(BaseModel):
    plan_hash: str | None = Field(description="Null when there is nothing to apply.")
    counts: dict[str, int]
    unsafe: list[str]
    approval: str = Field(description="How this plan can be approved and applied.")
    text: str = Field(description="The rendered plan.")


class ApplyResult(BaseModel):
    plan_hash: str
    approval: str
    apply_id: str = Field("", description="Names this apply in the audit log; `infomaniak-gitops undo ID`.")
    applied: list[str]
    remaining: list[str] = Field(
        description="Changes the verification plan still shows; empty when converged."
    )


class DriftEntry(BaseModel):
    address: str
    action: str
    side: str = Field(description="Which side moved: live, desired, both or unknown.")
    reason: str


class DriftResult(BaseModel):
    in_sync: bool
    differences: list[DriftEntry]
    notes: list[str]


class CommitResult(BaseModel):
    commit: str
    branch: str | None
    files: list[str]
    note: str = Field(description="Where the checkout is now.")


__all__ = [
    "ApplyResult",
    "CommitResult",
    "DriftEntry",
    "DriftResult",
    "KindScopes",
    "Overview",
    "PlanResult",
]
