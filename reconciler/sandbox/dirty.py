"""The "dirty" demo account (``sandbox reset --account dirty``): the demo with a problem for every audit.

Built from the clean demo by named edits rather than a second copy of the data, so the two never drift
apart. Dates are relative to the demo's logical clock (2026-01-01), which the read-only views use as "now"
in sandbox mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.sandbox.state import SandboxState

DAY = 86_400
ACCOUNT = "123456"
HOSTING = "2300101"
DRIVE = "140946"
WEB = "5100101"


def _record(state: SandboxState, zone: str, source: str, rtype: str, target: str, ttl: int = 3600) -> None:
    state.records(zone).append(
        {
            "id": state.new_id(),
            "source": source,
            "type": rtype,
            "ttl": ttl,
            "target": target,
            "updated_at": state.tick(),
        }
    )


def _drop(state: SandboxState, zone: str, source: str, rtype: str) -> None:
    records = state.records(zone)
    records[:] = [r for r in records if not (r["source"] == source and r["type"] == rtype)]


def dns(state: SandboxState) -> None:
    """Two SPF records and no DMARC on demo-shop.ch; a dangling CNAME, a wildcard, a 60 s TTL and a foreign
    MX on example.ch; DKIM key removed."""
    _record(state, "demo-shop.ch", ".", "TXT", '"v=spf1 include:_spf.google.com ~all"')
    _drop(state, "demo-shop.ch", "_dmarc", "TXT")
    _record(state, "example.ch", "old-shop", "CNAME", "shop.demo-shop.ch")
    _record(state, "example.ch", "*", "A", "203.0.113.10")
    _record(state, "example.ch", "status", "A", "203.0.113.30", ttl=60)
    _drop(state, "example.ch", "20240101._domainkey", "TXT")
    _drop(state, "example.ch", ".", "MX")
    _record(state, "example.ch", ".", "MX", "10 mx.old-provider.example")


def share_links(state: SandboxState) -> None:
    """A password link that allows download with no expiry (the demo's public links stay as they are)."""
    for item in state.data["drive_files"][DRIVE]:
        if item["name"] == "q3-report.xlsx":
            item["sharelink"]["valid_until"] = None
            item["sharelink"]["capabilities"]["can_download"] = True


def mailboxes(state: SandboxState) -> None:
    """Spam filter off for the hosting, gmail.com authorized, a sender both blocked and authorized."""
    state.data["inventory"]["mail_preferences"][HOSTING]["spam_filter_enabled"] = False
    for mailbox in state.data["mailboxes"][HOSTING]:
        if mailbox["mailbox_name"] == "ceo":
            mailbox["authorized_senders"] = [*mailbox["authorized_senders"], "gmail.com"]
        if mailbox["mailbox_name"] == "info":
            mailbox["authorized_senders"] = [*mailbox["authorized_senders"], "spam@bad.example"]


def access(state: SandboxState) -> None:
    """An old admin invitation, an idle admin without 2FA, a user with nothing left, an empty team."""
    clock = int(state.data["clock"])
    invitation = state.data["inventory"]["invitations"]["7000201"]
    invitation.update(role_type="admin", sent_at=clock - 120 * DAY, created_at=clock - 120 * DAY)
    for user in state.data["account_users"][ACCOUNT]:
        if user["email"] == "emma.favre@example.ch":
            user["role_type"] = "admin"
        if user["email"] == "chloe.rochat@example.ch":
            user["last_login_at"] = clock - 200 * DAY
    state.data["inventory"]["app_accesses"]["5000105"] = {
        "drives": [],
        "mailboxes": [],
        "kchat": False,
        "products": [],
    }
    for drive_user in state.data["inventory"]["drive_users"][DRIVE]:
        if drive_user["email"] == "chloe.rochat@example.ch":
            drive_user["security"]["has_double_auth"] = False
    for team in state.data["teams"][ACCOUNT]:
        if team["name"] == "Interns 2024":
            team["user_ids"] = []


def expiry(state: SandboxState) -> None:
    """demo-shop.ch expires in 10 days, a certificate in 5, the cloud in 20; the backup is locked."""
    clock = int(state.data["clock"])
    changes: dict[str, dict[str, Any]] = {
        "demo-shop.ch": {"expired_at": clock + 10 * DAY},
        "Demo Cloud": {"expired_at": clock + 20 * DAY},
        "Demo Backup": {"is_locked": True},
    }
    for product in state.products:
        product.update(changes.get(product["customer_name"], {}))
    state.data["inventory"]["ssl_certificates"][WEB]["6100002"]["expired_at"] = clock + 5 * DAY


EDITS: tuple[Callable[[SandboxState], None], ...] = (dns, share_links, mailboxes, access, expiry)


def dirty_state() -> SandboxState:
    """A fresh demo account with every edit of :data:`EDITS` applied."""
    state = SandboxState.demo()
    for edit in EDITS:
        edit(state)
    return state


ACCOUNTS: dict[str, Callable[[], SandboxState]] = {"demo": SandboxState.demo, "dirty": dirty_state}
"""The accounts ``sandbox reset --account NAME`` can start from."""

__all__ = ["ACCOUNTS", "EDITS", "dirty_state"]
