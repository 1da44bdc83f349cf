"""Invisible characters in values are written out wherever a human reads a plan (issue: disguised plans)."""

from __future__ import annotations

import sys
import unicodedata

from reconciler.engine.model import Change, FieldChange, Plan
from reconciler.engine.quoting import quote_value, reveal
from reconciler.engine.render import field_lines, render_markdown, render_text
from reconciler.engine.render.approval import render_approval

# "pay" + RIGHT-TO-LEFT OVERRIDE + "emoc.live" + POP DIRECTIONAL FORMATTING reads "paylive.come" raw.
DISGUISED = "pay\u202eemoc.live\u202c"
SHOWN = '"pay\\u202eemoc.live\\u202c"'


def _plan() -> Plan:
    txt = Change(
        kind="dns",
        scope="example.ch",
        key=["pay", "TXT"],
        display_key="pay TXT",
        action="update",
        before={"ttl": 300, "values": ["old"]},
        after={"ttl": 300, "values": [DISGUISED]},
        fields=[FieldChange(path="values", added=[DISGUISED], removed=["old"])],
    )
    note = Change(
        kind="dns",
        scope="example.ch",
        key=["note", "TXT"],
        display_key="note TXT",
        action="create",
        after={"value": "a\u200bb\u2066c\u2069d\u200e\u200f\x85\x9b"},
    )
    return Plan(plan_hash="a" * 64, account_id=1, changes=[txt, note])


def test_golden_quoting() -> None:
    assert quote_value(DISGUISED) == SHOWN
    assert quote_value({"v": ["x\u2067y"]}) == '{"v": ["x\\u2067y"]}'
    assert quote_value("nul\x00 tab\t") == '"nul\\u0000 tab\\t"'
    assert quote_value("c1\x85\x9f soft\xad bom\ufeff tag\U000e0041") == (
        '"c1\\u0085\\u009f soft\\u00ad bom\\ufeff tag\\U000e0041"'
    )
    assert quote_value("Zürich ✓ שלום") == '"Zürich ✓ שלום"'  # visible text, RTL scripts included, stays


def test_every_control_and_format_character_is_revealed() -> None:
    hidden = [
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in {"Cc", "Cf", "Zl", "Zp"}
    ]
    assert hidden and all(reveal(ch).startswith("\\") for ch in hidden)


def test_text_markdown_approval_and_stale_lines_show_the_escapes() -> None:
    plan = _plan()
    renders = {
        "text": render_text(plan, color=False),
        "markdown": render_markdown(plan),
        "approval": render_approval(plan, full_plan="http://127.0.0.1:1/x"),
        "stale": "\n".join(field_lines(plan.changes[0].fields[0])),
    }
    for name, text in renders.items():
        assert SHOWN in text, name
        assert "\u202e" not in text and "\u202c" not in text, name
    for name in ("text", "markdown", "approval"):
        assert '"a\\u200bb\\u2066c\\u2069d\\u200e\\u200f\\u0085\\u009b"' in renders[name], name
    assert renders["stale"] == f'values:\n  + {SHOWN}\n  - "old"'
