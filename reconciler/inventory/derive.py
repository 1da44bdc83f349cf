"""Computed columns and row filters used by the catalogue's entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.inventory.model import Derive, days_until


def expiry(column: str) -> Derive:
    """``expires_in_days`` from the epoch date in ``column``."""

    def derive(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
        row["expires_in_days"] = days_until(row.get(column), now)

    return derive


def invitation_age(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
    """Days since the invitation was sent (or created)."""
    since = raw.get("sent_at") or raw.get("created_at")
    left = days_until(since, now)
    row["age_days"] = -left if left is not None else None


def domain_state(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
    """Expiry, transfer lock (EPP ``clientTransferProhibited``), and the domain's own zone's NS and DNSSEC."""
    row["expires_in_days"] = days_until(row.get("expires_at"), now)
    statuses = row.get("_epp") or []
    row["transfer_lock"] = "clientTransferProhibited" in statuses
    zones = row.get("_zones") or []
    own = next((z for z in zones if isinstance(z, dict) and z.get("fqdn") == row.get("name")), None)
    row["nameservers"] = list(own.get("nameservers", [])) if own else []
    row["dnssec"] = bool(own and (own.get("dnssec") or {}).get("is_enabled"))


def mailbox(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
    """Forwarding targets and auto-reply state, from the mailbox list's own fields (no call per mailbox)."""
    targets = raw.get("redirection") or []
    row["forwarding"] = [t.get("email", t) if isinstance(t, dict) else t for t in targets]
    responder = raw.get("auto_responder") or {}
    row["auto_reply"] = bool(raw.get("has_auto_responder") and responder.get("is_active", True))


def names(column: str, field: str) -> Derive:
    """Replace a list of objects by the list of one of their fields (application names, target addresses)."""

    def derive(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
        items = row.get(column) or []
        row[column] = [item.get(field) if isinstance(item, dict) else item for item in items]

    return derive


def grants(column: str, who: str) -> Derive:
    """Database permissions as ``name:rwa`` (read, write, admin)."""

    def derive(raw: Mapping[str, Any], row: dict[str, Any], now: float) -> None:
        grants = []
        for item in row.get(column) or []:
            rights = item.get("rights") or {}
            letters = "".join(
                flag for flag, name in (("r", "read"), ("w", "write"), ("a", "admin")) if rights.get(name)
            )
            grants.append(f"{item.get(who)}:{letters or '-'}")
        row[column] = grants

    return derive


def pending(raw: Mapping[str, Any]) -> bool:
    return raw.get("invitation_id") is not None and raw.get("state_in_account") == "pending"


def member(raw: Mapping[str, Any]) -> bool:
    return not pending(raw)


__all__ = ["domain_state", "expiry", "grants", "invitation_age", "mailbox", "member", "names", "pending"]
