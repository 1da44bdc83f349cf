"""Share-link exposure: public links without password or expiry, downloads allowed with no expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.audits.model import AuditContext, Edit, Finding, Severity

AUDIT = "share_links"
SUGGESTED_DAYS = 90


def _until(now: float) -> str:
    return datetime.fromtimestamp(now + SUGGESTED_DAYS * 86_400, UTC).strftime("%Y-%m-%d")


async def check(audit: AuditContext) -> list[Finding]:
    found: list[Finding] = []
    for row in await audit.rows("share_links"):
        drive, path = str(row["scope"]), str(row["key"])
        resource = f"share_links/{drive}/{path}"
        file = audit.file_for("share_links", drive)
        if row.get("valid_until") is not None:
            continue
        until = _until(audit.now)
        public = row.get("right") == "public"
        if public and row.get("can_download"):
            found.append(
                Finding(
                    AUDIT,
                    Severity.HIGH,
                    resource,
                    "public link, download allowed, no expiry: anyone with the URL can take the file forever",
                    f"in {file} give `{path}` valid_until: {until} (or password, or no download)",
                    Edit("share_links", drive, path, {"valid_until": until}),
                )
            )
        elif public:
            found.append(
                Finding(
                    AUDIT,
                    Severity.MEDIUM,
                    resource,
                    "public link without password or expiry: anyone with the URL can open it, forever",
                    f"in {file} give `{path}` valid_until: {until} or right: password",
                    Edit("share_links", drive, path, {"valid_until": until}),
                )
            )
        elif row.get("right") == "password" and row.get("can_download"):
            found.append(
                Finding(
                    AUDIT,
                    Severity.LOW,
                    resource,
                    "password link allows download with no expiry: a leaked password works forever",
                    f"in {file} give `{path}` valid_until: {until}",
                    Edit("share_links", drive, path, {"valid_until": until}),
                )
            )
    return found


__all__ = ["AUDIT", "check"]
