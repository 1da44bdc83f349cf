"""Mailbox security: spam handling off, authorized-sender wildcards, senders both blocked and authorized."""

from __future__ import annotations

from reconciler.audits.model import AuditContext, Edit, Finding, Severity

AUDIT = "mailboxes"

PUBLIC_PROVIDERS = frozenset(
    {
        "bluewin.ch", "gmail.com", "gmx.ch", "gmx.net", "googlemail.com", "hotmail.com", "icloud.com",
        "ik.me", "ikmail.com", "live.com", "outlook.com", "proton.me", "protonmail.com", "yahoo.com",
    }
)  # fmt: skip
"""Mail domains where anyone can open an address: authorizing the whole domain authorizes anyone."""


def wildcard_reason(sender: str) -> str | None:
    """Why an authorized sender lets (almost) anyone past the spam filter, or None."""
    text = sender.strip().lower()
    if "*" in text:
        return f"'{sender}' is a wildcard"
    if "@" not in text and text in PUBLIC_PROVIDERS:
        return f"'{sender}' authorizes every address of a public mail provider"
    return None


async def check(audit: AuditContext) -> list[Finding]:
    found: list[Finding] = []
    for hosting in await audit.rows("mail_preferences"):
        if hosting.get("spam_filter_enabled") is False:
            found.append(
                Finding(
                    AUDIT,
                    Severity.HIGH,
                    f"mail_settings/{hosting['hosting']}/spam_filter",
                    "the hosting's spam filter is off for every mailbox",
                    "turn the spam filter on in the mail hosting's preferences (Service Mail > Preferences)",
                )
            )
    for row in await audit.rows("mailbox_security"):
        address, domain = str(row["key"]), str(row["scope"])
        resource = f"mailbox_security/{domain}/{address}"
        file = audit.file_for("mailbox_security", domain)
        if row.get("move_spam") is False:
            found.append(
                Finding(
                    AUDIT,
                    Severity.MEDIUM,
                    resource,
                    "spam is left in the inbox (move_spam is off)",
                    f"in {file} set `{address}` move_spam: true",
                    Edit("mailbox_security", domain, address, {"move_spam": True}),
                )
            )
        authorized = [str(s) for s in row.get("authorized_senders") or []]
        blocked = {str(s).lower() for s in row.get("blocked_senders") or []}
        wild = [(s, r) for s in authorized if (r := wildcard_reason(s))]
        if wild:
            kept = [s for s in authorized if not wildcard_reason(s)]
            found.append(
                Finding(
                    AUDIT,
                    Severity.MEDIUM,
                    resource,
                    "authorized senders skip the spam filter: " + "; ".join(r for _, r in wild),
                    f"in {file} remove {', '.join(s for s, _ in wild)} from `{address}` authorized_senders",
                    Edit("mailbox_security", domain, address, {"authorized_senders": kept}),
                )
            )
        both = sorted(s for s in authorized if s.lower() in blocked)
        if both:
            found.append(
                Finding(
                    AUDIT,
                    Severity.LOW,
                    resource,
                    f"{', '.join(both)} both blocked and authorized: which list wins is not documented",
                    f"in {file} keep each of {', '.join(both)} in one list of `{address}` only",
                )
            )
    return found


__all__ = ["AUDIT", "PUBLIC_PROVIDERS", "check", "wildcard_reason"]
