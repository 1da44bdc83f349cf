"""The plan orchestrator: desired files + live API → Plan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from reconciler.api.paths import check_scope
from reconciler.api.tasks import gather_all
from reconciler.desired.config import CONFIG_FILE, AccountConfig
from reconciler.desired.loader import DesiredState, ScopeDesired, load_desired
from reconciler.desired.policy import PolicyBaseline, committed_baseline, loosenings, policy_of
from reconciler.desired.yamlio import display_path
from reconciler.engine.diff import diff_scope, field_changes
from reconciler.engine.journal import Planned, journal_notices, read_journal
from reconciler.engine.lock import lock_is_held
from reconciler.engine.model import POLICY_KIND, Change, Plan, ScopeSummary, scope_title
from reconciler.engine.session import Session
from reconciler.errors import DesiredStateError, Reason, SettingsError
from reconciler.kinds import all_kinds
from reconciler.kinds.base import Kind, LiveObject

log = logging.getLogger(__name__)

# Scopes fetched at once. The client's limiter keeps the rate (a full window of 60 requests goes out as fast
# as the API answers, never a 61st); this only bounds the connections in flight.
FETCH_CONCURRENCY = 8


@dataclass(frozen=True)
class Target:
    """A narrowing of the plan: a kind, optionally one scope of it."""

    kind: str
    scope: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}/{self.scope}" if self.scope else self.kind


def parse_targets(texts: Sequence[str], kinds: Sequence[Kind] | None = None) -> list[Target]:
    """Parse ``dns``, ``dns/example.ch``, ``mailbox_security/example.ch``: KIND or KIND/SCOPE.

    A kind's folder (``mail/example.ch``, ``account/teams``) is accepted as an alias of the kinds whose
    files live there. A target only ever narrows: a scope that is empty, made of dots, or not a scope of
    its kind (``tags/stray``) is refused rather than read as "every scope". The scope is spelled the way the
    kind's files spell it (``dns/Straße.CH.`` → ``dns/xn--strae-oqa.ch``); loading matches it to a file's
    scope without case (``share_links/demo drive`` selects ``Demo Drive.yaml``).
    """
    known = tuple(kinds) if kinds is not None else all_kinds()
    targets: list[Target] = []
    for text in texts:
        cleaned = text.strip()
        if cleaned.count("/") == 1:
            # One trailing slash is what a shell completes a folder name with (``dns/``): the whole kind.
            cleaned = cleaned.removesuffix("/")
        head, slash, scope = cleaned.partition("/")
        if not head:
            raise SettingsError(f"empty target {text!r}; use KIND or KIND/SCOPE, e.g. dns/example.ch")
        if slash and not scope.strip("."):
            raise SettingsError(f"target {text!r} has no scope after '/'; use KIND or KIND/SCOPE")
        if scope:
            # Scopes reach file names and API paths: refuse URL syntax and control characters up front.
            check_scope(scope)
        matching = [k for k in known if head == k.name] or [k for k in known if head == k.directory]
        if not matching:
            names = ", ".join(k.name for k in known)
            raise SettingsError(f"unknown target {text!r}; known kinds: {names} (use KIND or KIND/SCOPE)")
        # Several kinds may share a directory (account/: tags, teams); the scope says which is meant.
        named: list[Target] = []
        refusals: list[SettingsError] = []
        for kind in matching:
            try:
                named.append(Target(kind.name, kind.scope_name(scope) if scope else None))
            except SettingsError as exc:
                refusals.append(exc)
        if not named:
            raise refusals[0]
        targets += named
    return targets


def _check_targets_exist(session: Session, desired: DesiredState, targets: Sequence[Target]) -> None:
    """A target naming a scope no file holds is a typo, not an empty plan (CI would read "no changes")."""
    loaded = {(item.kind.name, item.scope.casefold()) for item in desired.scopes}
    for target in targets:
        if target.scope is None or (target.kind, target.scope.casefold()) in loaded:
            continue
        kind = session.kind(target.kind)
        files = sorted(kind.scope_files(desired.root))
        raise SettingsError(
            f"no desired-state file for {target.kind}/{target.scope} "
            f"(it would be {display_path(kind.path_for(desired.root, target.scope))})\n"
            f"  {target.kind} scopes with a file: {', '.join(files) or 'none'}\n"
            f"  Next: fix the target, or `infomaniak-gitops import {target.kind} {target.scope}`"
        )


def _selection(targets: Sequence[Target]) -> list[tuple[str, str | None]] | None:
    if not targets:
        return None
    return [(t.kind, t.scope) for t in targets]


async def fetch_scope(session: Session, kind: Kind, scope: str) -> list[LiveObject]:
    """Live objects of one scope (one call site, so the API is read once per scope per run)."""
    reused = session.reusable_live.pop((kind.name, scope), None)
    if reused is not None:
        log.info("fetch %s/%s: unchanged since this apply read it, not read again", kind.name, scope)
        return reused
    log.info("fetch %s/%s", kind.name, scope)
    live = await kind.fetch(session.ctx, scope)
    session.fetched_live[(kind.name, scope)] = live
    return live


def policy_change(baseline: PolicyBaseline, working: AccountConfig) -> Change | None:
    """The working tree's loosening of the committed rules as a change of the plan; None when none.

    Before is the committed rules, after the working tree's. The plan is computed with the working-tree
    rules (so the reviewer sees what they allow), and this change makes the plan one that only a human
    channel may approve (see ``HUMAN_APPROVALS`` in the applier).
    """
    reasons = loosenings(baseline.config, working)
    if not reasons:
        return None
    before, after = policy_of(baseline.config), policy_of(working)
    change = Change(
        kind=POLICY_KIND,
        scope=CONFIG_FILE,
        key=["rules"],
        display_key="rules",
        action="update",
        before=before,
        after=after,
        fields=field_changes(before, after),
        risky=[
            f"policy change: loosens the rules in force ({baseline.source}); only a human can approve it, "
            "never a token or --auto-approve",
            *reasons,
        ],
    )
    change.attach(desired=None, live=None, hash_before=before, hash_after=after)
    return change


async def plan_desired(
    session: Session,
    desired: DesiredState,
    *,
    targets: Sequence[Target] = (),
    git_commit: str | None = None,
) -> Plan:
    """Diff already-loaded desired state against live state.

    1. fetch every selected scope's live objects (bounded concurrency)   — Kind.fetch (required)
    2. diff each scope by key with both sides normalised                 — Kind.normalize, is_unmanaged
    3. order changes (kind apply order, then the kind's own order)       — Kind.change_order
    4. attach safety verdicts (thresholds, protect rules) and the hash
    5. put a working-tree loosening of the committed rules first, as a policy change (when
       ``desired.baseline`` is set, as ``load_for_plan`` does)
    """
    semaphore = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(item: ScopeDesired) -> tuple[ScopeDesired, list[LiveObject]]:
        async with semaphore:
            live = await fetch_scope(session, item.kind, item.scope)
        session.progress.scopes_done += 1
        return item, live

    session.progress.scopes_total += len(desired.scopes)

    fetched = await gather_all(one(item) for item in desired.scopes)
    reasons: list[Reason] = []
    for item, live in fetched:
        for obj, message in await item.kind.check(session.ctx, item.scope, item.objects, live):
            where = obj.located
            reasons.append(
                Reason(
                    where.file if where else item.file,
                    where.line if where else None,
                    None,
                    item.kind.format_key(obj.key),
                    message,
                    "live-check",
                )
            )
    if reasons:
        raise DesiredStateError(
            reasons, next_step="fix the files (live state disagrees), then run `infomaniak-gitops plan` again"
        )
    changes: list[Change] = []
    summaries: list[ScopeSummary] = []
    order = {kind.name: index for index, kind in enumerate(session.kinds)}
    for item, live in sorted(fetched, key=lambda pair: (order[pair[0].kind.name], pair[0].scope)):
        scope_changes, summary = diff_scope(
            item.kind,
            item.scope,
            item.file,
            item.objects,
            live,
            desired.config,
            # A guarded change is allowed by committed rules only: the working tree cannot unguard it.
            allowed=desired.baseline.config if desired.baseline is not None else None,
        )
        changes.extend(scope_changes)
        summaries.append(summary)
    if desired.baseline is not None:
        policy = policy_change(desired.baseline, desired.config)
        if policy is not None:
            changes.insert(0, policy)
    notes = [
        f"{scope_title(item.kind.name, item.scope)} {item.kind.format_key(obj.key)}: {obj.note}"
        for item, live in fetched
        for obj in live
        if obj.note
    ]
    plan = Plan(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        account_id=session.ctx.account_id,
        sandbox=session.settings.sandbox,
        git_commit=git_commit,
        targets=[str(t) for t in targets],
        scopes=summaries,
        changes=changes,
    )
    # Live values kept as the API gave them (never refused, never silently deleted): say so in the plan.
    plan.warnings.extend(f"kept as the API gave it: {note}" for note in sorted(notes))
    if not desired.scopes:
        plan.warnings.append(
            f"no desired-state files found under {desired.root} for "
            f"{', '.join(plan.targets) or 'any kind'}; nothing is managed"
        )
    plan.plan_hash = plan.compute_hash()
    return plan


@contextmanager
def reuse_unchanged(session: Session, applied: Plan) -> Iterator[None]:
    """Within: the scopes ``applied`` had no change in are not read again (an apply's verification).

    Such a scope was read moments ago by the same apply and nothing wrote to it, so reading it again would
    only spend the account's requests (60 a minute): its live objects come from that read, once. Every
    scope with a change (applied, failed or not attempted) is read afresh.
    """
    touched = {(change.kind, change.scope) for change in applied.changes if not change.is_policy}
    session.reusable_live = {key: live for key, live in session.fetched_live.items() if key not in touched}
    try:
        yield
    finally:
        session.reusable_live = {}


def load_for_plan(session: Session, targets: Sequence[Target]) -> DesiredState:
    """Load (and validate) the desired state the targets select, with the committed rules as baseline."""
    root = session.settings.state_dir
    desired = load_desired(
        root, session.kinds, selected=_selection(targets), cache_dir=session.settings.work_dir
    )
    desired.baseline = committed_baseline(root, ref=session.settings.policy_base)
    _check_targets_exist(session, desired, targets)
    return desired


async def make_plan(
    session: Session, *, targets: Sequence[Target] = (), git_commit: str | None = None
) -> Plan:
    """Load the desired files, fetch live state, and return the plan.

    An interrupted last apply, or one whose answer to a write was lost, is named first in the warnings.
    """
    desired = load_for_plan(session, targets)
    plan = await plan_desired(session, desired, targets=targets, git_commit=git_commit)
    planned = Planned(
        scopes=frozenset(f"{s.kind}/{s.scope}" for s in plan.scopes),
        addresses=frozenset(c.address for c in plan.changes),
    )
    settings = session.settings
    running = lock_is_held(settings.lock_file)
    notices = journal_notices(read_journal(settings.journal_file), planned, running=running)
    plan.warnings = [*notices, *plan.warnings]
    return plan
