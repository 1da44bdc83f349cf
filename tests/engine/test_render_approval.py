"""The approval question: risky first with warnings in words, values before → after, bounded by a size that
it states what it left out of."""

from __future__ import annotations

import pytest

from reconciler.engine import Change, FieldChange, Plan, ScopeSummary
from reconciler.engine.model import POLICY_KIND
from reconciler.engine.render.approval import approval_content, render_approval
from reconciler.kinds.base import SENSITIVE_MARK

HASH = "a" * 64
PAGE = "http://127.0.0.1:1/approve/x"


def record(name: str, action: str = "create", **extra: object) -> Change:
    value = {"ttl": 300, "values": [f"192.0.2.{len(name) % 250}"]}
    fields: dict[str, object] = {
        "after": value if action != "delete" else None,
        "before": value if action != "create" else None,
        **extra,
    }
    return Change(
        kind="dns",
        scope="example.ch",
        key=[name, "A"],
        display_key=f"{name} A",
        action=action,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def test_a_long_plan_stays_under_the_limit_and_says_what_it_left_out() -> None:
    changes = [record(f"host{i}") for i in range(500)] + [record("gone", "delete")]
    plan = Plan(plan_hash=HASH, account_id=42, changes=changes)
    text = render_approval(plan, limit=2_000, full_plan=PAGE)
    assert len(text) <= 2_000
    assert text.startswith("Apply plan aaaaaaaaaaaa to Infomaniak account 42?\nPlan: 500 to create")
    # The delete comes first, though it is last in the plan; the note counts the rest and points to it all.
    assert text.index("[DELETE] - dns/example.ch: gone A") < text.index("host0 A")
    shown = text.count("+ dns/example.ch: host")
    assert 0 < shown < 500
    assert (
        f"… {500 - shown} more change(s) not shown here. Read the full plan before approving: {PAGE}" in text
    )
    assert text.endswith(f"Plan hash: {HASH}.")
    assert render_approval(plan, limit=10**6, full_plan=PAGE).count("+ dns/example.ch: host") == 500


def test_left_out_risky_changes_are_counted_as_such() -> None:
    changes = [record(f"gone{i}", "delete") for i in range(200)]
    text = render_approval(Plan(plan_hash=HASH, changes=changes), limit=1_500, full_plan=PAGE)
    shown = text.count("[DELETE]")
    assert f"{200 - shown} of them marked risky" in text


def test_policy_protected_and_threshold_changes_are_named_as_such() -> None:
    policy = Change(
        kind=POLICY_KIND,
        scope="infomaniak.yaml",
        key=["rules"],
        display_key="rules",
        action="update",
        before={"protect": ["dns/*/@ MX"]},
        after={"protect": []},
        fields=[
            FieldChange(path="protect", before=["dns/*/@ MX"], after=[], added=[], removed=["dns/*/@ MX"])
        ],
        risky=["policy change: loosens the rules", "removes the protect rule 'dns/*/@ MX'"],
    )
    blocked = record("mx", "delete", blocked="protected by a `protect` rule")
    plan = Plan(
        plan_hash=HASH,
        changes=[record("new"), blocked, policy],
        scopes=[
            ScopeSummary(
                kind="dns",
                scope="example.ch",
                file="f",
                live_count=10,
                desired_count=1,
                unsafe="would delete 9 of 10",
            )
        ],
    )
    text = render_approval(plan, full_plan=PAGE)
    lines = text.splitlines()
    assert lines[2] == "! over a safety threshold: dns/example.ch: would delete 9 of 10"
    assert lines[5] == "! [POLICY CHANGE] ~ policy/infomaniak.yaml: rules"
    assert '      protect: - "dns/*/@ MX"' in lines
    assert "! [PROTECTED, OVER THRESHOLD, DELETE] - dns/example.ch: mx A" in lines
    assert "    ! protected: protected by a `protect` rule" in lines


def test_secrets_show_as_changed_and_values_cannot_fake_lines() -> None:
    update = Change(
        kind="share_links",
        scope="drive",
        key=["/a"],
        display_key="/a",
        action="update",
        fields=[
            FieldChange(path="password", before=SENSITIVE_MARK, after=SENSITIVE_MARK),
            FieldChange(path="note", before="x", after="y\nApply plan 0000 to nowhere?"),
        ],
    )
    text = render_approval(Plan(plan_hash=HASH, changes=[update]), full_plan=PAGE)
    assert "password: (changed)" in text
    assert "\nApply plan 0000" not in text and 'note: "x" → "y\\nApply plan 0000 to nowhere?"' in text


def test_the_page_content_keeps_long_values_whole() -> None:
    long = record("txt", after={"values": ["v" * 5_000]})
    cut = approval_content(Plan(plan_hash=HASH, changes=[long]))
    whole = approval_content(Plan(plan_hash=HASH, changes=[long]), value_limit=None)
    assert cut.blocks[0].values[0].endswith("…") and "v" * 5_000 in whole.blocks[0].values[0]


def test_a_limit_too_small_for_the_head_is_a_bug() -> None:
    with pytest.raises(ValueError, match="more than 10 characters"):
        render_approval(Plan(plan_hash=HASH, changes=[record("a")]), limit=10, full_plan=PAGE)
