"""Read-only posture audits of the account: DNS health, share-link exposure, mailbox security, access, expiry.

Each audit reads through :mod:`reconciler.inventory` (every list once per run) and returns findings with a
severity, the resource, what is wrong and the fix, phrased as a desired-state edit where one exists.
"""

from __future__ import annotations

from reconciler.audits.model import Audit, AuditContext, AuditReport, Edit, Finding, Severity, Thresholds
from reconciler.audits.runner import AUDIT_RENDERERS, AUDITS, parse_severity, run_audits, select_audits

__all__ = [
    "AUDITS",
    "AUDIT_RENDERERS",
    "Audit",
    "AuditContext",
    "AuditReport",
    "Edit",
    "Finding",
    "Severity",
    "Thresholds",
    "parse_severity",
    "run_audits",
    "select_audits",
]
