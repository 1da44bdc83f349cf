"""Read-only verbs over the whole account: show, audit-account, api get."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    config_for,
    echo,
    echo_err,
    run_async,
    settings_for,
)
from reconciler.errors import SettingsError
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.engine import (
        AuditReport,
        ReadResult,
        Severity,
    )

DEFAULT_SHOW_LIMIT = 200


def parse_date(text: str | None) -> float | None:
    """``YYYY-MM-DD`` (UTC midnight) as epoch seconds."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise SettingsError(f"--as-of {text!r} is not a date; give YYYY-MM-DD, e.g. 2026-01-31") from exc


async def _show(args: argparse.Namespace, settings: Settings) -> ReadResult:
    from reconciler.engine import Session, read_live

    async with Session(settings, config_for(settings)) as session:
        now = parse_date(args.as_of) or session.clock
        return await read_live(
            session.ctx, args.kind, args.scope, offset=args.offset, limit=args.limit, now=now
        )


def cmd_show(args: argparse.Namespace) -> int:
    from reconciler.engine import READ_RENDERERS, render_catalogue

    if args.kind is None:
        echo(render_catalogue(fmt=args.format))
        return EXIT_OK
    result = run_async(_show(args, settings_for(args)))
    if args.format == "text":
        echo(READ_RENDERERS["text"](result).rstrip("\n"))
    else:
        echo(READ_RENDERERS[args.format](result))
    return EXIT_OK


async def _audit(args: argparse.Namespace, settings: Settings) -> AuditReport:
    from reconciler.engine import Session, Thresholds, run_audits

    thresholds = Thresholds(expiry_days=args.days, invitation_days=args.invitation_days)
    async with Session(settings, config_for(settings)) as session:
        now = parse_date(args.as_of) or session.clock
        return await run_audits(session.ctx, args.audit or None, thresholds=thresholds, now=now)


def cmd_audit_account(args: argparse.Namespace) -> int:
    from reconciler.engine import AUDIT_RENDERERS, parse_severity

    fail_on: Severity | None = parse_severity(args.fail_on) if args.fail_on else None
    report = run_async(_audit(args, settings_for(args)))
    echo(AUDIT_RENDERERS[args.format](report))
    if fail_on is None:
        return EXIT_OK
    if report.errors:
        echo_err(f"{len(report.errors)} audit(s) could not run: {', '.join(report.errors)}")
        return EXIT_ERROR
    failing = report.at_least(fail_on)
    if failing:
        echo_err(f"{len(failing)} finding(s) at or above {fail_on.value}")
        return EXIT_CHANGES
    return EXIT_OK


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SettingsError(f"--param {pair!r} is not NAME=VALUE (e.g. --param per_page=10)")
        params[name] = value
    return params


async def _api_get(args: argparse.Namespace, settings: Settings) -> Any:
    from reconciler.engine import Session, api_get

    async with Session(settings, config_for(settings)) as session:
        return await api_get(session.ctx, args.path, _params(args.param), max_chars=args.max_chars)


def cmd_api(args: argparse.Namespace) -> int:
    result = run_async(_api_get(args, settings_for(args)))
    echo(result.text)
    if result.note:
        echo_err(f"note: {result.note}")
    return EXIT_OK


# Spelled out so that building the parser (and so --help) imports no engine; tests/cli/test_startup.py
# keeps them equal to the engine's renderers, severities and audits.
READ_FORMATS = ("json", "text", "yaml")
AUDIT_FORMATS = ("json", "markdown", "text")
SEVERITIES = ("info", "low", "medium", "high", "critical")
AUDIT_NAMES = ("dns", "share_links", "mailboxes", "access", "expiry")


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``minimum`` (the MCP tools have the same bounds)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below {minimum}; give at least {minimum}")
        return value

    return parse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the read-only verbs to the top-level subparsers."""
    show = sub.add_parser(
        "show", parents=[common], help="read any kind of the account (no kind: list the kinds)"
    )
    show.add_argument("kind", nargs="?", help="a kind, e.g. mailboxes or dns; omit to list every kind")
    show.add_argument("scope", nargs="?", help="e.g. a mail hosting, drive or zone; omit for all")
    show.add_argument("--format", choices=READ_FORMATS, default="text")
    show.add_argument("--offset", type=at_least(0), default=0, help="skip this many rows")
    show.add_argument(
        "--limit", type=at_least(1), default=DEFAULT_SHOW_LIMIT, help="show at most this many rows"
    )
    show.add_argument("--as-of", metavar="YYYY-MM-DD", help="judge expiry and ages as of this day")
    show.set_defaults(func=cmd_show)

    audit = sub.add_parser("audit-account", parents=[common], help="posture audits of the whole account")
    audit.add_argument("--format", choices=AUDIT_FORMATS, default="text")
    audit.add_argument(
        "--fail-on",
        metavar="SEVERITY",
        choices=SEVERITIES,
        help="exit 2 when a finding is at least this severe (info, low, medium, high, critical)",
    )
    audit.add_argument(
        "--audit", action="append", choices=AUDIT_NAMES, help="run only this audit (repeatable)"
    )
    audit.add_argument("--days", type=at_least(1), default=30, help="expiry window in days (default 30)")
    audit.add_argument(
        "--invitation-days",
        type=at_least(1),
        default=30,
        help="pending invitations older than this are findings",
    )
    audit.add_argument("--as-of", metavar="YYYY-MM-DD", help="judge expiry and ages as of this day")
    audit.set_defaults(func=cmd_audit_account)

    api = sub.add_parser("api", parents=[common], help="read-only access to any API path")
    api_sub = api.add_subparsers(dest="api_command", required=True, metavar="ACTION")
    get = api_sub.add_parser("get", parents=[common], help="GET a path under /1/, /2/ or /3/")
    get.add_argument("path", help="e.g. /1/products")
    get.add_argument(
        "--param", "-p", action="append", default=[], metavar="NAME=VALUE", help="query parameter"
    )
    get.add_argument(
        "--max-chars", type=at_least(1), default=20_000, help="cut the answer at this many characters"
    )
    get.set_defaults(func=cmd_api)
