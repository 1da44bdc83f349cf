"""Approval modes and the store of plans waiting for a human (page) or a token (headless automation).

The model can call every tool, so nothing it can read or send may count as approval, except in the opt-in
``token`` mode, which is audited as model-satisfiable. ``plan`` registers the plan here; ``apply`` checks
the registration; the approval page decides it through a one-time URL plus a CSRF token.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from reconciler.engine import Plan
from reconciler.errors import ApprovalError
from reconciler.mcp.modes import APPROVAL_MODE_ENV, STRICTNESS, ApprovalMode, launch_mode, mode_from

PAGE_TTL_SECONDS = 30 * 60
"""How long a page approval (and its unused link) lasts: long enough to read a plan, short enough."""
TOKEN_TTL_SECONDS = 10 * 60


class Channel(StrEnum):
    """How one apply gets its approval; the audit log records ``audit_name``."""

    ELICITATION = "elicitation"
    PAGE = "page"
    TOKEN = "token"
    PULL_REQUEST = "pull_request"
    NONE = "none"

    @property
    def audit_name(self) -> str:
        if self is Channel.TOKEN:
            return "mcp_token (model-satisfiable)"
        return f"mcp_{self.value}"


def choose_channel(mode: ApprovalMode, *, can_elicit: bool, page_available: bool) -> Channel:
    """The channel an apply uses.

    ``auto`` asks in the client when it can and falls back to the page; ``elicitation`` and ``page`` use only
    their own channel, so a user who picked one never gets the other.
    """
    if mode is ApprovalMode.TOKEN:
        return Channel.TOKEN
    if mode is ApprovalMode.PULL_REQUEST:
        return Channel.PULL_REQUEST
    if mode in (ApprovalMode.AUTO, ApprovalMode.ELICITATION) and can_elicit:
        return Channel.ELICITATION
    if mode in (ApprovalMode.AUTO, ApprovalMode.PAGE) and page_available:
        return Channel.PAGE
    return Channel.NONE


Decision = Literal["pending", "approved", "rejected"]


@dataclass
class Registration:
    """A plan waiting for approval, and how it may be approved."""

    plan: Plan
    text: str
    targets: tuple[str, ...]
    created: float
    page_token: str | None = None
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    decision: Decision = "pending"
    decided: float | None = None
    link_used: bool = False
    approval_token: str | None = None
    token_expires: float | None = None

    @property
    def plan_hash(self) -> str:
        return self.plan.plan_hash


class ApprovalStore:
    """In-memory registrations keyed by plan hash; the clock is injectable for expiry tests."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._plans: dict[str, Registration] = {}

    def _expired(self, item: Registration, now: float) -> bool:
        since = item.decided if item.decided is not None else item.created
        return now - since > PAGE_TTL_SECONDS

    def _purge(self) -> None:
        now = self._clock()
        for plan_hash in [h for h, item in self._plans.items() if self._expired(item, now)]:
            del self._plans[plan_hash]

    def register(
        self, plan: Plan, text: str, targets: tuple[str, ...], *, page: bool, token: bool
    ) -> Registration:
        """Register a plan; a still-valid approval of the same hash is kept (the same plan was approved)."""
        self._purge()
        current = self._plans.get(plan.plan_hash)
        if current is not None and current.decision == "approved":
            return current
        item = Registration(plan=plan, text=text, targets=targets, created=self._clock())
        if page:
            item.page_token = secrets.token_urlsafe(32)
        if token:
            item.approval_token = secrets.token_urlsafe(24)
            item.token_expires = item.created + TOKEN_TTL_SECONDS
        self._plans[plan.plan_hash] = item
        return item

    def get(self, plan_hash: str) -> Registration | None:
        self._purge()
        return self._plans.get(plan_hash)

    def require(self, plan_hash: str) -> Registration:
        item = self.get(plan_hash)
        if item is None:
            raise ApprovalError(
                f"plan {plan_hash[:12]} is not registered here (never planned, applied already, or older "
                f"than {PAGE_TTL_SECONDS // 60} minutes); call ik_plan and use the plan_hash it returns"
            )
        return item

    def by_link(self, page_token: str) -> Registration | None:
        """The registration a one-time page link names, while the link is unused and fresh."""
        self._purge()
        for item in self._plans.values():
            if (
                item.page_token is not None
                and not item.link_used
                and secrets.compare_digest(item.page_token.encode(), page_token.encode())
            ):
                return item
        return None

    def decide(self, page_token: str, csrf_token: str, *, approve: bool) -> Registration:
        """Record a human's click; the link is spent whatever the answer."""
        item = self.by_link(page_token)
        if item is None:
            raise ApprovalError("this approval link is unknown, already used or expired")
        if not secrets.compare_digest(item.csrf_token.encode(), csrf_token.encode()):
            raise ApprovalError("the form's CSRF token does not match; reload the page from its link")
        item.link_used = True
        item.decision = "approved" if approve else "rejected"
        item.decided = self._clock()
        return item

    def check_page_approval(self, plan_hash: str) -> Registration:
        """The registration, if a human approved it on the page; else an ApprovalError saying what to do."""
        item = self.require(plan_hash)
        if item.decision == "rejected":
            raise ApprovalError(
                f"the user rejected plan {plan_hash[:12]} on the approval page; nothing was applied\n"
                "  ask the user what to change, edit the desired files, and call ik_plan again"
            )
        if item.decision != "approved":
            raise ApprovalError(
                f"plan {plan_hash[:12]} is not approved yet\n"
                "  ask the user to open the approval link ik_plan returned, review the plan and click "
                "Approve; then call ik_apply again"
            )
        return item

    def redeem_token(self, plan_hash: str, token: str | None) -> Registration:
        """Spend the single-use token of ``plan_hash``; wrong, spent or expired tokens are refused."""
        item = self.require(plan_hash)
        if not token:
            raise ApprovalError("token approval mode: pass the approval_token that ik_plan returned")
        expected = item.approval_token
        if expected is None or not secrets.compare_digest(expected.encode(), token.encode()):
            raise ApprovalError(
                f"the approval token is not valid for plan {plan_hash[:12]} (wrong or already used); "
                "call ik_plan again for a new one"
            )
        if item.token_expires is not None and self._clock() > item.token_expires:
            item.approval_token = None
            raise ApprovalError(
                f"the approval token of plan {plan_hash[:12]} expired after "
                f"{TOKEN_TTL_SECONDS // 60} minutes; call ik_plan again"
            )
        item.approval_token = None
        return item

    def consume(self, plan_hash: str) -> None:
        """Forget a plan once an apply used it, so one approval never covers two applies."""
        self._plans.pop(plan_hash, None)


__all__ = [
    "APPROVAL_MODE_ENV",
    "PAGE_TTL_SECONDS",
    "STRICTNESS",
    "TOKEN_TTL_SECONDS",
    "ApprovalMode",
    "ApprovalStore",
    "Channel",
    "Registration",
    "choose_channel",
    "launch_mode",
    "mode_from",
]
