"""Token cost of the MCP server's tools/list response: the context every conversation pays up front.

Run: ``python bench/mcp_tokens.py`` — prints the count per tokenizer (o200k_base, cl100k_base, bundled by
bpe-openai because tiktoken cannot download its files offline) and exits 1 above the budget. A test imports
:func:`measure` and asserts the same budget.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import bpe_openai
from mcp import Client

from reconciler.mcp import McpApp, build_server
from reconciler.settings import load_settings

BUDGET = 8_000
ENCODINGS = ("o200k_base", "cl100k_base")


async def tools_list_json(*, read_only: bool = False) -> str:
    """The tools/list result as the wire carries it (compact JSON, aliases, no nulls)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = load_settings(
            state_dir=root / "state", sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(root)}, cwd=root
        )
        server = build_server(McpApp(settings, read_only=read_only, env={}))
        async with Client(server) as client:
            result = await client.list_tools()
    data: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def measure(*, read_only: bool = False) -> dict[str, int]:
    """Tokens of the tools/list response per encoding."""
    text = anyio.run(lambda: tools_list_json(read_only=read_only))
    return {name: len(bpe_openai.get_encoding(name).encode(text)) for name in ENCODINGS}


def main() -> int:
    counts = measure()
    tools = json.loads(anyio.run(tools_list_json))["tools"]
    for name, count in counts.items():
        print(f"tools/list: {count:,} tokens ({name}), {len(tools)} tools, budget {BUDGET:,}")
    worst = max(counts.values())
    if worst > BUDGET:
        print(f"over budget by {worst - BUDGET:,} tokens", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
