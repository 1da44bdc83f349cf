"""Cheap start: ``--help`` and building the parser import no engine, API client, YAML or MCP library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from reconciler.cli import inventory
from reconciler.cli.common import FORMATS
from reconciler.engine import (
    AUDIT_RENDERERS,
    AUDITS,
    DRIFT_RENDERERS,
    READ_RENDERERS,
    RENDERERS,
    Severity,
)

HEAVY = ("pydantic", "httpx", "ruamel.yaml", "yaml", "git", "mcp", "asyncio", "reconciler.engine")

_PROBE = """
import json, sys
from reconciler.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*argv: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy() -> None:
    for argv in (["--help"], ["plan", "--help"], ["--version"]):
        loaded = _modules_after(*argv)
        assert not [name for name in HEAVY if name in loaded], argv


def test_parser_choices_are_the_engines() -> None:
    assert list(FORMATS) == sorted(RENDERERS) == sorted(DRIFT_RENDERERS)
    assert list(inventory.READ_FORMATS) == sorted(READ_RENDERERS)
    assert list(inventory.AUDIT_FORMATS) == sorted(AUDIT_RENDERERS)
    assert list(inventory.SEVERITIES) == [s.value for s in Severity]
    assert list(inventory.AUDIT_NAMES) == [a.name for a in AUDITS]


def test_the_api_client_does_not_load_httpx_s_command_line_client() -> None:
    probe = (
        "import json, sys, reconciler.api, httpx; "
        "loaded = sorted(name for name, module in sys.modules.items() if module is not None); "
        "print(json.dumps([loaded, httpx.main.__module__]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded, main_module = json.loads(result.stdout)
    assert "httpx" in loaded and main_module == "httpx"  # httpx's own stub, not its click-based CLI
    assert not [name for name in ("httpx._main", "click", "rich", "pygments") if name in loaded]


# The SDK server is held back (its loader waits), so every answer comes from the front; at end of input the
# front ends the process, and the probe lists what was imported by then.
_FRONT_PROBE = """
import json, os, sys, threading
import reconciler.mcp.front as front

front._load = lambda *args, **kwargs: threading.Event().wait()

def done():
    print(json.dumps(sorted(sys.modules)), file=sys.stderr, flush=True)
    os._exit(0)

front._exit_quietly = done
from reconciler.cli import main
main(["--sandbox", "mcp"])
"""


def test_the_mcp_stdio_front_answers_tools_list_without_heavy_imports(tmp_path: Path) -> None:
    params = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    }
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    result = subprocess.run(
        [sys.executable, "-c", _FRONT_PROBE],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")},
        check=True,
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, 2]
    assert len(answers[1]["result"]["tools"]) > 10
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert not [name for name in (*HEAVY, "mcp_types", "anyio") if name in loaded]


def test_the_plan_path_loads_no_round_trip_yaml() -> None:
    # ruamel.yaml is for edits and for rendering files (import); a plan reads files with libyaml.
    probe = (
        "import json, sys, reconciler.engine, reconciler.desired, reconciler.kinds, reconciler.cli.core; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert not [name for name in json.loads(result.stdout) if name.startswith("ruamel")]


def test_a_plan_loads_only_the_engine_parts_it_uses(tmp_path: Path) -> None:
    # The engine's face is lazy: a plan outside any git repository imports neither gitpython nor the
    # drift, undo, audit, inventory, scaffolding or overview code.
    # Once every file is in the parse cache (the first run fills it), not even the YAML parser is loaded.
    # Drive permission files are left out: that kind's fetch reads its own file (the import contract's known
    # exception in pyproject.toml).
    shutil.copytree(Path(__file__).resolve().parents[2] / "state", tmp_path / "state")
    shutil.rmtree(tmp_path / "state" / "drive" / "permissions")
    env = {**os.environ, "INFOMANIAK_GITOPS_HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path)}
    for run in ("cold", "warm"):
        result = subprocess.run(
            [sys.executable, "-c", _PROBE, "--sandbox", "plan", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=env,
            check=True,
        )
        assert json.loads(result.stdout)["plan_hash"], run
    loaded = set(json.loads(result.stderr.strip().splitlines()[-1]))
    assert "reconciler.engine.planner" in loaded
    unused = (
        "git",
        "yaml",
        "reconciler.desired.fastyaml",
        "reconciler.engine.drift",
        "reconciler.engine.undo",
        "reconciler.engine.scaffold",
        "reconciler.engine.overview",
        "reconciler.engine.importer",
        "reconciler.audits",
        "reconciler.inventory",
    )
    assert [name for name in unused if name in loaded] == []
