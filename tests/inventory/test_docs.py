"""docs/inventory.md lists every kind and audit, and its generated examples are what the code prints."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from reconciler.audits import AUDITS
from reconciler.inventory import CATALOGUE

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "inventory_docs.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("inventory_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_kind_and_audit_has_a_section_and_a_table_row() -> None:
    text = (SCRIPT.parents[1] / "docs" / "inventory.md").read_text(encoding="utf-8")
    for kind in CATALOGUE:
        assert f"### `{kind.name}`" in text and f"| `{kind.name}` |" in text, kind.name
    for audit in AUDITS:
        assert f"### `{audit.name}`" in text and f"| `{audit.name}` |" in text, audit.name


def test_the_generated_examples_match_the_code() -> None:
    script = _script()
    assert script.current() == script.render(), (
        "run `python scripts/inventory_docs.py` and commit docs/inventory.md"
    )
