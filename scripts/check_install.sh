#!/usr/bin/env bash
# The install route a user takes: build the sdist and wheel, install the wheel into a fresh virtualenv
# outside the repository, then run the installed command from an unrelated directory: --version, init a
# configuration repository against the sandbox (importing and committing the demo account), plan it; run
# the README's sandbox block (init, plan, edit, commit, apply, plan to zero) with that command on PATH;
# and start the server that init's .mcp.json names with the MCP SDK's client, as the Inspector does.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
REPO="$PWD"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "== build (sdist + wheel)" >&2
"$VENV/bin/python" -m build --outdir "$WORK/dist" "$REPO" >"$WORK/build.log" 2>&1 || {
  cat "$WORK/build.log" >&2
  exit 1
}
ls "$WORK/dist"/*.tar.gz "$WORK/dist"/*.whl >/dev/null
echo "== install the wheel into a fresh venv outside the repository" >&2
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WORK"/dist/*.whl
cmd="$WORK/venv/bin/infomaniak-gitops"
cd "$WORK" || exit 1
echo "== $("$cmd" --version)" >&2
export GIT_AUTHOR_NAME="install check" GIT_AUTHOR_EMAIL="install-check@example.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
unset INFOMANIAK_API_TOKEN INFOMANIAK_STATE_DIR INFOMANIAK_GITOPS_HOME
"$cmd" --sandbox init config --import >"$WORK/init.log"
grep -q "imported  state/dns/example.ch.yaml" "$WORK/init.log"
cd config || exit 1
test -z "$(git status --porcelain)" || { echo "init left uncommitted files" >&2; exit 1; }
"$cmd" --sandbox plan --detailed-exitcode >/dev/null
"$cmd" validate >/dev/null
echo "== installed wheel: init, import, commit and plan work outside the repository" >&2

echo "== the README's sandbox block, with the installed command on PATH" >&2
mkdir "$WORK/readme"
awk '/<!-- tests\/test_readme.py runs the next block -->/ {f = 1; next}
     f && /^```sh$/ {g = 1; next}
     g && /^```$/ {exit}
     g {print}' "$REPO/README.md" >"$WORK/readme.sh"
test -s "$WORK/readme.sh" || { echo "README.md: the tested sandbox block is missing" >&2; exit 1; }
(cd "$WORK/readme" && PATH="$WORK/venv/bin:$PATH" bash -euo pipefail "$WORK/readme.sh") >"$WORK/readme.log" 2>&1 || {
  cat "$WORK/readme.log" >&2
  exit 1
}
grep -q "Verified: live state now matches the desired state." "$WORK/readme.log"
test "$(grep -c "^No changes." "$WORK/readme.log")" = 2

echo "== .mcp.json starts the installed server (tools/list, ik_overview, ik_plan)" >&2
"$WORK/venv/bin/python" - "$WORK/config" <<'PY'
import json
import sys
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

root = Path(sys.argv[1])
(server,) = json.loads((root / ".mcp.json").read_text())["mcpServers"].values()


async def main() -> None:
    params = StdioServerParameters(command=server["command"], args=server["args"], cwd=root)
    with anyio.fail_after(120):
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"ik_overview", "ik_plan", "ik_apply"} <= names, names
            overview = await client.call_tool("ik_overview", {})
            assert overview.structured_content and overview.structured_content["account_id"] == 123456
            plan = await client.call_tool("ik_plan", {})
            # The imported repository is at zero: nothing to approve.
            assert plan.structured_content, plan
            assert plan.structured_content["counts"] == {"create": 0, "update": 0, "delete": 0}, plan
    print(f"   {len(names)} tools; ik_overview and ik_plan (no changes) answer", file=sys.stderr)


anyio.run(main)
PY
echo "== installed wheel: the README's path and the MCP server work outside the repository" >&2
