"""Helpers shared by the CLI verb modules: output, exit codes, settings from flags."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.settings import Settings, load_settings

if TYPE_CHECKING:
    from reconciler.desired import AccountConfig

_T = TypeVar("_T")

FORMATS = ("json", "markdown", "text")
"""Output formats of plan and drift (the engine's renderers; a test keeps the two equal). Spelled out
so that building the parser, and so ``--help``, imports no engine."""

TARGET_HELP = (
    "narrow to a kind (dns, teams) or to KIND/SCOPE as plan headers spell it (dns/example.ch, "
    "mailbox_security/example.ch, 'share_links/Demo Drive'); repeatable. A file's folder is an alias of "
    "the kinds filed there (mail/example.ch, account, 'drive/Demo Drive')"
)
"""The help of every ``--target`` (plan, apply, drift): the kind spelling first, folders as aliases."""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNVERIFIED = 3
"""Every change was applied, but the verification re-plan could not run (docs/safety.md)."""


def run_async(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run``; asyncio (with ssl and sockets) is imported by the verbs that use it, not by --help."""
    import asyncio

    return asyncio.run(coroutine)


def echo(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def echo_err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def color_enabled(args: argparse.Namespace) -> bool:
    return not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def settings_for(args: argparse.Namespace) -> Settings:
    return load_settings(state_dir=args.state, sandbox=True if args.sandbox else None)


def config_for(settings: Settings) -> AccountConfig:
    """The account file of the state directory (defaults when there is no directory yet)."""
    from reconciler.desired import AccountConfig, load_config

    if not settings.state_dir.is_dir():
        return AccountConfig()
    return load_config(settings.state_dir, cache_dir=settings.work_dir)
