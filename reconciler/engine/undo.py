"""Undo: an ordinary plan that puts back the before-values of one apply, from its audit entries.

For each resource the apply changed (its ``applied`` entries, newest first):

* live still holds what the apply left → plan the inverse (delete what it created, restore what it updated
  or deleted);
* live already holds the before-value → nothing to do;
* anything else → refused: someone changed it since, and undo never overwrites a change it did not make.

A before-value with a secret in it (a share link's password) is refused too: the apply kept only a
fingerprint, and a fingerprint cannot be sent back. The restored entries go through the kind's own
``render`` → ``parse`` (the path ``import`` uses), so what is written is what a desired file with the old
values would write. The plan is approved and applied like any other (``apply_plan(source=undo_source(id))``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from reconciler.audit import AuditLog
from reconciler.desired import display_path, parse_document
from reconciler.engine.diff import diff_scope
from reconciler.engine.execution import PlanSource
from reconciler.engine.model import Change, Plan, ScopeSummary, change_title, redact
from reconciler.engine.session import Session
from reconciler.errors import PlanError
from reconciler.kinds.base import SENSITIVE_MARK, DesiredObject, Kind, LiveObject, SpecModel


def applied_entries(entries: Iterable[dict[str, Any]], apply_id: str) -> list[dict[str, Any]]:
    """The ``applied`` entries of one apply, in the order they were written; PlanError if unknown."""
    chosen = [entry for entry in entries if entry.get("apply_id") == apply_id]
    if not any(entry.get("event") == "apply_attempt" for entry in chosen):
        raise PlanError(
            f"no apply {apply_id!r} in the audit log\n"
            "  apply ids are in `infomaniak-gitops apply` output and in the audit log's apply_attempt entries"
        )
    return [e for e in chosen if e.get("event") == "applied" and isinstance(e.get("key"), list)]


def _spec_class(kind: Kind, entry: dict[str, Any], have: LiveObject | None) -> type[SpecModel]:
    """The model the before-value was in: the live object's, else the one the audit entry names.

    Only a model of a module under ``reconciler.kinds`` is taken from the log, so an edited entry cannot
    make undo import anything else.
    """
    if have is not None:
        return type(have.spec)
    module_name, _, name = str(entry.get("before_model") or "").partition(":")
    if module_name.startswith("reconciler.kinds.") and name.isidentifier():
        found = getattr(importlib.import_module(module_name), name, None)
        if isinstance(found, type) and issubclass(found, SpecModel):
            return found
    return kind.spec_model


def _secret_fields(kind: Kind, before_spec: dict[str, Any]) -> list[str]:
    return sorted(name for name in kind.sensitive_fields if before_spec.get(name) == SENSITIVE_MARK)


async def plan_undo(
    session: Session, apply_id: str, *, entries: Iterable[dict[str, Any]] | None = None
) -> Plan:
    """The plan that restores what apply ``apply_id`` changed; refusals are the plan's warnings."""
    audit = AuditLog(session.settings.audit_file, secrets=session.secrets)
    applied = applied_entries(audit.entries() if entries is None else entries, apply_id)
    warnings: list[str] = []
    by_scope: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in applied:
        by_scope.setdefault((str(entry["kind"]), str(entry["scope"])), []).append(entry)
    changes: list[Change] = []
    summaries: list[ScopeSummary] = []
    order = {kind.name: index for index, kind in enumerate(session.kinds)}
    for kind_name, scope in sorted(by_scope, key=lambda pair: (order.get(pair[0], 99), pair[1])):
        kind = session.kind(kind_name)
        live = await kind.fetch(session.ctx, scope)
        scope_changes, summary, notes = _undo_scope(
            session, kind, scope, live, by_scope[(kind_name, scope)], audit, apply_id
        )
        changes += scope_changes
        summaries.append(summary)
        warnings += notes
    if not applied:
        warnings.append(f"apply {apply_id} applied nothing; there is nothing to undo")
    plan = Plan(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        account_id=session.ctx.account_id,
        sandbox=session.settings.sandbox,
        targets=[f"{kind}/{scope}" for kind, scope in by_scope],
        scopes=summaries,
        changes=changes,
        warnings=[f"undo of apply {apply_id}: restores the values it replaced", *warnings],
        undo_of=apply_id,
    )
    plan.plan_hash = plan.compute_hash()
    return plan


def _undo_scope(
    session: Session,
    kind: Kind,
    scope: str,
    live: list[LiveObject],
    entries: list[dict[str, Any]],
    audit: AuditLog,
    apply_id: str,
) -> tuple[list[Change], ScopeSummary, list[str]]:
    live_by_key = {obj.key: obj for obj in live}
    # The scope's own file name: some kinds read the scope from it (mail files name their domain).
    file = display_path(kind.path_for(session.settings.state_dir, scope))
    defaults = session.config.defaults.model_dump()
    notes: list[str] = []
    desired: list[DesiredObject] = []
    undone: set[tuple[str, ...]] = set()
    restores: dict[tuple[str, ...], tuple[str, LiveObject]] = {}
    seen: set[tuple[str, ...]] = set()
    for entry in reversed(entries):
        key = tuple(str(part) for part in entry["key"])
        if key in seen:
            continue  # the newest entry of a resource says what the apply left
        seen.add(key)
        title = change_title(kind.name, scope, kind.format_key(key))
        have = live_by_key.get(key)
        now = audit.redact(redact(kind.normalize(have.spec, scope), kind.sensitive_fields)) if have else None
        if now == entry.get("before"):
            notes.append(f"{title}: already as before apply {apply_id}; nothing to undo")
            continue
        if now != entry.get("after"):
            notes.append(
                f"{title}: REFUSED, changed since apply {apply_id} (it left {entry.get('after')}, live is "
                f"now {now}); undo never overwrites a change it did not make — edit the desired file instead"
            )
            continue
        before_spec = entry.get("before_spec")
        if entry.get("action") == "create":
            undone.add(key)  # absent from the desired side: the diff deletes it
            continue
        if not isinstance(before_spec, dict):
            notes.append(f"{title}: REFUSED, the audit entry has no before-value to restore")
            continue
        secrets = _secret_fields(kind, before_spec)
        if secrets:
            notes.append(
                f"{title}: REFUSED, its {', '.join(secrets)} is a secret: the apply recorded only a "
                "fingerprint, which cannot be sent back — restore it through the desired file "
                "(`{env: NAME}`) and apply"
            )
            continue
        try:
            spec = _spec_class(kind, entry, have).model_validate(before_spec)
        except ValueError as exc:
            notes.append(f"{title}: REFUSED, the before-value is not valid now ({str(exc).splitlines()[0]})")
            continue
        restores[key] = (title, LiveObject(key=key, spec=spec))
    if restores:
        rebuilt, problems = _rebuild(kind, scope, live, undone, restores, file, defaults)
        for key, (title, _) in restores.items():
            if key in rebuilt:
                undone.add(key)
                desired.append(rebuilt[key])
            else:
                notes.append(
                    f"{title}: REFUSED, the before-value does not rebuild as an entry ({problems[key]})"
                )
    touched_live = [obj for obj in live if obj.key in undone]
    config = session.config.model_copy(update={"no_prune": []})
    changes, summary = diff_scope(kind, scope, file, desired, touched_live, config)
    # Thresholds weigh the undo against the whole scope, as an ordinary plan's would.
    summary.live_count = len(live)
    summary.desired_count = len(live) - summary.delete + summary.create
    return changes, summary, notes


def _rebuild(
    kind: Kind,
    scope: str,
    live: list[LiveObject],
    deleted: set[tuple[str, ...]],
    restores: dict[tuple[str, ...], tuple[str, LiveObject]],
    file: str,
    defaults: dict[str, Any],
) -> tuple[dict[tuple[str, ...], DesiredObject], dict[tuple[str, ...], str]]:
    """The before-values as desired entries, through the kind's render → parse (import's path).

    Each alone first; an entry that only makes sense inside its parent (a team member) is then rebuilt in
    the whole scope as it would be after the undo.
    """
    rebuilt: dict[tuple[str, ...], DesiredObject] = {}
    problems: dict[tuple[str, ...], str] = {}
    for key, (_, obj) in restores.items():
        found, problem = _parse(kind, scope, [obj], key, file, defaults)
        if found is not None:
            rebuilt[key] = found
        else:
            problems[key] = problem
    if problems:
        after = [o for o in live if o.key not in deleted and o.key not in restores]
        after += [obj for _, obj in restores.values()]
        for key in list(problems):
            found, _ = _parse(kind, scope, after, key, file, defaults)
            if found is not None:
                rebuilt[key] = found
                del problems[key]
    return rebuilt, problems


def _parse(
    kind: Kind,
    scope: str,
    objects: list[LiveObject],
    key: tuple[str, ...],
    file: str,
    defaults: dict[str, Any],
) -> tuple[DesiredObject | None, str]:
    document = kind.render(objects, scope)
    parsed, problems = parse_document(kind, document, file=file, defaults=defaults)
    found = [obj for obj in parsed if obj.key == key]
    if len(found) != 1:
        return None, str(problems[0]) if problems else "the kind renders it under another key"
    # An entry that failed validation is not among the parsed ones, so a problem reported here is about
    # another entry of the document (a live value kept as given), not this one.
    return found[0], ""


def undo_source(apply_id: str) -> PlanSource:
    """Plan source for ``apply_plan``: recomputed at apply time (stale check) and for the verification."""

    async def compute(session: Session) -> Plan:
        return await plan_undo(session, apply_id)

    return compute


__all__ = ["applied_entries", "plan_undo", "undo_source"]
