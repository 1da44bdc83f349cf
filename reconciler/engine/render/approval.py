"""The plan as a human approval prompt: what matters first, values shown, bounded by a size.

The question is the one thing the model cannot answer for the human, so it must let them judge: the target
account and the plan hash, the changes a reviewer must look at first (a change of the rules, protected or
threshold-crossing changes, deletes, the kinds' own warnings) with their warning in words, then every change
with its before → after values. When a dialog cannot hold it all, it says how many changes it left out and
where the full plan is — never a silently cut list. The approval page renders the same blocks in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.model import Change, FieldChange, Plan, scope_title
from reconciler.engine.quoting import quote_value, reveal
from reconciler.kinds.base import SENSITIVE_MARK

QUESTION_LIMIT = 4_000
"""Characters of an elicitation question: a dialog's worth; the page and the saved plan hold the rest."""
VALUE_LIMIT = 160
"""Characters of one value in a line; a longer value ends in … (the page shows it whole)."""

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class ApprovalBlock:
    """One change as the human reads it: a header, its warnings in words, then its values."""

    change: Change
    labels: tuple[str, ...]
    warnings: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def risky(self) -> bool:
        return bool(self.labels or self.warnings)

    @property
    def header(self) -> str:
        label = f"[{', '.join(self.labels)}] " if self.labels else ""
        return f"{label}{_SYMBOL[self.change.action]} {_flat(self.change.title, 300)}"

    def lines(self) -> list[str]:
        out = [f"{'!' if self.risky else ' '} {self.header}"]
        out += [f"    ! {_flat(w, 400)}" for w in self.warnings]
        out += [f"      {_CONTROL.sub(' ', line)}" for line in self.values]
        return out


@dataclass(frozen=True)
class ApprovalContent:
    """Everything the prompt says, before any cut: the page shows all of it."""

    title: str
    summary: str
    target: str
    plan_hash: str
    unsafe: tuple[str, ...]
    blocks: tuple[ApprovalBlock, ...] = field(default=())

    @property
    def risky(self) -> tuple[ApprovalBlock, ...]:
        return tuple(b for b in self.blocks if b.risky)

    @property
    def others(self) -> tuple[ApprovalBlock, ...]:
        return tuple(b for b in self.blocks if not b.risky)


def _flat(text: str, limit: int) -> str:
    """One line: control characters folded (a value cannot fake a new line of the prompt), long text cut."""
    flat = reveal(_CONTROL.sub(" ", text).strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _value(value: Any, limit: int | None = VALUE_LIMIT) -> str:
    if value == SENSITIVE_MARK:
        return "(secret)"
    text = quote_value(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _field_line(item: FieldChange, limit: int | None) -> str:
    name = item.path or "value"
    if item.before == SENSITIVE_MARK and item.after == SENSITIVE_MARK:
        return f"{name}: (changed)"
    if item.added is not None or item.removed is not None:
        removed, added = item.removed or [], item.added or []
        if len(removed) == 1 and len(added) == 1:
            return f"{name}: {_value(removed[0], limit)} → {_value(added[0], limit)}"
        parts = [f"- {_value(v, limit)}" for v in removed] + [f"+ {_value(v, limit)}" for v in added]
        return f"{name}: {'; '.join(parts)}"
    before = "(unset)" if item.before is None else _value(item.before, limit)
    after = "(unset)" if item.after is None else _value(item.after, limit)
    return f"{name}: {before} → {after}"


def _values(change: Change, limit: int | None) -> tuple[str, ...]:
    if change.action == "update":
        return tuple(_field_line(item, limit) for item in change.fields)
    value = change.after if change.action == "create" else change.before
    return tuple(f"{name}: {_value(v, limit)}" for name, v in (value or {}).items() if v is not None)


def _labels(change: Change, over_threshold: set[tuple[str, str]]) -> tuple[str, ...]:
    labels = []
    if change.is_policy:
        labels.append("POLICY CHANGE")
    if change.blocked:
        labels.append("PROTECTED")
    if (change.kind, change.scope) in over_threshold and change.action != "create":
        labels.append("OVER THRESHOLD")
    if change.action == "delete":
        labels.append("DELETE")
    return tuple(labels)


def _rank(block: ApprovalBlock) -> int:
    labels = block.labels
    for rank, label in enumerate(("POLICY CHANGE", "PROTECTED", "OVER THRESHOLD", "DELETE")):
        if label in labels:
            return rank
    return 4 if block.warnings else 5


def approval_content(plan: Plan, *, value_limit: int | None = VALUE_LIMIT) -> ApprovalContent:
    """The prompt's content: risky changes first (policy, protected, over a threshold, deletes, warnings)."""
    account = plan.account_id or "(the one the token sees)"
    where = "the sandbox (simulator)" if plan.sandbox else f"Infomaniak account {account}"
    over = {(s.kind, s.scope) for s in plan.scopes if s.unsafe}
    blocks = []
    for change in plan.changes:
        warnings = list(change.risky)
        if change.blocked:
            warnings.insert(0, f"protected: {change.blocked}")
        blocks.append(
            ApprovalBlock(
                change=change,
                labels=_labels(change, over),
                warnings=tuple(warnings),
                values=_values(change, value_limit),
            )
        )
    ordered = sorted(blocks, key=_rank)  # stable: the plan's order within a rank
    unsafe = tuple(
        f"over a safety threshold: {scope_title(s.kind, s.scope)}: {s.unsafe}"
        for s in plan.scopes
        if s.unsafe
    )
    return ApprovalContent(
        title=f"Apply plan {plan.plan_hash[:12]} to {where}?",
        summary=plan.summary_line(),
        target=where,
        plan_hash=plan.plan_hash,
        unsafe=unsafe,
        blocks=tuple(ordered),
    )


def _sections(content: ApprovalContent) -> tuple[list[str], list[list[str]], list[str]]:
    head = [content.title, content.summary]
    head += [f"! {_flat(line, 400)}" for line in content.unsafe]
    risky, others = content.risky, content.others
    blocks: list[list[str]] = []
    for index, block in enumerate((*risky, *others)):
        lines = block.lines()
        if index == 0 and risky:
            lines = ["", f"Look at these first ({len(risky)}):", *lines]
        if index == len(risky) and others:
            lines = ["", f"Other changes ({len(others)}):", *lines]
        blocks.append(lines)
    tail = ["", f"Target: {content.target}. Plan hash: {content.plan_hash}."]
    return head, blocks, tail


def render_approval(plan: Plan, *, limit: int = QUESTION_LIMIT, full_plan: str) -> str:
    """The question a human answers to approve ``plan``, at most ``limit`` characters.

    ``full_plan`` says where the whole plan can be read (the approval page's link, a saved plan file, the
    terminal command); it is named whenever changes are left out. Raises ValueError for a limit too small
    for the question's head, tail and that pointer.
    """
    content = approval_content(plan)
    head, blocks, tail = _sections(content)
    total = len(blocks)
    risky_total = len(content.risky)

    def note(shown: int) -> list[str]:
        left = total - shown
        risky_left = max(0, risky_total - shown)
        which = f", {risky_left} of them marked risky" if risky_left else ""
        return [
            "",
            f"… {left} more change(s) not shown here{which}. "
            f"Read the full plan before approving: {full_plan}",
        ]

    def text(shown: int) -> str:
        body = [line for block in blocks[:shown] for line in block]
        return "\n".join([*head, *body, *(note(shown) if shown < total else []), *tail])

    if len(text(total)) <= limit:
        return text(total)
    if len(text(0)) > limit:
        raise ValueError(f"an approval question needs more than {limit} characters")
    low, high = 0, total
    while low < high:  # the largest number of whole blocks that fits
        middle = (low + high + 1) // 2
        if len(text(middle)) <= limit:
            low = middle
        else:
            high = middle - 1
    return text(low)


__all__ = [
    "QUESTION_LIMIT",
    "VALUE_LIMIT",
    "ApprovalBlock",
    "ApprovalContent",
    "approval_content",
    "render_approval",
]
