"""The core verbs: validate, plan, apply, import, schema, sandbox."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_UNVERIFIED,
    FORMATS,
    TARGET_HELP,
    color_enabled,
    config_for,
    echo,
    echo_err,
    run_async,
    settings_for,
)
from reconciler.cli.progress import progress_line, wanted
from reconciler.cli.sandbox_faults import add_fault_arguments, describe_faults, faults_from_args
from reconciler.errors import ApprovalError, PlanError, UnverifiedApply
from reconciler.settings import Settings, load_settings

if TYPE_CHECKING:
    from reconciler.engine import ApplyReport, Plan

# -- verbs -------------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from reconciler.desired import display_path, load_desired
    from reconciler.kinds import all_kinds

    settings = settings_for(args)
    desired = load_desired(settings.state_dir, all_kinds(), cache_dir=settings.work_dir)
    count = sum(len(scope.objects) for scope in desired.scopes)
    where = display_path(settings.state_dir)
    echo(f"OK: {len(desired.scopes)} file(s), {count} resource(s) in {where} are valid")
    return EXIT_OK


async def _plan(
    settings: Settings, targets: list[str], *, git_commit: str | None, progress: bool = False
) -> Plan:
    from reconciler.engine import Session, make_plan, parse_targets, progress_text

    async with (
        Session(settings, config_for(settings)) as session,
        progress_line(partial(progress_text, session), label="plan", enabled=progress),
    ):
        return await make_plan(session, targets=parse_targets(targets), git_commit=git_commit)


def cmd_plan(args: argparse.Namespace) -> int:
    from reconciler.desired import display_path
    from reconciler.engine import RENDERERS, describe_commit, render_text

    settings = settings_for(args)
    progress = wanted(sys.stderr, output_format=args.format)
    if args.ref:
        from reconciler.engine import exported_state, relabel_files

        # The committed desired state at REF, exported to a temporary directory: no checkout, so
        # uncommitted work in the tree is neither used nor touched.
        with exported_state(settings.state_dir, args.ref) as (folder, commit):
            plan = run_async(
                _plan(replace(settings, state_dir=folder), args.target, git_commit=commit, progress=progress)
            )
        relabel_files(plan, folder, display_path(settings.state_dir))
    else:
        described = describe_commit(settings.state_dir)
        plan = run_async(_plan(settings, args.target, git_commit=described, progress=progress))
    if args.format == "text":
        echo(render_text(plan, color=color_enabled(args)))
    else:
        echo(RENDERERS[args.format](plan))
    if args.out:
        out = Path(args.out)
        try:
            out.write_text(plan.to_json() + "\n", encoding="utf-8")
        except OSError as exc:
            raise PlanError(
                f"{out}: cannot write the plan file: {exc.strerror}; pick a folder that exists"
            ) from exc
        command = f"infomaniak-gitops {'--sandbox ' if plan.sandbox else ''}apply {shlex.quote(str(out))}"
        echo_err(f"saved plan to {out}; apply it with `{command}`")
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


def approval_of(args: argparse.Namespace, plan: Plan) -> str | None:
    """How the plan just shown is approved: --auto-approve, or a `yes` typed on a terminal.

    None when the human answered no; ApprovalError when nobody can be asked.
    """
    if args.auto_approve:
        return "auto_approve"
    if _confirm(plan):
        return "interactive"
    if sys.stdin.isatty():
        echo_err("Apply cancelled.")
        return None
    command = f"infomaniak-gitops {'--sandbox ' if plan.sandbox else ''}"
    raise ApprovalError(
        "refusing to apply without approval: no terminal to ask on\n"
        "  review the plan, then run one of:\n"
        f"    {command}apply --auto-approve     (CI that already gates on review)\n"
        f"    {command}apply --expect-plan-hash {plan.plan_hash}\n"
        f"    {command}plan --out plan.json, then: {command}apply plan.json"
    )


async def run_apply(
    apply: Any, journal_file: Path, *, progress: AbstractAsyncContextManager[None] | None = None
) -> int:
    """Await an ``apply_plan`` call and print its report; exit 3 when only the verification failed.

    ``progress`` (a progress line) is shown while the apply runs and gone before the report prints. On
    Ctrl-C the apply has recorded what it did in ``journal_file`` before the interrupt reaches here: that is
    said at once (the exit code stays the interrupt's, in ``main``).
    """
    import asyncio

    from reconciler.engine import interruption_notice, read_journal

    before = read_journal(journal_file)
    try:
        async with progress or nullcontext():
            report: ApplyReport = await apply
    except UnverifiedApply as exc:
        echo_err(f"warning: {exc}")
        return EXIT_UNVERIFIED
    except (KeyboardInterrupt, asyncio.CancelledError):
        # asyncio.run turns the first Ctrl-C into the task's cancellation: both mean an interrupt.
        since = before.apply_id if before is not None else None
        notice = interruption_notice(read_journal(journal_file), since=since)
        echo_err("\n".join([f"warning: {notice[0]}", *notice[1:]]))
        raise
    for line in report.applied:
        echo(f"  done: {line}")
    echo(
        f"Apply {report.apply_id} complete: {len(report.applied)} change(s) applied "
        f"(approval: {report.approval})."
    )
    for line in report.outcome_unknown:
        echo(f"  outcome was unknown: {line}")
    if report.remaining:
        echo_err("warning: the verification plan still shows changes:")
        for line in report.remaining:
            echo_err(f"  {line}")
        return EXIT_ERROR
    echo("Verified: live state now matches the desired state.")
    return EXIT_OK


def _confirm(plan: Plan) -> bool:
    if not sys.stdin.isatty():
        return False
    echo("\nDo you want to apply these changes?\n  Only 'yes' will be accepted to approve.\n")
    try:
        answer = input("  Enter a value: ")
    except EOFError:
        return False
    return answer.strip() == "yes"


_PLAN_HASH = re.compile(r"[0-9a-f]{64}")


def _check_clean(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse uncommitted desired state: what gets applied must be what was committed (and reviewed).

    Uncommitted means what ``git status`` shows, and also a desired file git ignores or was told not to
    compare (assume-unchanged, skip-worktree). A state directory in no git repository is refused even with
    ``--allow-dirty``: that flag applies edits on top of a commit, and there is none to name in the audit.
    The sandbox is exempt: it is the place to try edits before committing them, and nothing real changes.
    """
    from reconciler.desired import display_path
    from reconciler.engine import tree_state

    if settings.sandbox:
        return
    where = display_path(settings.state_dir)
    found = tree_state(settings.state_dir)
    if found.repository is None:
        raise ApprovalError(
            f"{where} ({settings.state_dir.resolve()}) is not in a git repository; refusing to apply to a "
            "real account: what is applied to a real account is a commit (--allow-dirty does not change "
            "that: there is no commit to apply edits on top of)\n"
            f"  Next: `git init` and commit {where}, or start a configuration repository with "
            "`infomaniak-gitops init` (try edits without a commit with --sandbox)"
        )
    if args.allow_dirty or not found.dirty:
        return
    details = "".join(f"  {line}\n" for line in found.unseen())
    raise ApprovalError(
        f"{where} has uncommitted changes; refusing to apply desired state that is not committed\n"
        f"{details}"
        "  commit them (and get them reviewed), or see them with "
        f"`git status --ignored {shlex.quote(where)}`\n"
        "  to apply them anyway: infomaniak-gitops apply --allow-dirty"
    )


async def _apply(args: argparse.Namespace, settings: Settings) -> int:
    from reconciler.engine import (
        Session,
        apply_plan,
        describe_commit,
        journal_notices,
        load_plan_file,
        make_plan,
        parse_targets,
        progress_text,
        read_journal,
        render_text,
        settle_interrupted,
        undo_source,
    )

    approved: Plan | None = None
    targets = parse_targets(args.target)
    # `is not None`: an empty --expect-plan-hash (say, from a failed lookup in CI) must refuse, never
    # fall through to another approval path.
    if args.expect_plan_hash is not None and not _PLAN_HASH.fullmatch(args.expect_plan_hash):
        raise ApprovalError(
            f"--expect-plan-hash {args.expect_plan_hash!r} is not a plan hash (64 lowercase hex digits); "
            "refusing to apply\n  copy the hash from the plan comment or `infomaniak-gitops plan`"
        )
    if args.plan_file:
        approved = load_plan_file(Path(args.plan_file))
        if approved.sandbox != settings.sandbox:
            where = "the sandbox" if approved.sandbox else "a real account"
            command = f"infomaniak-gitops {'--sandbox ' if approved.sandbox else ''}apply"
            raise ApprovalError(
                f"{args.plan_file} was planned against {where}; apply it the same way: "
                f"{command} {shlex.quote(args.plan_file)}"
            )
        if args.expect_plan_hash is not None and args.expect_plan_hash != approved.plan_hash:
            raise ApprovalError(
                f"--expect-plan-hash {args.expect_plan_hash[:12]} does not match {args.plan_file} "
                f"({approved.plan_hash[:12]})"
            )
        targets = parse_targets(approved.targets)
    # After the plan file's own checks: a sandbox plan applied without --sandbox is told that first.
    _check_clean(args, settings)
    commit = describe_commit(settings.state_dir)
    undo_of = approved.undo_of if approved is not None else None
    async with Session(settings, config_for(settings)) as session:
        # Around the API work only: the plan, the question and the report print with no line in between.
        line = partial(progress_line, partial(progress_text, session), enabled=wanted(sys.stderr))
        if approved is not None or args.expect_plan_hash is not None:
            # No plan is shown on these paths: name an interrupted last apply here instead.
            for notice in journal_notices(read_journal(settings.journal_file)):
                echo_err(f"warning: {notice}")
        if approved is not None:
            expected, approval = approved.plan_hash, "saved_plan"
        elif args.expect_plan_hash is not None:
            expected, approval = args.expect_plan_hash, "expected_hash"
        else:
            async with line(label="plan"):
                plan = await make_plan(session, targets=targets, git_commit=commit)
            echo(render_text(plan, color=color_enabled(args)))
            if not plan.has_changes:
                settled = settle_interrupted(session)
                if settled:
                    echo(f"Apply {settled} was interrupted; nothing of it remains to apply.")
                return EXIT_OK
            chosen = approval_of(args, plan)
            if chosen is None:
                return EXIT_ERROR
            expected, approval = plan.plan_hash, chosen
        return await run_apply(
            apply_plan(
                session,
                expected_hash=expected,
                approval=approval,
                targets=targets,
                approved=approved,
                force=args.force,
                git_commit=commit,
                source=undo_source(undo_of) if undo_of else None,
                undo_of=undo_of,
            ),
            settings.journal_file,
            progress=line(label="apply"),
        )


def cmd_apply(args: argparse.Namespace) -> int:
    return run_async(_apply(args, settings_for(args)))


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    from reconciler.engine import Session, import_scopes, scope_title

    async with Session(settings, config_for(settings)) as session:
        kind = session.kind(args.kind)
        imported = await import_scopes(session, kind, list(args.scopes), overwrite=args.overwrite)
    if not imported:
        echo_err(f"no {kind.name} scopes found in the account")
        return EXIT_ERROR
    for scope in imported:
        title = scope_title(kind.name, scope.scope)
        echo(f"wrote {scope.edit.file} ({scope.resources} resource(s) of {title})")
        for note in scope.notes:
            echo_err(f"  kept as the API gave it (see the comment in the file): {note}")
    echo("The files describe the account as it is: `plan` shows no changes for them. Commit them.")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    return run_async(_import(args, settings_for(args)))


def cmd_schema(args: argparse.Namespace) -> int:
    from reconciler.engine import schema_document

    echo(json.dumps(schema_document(args.kind), indent=2, ensure_ascii=False))
    return EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    settings = load_settings(state_dir=args.state, sandbox=True)
    if args.sandbox_command == "reset":
        settings.sandbox_file.unlink(missing_ok=True)
        settings.last_apply_file.unlink(missing_ok=True)
        if args.account != "demo":
            from reconciler.sandbox import ACCOUNTS

            ACCOUNTS[args.account]().save(settings.sandbox_file)
        echo(
            f"sandbox reset: the next command starts from the {args.account} account"
            f" ({settings.sandbox_file})"
        )
        return EXIT_OK
    from reconciler.sandbox import SANDBOX_TOKEN, serve

    # Also accepting the token from the environment lets real-mode commands (INFOMANIAK_API_URL pointed
    # here) run unchanged against the simulator.
    tokens = [SANDBOX_TOKEN, *([settings.token] if settings.token else [])]
    faults = faults_from_args(args)
    echo_err(
        f"serving the Infomaniak simulator on http://127.0.0.1:{args.port} (state: {settings.sandbox_file})\n"
        f"  accepted tokens: {SANDBOX_TOKEN!r}"
        + (" and $INFOMANIAK_API_TOKEN" if settings.token else "")
        + "".join(f"\n  fault: {line}" for line in describe_faults(faults))
    )
    serve(
        settings.sandbox_file,
        host="127.0.0.1",
        port=args.port,
        tokens=tokens,
        faults=faults,
        log_level="warning",
    )
    return EXIT_OK


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the core verbs to the top-level subparsers."""

    validate = sub.add_parser("validate", parents=[common], help="check the desired-state files")
    validate.set_defaults(func=cmd_validate)

    plan = sub.add_parser("plan", parents=[common], help="show what apply would change")
    plan.add_argument("--out", metavar="FILE", help="also save the plan as JSON for `apply FILE`")
    plan.add_argument("--format", choices=FORMATS, default="text")
    plan.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when there are changes")
    plan.add_argument("--target", action="append", default=[], metavar="KIND[/SCOPE]", help=TARGET_HELP)
    plan.add_argument(
        "--ref",
        metavar="REF",
        help="plan the desired state committed at this git revision (branch, tag, sha)",
    )
    plan.set_defaults(func=cmd_plan)

    apply = sub.add_parser("apply", parents=[common], help="apply an approved plan")
    apply.add_argument("plan_file", nargs="?", metavar="PLAN_FILE", help="a plan saved with `plan --out`")
    apply.add_argument("--auto-approve", action="store_true", help="skip the interactive yes (CI)")
    apply.add_argument("--expect-plan-hash", metavar="HASH", help="apply only if the plan has this hash")
    apply.add_argument("--force", action="store_true", help="override safety thresholds (not protect rules)")
    apply.add_argument("--target", action="append", default=[], metavar="KIND[/SCOPE]", help=TARGET_HELP)
    apply.add_argument(
        "--allow-dirty",
        action="store_true",
        help="apply even though the state directory has uncommitted changes (never needed with --sandbox)",
    )
    apply.set_defaults(func=cmd_apply)

    imp = sub.add_parser("import", parents=[common], help="write desired-state files from live state")
    imp.add_argument("kind", help="kind to import, e.g. dns")
    imp.add_argument("scopes", nargs="*", metavar="SCOPE", help="e.g. a zone; default: all in the account")
    imp.add_argument("--overwrite", action="store_true", help="replace existing files")
    imp.set_defaults(func=cmd_import)

    schema = sub.add_parser("schema", parents=[common], help="print the JSON Schema of the files")
    schema.add_argument("kind", nargs="?", help="`config` or a kind name: only that file type's schema")
    schema.set_defaults(func=cmd_schema)

    sandbox = sub.add_parser("sandbox", parents=[common], help="run or reset the simulator")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    serve = sandbox_sub.add_parser("serve", parents=[common], help="serve the simulator on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    add_fault_arguments(serve)
    serve.set_defaults(func=cmd_sandbox)
    reset = sandbox_sub.add_parser("reset", parents=[common], help="forget sandbox changes")
    reset.add_argument(
        "--account",
        choices=("demo", "dirty", "large"),
        default="demo",
        help="start from the clean demo (default), the dirty one (every audit finds something) or a "
        "generated large one (50 zones × 200 records, 1,000 mailboxes, 2,500 share links, 100 teams)",
    )
    reset.set_defaults(func=cmd_sandbox)
