"""mcp/history.py: the audit log for the model, and its hash-chain verdict (ik_audit_log verify)."""

from __future__ import annotations

from reconciler.audit import AuditLog
from reconciler.mcp.history import chain_text
from reconciler.settings import Settings


def test_chain_text_reports_an_intact_then_an_edited_log(settings: Settings) -> None:
    audit = AuditLog(settings.audit_file)
    for n in range(3):
        audit.write("applied", change=f"dns/example.ch/r{n} A")
    assert chain_text(settings).startswith("audit log OK: 3 entries")
    lines = settings.audit_file.read_text().splitlines()
    lines[0] = lines[0].replace("r0", "r9")
    settings.audit_file.write_text("\n".join(lines) + "\n")
    text = chain_text(settings)
    assert text.startswith("audit log TAMPERED") and "line 2" in text
