"""The plan as a pull-request comment: counts, risky changes first, per-scope diffs, all within GitHub's
comment limit (cut from the last scope back, and saying what was cut), ending with the plan marker."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from reconciler.engine.model import Change, Plan
from reconciler.engine.quoting import reveal
from reconciler.engine.render.marker import plan_marker
from reconciler.engine.render.plan import scope_groups, short
from reconciler.gitinfo import DIRTY_SUFFIX

GITHUB_COMMENT_LIMIT = 65_536
# Room left for the line `comment wrap` puts first (it names the account the comment is for).
COMMENT_RESERVE = 256

# -- Markdown (pull-request comments) -----------------------------------------------------------------
#
# Everything that comes from desired or live state is untrusted text in a comment: a TXT value could
# carry `<!--` (hiding the rest of the plan from the reviewer), backticks (closing a code span) or a
# copy of the plan marker. Values therefore stay inside code spans and fences sized past any backtick
# run, free text is HTML-escaped, and every piece of content sits on a line with a prefix, so the only
# line that can *start* with the marker is the one written here (see parse_plan_marker).

# Caps that keep the head of a comment bounded whatever the plan size, so truncation can always succeed.
MAX_LISTED = 25
MAX_LINE = 400
NOTE_NAMES = 10

_MD_MARK = {"create": "+", "update": "!", "delete": "-"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _oneline(text: str, limit: int = MAX_LINE) -> str:
    flat = reveal(_CONTROL.sub(" ", text).strip())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def md_text(text: str) -> str:
    """Free text for Markdown: one line, no HTML (so no comment can hide what follows)."""
    return html.escape(_oneline(text), quote=False)


def md_code(text: str) -> str:
    """An inline code span that no backtick inside ``text`` can close."""
    flat = _oneline(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    return "`" * (longest + 1)


def _risk_rank(change: Change) -> tuple[int, int]:
    # A change of the rules (policy) first: it decides what every other change may do.
    if change.is_policy:
        rank = -1
    else:
        rank = 0 if change.blocked else 1 if change.action == "delete" else 2 if change.risky else 3
    return (rank, {"delete": 0, "update": 1, "create": 2}[change.action])


def _is_risky(change: Change) -> bool:
    return bool(change.risky or change.blocked or change.action == "delete")


def _diff_block(change: Change) -> str:
    """One change as diff lines: `-` old, `+` new, `!` an update's header (shown orange by GitHub)."""
    mark = _MD_MARK[change.action]
    lines = [f"{mark} {_oneline(change.display_key)}"]
    if change.action == "update":
        for item in change.fields:
            name = _oneline(item.path or "value", 100)
            if item.added is not None or item.removed is not None:
                lines += [f"-     {name}: {_oneline(short(v))}" for v in item.removed or []]
                lines += [f"+     {name}: {_oneline(short(v))}" for v in item.added or []]
                continue
            if item.before is not None:
                lines.append(f"-     {name}: {_oneline(short(item.before))}")
            if item.after is not None:
                lines.append(f"+     {name}: {_oneline(short(item.after))}")
    else:
        value = change.after if change.action == "create" else change.before
        lines += [f"{mark}     {_oneline(k, 100)}: {_oneline(short(v))}" for k, v in (value or {}).items()]
    if change.blocked:
        lines.append(f"      BLOCKED: {_oneline(change.blocked)}")
    return "\n".join(lines)


@dataclass
class _Section:
    """One scope's collapsible diff; it can render only its first ``shown`` changes when space is short."""

    name: str
    summary: str
    blocks: list[str]

    def render(self, shown: int | None = None) -> str:
        count = len(self.blocks) if shown is None else shown
        body = "\n".join(self.blocks[:count])
        if count < len(self.blocks):
            body += f"\n# ✂️ {len(self.blocks) - count} more change(s) of this scope cut"
        fence = _fence(body)
        return f"<details><summary>{self.summary}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _sections(plan: Plan) -> list[_Section]:
    sections = []
    for title, file, changes in scope_groups(plan):
        counts = {a: sum(1 for c in changes if c.action == a) for a in ("create", "update", "delete")}
        where = f" · <code>{md_text(file)}</code>" if file else ""
        summary = f"{md_text(title)}: +{counts['create']} ~{counts['update']} -{counts['delete']}{where}"
        ordered = sorted(changes, key=_risk_rank)
        sections.append(_Section(title, summary, [_diff_block(c) for c in ordered]))
    return sections


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"- …and {len(lines) - MAX_LISTED} more {what} (see the details below)"]


def _head(plan: Plan) -> list[str]:
    head = ["### infomaniak-gitops plan", ""]
    if plan.sandbox:
        head += ["_Sandbox account (simulator)._", ""]
    warnings = [f"> ⚠️ {md_text(w)}" for w in plan.warnings]
    unsafe = [f"> ⛔ **Unsafe:** {md_text(r)}" for r in plan.unsafe_reasons]
    if not plan.has_changes:
        return [*head, "**No changes.** Live state matches the desired state.", "", *_capped(warnings, "")]
    scopes = len({(c.kind, c.scope) for c in plan.changes})
    head += [f"**{plan.summary_line().rstrip('.')}** in {scopes} scope(s).", ""]
    head += ["| kind | create | update | delete |", "|---|---:|---:|---:|"]
    for kind, counts in plan.counts_by_kind().items():
        head.append(f"| {md_text(kind)} | {counts['create']} | {counts['update']} | {counts['delete']} |")
    head.append("")
    if warnings or unsafe:
        head += [*_capped(unsafe, "unsafe changes"), *_capped(warnings, "warnings"), ""]
    risky = sorted((c for c in plan.changes if _is_risky(c)), key=_risk_rank)
    if risky:
        head += [f"#### Needs a careful look ({len(risky)})", ""]
        items = []
        for change in risky:
            why = change.blocked or "; ".join(change.risky) or "deletes a live resource"
            items.append(f"- **{change.action}** {md_code(change.title)} — {md_text(why)}")
        head += [*_capped(items, "changes to look at"), ""]
    return head


def _tail(plan: Plan) -> list[str]:
    commit = plan.git_commit or ""
    where = f"commit {md_code(commit[:12])}" if commit else "a directory outside git"
    if commit.endswith(DIRTY_SUFFIX):
        where += " plus uncommitted changes"
    lines = [""]
    if plan.has_changes:
        lines += [
            f"Plan hash {md_code(plan.plan_hash[:16])} computed at {where}. Merging applies exactly this "
            "plan; if live or desired state moves first, the apply refuses and asks for a new plan.",
            "",
            f"Locally: `infomaniak-gitops apply --expect-plan-hash {plan.plan_hash}`",
            "",
        ]
    return [*lines, plan_marker(plan)]


def comment_length(text: str) -> int:
    """Length as GitHub may count it: UTF-16 code units, never fewer than Python's code points."""
    return len(text.encode("utf-16-le")) // 2


def render_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT - COMMENT_RESERVE) -> str:
    """A pull-request comment: counts per kind, risky changes first, per-scope collapsible diffs, marker.

    Past ``limit`` characters (GitHub's comment limit) scope details are cut, from the last scope back,
    and the comment says which; the summary, the risky list and the marker always stay.
    """
    head = "\n".join(_head(plan))
    tail = "\n".join(_tail(plan))
    sections = _sections(plan)
    full = _tidy("\n".join([head, *(s.render() for s in sections), tail]))
    if comment_length(full) <= limit:
        return full
    budget = limit - comment_length(head) - comment_length(tail) - 4
    for _ in range(8):
        body, cuts = _fit_sections(sections, budget)
        # The note goes above the details, where a reviewer reading top-down meets it first.
        text = _tidy("\n".join([head, _cut_note(cuts, len(sections), limit), "", *body, tail]))
        if comment_length(text) <= limit:
            return text
        budget -= comment_length(text) - limit
    # Only reachable with a limit too small for the head itself: keep the marker, CI needs it.
    marker = plan_marker(plan)
    room = limit - comment_length(marker) - 4  # "\n…\n" before the marker, "\n" after
    text = head + tail
    while text and comment_length(text) > room:
        text = text[: max(0, min(len(text) - 1, room))]
    return text + "\n…\n" + marker + "\n"


def _tidy(text: str) -> str:
    # Content lines are never blank (values are flattened), so this only folds the layout's own gaps.
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def _fit_sections(sections: list[_Section], budget: int) -> tuple[list[str], list[str]]:
    """Greedily keep whole sections, then part of the first that does not fit; name what was cut."""
    kept: list[str] = []
    cuts: list[str] = []
    for section in sections:
        text = section.render()
        if not cuts and comment_length(text) + 1 <= budget:
            kept.append(text)
            budget -= comment_length(text) + 1
            continue
        shown = 0
        if not cuts:
            # Binary search: a scope may hold thousands of changes, and rendering is linear in them.
            low, high = 0, len(section.blocks)
            while low < high:
                middle = (low + high + 1) // 2
                if comment_length(section.render(middle)) + 1 <= budget:
                    low = middle
                else:
                    high = middle - 1
            shown = low
        total = len(section.blocks)
        if shown:
            kept.append(section.render(shown))
            budget -= comment_length(kept[-1]) + 1
            cuts.append(f"{section.name} ({shown} of {total} changes shown)")
        else:
            cuts.append(f"{section.name} (all {total} changes)")
    return kept, cuts


def _cut_note(cuts: list[str], total: int, limit: int) -> str:
    names = ", ".join(md_code(c) for c in cuts[:NOTE_NAMES])
    more = f" and {len(cuts) - NOTE_NAMES} more scope(s)" if len(cuts) > NOTE_NAMES else ""
    return (
        f"> ✂️ **Truncated** to fit GitHub's {limit:,}-character comment limit: details cut for {len(cuts)} "
        f"of {total} scope(s): {names}{more}. The summary and the plan hash cover the whole plan; "
        "read every change in the CI job log or with `infomaniak-gitops plan`."
    )
