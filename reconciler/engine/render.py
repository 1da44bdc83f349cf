"""Renderers: a Plan in, a string out. None of them re-diffs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.engine.model import Change, FieldChange, Plan

GITHUB_COMMENT_LIMIT = 65_536
MARKER_PREFIX = "<!-- infomaniak-gitops:plan"

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_COLOR = {"create": "\033[32m", "update": "\033[33m", "delete": "\033[31m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def _short(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _field_lines(item: FieldChange) -> list[str]:
    name = item.path or "value"
    if item.added is not None or item.removed is not None:
        lines = [f"{name}:"]
        lines += [f"  + {_short(v)}" for v in item.added or []]
        lines += [f"  - {_short(v)}" for v in item.removed or []]
        return lines
    if item.before is None:
        return [f"{name}: (unset) → {_short(item.after)}"]
    if item.after is None:
        return [f"{name}: {_short(item.before)} → (unset)"]
    return [f"{name}: {_short(item.before)} → {_short(item.after)}"]


def change_detail(change: Change) -> list[str]:
    """Lines describing one change's content (no header)."""
    if change.action == "update":
        lines: list[str] = []
        for item in change.fields:
            lines.extend(_field_lines(item))
        return lines
    value = change.after if change.action == "create" else change.before
    return [f"{name}: {_short(v)}" for name, v in (value or {}).items()]


def _scope_groups(plan: Plan) -> list[tuple[str, str, list[Change]]]:
    files = {(s.kind, s.scope): s.file for s in plan.scopes}
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in plan.changes:
        groups.setdefault((change.kind, change.scope), []).append(change)
    return [(f"{k}/{s}", files.get((k, s), ""), items) for (k, s), items in groups.items()]


def render_text(plan: Plan, *, color: bool = False) -> str:
    """Terraform-like text: one block per scope, `+ ~ -` per change, summary and hash last."""

    def paint(action: str, text: str) -> str:
        return f"{_COLOR[action]}{text}{_RESET}" if color else text

    out: list[str] = []
    for warning in plan.warnings:
        out.append(f"warning: {warning}")
    for title, file, changes in _scope_groups(plan):
        header = f"{title}  ({file})" if file else title
        out.append(f"{_BOLD}{header}{_RESET}" if color else header)
        for change in changes:
            mark = _SYMBOL[change.action]
            out.append(paint(change.action, f"  {mark} {change.display_key}  ({change.action})"))
            for line in change_detail(change):
                out.append(f"      {line}")
            if change.blocked:
                out.append(f"      BLOCKED: {change.blocked}")
        out.append("")
    unsafe = plan.unsafe_reasons
    for reason in unsafe:
        out.append(f"UNSAFE: {reason}")
    out.append(plan.summary_line())
    if plan.has_changes:
        out.append(f"plan hash: {plan.plan_hash}")
    return "\n".join(out).lstrip("\n") + "\n"


def render_json(plan: Plan) -> str:
    """The versioned JSON document (see docs/plan-format.md); `apply PLAN_FILE` reads it back."""
    return plan.to_json() + "\n"


def _risk_rank(change: Change) -> tuple[int, int]:
    return (
        0 if change.risky or change.action == "delete" else 1,
        {"delete": 0, "update": 1, "create": 2}[change.action],
    )


def _markdown_change(change: Change) -> str:
    mark = _SYMBOL[change.action]
    detail = "\n".join(f"    {line}" for line in change_detail(change))
    head = f"{mark} {change.address}"
    return f"{head}\n{detail}" if detail else head


def render_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A pull-request comment: summary first, risky changes, per-scope collapsible diffs, hidden marker.

    When the comment would exceed ``limit`` characters, scope details are dropped from the end and the
    comment says what was cut; the summary, the risky list and the marker always stay.
    """
    marker = f"{MARKER_PREFIX} plan_hash={plan.plan_hash} commit={plan.git_commit or 'unknown'} -->"
    head: list[str] = ["## infomaniak-gitops plan", ""]
    if plan.sandbox:
        head += ["_Sandbox account (simulator)._", ""]
    if not plan.has_changes:
        head += ["**No changes.** Live state matches the desired state.", "", marker]
        return "\n".join(head) + "\n"
    head += ["| kind | create | update | delete |", "|---|---:|---:|---:|"]
    for kind, counts in plan.counts_by_kind().items():
        head.append(f"| {kind} | {counts['create']} | {counts['update']} | {counts['delete']} |")
    head += ["", f"**{plan.summary_line()}**", ""]
    for warning in plan.warnings:
        head.append(f"> ⚠️ {warning}")
    for reason in plan.unsafe_reasons:
        head.append(f"> ⛔ **Unsafe:** {reason}")
    risky = sorted((c for c in plan.changes if c.risky or c.action == "delete"), key=_risk_rank)
    if risky:
        head += ["", "### Needs a careful look", ""]
        for change in risky:
            why = "; ".join(change.risky) or "deletes a live resource"
            head.append(f"- `{_SYMBOL[change.action]} {change.address}` — {why}")
    head.append("")
    tail = [
        "",
        f"Plan hash: `{plan.plan_hash}`",
        f"Apply exactly this plan: `infomaniak-gitops apply --expect-plan-hash {plan.plan_hash}`",
        "",
        marker,
    ]
    sections: list[str] = []
    for title, file, changes in _scope_groups(plan):
        body = "\n".join(_markdown_change(c) for c in sorted(changes, key=_risk_rank))
        counts = {a: sum(1 for c in changes if c.action == a) for a in ("create", "update", "delete")}
        summary = f"{title} — +{counts['create']} ~{counts['update']} -{counts['delete']}"
        where = f" (`{file}`)" if file else ""
        sections.append(f"<details><summary>{summary}{where}</summary>\n\n```diff\n{body}\n```\n\n</details>")
    return _fit(head, sections, tail, limit)


def _fit(head: list[str], sections: list[str], tail: list[str], limit: int) -> str:
    def build(kept: list[str], note: str | None) -> str:
        parts = [*head, *kept]
        if note:
            parts += ["", note]
        return "\n".join([*parts, *tail]) + "\n"

    text = build(sections, None)
    if len(text) <= limit:
        return text
    kept = list(sections)
    while kept:
        kept.pop()
        cut = len(sections) - len(kept)
        note = (
            f"> ✂️ Truncated: details of {cut} of {len(sections)} scope(s) were cut to fit GitHub's "
            f"{limit:,}-character limit. Run `infomaniak-gitops plan` locally for the full plan."
        )
        text = build(kept, note)
        if len(text) <= limit:
            return text
    return text[: limit - len(tail[-1]) - 2] + "\n" + tail[-1] + "\n"


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
