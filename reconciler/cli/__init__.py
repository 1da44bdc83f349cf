"""Command line front: argument parsing and output only; every verb calls the engine.

Each module here registers its verbs. Exit codes (terraform-style): 0 success or no changes,
1 error or refusal, 2 changes pending (``plan --detailed-exitcode``, ``drift``), 3 applied but not
verified (the verification re-plan failed; ``apply`` and ``undo``).
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from collections.abc import Sequence

from reconciler import __version__
from reconciler.cli import ci, core, inventory, mcp, repo, safety
from reconciler.cli.common import EXIT_ERROR, echo_err
from reconciler.errors import ReconcilerError

VERB_MODULES = (core, repo, inventory, ci, mcp, safety)

SERVER_VERBS = frozenset({"mcp", "sandbox"})
"""Verbs that may run for hours (the MCP server, ``sandbox serve``): they keep CPython's GC settings."""

RUN_GC_THRESHOLDS = (50_000, 20, 100)
"""Collector thresholds of a one-shot run. It allocates many objects that live until it exits (API pages,
models) and little cyclic garbage; with CPython's default (a young collection every 700 allocations, older
ones every 10 of those, each walking every survivor) a large plan spent a fifth of its CPU collecting nothing
(docs/performance.md)."""


def _common_flags(*, suppress: bool) -> argparse.ArgumentParser:
    """Global flags, accepted before or after the verb.

    The verbs' copies default to SUPPRESS so that `--sandbox plan` is not reset by the verb's parser.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state", metavar="DIR", default=default(None), help="desired-state directory")
    common.add_argument(
        "--sandbox", action="store_true", default=default(False), help="use the built-in simulator account"
    )
    common.add_argument("-v", "--verbose", action="count", default=default(0), help="log more (repeatable)")
    common.add_argument("--no-color", action="store_true", default=default(False), help="plain text output")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infomaniak-gitops",
        description="GitOps for an Infomaniak account: plan and apply desired state kept in YAML.",
        parents=[_common_flags(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verb_common = _common_flags(suppress=True)
    for module in VERB_MODULES:
        module.register(sub, verb_common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    thresholds = gc.get_threshold()
    if args.command not in SERVER_VERBS:
        gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        return int(args.func(args))
    except ReconcilerError as exc:
        echo_err(f"error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        echo_err("interrupted")
        return EXIT_ERROR
    finally:
        if args.command not in SERVER_VERBS:
            gc.set_threshold(*thresholds)  # a caller in the same process (a test, a script) gets its own back
