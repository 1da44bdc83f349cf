"""Drift: does live state still match the desired state, and which side moved?

The last apply verified that live state matched the desired state of its commit C (the last-apply record
names C and the scopes it verified). So, for each difference between live and the desired state now:

* the same difference exists against desired@C, for the same desired value  → **live** moved since the
  apply (someone changed the account outside infomaniak-gitops);
* no difference against desired@C                                          → **desired** moved (changed
  in git, not applied yet);
* a difference against desired@C with another desired value                → **both** moved.

Without a usable record (no apply yet, an apply from a dirty tree, a commit git no longer has), the audit
log's last ``applied`` entry for the resource gives the value that was applied, compared the same way.
Otherwise the side is **unknown**. Live state is fetched once per scope however many commits are compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, ValidationError

from reconciler.desired.loader import DesiredState
from reconciler.engine.model import Change, Plan
from reconciler.engine.planner import Target, plan_desired
from reconciler.engine.render import md_code, md_text, render_text
from reconciler.engine.session import Session
from reconciler.kinds.base import Kind, LiveObject, RunContext

Side = Literal["live", "desired", "both", "unknown"]

SIDE_TITLES: dict[Side, str] = {
    "live": "Live moved: changed outside infomaniak-gitops since the last apply",
    "desired": "Desired moved: changed in git, not applied yet",
    "both": "Both moved: changed in git and changed live since the last apply",
    "unknown": "Not known which side moved (no record of this resource's last apply)",
}
NEXT_STEP = (
    "Review with `infomaniak-gitops plan`. `apply` brings live state back to the desired state; to keep a "
    "live change instead, write it into the desired files (`infomaniak-gitops import` helps) and commit."
)


class MemoKind:
    """A kind whose ``fetch`` runs once per scope: drift plans two commits against the same live state."""

    def __init__(self, kind: Kind) -> None:
        self._kind = kind
        self._live: dict[str, list[LiveObject]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kind, name)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        if scope not in self._live:
            self._live[scope] = await self._kind.fetch(ctx, scope)
        return self._live[scope]


def memo_kinds(kinds: Iterable[Kind]) -> list[Kind]:
    # MemoKind satisfies the protocol by delegation, which mypy cannot see.
    return [cast(Kind, MemoKind(kind)) for kind in kinds]


class LastApply(BaseModel):
    """What the last-apply record says, as far as drift uses it."""

    time: str | None = None
    git_commit: str | None = None
    plan_hash: str | None = None
    failed: int = 0


class DriftItem(BaseModel):
    """One difference between live and desired state, with the side that moved."""

    address: str
    action: str
    side: Side
    reason: str
    change: Change = Field(exclude=True, description="The planned change; serialised once, in `plan`.")


class DriftReport(BaseModel):
    """The result of ``drift``; ``plan`` is what ``apply`` would do now."""

    base: str = Field(description="Which desired state was compared, e.g. 'origin/main' or 'working tree'.")
    base_commit: str | None = None
    last_apply: LastApply | None = None
    items: list[DriftItem] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    plan: Plan

    @property
    def drifted(self) -> bool:
        return bool(self.items)

    def counts(self) -> dict[str, int]:
        return {side: sum(1 for item in self.items if item.side == side) for side in SIDE_TITLES}


def relabel_files(plan: Plan, exported: Path, shown: str) -> None:
    """Show a plan of an exported commit with the state directory's own name, not the temporary one."""
    prefixes = {str(exported), str(exported.resolve())}
    for summary in plan.scopes:
        for prefix in prefixes:
            if summary.file.startswith(prefix):
                summary.file = shown + summary.file[len(prefix) :]
                break


def scope_commits(record: Mapping[str, Any]) -> dict[str, str]:
    """``kind/scope`` → the commit whose desired state the last apply verified for that scope.

    A scope verified by an older apply than the last one has no known commit (the record keeps only the
    last apply's), unless its own entry names one.
    """
    commit = record.get("git_commit")
    result: dict[str, str] = {}
    scopes = record.get("scopes")
    if record.get("failed") != 0 or not isinstance(scopes, dict):
        # An apply with failures never converged (live never matched its commit); a record without a
        # clean count is damaged. Either way it proves nothing.
        return result
    for name, entry in scopes.items():
        if not isinstance(entry, dict):
            continue
        own = entry.get("git_commit")
        if isinstance(own, str) and own:
            result[name] = own
        elif isinstance(commit, str) and commit and entry.get("time") == record.get("time"):
            result[name] = commit
    return result


def applied_values(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last ``applied`` audit entry per resource address (later entries win)."""
    result: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("event") == "applied" and isinstance(entry.get("change"), str):
            result[entry["change"]] = dict(entry)
    return result


def _ident(change: Change) -> tuple[str, str, tuple[str, ...]]:
    return (change.kind, change.scope, tuple(change.key))


def _canon(value: Any) -> str:
    # Audit entries went through JSON; compare both sides in that form.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _from_commit(change: Change, applied: Plan, commit: str) -> tuple[Side, str]:
    at = {_ident(c): c for c in applied.changes}.get(_ident(change))
    short = commit[:12]
    if at is None:
        return "desired", f"live still matches what was applied at {short}; the desired state changed since"
    if _canon(at.after) == _canon(change.after):
        return "live", f"the desired state is as applied at {short}; live changed since"
    return "both", f"the desired state changed since {short}, and live no longer matches what was applied"


def _from_audit(change: Change, entry: Mapping[str, Any]) -> tuple[Side, str]:
    value = None if entry.get("action") == "delete" else entry.get("after")
    when = entry.get("time", "an earlier apply")
    live_moved = _canon(change.before) != _canon(value)
    desired_moved = _canon(change.after) != _canon(value)
    if live_moved and desired_moved:
        return "both", f"both differ from the value applied at {when}"
    if live_moved:
        return "live", f"live differs from the value applied at {when}"
    if desired_moved:
        return "desired", f"live still has the value applied at {when}; the desired state changed since"
    return "unknown", "the audit log disagrees with this plan"


async def compute_drift(
    session: Session,
    base: DesiredState,
    *,
    base_label: str,
    base_commit: str | None,
    targets: Sequence[Target] = (),
    record: Mapping[str, Any] | None = None,
    applied: Mapping[str, DesiredState] | None = None,
    audit_entries: Iterable[Mapping[str, Any]] = (),
) -> DriftReport:
    """Plan ``base`` against live state and say, per change, which side moved.

    1. plan the base desired state (the plan ``apply`` would run)
    2. plan each commit the last apply verified (``applied``: commit → its desired state, narrowed to
       the base's scopes), reusing the live state fetched in 1 when the session uses ``memo_kinds``
    3. classify each change: against its scope's applied commit, else the audit log, else unknown
    """
    plan = await plan_desired(session, base, targets=targets, git_commit=base_commit)
    record = record or {}
    last: LastApply | None = None
    notes: list[str] = []
    if record:
        try:
            last = LastApply.model_validate(
                {k: v for k in LastApply.model_fields if (v := record.get(k)) is not None}
            )
        except ValidationError:
            notes.append("the last-apply record is damaged; ignoring it")
            record = {}
    report = DriftReport(base=base_label, base_commit=base_commit, last_apply=last, plan=plan, notes=notes)
    applied_plans = {
        commit: await plan_desired(session, desired, targets=targets)
        for commit, desired in (applied or {}).items()
    }
    commits = scope_commits(record)
    audit = applied_values(audit_entries)
    for change in plan.changes:
        commit = commits.get(f"{change.kind}/{change.scope}")
        if commit is not None and commit in applied_plans:
            side, reason = _from_commit(change, applied_plans[commit], commit)
        elif change.address in audit:
            side, reason = _from_audit(change, audit[change.address])
        else:
            side, reason = "unknown", "no record of the last apply of this resource"
        report.items.append(
            DriftItem(address=change.address, action=change.action, side=side, reason=reason, change=change)
        )
    if last is None:
        if not notes:
            report.notes.append(
                "no last-apply record here: which side moved is known only from the audit log"
            )
    elif last.failed:
        report.notes.append(f"the last apply ({last.time}) had {last.failed} failed change(s)")
    return report


# -- rendering -----------------------------------------------------------------------------------------


def _headline(report: DriftReport) -> str:
    where = report.base + (f" ({report.base_commit[:12]})" if report.base_commit else "")
    if not report.drifted:
        return f"No drift: live state matches the desired state at {where}."
    return f"Drift: {len(report.items)} difference(s) between live state and the desired state at {where}."


def _last_line(report: DriftReport) -> str:
    last = report.last_apply
    if last is None:
        return "Last apply: none recorded here."
    commit = last.git_commit[:12] if last.git_commit else "an unknown commit"
    return f"Last apply: {last.time or 'unknown time'} at {commit} (plan {str(last.plan_hash or '')[:12]})."


def render_drift_text(report: DriftReport) -> str:
    lines = [_headline(report), _last_line(report)]
    lines += [f"note: {note}" for note in report.notes]
    for side, title in SIDE_TITLES.items():
        items = [item for item in report.items if item.side == side]
        if not items:
            continue
        lines += ["", f"{title}:"]
        for item in items:
            lines.append(f"  {item.change.label}: {item.reason}")
    if report.drifted:
        lines += ["", render_text(report.plan).rstrip("\n"), "", NEXT_STEP]
    return "\n".join(lines) + "\n"


def render_drift_markdown(report: DriftReport) -> str:
    lines = [
        "### infomaniak-gitops drift",
        "",
        f"**{md_text(_headline(report))}**",
        "",
        md_text(_last_line(report)),
    ]
    lines += [f"> {md_text(note)}" for note in report.notes]
    for side, title in SIDE_TITLES.items():
        items = [item for item in report.items if item.side == side]
        if not items:
            continue
        lines += ["", f"#### {title} ({len(items)})", ""]
        lines += [
            f"- **{item.action}** {md_code(item.change.title)} — {md_text(item.reason)}"
            for item in items[:50]
        ]
        if len(items) > 50:
            lines.append(f"- …and {len(items) - 50} more")
    if report.drifted:
        lines += ["", NEXT_STEP]
    return "\n".join(lines) + "\n"


def render_drift_json(report: DriftReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


DRIFT_RENDERERS = {"text": render_drift_text, "json": render_drift_json, "markdown": render_drift_markdown}
