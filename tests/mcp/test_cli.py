"""The `mcp` verb module: flags, and refusals before anything is served."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reconciler.cli import mcp as mcp_verb
from reconciler.errors import SettingsError
from reconciler.mcp.approval import APPROVAL_MODE_ENV
from reconciler.mcp.transport import DEFAULT_HTTP_PORT


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state")
    common.add_argument("--sandbox", action="store_true")
    parser = argparse.ArgumentParser()
    mcp_verb.register(parser.add_subparsers(dest="command"), common)
    return parser.parse_args(["mcp", *argv])


def test_defaults_are_stdio_with_the_approval_page() -> None:
    args = parse()
    assert (args.http, args.port, args.read_only, args.no_approval_page) == (
        False,
        DEFAULT_HTTP_PORT,
        False,
        False,
    )
    assert args.func is mcp_verb.cmd_mcp


def test_all_flags() -> None:
    args = parse("--http", "--port", "0", "--read-only", "--no-approval-page", "--sandbox", "--state", "s")
    assert (args.http, args.port, args.read_only, args.no_approval_page) == (True, 0, True, True)
    assert (args.sandbox, args.state) == (True, "s")


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(SettingsError, match="not a TCP port"):
        mcp_verb.cmd_mcp(parse("--http", "--port", "70000"))


def test_bad_approval_mode_is_refused_before_serving(
    monkeypatch: pytest.MonkeyPatch, state_dir: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv(APPROVAL_MODE_ENV, "whatever")
    monkeypatch.setenv("INFOMANIAK_GITOPS_HOME", str(tmp_path / "work"))
    with pytest.raises(SettingsError, match="not an approval mode"):
        mcp_verb.cmd_mcp(parse("--sandbox", "--state", str(state_dir)))


def test_the_approval_mode_flag_is_the_launch_configuration(
    monkeypatch: pytest.MonkeyPatch, state_dir: Path
) -> None:
    monkeypatch.setenv(APPROVAL_MODE_ENV, "token")
    args = parse("--approval", "elicitation")
    assert args.approval == "elicitation"
    with pytest.raises(SystemExit):
        parse("--approval", "yolo")
