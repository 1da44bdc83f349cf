"""The plan as text (the terminal, logs) and as the versioned JSON document. Neither re-diffs."""

from __future__ import annotations

from typing import Any

from reconciler.engine.model import Change, FieldChange, Plan, scope_title
from reconciler.engine.quoting import quote_value, reveal

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_COLOR = {"create": "\033[32m", "update": "\033[33m", "delete": "\033[31m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def short(value: Any) -> str:
    """A value as one line: JSON (strings quoted, keys sorted), invisible characters written out."""
    return quote_value(value)


def field_lines(item: FieldChange) -> list[str]:
    """One changed field as text lines: ``ttl: 3600 → 300``, or the items a set gained and lost."""
    name = item.path or "value"
    if item.added is not None or item.removed is not None:
        lines = [f"{name}:"]
        lines += [f"  + {short(v)}" for v in item.added or []]
        lines += [f"  - {short(v)}" for v in item.removed or []]
        return lines
    if item.before is None:
        return [f"{name}: (unset) → {short(item.after)}"]
    if item.after is None:
        return [f"{name}: {short(item.before)} → (unset)"]
    return [f"{name}: {short(item.before)} → {short(item.after)}"]


def change_detail(change: Change) -> list[str]:
    """Lines describing one change's content (no header)."""
    if change.action == "update":
        lines: list[str] = []
        for item in change.fields:
            lines.extend(field_lines(item))
        return lines
    value = change.after if change.action == "create" else change.before
    return [f"{name}: {short(v)}" for name, v in (value or {}).items()]


def scope_groups(plan: Plan) -> list[tuple[str, str, list[Change]]]:
    """The plan's changes by scope, in plan order: ``(kind/scope, file, changes)``."""
    files = {(s.kind, s.scope): s.file for s in plan.scopes}
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in plan.changes:
        groups.setdefault((change.kind, change.scope), []).append(change)
    return [(scope_title(k, s), files.get((k, s), ""), items) for (k, s), items in groups.items()]


def render_text(plan: Plan, *, color: bool = False) -> str:
    """Terraform-like text: one block per scope, `+ ~ -` per change, summary and hash last."""

    def paint(action: str, text: str) -> str:
        return f"{_COLOR[action]}{text}{_RESET}" if color else text

    out: list[str] = []
    for warning in plan.warnings:
        out.append(f"warning: {warning}")
    for title, file, changes in scope_groups(plan):
        header = f"{title}  ({file})" if file else title
        out.append(f"{_BOLD}{header}{_RESET}" if color else header)
        for change in changes:
            mark = _SYMBOL[change.action]
            out.append(paint(change.action, f"  {mark} {reveal(change.display_key)}  ({change.action})"))
            for line in change_detail(change):
                out.append(f"      {line}")
            for reason in change.risky:
                out.append(f"      ! {reason}")
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
