"""The safety verbs: `undo APPLY_ID` and `audit verify`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    color_enabled,
    config_for,
    echo,
    echo_err,
    run_async,
    settings_for,
)
from reconciler.cli.core import approval_of, run_apply
from reconciler.errors import ApprovalError

if TYPE_CHECKING:
    pass


async def _undo(args: argparse.Namespace) -> int:
    from reconciler.engine import Session, apply_plan, plan_undo, render_text, undo_source

    settings = settings_for(args)
    async with Session(settings, config_for(settings)) as session:
        plan = await plan_undo(session, args.apply_id)
        echo(render_text(plan, color=color_enabled(args)))
        if not plan.has_changes:
            return EXIT_OK
        if args.out:
            out = Path(args.out)
            out.write_text(plan.to_json() + "\n", encoding="utf-8")
            echo_err(f"saved the undo plan to {out}; apply it with `infomaniak-gitops apply {out}`")
            return EXIT_OK
        if args.expect_plan_hash is not None:
            if args.expect_plan_hash != plan.plan_hash:
                raise ApprovalError(
                    f"--expect-plan-hash {args.expect_plan_hash[:12]} is not this undo plan "
                    f"({plan.plan_hash[:12]}); review the plan above and approve its hash"
                )
            approval = "expected_hash"
        else:
            chosen = approval_of(args, plan)
            if chosen is None:
                return EXIT_ERROR
            approval = chosen
        code = await run_apply(
            apply_plan(
                session,
                expected_hash=plan.plan_hash,
                approval=approval,
                approved=plan,
                force=args.force,
                source=undo_source(args.apply_id),
                undo_of=args.apply_id,
            ),
            settings.journal_file,
        )
    echo_err(
        "note: live state is back as before that apply, but the desired files still say otherwise:\n"
        "  revert that change in git too (git revert), or the next apply makes it again"
    )
    return code


def cmd_undo(args: argparse.Namespace) -> int:
    return run_async(_undo(args))


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from reconciler.engine import load_last_apply, verify_chain

    settings = settings_for(args)
    anchor = load_last_apply(settings.last_apply_file).get("audit_head")
    report = verify_chain(settings.audit_file, anchor=anchor if isinstance(anchor, str) else None)
    text = report.text()
    if report.ok:
        echo(text)
        return EXIT_OK
    echo_err(text)
    return EXIT_ERROR


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `undo` and `audit` to the top-level subparsers."""
    undo = sub.add_parser(
        "undo",
        parents=[common],
        help="plan (and apply, once approved) the restoring of the values one apply replaced",
    )
    undo.add_argument("apply_id", metavar="APPLY_ID", help="the id `apply` printed (also in the audit log)")
    undo.add_argument("--out", metavar="FILE", help="save the undo plan for `apply FILE` instead")
    undo.add_argument("--auto-approve", action="store_true", help="skip the interactive yes (CI)")
    undo.add_argument("--expect-plan-hash", metavar="HASH", help="apply only if the undo plan has this hash")
    undo.add_argument("--force", action="store_true", help="override safety thresholds (not protect rules)")
    undo.set_defaults(func=cmd_undo)

    audit = sub.add_parser("audit", parents=[common], help="check the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_sub.add_parser(
        "verify", parents=[common], help="check the audit log's hash chain (edited, removed or moved entries)"
    )
    verify.set_defaults(func=cmd_audit_verify)
