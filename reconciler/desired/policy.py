"""The rules of ``infomaniak.yaml`` as policy: what the committed version allows, and what a working-tree
edit would loosen.

The rules (``protect``, ``safety``, ``ignore``, ``no_prune``) decide what a plan may do, so whoever can edit
them could lower the bar for their own apply. They take effect from the committed file (HEAD); a working-tree
edit that loosens them becomes a change of the plan (see ``reconciler.engine.planner``) that only a human
channel approves. An edit that only tightens them takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.desired.config import CONFIG_FILE, AccountConfig
from reconciler.desired.yamlio import load_yaml_text
from reconciler.errors import DesiredStateError, Reason
from reconciler.gitinfo import committed_text

POLICY_FIELDS = ("protect", "ignore", "no_prune", "safety")
"""The fields of ``infomaniak.yaml`` that decide what a plan may do."""


@dataclass(frozen=True)
class PolicyBaseline:
    """The rules in force before any working-tree edit, and where they come from (for the plan's reader)."""

    config: AccountConfig
    source: str


def policy_of(config: AccountConfig) -> dict[str, Any]:
    """The rules as a plain value (lists sorted: their order means nothing)."""
    return {
        "protect": sorted(set(config.protect)),
        "ignore": sorted(set(config.ignore)),
        "no_prune": sorted(set(config.no_prune)),
        "safety": config.safety.model_dump(),
    }


def loosenings(committed: AccountConfig, working: AccountConfig, *, allow: bool = False) -> list[str]:
    """What the working-tree rules allow that the committed ones do not, in words; empty when none.

    ``allow`` adds the allow rules the working tree adds: they loosen nothing while uncommitted (guards
    read only the committed ones), so plans leave them out, but an assistant must never commit them.
    """
    reasons: list[str] = []
    for rule in sorted(set(committed.protect) - set(working.protect)):
        reasons.append(f"removes the protect rule {rule!r}: what it matched can now be deleted")
    for rule in sorted(set(committed.ignore) - set(working.ignore)):
        reasons.append(f"removes the ignore rule {rule!r}: what it matched can now be changed or deleted")
    for rule in sorted(set(committed.no_prune) - set(working.no_prune)):
        reasons.append(
            f"removes the no_prune rule {rule!r}: live resources missing from its files are now deleted"
        )
    for rule in sorted(set(working.allow) - set(committed.allow)) if allow else ():
        reasons.append(f"adds the allow rule {rule!r}: once committed, guarded changes it matches pass")
    before, after = committed.safety, working.safety
    if after.min_existing > before.min_existing:
        reasons.append(
            f"raises safety.min_existing from {before.min_existing} to {after.min_existing}: "
            "the thresholds stop guarding scopes smaller than that"
        )
    for name in ("max_update_fraction", "max_delete_fraction"):
        old, new = getattr(before, name), getattr(after, name)
        if new > old:
            reasons.append(f"raises safety.{name} from {old:.0%} to {new:.0%}: larger rewrites pass")
    return reasons


def parse_committed(text: str, *, file: str) -> AccountConfig:
    """A committed ``infomaniak.yaml``; an invalid one is reported like any desired-state file."""
    document = load_yaml_text(text, file=file)
    try:
        return AccountConfig.model_validate(document or {})
    except ValidationError as exc:
        reasons = [
            Reason(file, None, None, ".".join(str(p) for p in problem["loc"]), problem["msg"], "committed")
            for problem in exc.errors(include_url=False)
        ]
        raise DesiredStateError(
            reasons, next_step="fix the committed infomaniak.yaml (the rules take effect from HEAD)"
        ) from exc


def committed_baseline(root: Path, *, ref: str = "HEAD") -> PolicyBaseline:
    """The rules committed at ``ref`` (HEAD, or a pull request's base in CI) for the state directory ``root``.

    With no committed ``infomaniak.yaml`` (no repository, no commit, or a file never committed) the
    baseline is the built-in defaults: a file nobody committed cannot loosen them without the plan saying so.
    """
    committed = committed_text(root / CONFIG_FILE, ref=ref)
    if committed.text is None:
        where = "not committed" if committed.commit else "not in a git commit"
        return PolicyBaseline(AccountConfig(), f"the built-in defaults ({CONFIG_FILE} is {where})")
    shown = f"{CONFIG_FILE} at {committed.commit[:12] if committed.commit else ref}"
    return PolicyBaseline(parse_committed(committed.text, file=shown), f"commit {shown}")


__all__ = [
    "POLICY_FIELDS",
    "PolicyBaseline",
    "committed_baseline",
    "loosenings",
    "parse_committed",
    "policy_of",
]
