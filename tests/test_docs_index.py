"""docs/index.md lists every document, and every link in it resolves."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_index_lists_every_document_and_only_existing_ones() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    present = {path.name for path in DOCS.glob("*.md")} - {"index.md"}
    assert present - linked == set(), "documents missing from docs/index.md"
    assert linked - present == set(), "docs/index.md links to documents that do not exist"
