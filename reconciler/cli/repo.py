"""``init``: start a configuration repository (files, workflows, MCP and editor wiring, optional import)."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.cli.common import EXIT_OK, echo, echo_err, run_async, settings_for
from reconciler.errors import SettingsError
from reconciler.settings import WORK_DIR_NAME


def cmd_init(args: argparse.Namespace) -> int:
    from reconciler.engine import commit_all, init_repository, installed_command, mcp_config

    if args.state:
        # init always writes DIR/state: a --state elsewhere would be silently ignored.
        raise SettingsError(
            f"init writes the desired state into DIR/state; --state {args.state} does not apply to it\n"
            "  name the repository folder instead: infomaniak-gitops init DIR"
        )
    root = Path(args.directory).resolve()
    base = settings_for(args)
    # Everything the tool keeps for this repository lives inside it, wherever the command was started.
    settings = replace(base, state_dir=root / "state", work_dir=root / WORK_DIR_NAME)
    # One API session finds the account and imports (init_repository), so the account list is read once.
    result = run_async(
        init_repository(settings, root, account=args.account, force=args.force, import_live=args.import_live)
    )
    report, account = result.report, result.account
    if report.git_initialised:
        echo(f"initialised a git repository in {root}")
    for name, outcome in report.files:
        echo(f"{outcome:>11}  {name}")
    for name in report.force_kept:
        echo_err(
            f"note: --force never rewrites {name}: its account id and protect rules are yours\n"
            "  to regenerate it deliberately, delete it, then run init again (git diff then shows what "
            "the new one lacks)"
        )
    written_account = _account_in(root / "state" / "infomaniak.yaml")
    if written_account is None and account is None:
        echo_err(
            "note: the account id is not set in state/infomaniak.yaml (no token, the token was refused, or "
            "it sees several accounts); set `account:` before the first plan"
        )
    elif written_account is None:
        # A kept file from an earlier run that could not see the account (no token then).
        echo_err(
            f"note: state/infomaniak.yaml (kept) sets no account id; the token sees account {account}: "
            f"add `account: {account}` to it"
        )
    if report.repo_root is not None and report.repo_root != root:
        echo_err(
            f"note: {root} is inside the git repository at {report.repo_root}; GitHub runs workflows only "
            f"from {report.repo_root / '.github' / 'workflows'}: move them there and set their state-dir"
        )
    committed = False
    if args.import_live:
        for file in result.imported:
            echo(f"   imported  {file}")
        # Only what init wrote (and its own files an earlier run left uncommitted): a user's other
        # changes in an existing repository, staged or not, never slip into this commit.
        commit = commit_all(
            root,
            "Import the live account with infomaniak-gitops init",
            paths=[name for name, outcome in report.files if outcome != "kept"] + result.imported,
            new_only=[name for name, outcome in report.files if outcome == "kept"],
        )
        committed = commit is not None
        echo(f"committed {commit[:12]}" if commit else "nothing new to commit")
    sandbox = "--sandbox " if settings.sandbox else ""
    snippet = mcp_config(installed_command(absolute=True), sandbox=settings.sandbox, absolute_root=root)
    steps = [f"cd {shlex.quote(str(root))}", f"{shlex.quote(installed_command())} {sandbox}plan"]
    if not committed:
        steps.append("git add -A && git commit -m 'Start the configuration repository'")
    echo(
        "\nNext:\n"
        + "".join(f"  {step}\n" for step in steps)
        + "Claude Code reads .mcp.json here. For Claude Desktop, add this to claude_desktop_config.json:\n"
        + json.dumps(snippet, indent=2, ensure_ascii=False)
    )
    return EXIT_OK


def _account_in(config: Path) -> str | None:
    """The ``account:`` a config file sets, read as text (the file may be the user's, mid-edit)."""
    try:
        found = re.search(r"^account:[ \t]*([^\s#]+)", config.read_text(encoding="utf-8"), re.MULTILINE)
    except (OSError, UnicodeDecodeError):
        return None
    return found.group(1) if found else None


def _account_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a numeric account id") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError("an account id is a positive number")
    return value


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    init = sub.add_parser(
        "init",
        parents=[common],
        help="start a configuration repository in DIR (idempotent)",
        description="Create state/infomaniak.yaml, .gitignore, GitHub workflows, .mcp.json and editor "
        "schema associations in DIR (git init if needed). Existing files are kept unless --force; "
        "state/infomaniak.yaml is always kept (delete it to regenerate it).",
    )
    init.add_argument(
        "directory", nargs="?", default=".", metavar="DIR", help="the repository folder (default: this one)"
    )
    init.add_argument("--account", type=_account_id, help="account id (default: the only one the token sees)")
    init.add_argument(
        "--force",
        action="store_true",
        help="overwrite the files init writes, except state/infomaniak.yaml (delete that one to "
        "regenerate it)",
    )
    init.add_argument(
        "--import",
        dest="import_live",
        action="store_true",
        help="also import every kind from the live account and commit the result",
    )
    init.set_defaults(func=cmd_init)
