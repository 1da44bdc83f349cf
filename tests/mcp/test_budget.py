"""The tools/list response stays within its token budget (bench/mcp_tokens.py prints the figure)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

# bpe-openai reads its bundled tables with importlib.resources.open_binary (third-party code).
pytestmark = pytest.mark.filterwarnings("ignore:open_binary is deprecated:DeprecationWarning")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "mcp_tokens.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mcp_tokens", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tools_list_is_within_the_token_budget() -> None:
    bench = _bench()
    counts = bench.measure()
    assert set(counts) == {"o200k_base", "cl100k_base"}
    assert 0 < max(counts.values()) <= bench.BUDGET == 8_000


def test_read_only_list_is_smaller() -> None:
    bench = _bench()
    assert max(bench.measure(read_only=True).values()) < max(bench.measure().values())
