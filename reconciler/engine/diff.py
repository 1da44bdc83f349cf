"""Keyed diff of one scope: match desired and live by key, compare normalised content.

Nothing here names a kind; kind-specific behaviour comes through the Kind hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.desired.config import AccountConfig
from reconciler.engine.model import Change, FieldChange, ScopeSummary, redact
from reconciler.kinds.base import Action, DesiredObject, GuardsChanges, Kind, LiveObject


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Field-level differences between two normalised values.

    Dicts recurse; lists are compared as multisets (normalised lists are sorted, so order never matters)
    and report what was added and removed.
    """
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        result: list[FieldChange] = []
        for name in sorted(set(before) | set(after)):
            sub = f"{path}.{name}" if path else str(name)
            if name not in after:
                result.append(FieldChange(path=sub, before=before[name], after=None))
            elif name not in before:
                result.append(FieldChange(path=sub, before=None, after=after[name]))
            else:
                result.extend(field_changes(before[name], after[name], sub))
        return result
    if isinstance(before, list) and isinstance(after, list):
        remaining = list(after)
        removed: list[Any] = []
        for item in before:
            if item in remaining:
                remaining.remove(item)
            else:
                removed.append(item)
        return [FieldChange(path=path, before=before, after=after, added=remaining, removed=removed)]
    return [FieldChange(path=path, before=before, after=after)]


def _redact_fields(fields: list[FieldChange], sensitive: frozenset[str]) -> list[FieldChange]:
    if not sensitive:
        return fields
    from reconciler.kinds.base import SENSITIVE_MARK

    redacted = []
    for item in fields:
        if item.path.split(".")[0] in sensitive:
            redacted.append(FieldChange(path=item.path, before=SENSITIVE_MARK, after=SENSITIVE_MARK))
        else:
            redacted.append(item)
    return redacted


def diff_scope(
    kind: Kind,
    scope: str,
    file: str,
    desired: Sequence[DesiredObject],
    live: Sequence[LiveObject],
    config: AccountConfig,
    *,
    allowed: AccountConfig | None = None,
) -> tuple[list[Change], ScopeSummary]:
    """Changes that bring ``live`` to ``desired`` for one scope, plus the scope's counts.

    ``allowed`` holds the ``allow`` rules in force for guarded changes (the committed file's); ``config``
    when omitted.
    """
    live_by_key = {obj.key: obj for obj in live}
    desired_by_key = {obj.key: obj for obj in desired}
    summary = ScopeSummary(
        kind=kind.name, scope=scope, file=file, live_count=len(live), desired_count=len(desired)
    )
    sensitive = kind.sensitive_fields
    changes: list[Change] = []

    def make(
        action: Action, key: tuple[str, ...], want: DesiredObject | None, have: LiveObject | None
    ) -> Change | None:
        after = kind.normalize(want.spec, scope) if want else None
        before = kind.normalize(have.spec, scope) if have else None
        if action == "update" and before == after:
            return None
        display = kind.format_key(key)
        change = Change(
            kind=kind.name,
            scope=scope,
            key=list(key),
            display_key=display,
            action=action,
            before=redact(before, sensitive),
            after=redact(after, sensitive),
            fields=_redact_fields(field_changes(before, after), sensitive) if action == "update" else [],
        )
        change.attach(desired=want, live=have, hash_before=before, hash_after=after)
        change.risky = kind.risks(change.action, key, before, after)
        return change

    for key, want in desired_by_key.items():
        have = live_by_key.get(key)
        change = make("update" if have else "create", key, want, have)
        if change is not None:
            changes.append(change)

    prune = config.prunes(kind.name, scope)
    for key, have in live_by_key.items():
        if key in desired_by_key:
            continue
        address = f"{kind.name}/{scope}/{kind.format_key(key)}"
        # A live object the tool could not fully read (have.note) is never deleted for being absent:
        # import writes what it can, and deleting what it could not would be a silent loss.
        if not prune or kind.is_unmanaged(key, scope) or config.is_ignored(address) or have.note:
            summary.kept_unmanaged += 1
            continue
        change = make("delete", key, None, have)
        if change is not None:
            changes.append(change)

    # Ignore rules also cover desired-side edits: an ignored address is never touched.
    changes = [c for c in changes if not config.is_ignored(c.address)]
    for change in changes:
        if change.action == "delete" and config.is_protected(change.address):
            change.blocked = "protected by a `protect` rule in infomaniak.yaml; remove the rule to delete it"

    pairs = [(c.action, tuple(c.key)) for c in changes]
    changes.sort(key=lambda c: (kind.change_order(c.action, tuple(c.key), pairs), c.display_key))
    guarded = _guarded(kind, changes, allowed or config)
    for change in changes:
        if change.action == "create":
            summary.create += 1
        elif change.action == "update":
            summary.update += 1
        else:
            summary.delete += 1
    verdicts = [v for v in (_threshold_verdict(summary, config), guarded) if v]
    summary.unsafe = "; ".join(verdicts) or None
    return changes, summary


def _guarded(kind: Kind, changes: list[Change], rules: AccountConfig) -> str | None:
    """The scope's verdict for the changes its kind guards and no ``allow`` rule covers (risks first)."""
    if not isinstance(kind, GuardsChanges):
        return None
    unallowed = []
    for change in changes:
        reason = kind.guard(
            change.action, tuple(change.key), change.hash_form()["before"], change.hash_form()["after"]
        )
        if reason is None:
            continue
        change.risky.insert(0, reason)
        if not rules.is_allowed(change.address):
            unallowed.append(f"{change.display_key} ({reason})")
    if not unallowed:
        return None
    return (
        f"guarded change(s): {'; '.join(unallowed)}; re-run with --force, or commit an `allow` rule "
        "for it in infomaniak.yaml"
    )


def _threshold_verdict(summary: ScopeSummary, config: AccountConfig) -> str | None:
    safety = config.safety
    existing = summary.live_count
    if existing < safety.min_existing or existing == 0:
        return None
    for action, count, limit in (
        ("update", summary.update, safety.max_update_fraction),
        ("delete", summary.delete, safety.max_delete_fraction),
    ):
        if count / existing > limit:
            return (
                f"would {action} {count} of {existing} live resources ({count / existing:.0%}), "
                f"above the {limit:.0%} threshold; re-run with --force if intended"
            )
    return None
