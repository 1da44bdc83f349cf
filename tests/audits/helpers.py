"""Running audits against a simulated account, dated by the demo's clock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.audits import AuditReport, Thresholds, run_audits
from reconciler.sandbox import SandboxState
from tests.kinds.helpers import context

CLOCK = 1767225600  # 2026-01-01, the demo account's logical clock


async def audit(
    state: SandboxState,
    names: Sequence[str] | None = None,
    *,
    state_dir: Path | None = None,
    **limits: Any,
) -> AuditReport:
    ctx, _ = context(state, state_dir)
    return await run_audits(ctx, names, thresholds=Thresholds(**limits), now=CLOCK)


def brief(report: AuditReport) -> list[tuple[str, str, str]]:
    """(severity, audit, resource) of every finding, in report order."""
    return [(f.severity.value, f.audit, f.resource) for f in report.findings]
