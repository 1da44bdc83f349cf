"""manifest.json is what the SDK server answers today, byte for byte, for every launch that changes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

from reconciler.mcp import McpApp
from reconciler.mcp.front import MANIFEST, Answers
from reconciler.mcp.handshake import response_line
from reconciler.mcp.manifest import LAUNCHES, METHODS, build_manifest, handshake, render, sdk_lines
from reconciler.settings import load_settings

pytestmark = pytest.mark.anyio


def test_the_manifest_is_what_the_sdk_answers() -> None:
    stored = MANIFEST.read_text(encoding="utf-8")
    fresh = render(build_manifest())
    assert fresh == stored, "manifest.json is stale: run python -m reconciler.mcp.manifest"


@pytest.mark.parametrize("launch", sorted(LAUNCHES))
@pytest.mark.parametrize("version", HANDSHAKE_PROTOCOL_VERSIONS)
async def test_the_fronts_lines_are_the_sdks_bytes(tmp_path: Path, launch: str, version: str) -> None:
    settings = load_settings(state_dir=tmp_path / "state", sandbox=True, env={}, cwd=tmp_path)
    app = McpApp(settings, read_only=LAUNCHES[launch], env={})
    sdk = {json.loads(line)["id"]: line for line in await sdk_lines(app, handshake(version))}
    answers = Answers.load(read_only=LAUNCHES[launch])
    for ident, method in enumerate(METHODS, start=1):
        assert response_line(ident, answers.result(method, version)) == sdk[ident], method


@pytest.mark.parametrize(
    ("approval", "sandbox", "env"),
    [
        ("token", False, {"INFOMANIAK_API_TOKEN": "t" * 40}),
        ("pull_request", True, {}),
        (
            None,
            False,
            {"INFOMANIAK_APPROVAL_MODE": "elicitation", "INFOMANIAK_API_URL": "http://127.0.0.1:1"},
        ),
    ],
)
async def test_no_other_launch_option_changes_the_answers(
    tmp_path: Path, state_dir: Path, approval: str | None, sandbox: bool, env: dict[str, str]
) -> None:
    settings = load_settings(state_dir=state_dir, sandbox=sandbox, env=env, cwd=tmp_path)
    for launch, read_only in LAUNCHES.items():
        app = McpApp(settings, read_only=read_only, approval=approval, env=env)
        app.page_url = "http://127.0.0.1:9/"
        lines = await sdk_lines(app, handshake(LATEST_HANDSHAKE_VERSION))
        answers = Answers.load(read_only=read_only)
        got = {json.loads(line)["id"]: json.loads(line)["result"] for line in lines}
        assert got == {
            ident: answers.result(method, LATEST_HANDSHAKE_VERSION) for ident, method in enumerate(METHODS, 1)
        }, launch


def test_the_repositorys_installs_pin_the_sdk_the_manifest_was_recorded_with() -> None:
    # CI installs from the registry: without the pin a new SDK release would turn these tests red overnight.
    root = Path(__file__).resolve().parents[2]
    pins = {}
    for line in (root / "scripts" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            pins[name.strip()] = version.strip()
    recorded = json.loads(MANIFEST.read_text(encoding="utf-8"))["sdk"]
    assert {name: pins.get(name) for name in recorded} == recorded
