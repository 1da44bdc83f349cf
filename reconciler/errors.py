"""The one exception tree of the reconciler.

    ReconcilerError
    ├── SettingsError          bad or missing configuration (token, URL, state dir)
    ├── DesiredStateError      desired-state files do not load or validate (file, line, field)
    ├── ApiError               the Infomaniak API failed (method, path, status, API code; never the token)
    │   ├── ApiAuthError       401: missing or invalid token
    │   ├── ApiForbidden       403: the token lacks a right or scope
    │   ├── ApiNotFound        404: unknown object or route
    │   ├── ApiRejected        400/409/422: the API refused the request (carries its field errors)
    │   ├── ApiRateLimited     429: too many requests, after retries
    │   └── ApiUnavailable     5xx, timeouts and dropped connections, after retries
    ├── PlanError              a plan cannot be made or trusted
    │   ├── UnsafePlan         safety thresholds or protect rules refuse the plan
    │   └── StalePlan          live or desired state moved since the plan was approved
    ├── ApprovalError          no valid approval for the plan
    ├── LockError              another apply holds the account lock
    └── ApplyError             an apply stopped: lists applied, failed, outcome-unknown, not-attempted
        └── UnverifiedApply    every change was applied but the verification re-plan could not run

Bugs stay plain ``TypeError`` / ``RuntimeError``, outside the tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class ReconcilerError(Exception):
    """Base of every error the reconciler raises on purpose."""


class SettingsError(ReconcilerError):
    """Raised when configuration (token, URL, state directory, flags) is missing or invalid."""


@dataclass(frozen=True)
class Reason:
    """One validation problem, with its position in a desired-state file."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    rule: str = "invalid"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


def _reading_order(reason: Reason) -> tuple[str, int, int]:
    missing = 1 << 30  # a reason without a position goes after the positioned ones of its file
    line = reason.line if reason.line is not None else missing
    column = reason.column if reason.column is not None else missing
    return (reason.file, line, column)


class DesiredStateError(ReconcilerError):
    """Raised when desired-state files fail to load or validate; carries every reason found."""

    def __init__(
        self,
        reasons: Sequence[Reason],
        *,
        next_step: str = "fix the files, then run `infomaniak-gitops validate`",
    ) -> None:
        # Reasons come from several passes (YAML, schema, cross-entry rules); a reader fixes files top down.
        self.reasons = sorted(reasons, key=_reading_order)
        count = len(self.reasons)
        head = f"desired state is invalid ({count} problem{'s' if count != 1 else ''})"
        body = "\n".join(f"  {reason}" for reason in self.reasons)
        super().__init__(f"{head}\n{body}\n  {next_step}")


class ApiError(ReconcilerError):
    """Raised when an Infomaniak API call fails; never carries the token."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        code: str | None = None,
        field_errors: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.field_errors = list(field_errors)
        where = f"{method} {path}".strip()
        detail = []
        if status is not None:
            detail.append(f"HTTP {status}")
        if code:
            detail.append(code)
        suffix = f" ({', '.join(detail)})" if detail else ""
        text = f"{where}: {message}{suffix}" if where else f"{message}{suffix}"
        for err in self.field_errors:
            attribute = (err.get("context") or {}).get("attribute", "")
            text += f"\n  {attribute or err.get('code', '')}: {err.get('description', '')}"
        super().__init__(text)


class ApiAuthError(ApiError):
    """Raised on HTTP 401: the token is missing, invalid or expired."""


class ApiForbidden(ApiError):
    """Raised on HTTP 403: the token lacks the right or scope for this call."""


class ApiNotFound(ApiError):
    """Raised on HTTP 404: the object or route does not exist."""


class ApiRejected(ApiError):
    """Raised on HTTP 400/409/422: the API refused the request's content."""


class ApiRateLimited(ApiError):
    """Raised on HTTP 429 once retries are exhausted."""


class ApiUnavailable(ApiError):
    """Raised on 5xx, timeouts or dropped connections once retries are exhausted."""


class PlanError(ReconcilerError):
    """Raised when a plan cannot be computed or trusted."""


class UnsafePlan(PlanError):
    """Raised when a plan breaks a safety threshold or a protect rule."""


class StalePlan(PlanError):
    """Raised when the approved plan no longer matches live or desired state."""

    def __init__(self, message: str, *, moved: Sequence[str] = ()) -> None:
        self.moved = list(moved)
        lines = [message, *(f"  {item}" for item in self.moved)]
        lines.append("  run `infomaniak-gitops plan` again and approve the new plan")
        super().__init__("\n".join(lines))


class ApprovalError(ReconcilerError):
    """Raised when a plan has no valid approval (missing, expired, rejected, or for another hash)."""


class LockError(ReconcilerError):
    """Raised when another apply already holds the account lock."""


class ApplyError(ReconcilerError):
    """Raised when an apply stops on a failed change; lists what was and was not done."""

    def __init__(
        self,
        message: str,
        *,
        applied: Sequence[str],
        failed: Sequence[str],
        not_attempted: Sequence[str],
        outcome_unknown: Sequence[str] = (),
        apply_id: str | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        self.applied = list(applied)
        self.failed = list(failed)
        self.outcome_unknown = list(outcome_unknown)
        self.not_attempted = list(not_attempted)
        self.apply_id = apply_id
        self.notes = list(notes)
        lines = [message]
        for title, items in (
            ("applied", self.applied),
            ("failed", self.failed),
            ("outcome unknown (the answer was lost)", self.outcome_unknown),
            ("not attempted", self.not_attempted),
        ):
            if items or title != "outcome unknown (the answer was lost)":
                lines.append(f"  {title} ({len(items)}):")
                lines.extend(f"    {item}" for item in items)
        lines.extend(f"  {note}" for note in self.notes)
        lines.append("  run `infomaniak-gitops plan` to see what remains")
        super().__init__("\n".join(lines))


class UnverifiedApply(ApplyError):
    """Raised when every change was applied but the verification re-plan failed (the changes stay)."""


__all__ = [
    "ApiAuthError",
    "ApiError",
    "ApiForbidden",
    "ApiNotFound",
    "ApiRateLimited",
    "ApiRejected",
    "ApiUnavailable",
    "ApplyError",
    "ApprovalError",
    "DesiredStateError",
    "LockError",
    "PlanError",
    "Reason",
    "ReconcilerError",
    "SettingsError",
    "StalePlan",
    "UnsafePlan",
    "UnverifiedApply",
]
