"""Text / JSON / YAML forms of a read result and of the catalogue; they only format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reconciler.desired.yamlio import dump_yaml
from reconciler.inventory.catalogue import CATALOGUE
from reconciler.inventory.reader import ReadResult
from reconciler.kinds import all_kinds

MAX_CELL = 60


def cell(column: str, value: Any) -> str:
    """One value as a table cell: dates for epoch ``*_at`` columns, lists joined, long text cut."""
    if value is None or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and (column.endswith(("_at", "_date")) or column == "expired_at") and value > 0:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d")
    if isinstance(value, list):
        text = ", ".join(cell(column, v) if not isinstance(v, dict) else json.dumps(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """A plain aligned table (no colour), one line per row."""
    cells = [[cell(c, row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def footer(result: ReadResult, *, more: str) -> str:
    """How many rows were shown, and how to see the rest (``more`` formats the next offset)."""
    where = f"{result.kind}" + (f" {result.scope}" if result.scope else "")
    if not result.rows:
        return f"{where}: no rows\n"
    first, last = result.offset + 1, result.offset + len(result.rows)
    text = f"{where}: rows {first}-{last} of {result.total}"
    if result.next_offset is not None:
        text += f"; next: {more.format(offset=result.next_offset)}"
    return text + "\n"


def render_text(result: ReadResult, *, more: str = "--offset {offset}") -> str:
    body = table(result.columns, result.rows) if result.rows else ""
    notes = "".join(f"note: {n}\n" for n in result.notes)
    return body + footer(result, more=more) + notes


def render_json(result: ReadResult) -> str:
    return json.dumps(result.to_data(), indent=2, ensure_ascii=False, default=str) + "\n"


def render_yaml(result: ReadResult) -> str:
    return dump_yaml(json.loads(json.dumps(result.to_data(), default=str)))


READ_RENDERERS: dict[str, Callable[[ReadResult], str]] = {
    "text": render_text,
    "json": render_json,
    "yaml": render_yaml,
}


def catalogue_rows(product: str | None = None) -> list[dict[str, Any]]:
    """Every kind readable with ``show`` / ``ik_live_get``: managed kinds first, then read-only ones."""
    rows: list[dict[str, Any]] = [
        {
            "kind": k.name,
            "product": "managed",
            "scope": f"a file of state/{k.directory}/",
            "columns": "key, scope and the fields of its desired files",
            "access": "read-write (plan/apply)",
            "source": "spec",
        }
        for k in all_kinds()
    ]
    rows += [
        {
            "kind": k.name,
            "product": k.product,
            "scope": f"a row of {k.parent}" if k.parent else "-",
            "columns": ", ".join(k.columns),
            "access": "read-only",
            "source": k.source if k.verified else f"{k.source} (unverified)",
        }
        for k in CATALOGUE
    ]
    if product:
        rows = [r for r in rows if r["product"] == product or r["kind"] == product]
    return rows


def render_catalogue(product: str | None = None, *, fmt: str = "text") -> str:
    rows = catalogue_rows(product)
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "yaml":
        return dump_yaml(rows)
    lines = []
    for row in rows:
        scope = "" if row["scope"] == "-" else f" [scope: {row['scope']}]"
        unverified = " (unverified)" if "unverified" in row["source"] else ""
        lines.append(f"{row['kind']} ({row['product']}){scope}{unverified}: {row['columns']}")
    return "\n".join(lines) + "\n"


__all__ = [
    "READ_RENDERERS",
    "catalogue_rows",
    "cell",
    "render_catalogue",
    "render_json",
    "render_text",
    "render_yaml",
    "table",
]
