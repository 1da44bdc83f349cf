"""CI verbs: ``drift``, and ``comment`` (the pull-request plan comment helpers the GitHub Action runs).

``comment hash`` is the step that turns a reviewed pull request into ``apply --expect-plan-hash``; it
fails closed: no comment, a comment without its marker, a garbled marker or comments that disagree all
exit 1 and print nothing on stdout, so ``hash=$(...)`` stops a ``bash -e`` step before apply runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    FORMATS,
    TARGET_HELP,
    config_for,
    echo,
    echo_err,
    run_async,
    settings_for,
)
from reconciler.errors import DesiredStateError, PlanError, SettingsError
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.desired import DesiredState
    from reconciler.engine import (
        DriftReport,
    )

DEFAULT_AUTHOR = "github-actions[bot]"
DEFAULT_COMMENT_ID = "state"


# -- drift ---------------------------------------------------------------------------------------------


async def _drift(args: argparse.Namespace, settings: Settings) -> DriftReport:
    from reconciler.desired import display_path, load_desired
    from reconciler.engine import (
        AuditLog,
        Session,
        compute_drift,
        default_branch_ref,
        describe_commit,
        exported_state,
        load_last_apply,
        memo_kinds,
        parse_targets,
        relabel_files,
    )
    from reconciler.kinds import all_kinds

    targets = parse_targets(args.target)
    selected = [(t.kind, t.scope) for t in targets] or None
    base_ref = args.base or default_branch_ref(settings.state_dir)
    record = load_last_apply(settings.last_apply_file)
    shown = display_path(settings.state_dir)
    kinds = memo_kinds(all_kinds())
    notes: list[str] = []
    with ExitStack() as stack:
        base_commit: str | None
        if base_ref:
            base_dir, base_commit = stack.enter_context(exported_state(settings.state_dir, base_ref))
            label = base_ref
        else:
            base_dir, label = settings.state_dir, "working tree"
            base_commit = describe_commit(settings.state_dir)
        base = load_desired(base_dir, kinds, selected=selected)
        applied = _applied_states(stack, settings.state_dir, record, base, notes)
        base_settings = replace(settings, state_dir=base_dir)
        async with Session(base_settings, config_for(base_settings), kinds=kinds) as session:
            report = await compute_drift(
                session,
                base,
                base_label=label,
                base_commit=base_commit,
                targets=targets,
                record=record,
                applied=applied,
                audit_entries=AuditLog(settings.audit_file).entries(),
            )
        relabel_files(report.plan, base_dir, shown)
    report.notes.extend(notes)
    return report


def _applied_states(
    stack: ExitStack, state_dir: Path, record: dict[str, Any], base: DesiredState, notes: list[str]
) -> dict[str, DesiredState]:
    """The desired state of each commit the last apply verified, narrowed to the base's scopes."""
    from reconciler.desired import load_desired
    from reconciler.engine import DIRTY_SUFFIX, exported_state, resolve_commit, scope_commits

    wanted = [(item.kind.name, item.scope) for item in base.scopes]
    kinds = [item.kind for item in base.scopes]
    result: dict[str, DesiredState] = {}
    for commit in sorted(set(scope_commits(record).values())):
        if commit.endswith(DIRTY_SUFFIX):
            notes.append(f"the last apply was made from uncommitted changes on {commit[:12]}")
            continue
        if resolve_commit(state_dir, commit) is None:
            notes.append(f"the last apply's commit {commit[:12]} is not in this clone (fetch full history)")
            continue
        try:
            folder, _ = stack.enter_context(exported_state(state_dir, commit))
            result[commit] = load_desired(folder, kinds, selected=wanted)
        except (SettingsError, DesiredStateError) as exc:
            notes.append(f"cannot load the desired state of {commit[:12]}: {str(exc).splitlines()[0]}")
    return result


def cmd_drift(args: argparse.Namespace) -> int:
    from reconciler.engine import DRIFT_RENDERERS

    report = run_async(_drift(args, settings_for(args)))
    echo(DRIFT_RENDERERS[args.format](report))
    return EXIT_CHANGES if report.drifted else EXIT_OK


# -- comment -------------------------------------------------------------------------------------------


def read_comments(path: str) -> list[dict[str, Any]]:
    """Issue comments as the GitHub API returns them: one array, several pages, or one object a line.

    ``gh api --paginate`` prints one JSON array per page back to back, which ``json.loads`` rejects.
    """
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return found
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"{path}: not GitHub API comments JSON ({exc.msg} at {exc.pos})") from exc
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                raise SettingsError(f"{path}: expected comment objects, found {type(item).__name__}")
            found.append(item)


def select_comments(comments: list[dict[str, Any]], *, comment_id: str, author: str) -> list[dict[str, Any]]:
    """This account's plan comments: written by ``author`` and starting with the comment marker.

    Anyone can comment on a pull request; only the workflow's own comments are trusted.
    """
    from reconciler.engine import comment_marker

    marker = comment_marker(comment_id)
    return sorted(
        (
            c
            for c in comments
            if (c.get("user") or {}).get("login") == author and str(c.get("body") or "").startswith(marker)
        ),
        key=lambda c: int(c.get("id") or 0),
    )


def cmd_comment(args: argparse.Namespace) -> int:
    from reconciler.engine import comment_marker, parse_plan_marker

    marker = comment_marker(args.id)
    if args.comment_command == "wrap":
        return _wrap(args, marker)
    mine = select_comments(read_comments(args.comments), comment_id=args.id, author=args.author)
    if args.comment_command == "find":
        if mine:
            echo(str(mine[0].get("id")))
        return EXIT_OK
    if not mine:
        raise PlanError(
            f"no plan comment by {args.author} for {args.id!r} on this pull request; refusing to apply an "
            "unreviewed plan\n  run the plan workflow on the pull request (or pass the hash of a plan you "
            "reviewed as --expect-plan-hash)"
        )
    found = parse_plan_marker("\n".join(str(c.get("body") or "") for c in mine))
    urls = ", ".join(str(c.get("html_url") or c.get("id")) for c in mine)
    echo_err(f"reviewed plan {found.plan_hash[:12]} (commit {found.commit or 'unknown'}) from {urls}")
    echo(found.plan_hash)
    return EXIT_OK


def _wrap(args: argparse.Namespace, marker: str) -> int:
    from reconciler.engine import GITHUB_COMMENT_LIMIT, comment_length, md_text

    if args.error is not None:
        body = (
            "### infomaniak-gitops plan\n\n"
            f"❌ **The plan failed**, so there is nothing to approve: {md_text(args.error)}\n\n"
            "Merging now changes nothing: the apply job refuses without a reviewed plan hash."
        )
    elif args.file:
        body = (sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")).strip()
    else:
        raise SettingsError("comment wrap needs FILE (a markdown plan) or --error TEXT")
    text = f"{marker}\n{body}\n"
    if comment_length(text) > GITHUB_COMMENT_LIMIT:
        raise SettingsError(
            f"the comment is {comment_length(text):,} characters, over GitHub's {GITHUB_COMMENT_LIMIT:,}\n"
            "  render it with `infomaniak-gitops plan --format markdown`, which truncates to fit"
        )
    echo(text)
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the CI verbs to the top-level subparsers."""
    drift = sub.add_parser(
        "drift",
        parents=[common],
        help="compare live state with the default branch; exit 2 on drift",
        description="Plan the default branch's desired state against live state and say which side moved "
        "(live changed since the last apply, or desired changed and not applied yet). "
        "Exit 0: no drift; 2: drift; 1: error.",
    )
    drift.add_argument("--format", choices=FORMATS, default="text")
    drift.add_argument(
        "--base",
        metavar="REF",
        help="git revision of the desired state (default: origin's default branch if known, else the "
        "working tree)",
    )
    drift.add_argument("--target", action="append", default=[], metavar="KIND[/SCOPE]", help=TARGET_HELP)
    drift.set_defaults(func=cmd_drift)

    comment = sub.add_parser("comment", parents=[common], help="pull-request plan comments (used by CI)")
    actions = comment.add_subparsers(dest="comment_command", required=True, metavar="ACTION")
    for name, text in (
        ("find", "print the id of this account's plan comment, if any (to update it in place)"),
        ("hash", "print the plan hash of the reviewed plan comment; exit 1 if missing or in doubt"),
    ):
        action = actions.add_parser(name, parents=[common], help=text, description=text)
        action.add_argument(
            "--comments",
            required=True,
            metavar="FILE",
            help="output of the GitHub issue-comments API (- reads stdin)",
        )
        _comment_args(action)
    wrap = actions.add_parser(
        "wrap", parents=[common], help="print a comment body: the account marker, then FILE or an error"
    )
    wrap.add_argument("file", nargs="?", metavar="FILE", help="markdown plan (- reads stdin)")
    wrap.add_argument("--error", metavar="TEXT", help="write a failed-plan comment instead (no hash)")
    _comment_args(wrap)


def _comment_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--id",
        default=DEFAULT_COMMENT_ID,
        help=f"which account the comment is for, e.g. its state directory (default {DEFAULT_COMMENT_ID})",
    )
    parser.add_argument(
        "--author", default=DEFAULT_AUTHOR, help=f"login that writes plan comments (default {DEFAULT_AUTHOR})"
    )
    parser.set_defaults(func=cmd_comment)
