"""docs/api-fidelity.md keeps one row per endpoint: what is known of an endpoint stands in one place."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "api-fidelity.md"


def endpoints(row: str) -> list[tuple[str, str]]:
    """The (method, path) pairs of a table row: ``GET, POST`` and ``…/tags[/{tag}]`` name several."""
    method_cell, path_cell = (cell.strip() for cell in row.strip().strip("|").split("|")[:2])
    optional = re.fullmatch(r"(.*)\[(/[^\]]+)\]", path_cell)
    paths = [optional[1], optional[1] + optional[2]] if optional else [path_cell]
    return [(method.strip(), path) for method in method_cell.split(",") for path in paths]


def test_every_endpoint_has_one_row() -> None:
    # Endpoint rows start with a method (the header's "method" is lower case).
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if re.match(r"\| [A-Z]", line)]
    counted = Counter(pair for row in rows for pair in endpoints(row))
    assert len(rows) > 60
    assert [pair for pair, n in counted.items() if n > 1] == [], "merge these rows of docs/api-fidelity.md"


def test_optional_segments_and_method_lists_name_each_endpoint() -> None:
    assert endpoints("| POST, DELETE | /1/accounts/{a}/tags[/{tag}] | seed | |") == [
        ("POST", "/1/accounts/{a}/tags"),
        ("POST", "/1/accounts/{a}/tags/{tag}"),
        ("DELETE", "/1/accounts/{a}/tags"),
        ("DELETE", "/1/accounts/{a}/tags/{tag}"),
    ]
