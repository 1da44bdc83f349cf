"""Account access: old pending invitations, users with no access left, empty teams, privileged users."""

from __future__ import annotations

from reconciler.audits.model import AuditContext, Finding, Severity
from reconciler.inventory import days_until

AUDIT = "access"
PRIVILEGED_ROLES = frozenset({"owner", "admin"})


def _no_access(access: dict[str, object]) -> bool:
    return not any(access.get(key) for key in ("drives", "mailboxes", "kchat", "products"))


async def check(audit: AuditContext) -> list[Finding]:
    limits = audit.thresholds
    found: list[Finding] = []
    for invitation in await audit.rows("invitations"):
        age = invitation.get("age_days")
        if isinstance(age, int) and age > limits.invitation_days:
            severity = Severity.MEDIUM if invitation.get("role") in PRIVILEGED_ROLES else Severity.LOW
            found.append(
                Finding(
                    AUDIT,
                    severity,
                    f"invitation/{invitation['email']}",
                    f"{invitation.get('role')} invitation pending {age} days (max {limits.invitation_days})",
                    "cancel it in the manager (Organisation > Users > pending), or resend it if still wanted",
                )
            )
    accesses = {str(row["user"]): row for row in await audit.rows("app_accesses")}
    for user in await audit.rows("account_users"):
        email, role = str(user["email"]), str(user.get("role"))
        access = accesses.get(email)
        if access is not None and role not in PRIVILEGED_ROLES and _no_access(access):
            found.append(
                Finding(
                    AUDIT,
                    Severity.MEDIUM,
                    f"user/{email}",
                    "user with no access left (no drive, mailbox, kChat or product): an offboarding leftover",
                    "remove the user from the organisation in the manager",
                )
            )
        if role in PRIVILEGED_ROLES:
            idle = days_until(user.get("last_login_at"), audit.now)
            days = -idle if idle is not None else None
            if days is None or days > limits.idle_days:
                since = "never logged in" if days is None else f"last login {days} days ago"
                found.append(
                    Finding(
                        AUDIT,
                        Severity.HIGH if role == "owner" else Severity.MEDIUM,
                        f"user/{email}",
                        f"privileged user ({role}) {since} (limit {limits.idle_days} days)",
                        "lower the role to normal or remove the user if the account is no longer used",
                    )
                )
    for drive_user in await audit.rows("drive_users"):
        if drive_user.get("role") == "admin" and drive_user.get("two_factor") is False:
            found.append(
                Finding(
                    AUDIT,
                    Severity.HIGH,
                    f"drive_users/{drive_user['scope']}/{drive_user['email']}",
                    "kDrive admin without two-factor authentication",
                    "ask the user to enable two-factor authentication, or lower their role to user",
                )
            )
    for team in await audit.rows("account_teams"):
        if not team.get("user_count"):
            found.append(
                Finding(
                    AUDIT,
                    Severity.LOW,
                    f"teams/{team['name']}",
                    "team without members: its product rights reach nobody (or the next person added)",
                    f"in state/account/teams.yaml remove `{team['name']}`, or add its members",
                )
            )
    return found


__all__ = ["AUDIT", "PRIVILEGED_ROLES", "check"]
