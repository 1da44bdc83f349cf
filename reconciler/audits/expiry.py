"""Expiry: domains, SSL certificates and products expiring within N days; locked products."""

from __future__ import annotations

from typing import Any

from reconciler.audits.model import AuditContext, Finding, Severity

AUDIT = "expiry"


def _severity(days: int, *, critical_below: int) -> Severity:
    if days < 0:
        return Severity.CRITICAL
    return Severity.HIGH if days < critical_below else Severity.MEDIUM


def _when(days: int) -> str:
    return f"expired {-days} days ago" if days < 0 else f"expires in {days} days"


async def check(audit: AuditContext) -> list[Finding]:
    window = audit.thresholds.expiry_days
    found: list[Finding] = []
    domains: set[str] = set()
    for domain in await audit.rows("registered_domains"):
        domains.add(str(domain["name"]).lower())
        days = domain.get("expires_in_days")
        if isinstance(days, int) and days <= window:
            found.append(
                Finding(
                    AUDIT,
                    _severity(days, critical_below=15),
                    f"domain/{domain['name']}",
                    f"domain {_when(days)}: its sites and mail stop when it lapses",
                    "renew it in the manager (Domains > Renew), or turn automatic renewal on",
                )
            )
    for certificate in await audit.rows("ssl_certificates"):
        days = certificate.get("expires_in_days")
        if certificate.get("is_valid") is False:
            found.append(
                Finding(
                    AUDIT,
                    Severity.HIGH,
                    f"ssl/{certificate['fqdn']}",
                    f"certificate is not valid (status {certificate.get('status')})",
                    "reinstall the certificate of the site (Web hosting > Site > SSL)",
                )
            )
        elif isinstance(days, int) and days <= window:
            found.append(
                Finding(
                    AUDIT,
                    _severity(days, critical_below=7),
                    f"ssl/{certificate['fqdn']}",
                    f"{certificate.get('type')} certificate {_when(days)}"
                    + (
                        ": Let's Encrypt renews 30 days ahead, so renewal is failing"
                        if certificate.get("type") == "free"
                        else ""
                    ),
                    "check the site's DNS points to the hosting, then renew the certificate",
                )
            )
    for product in await audit.rows("products"):
        name = f"{product.get('service')}/{product.get('name')}"
        if product.get("is_locked"):
            found.append(
                Finding(
                    AUDIT,
                    Severity.HIGH,
                    f"product/{name}",
                    "product is locked (unpaid invoice or abuse): its service is suspended",
                    "see the manager's notice for this product and settle it",
                )
            )
        left: Any = product.get("expires_in_days")
        is_domain = product.get("service") == "domain" and str(product.get("name")).lower() in domains
        if isinstance(left, int) and left <= window and not is_domain:
            found.append(
                Finding(
                    AUDIT,
                    _severity(left, critical_below=7),
                    f"product/{name}",
                    f"product {_when(left)}",
                    "renew it in the manager (Billing > Renewals)",
                )
            )
    return found


__all__ = ["AUDIT", "check"]
