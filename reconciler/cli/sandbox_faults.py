"""``sandbox serve`` fault flags: rehearse a slow, rate-limited or failing API from the command line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from reconciler.errors import SettingsError

if TYPE_CHECKING:
    from reconciler.sandbox import Faults


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 3600 seconds")
    return value


def _status(text: str) -> int:
    value = _positive_int(text)
    if not 400 <= value <= 599:
        raise argparse.ArgumentTypeError(f"{text!r} is not an HTTP error status (400-599)")
    return value


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's fault options (``reconciler.sandbox.Faults``) as flags."""
    group = parser.add_argument_group("faults", "make the simulator misbehave, to rehearse failures")
    group.add_argument(
        "--latency", type=_seconds, metavar="SECONDS", help="wait this long before every answer"
    )
    group.add_argument(
        "--rate-limit",
        type=_positive_int,
        metavar="N",
        help="answer 429 past N requests in any sliding 60 s window per token (the real API: 60)",
    )
    group.add_argument(
        "--retry-after",
        type=_seconds,
        metavar="SECONDS",
        help="send Retry-After: SECONDS with every 429 (the real API is not documented to)",
    )
    group.add_argument(
        "--fail-on-write",
        type=_positive_int,
        metavar="N",
        help="answer the Nth write (POST/PUT/PATCH/DELETE) with an error, changing nothing",
    )
    group.add_argument(
        "--fail-status", type=_status, metavar="S", help="status of that failure (default 500; 503, 429 ...)"
    )
    group.add_argument(
        "--drop-connection-on",
        type=_positive_int,
        metavar="N",
        help="close the connection instead of answering the Nth request (any method)",
    )
    group.add_argument(
        "--drop-after-handling",
        action="store_true",
        help="with --drop-connection-on: carry the request out, then drop (a write whose answer is lost)",
    )


def faults_from_args(args: argparse.Namespace) -> Faults:
    """The ``Faults`` the flags ask for; a flag that needs another one without it is a settings error."""
    from reconciler.sandbox import Faults

    if args.fail_status is not None and args.fail_on_write is None:
        raise SettingsError("--fail-status needs --fail-on-write N (which write fails)")
    if args.drop_after_handling and args.drop_connection_on is None:
        raise SettingsError("--drop-after-handling needs --drop-connection-on N (which request is dropped)")
    return Faults(
        latency_seconds=args.latency or 0.0,
        rate_limit_per_minute=args.rate_limit,
        retry_after_seconds=args.retry_after,
        fail_on_write=args.fail_on_write,
        fail_status=args.fail_status or 500,
        drop_connection_on=args.drop_connection_on,
        drop_after_handling=args.drop_after_handling,
    )


def describe_faults(faults: Faults) -> list[str]:
    """One line per active fault, for the banner ``sandbox serve`` prints."""
    lines: list[str] = []
    if faults.latency_seconds:
        lines.append(f"latency {faults.latency_seconds:g} s per request")
    if faults.rate_limit_per_minute is not None:
        after = faults.retry_after_seconds
        hint = f", Retry-After: {after:g}" if after is not None else ", no Retry-After"
        lines.append(f"rate limit {faults.rate_limit_per_minute} requests per sliding 60 s (429{hint})")
    if faults.fail_on_write is not None:
        lines.append(f"write #{faults.fail_on_write} fails with HTTP {faults.fail_status}")
    if faults.drop_connection_on is not None:
        when = "after carrying it out" if faults.drop_after_handling else "before handling it"
        lines.append(f"request #{faults.drop_connection_on} is dropped {when}")
    return lines


__all__ = ["add_fault_arguments", "describe_faults", "faults_from_args"]
