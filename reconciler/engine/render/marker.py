"""The hidden markers of plan comments: the one written under each plan, its fail-closed parser (CI reads
the reviewed plan hash back from the comment, and every doubt about that hash is a refusal), and the line
naming which account a comment is for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.engine.model import Plan
from reconciler.errors import PlanError, SettingsError

MARKER_PREFIX = "<!-- infomaniak-gitops:plan"
MARKER_RE = re.compile(
    r"<!-- infomaniak-gitops:plan v=1 plan_hash=(?P<hash>[0-9a-f]{64}) "
    r"commit=(?P<commit>[0-9a-f]{7,64}(?:\+dirty)?|unknown) -->"
)
COMMENT_MARKER_PREFIX = "<!-- infomaniak-gitops:comment"
COMMENT_ID_RE = re.compile(r"[A-Za-z0-9._/@:+-]{1,100}")
_COMMIT_RE = re.compile(r"[0-9a-f]{7,64}(?:\+dirty)?")


def plan_marker(plan: Plan) -> str:
    """The hidden line CI reads back: the plan hash and the desired-state commit it was computed at."""
    commit = plan.git_commit if plan.git_commit and _COMMIT_RE.fullmatch(plan.git_commit) else None
    return f"<!-- infomaniak-gitops:plan v=1 plan_hash={plan.plan_hash} commit={commit or 'unknown'} -->"


@dataclass(frozen=True)
class PlanMarker:
    """What CI reads back from a plan comment."""

    plan_hash: str
    commit: str | None


def parse_plan_marker(text: str) -> PlanMarker:
    """The plan hash a comment carries; fails closed.

    Raises PlanError when no line carries the marker, when a line that starts like the marker does not
    match it exactly (garbled or tampered), or when marker lines disagree on the hash.
    """
    found: list[PlanMarker] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith(MARKER_PREFIX):
            continue
        match = MARKER_RE.fullmatch(stripped)
        if match is None:
            raise PlanError(
                f"line {number}: a garbled plan marker; refusing to trust this comment\n"
                "  re-run the plan job so it rewrites the comment, then review it again"
            )
        commit = match["commit"]
        found.append(PlanMarker(match["hash"], None if commit == "unknown" else commit))
    if not found:
        raise PlanError(
            "no plan marker in the comment (the plan job failed, or this is not a plan comment); "
            "refusing to apply an unreviewed plan\n  fix the plan job on the pull request, then merge again"
        )
    hashes = sorted({marker.plan_hash for marker in found})
    if len(hashes) > 1:
        listed = ", ".join(h[:12] for h in hashes)
        raise PlanError(
            f"{len(hashes)} different plan hashes in the plan comments ({listed}); "
            "refusing to guess which was reviewed\n  re-run the plan job so that one comment remains"
        )
    return found[-1]


def comment_marker(comment_id: str) -> str:
    """The first line of a plan comment: which account (state directory) the comment is for."""
    if not COMMENT_ID_RE.fullmatch(comment_id):
        raise SettingsError(
            f"comment id {comment_id!r} must be 1-100 characters of letters, digits and ._/@:+-"
        )
    return f"{COMMENT_MARKER_PREFIX} id={comment_id} -->"
