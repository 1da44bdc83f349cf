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
    applied: list[str]
    remaining: list[str] = Field(
        description="Changes the verification plan still shows; empty when converged."
    )


class ScopeDrift(BaseModel):
    scope: str = Field(description="kind/scope")
    changes: int
    last_verified: str | None = Field(description="Time the last apply verified this scope.")


class DriftResult(BaseModel):
    in_sync: bool
    scopes: list[ScopeDrift]


class CommitResult(BaseModel):
    commit: str
    branch: str | None
    files: list[str]


__all__ = [
    "ApplyResult",
    "CommitResult",
    "DriftResult",
    "KindScopes",
    "Overview",
    "PlanResult",
    "ScopeDrift",
]
