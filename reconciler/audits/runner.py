"""Running the audits and rendering their report (text, JSON, Markdown)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from reconciler.audits import access, dns, expiry, exposure, mailbox
from reconciler.audits.model import Audit, AuditContext, AuditReport, Severity, Thresholds
from reconciler.errors import ApiError, SettingsError
from reconciler.inventory.render import table
from reconciler.kinds import RunContext

log = logging.getLogger(__name__)

AUDITS: tuple[Audit, ...] = (
    Audit(dns.AUDIT, "DNS health (SPF, DMARC, DKIM, MX, DNSSEC, CNAMEs, TTLs, wildcards)", False, dns.check),
    Audit(exposure.AUDIT, "Share-link exposure", True, exposure.check),
    Audit(mailbox.AUDIT, "Mailbox security", True, mailbox.check),
    Audit(access.AUDIT, "Account access", True, access.check),
    Audit(expiry.AUDIT, "Expiry and locks", False, expiry.check),
)


def select_audits(names: Sequence[str] | None) -> list[Audit]:
    if not names:
        return list(AUDITS)
    known = {audit.name: audit for audit in AUDITS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SettingsError(f"unknown audit(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in dict.fromkeys(names)]


async def run_audits(
    ctx: RunContext,
    names: Sequence[str] | None = None,
    *,
    thresholds: Thresholds | None = None,
    now: float | None = None,
) -> AuditReport:
    """Run the chosen audits (all by default); one that cannot read what it needs is reported, not fatal."""
    limits = thresholds or Thresholds()
    audit_ctx = (
        AuditContext(ctx, thresholds=limits) if now is None else AuditContext(ctx, now=now, thresholds=limits)
    )
    chosen = select_audits(names)
    report = AuditReport([audit.name for audit in chosen], [])
    for audit in chosen:
        try:
            found = await audit.check(audit_ctx)
        except (ApiError, SettingsError) as exc:
            log.warning("audit %s could not run: %s", audit.name, exc)
            report.errors[audit.name] = str(exc).splitlines()[0]
            continue
        report.findings += sorted(found, key=lambda f: (-f.severity.rank, f.resource))
    report.findings.sort(key=lambda f: (-f.severity.rank, report.audits.index(f.audit), f.resource))
    return report


def _summary_rows(report: AuditReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in report.audits:
        row: dict[str, object] = {"audit": name}
        row.update({s.value: report.count(name, s) for s in reversed(Severity)})
        row["status"] = "error" if name in report.errors else "ok"
        rows.append(row)
    return rows


def _columns() -> list[str]:
    return ["audit", *(s.value for s in reversed(Severity)), "status"]


def render_text(report: AuditReport) -> str:
    lines = [table(_columns(), _summary_rows(report)).rstrip("\n"), ""]
    for name, error in report.errors.items():
        lines.append(f"ERROR {name}: {error}")
    for finding in report.findings:
        lines.append(f"{finding.severity.value.upper():8} {finding.audit:11} {finding.resource}")
        lines.append(f"         {finding.problem}")
        lines.append(f"         fix: {finding.fix}")
    if not report.findings and not report.errors:
        lines.append("no findings")
    return "\n".join(lines) + "\n"


def render_json(report: AuditReport) -> str:
    return json.dumps(report.to_data(), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: AuditReport) -> str:
    columns = _columns()
    lines = ["## Account audit", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in _summary_rows(report)]
    for name, error in report.errors.items():
        lines.append(f"\n**{name} could not run:** {_md(error)}")
    if report.findings:
        lines += ["", "| severity | audit | resource | problem | fix |", "|---|---|---|---|---|"]
        lines += [
            f"| {f.severity.value} | {f.audit} | `{_md(f.resource)}` | {_md(f.problem)} | {_md(f.fix)} |"
            for f in report.findings
        ]
    else:
        lines += ["", "No findings."]
    return "\n".join(lines) + "\n"


AUDIT_RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}


def parse_severity(text: str) -> Severity:
    try:
        return Severity(text.lower())
    except ValueError as exc:
        raise SettingsError(
            f"unknown severity {text!r}; use one of {', '.join(s.value for s in Severity)}"
        ) from exc


__all__ = [
    "AUDITS",
    "AUDIT_RENDERERS",
    "parse_severity",
    "render_json",
    "render_markdown",
    "render_text",
    "run_audits",
    "select_audits",
]
