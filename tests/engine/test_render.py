"""Golden tests of the Markdown plan comment, its truncation, and the marker CI reads back.

After an intended change, regenerate the golden files with ``UPDATE_GOLDEN=1 pytest tests/engine`` and
review their diff like any other change: they are what reviewers see on pull requests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired.config import AccountConfig
from reconciler.engine.diff import diff_scope
from reconciler.engine.model import Change, FieldChange, Plan, ScopeSummary
from reconciler.engine.render import (
    COMMENT_RESERVE,
    GITHUB_COMMENT_LIMIT,
    comment_length,
    comment_marker,
    parse_plan_marker,
    render_markdown,
)
from reconciler.errors import PlanError, SettingsError
from reconciler.kinds.base import DesiredObject
from tests.engine.fakes import FakeKind, Item

GOLDEN = Path(__file__).parent.parent / "fixtures" / "render"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
INJECTED = "<!-- infomaniak-gitops:plan v=1 plan_hash=" + "f" * 64 + " commit=unknown -->"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; UPDATE_GOLDEN=1 regenerates it"


def change(scope: str, key: str, action: Any, **fields: Any) -> Change:
    return Change(kind="dns", scope=scope, key=key.split(), display_key=key, action=action, **fields)


MX1 = {"exchange": "mx1.", "preference": 10}
MX2 = {"exchange": "mx2.", "preference": 10}
DMARC_OLD, DMARC_NEW = "v=DMARC1; p=reject", "v=DMARC1; p=none"


def sample_plan() -> Plan:
    changes = [
        change(
            "example.ch",
            "www CNAME",
            "delete",
            before={"ttl": 3600, "values": ["example.ch."]},
            risky=["removes an address of www: clients stop reaching it"],
        ),
        change(
            "example.ch",
            "@ A",
            "update",
            before={"ttl": 3600, "values": ["203.0.113.10"]},
            after={"ttl": 300, "values": ["203.0.113.99"]},
            fields=[
                FieldChange(path="ttl", before=3600, after=300),
                FieldChange(path="values", added=["203.0.113.99"], removed=["203.0.113.10"]),
            ],
        ),
        change(
            "example.ch",
            "_dmarc TXT",
            "update",
            before={"ttl": 3600, "values": [DMARC_OLD]},
            after={"ttl": 3600, "values": [DMARC_NEW]},
            fields=[FieldChange(path="values", added=[DMARC_NEW], removed=[DMARC_OLD])],
            risky=["changes mail authentication (SPF, DKIM or DMARC): mail may be rejected as spoofed"],
        ),
        change("example.ch", "new A", "create", after={"ttl": 3600, "values": ["198.51.100.7"]}),
        # Hostile content from a pull request: a fence closer, an HTML comment and a fake marker.
        change(
            "demo-shop.ch",
            "evil TXT",
            "create",
            after={"ttl": 60, "values": ["```</details><!-- hide", INJECTED, "line\nbreak `tick`"]},
        ),
        change(
            "demo-shop.ch",
            "@ MX",
            "update",
            before={"values": [MX1]},
            after={"values": [MX2]},
            fields=[FieldChange(path="values", added=[MX2], removed=[MX1])],
            risky=["changes where mail for demo-shop.ch is delivered"],
        ),
        change(
            "demo-shop.ch",
            "keep TXT",
            "delete",
            before={"values": ["protected"]},
            blocked="protected by rule `dns/demo-shop.ch/keep*`",
        ),
        change("demo-shop.ch", "api SRV", "create", after={"password": "(sensitive)", "ttl": 300}),
    ]
    scopes = [
        ScopeSummary(
            kind="dns", scope="example.ch", file="state/dns/example.ch.yaml", live_count=12, desired_count=12
        ),
        ScopeSummary(
            kind="dns",
            scope="demo-shop.ch",
            file="state/dns/demo-shop.ch.yaml",
            live_count=4,
            desired_count=5,
            unsafe="would delete 25% of records",
        ),
    ]
    plan = Plan(
        created_at="2026-01-01T00:00:00+00:00",
        git_commit=COMMIT,
        scopes=scopes,
        changes=changes,
        warnings=["state/dns/old.ch.yaml: <b>zone</b> not in the account"],
    )
    plan.plan_hash = plan.compute_hash()
    return plan


def many_scopes(count: int, per_scope: int) -> Plan:
    changes = [
        change(
            f"zone{z:03}.ch", f"host{n:04} A", "create", after={"ttl": 300, "values": [f"192.0.2.{n % 250}"]}
        )
        for z in range(count)
        for n in range(per_scope)
    ]
    plan = Plan(git_commit=COMMIT, changes=changes)
    plan.plan_hash = plan.compute_hash()
    return plan


def test_markdown_golden() -> None:
    plan = sample_plan()
    text = render_markdown(plan)
    check_golden("plan.md", text)
    assert parse_plan_marker(text).plan_hash == plan.plan_hash
    assert parse_plan_marker(text).commit == COMMIT


def test_markdown_no_changes_golden() -> None:
    plan = Plan(git_commit=COMMIT, sandbox=True)
    plan.plan_hash = plan.compute_hash()
    text = render_markdown(plan)
    check_golden("no-changes.md", text)
    assert parse_plan_marker(text).plan_hash == plan.plan_hash


def test_markdown_truncated_golden() -> None:
    plan = many_scopes(4, 6)
    text = render_markdown(plan, limit=1300)
    check_golden("truncated.md", text)
    assert comment_length(text) <= 1300
    assert "**Truncated**" in text
    assert parse_plan_marker(text).plan_hash == plan.plan_hash
    # The summary still counts the whole plan, not what was kept.
    assert "Plan: 24 to create, 0 to update, 0 to delete" in text


def test_risky_changes_come_first() -> None:
    text = render_markdown(sample_plan())
    look = text.index("Needs a careful look")
    names = [
        "demo-shop.ch: keep TXT",
        "example.ch: www CNAME",
        "example.ch: _dmarc TXT",
        "demo-shop.ch: @ MX",
    ]
    order = [text.index(f"`dns/{name}`", look) for name in names]
    assert order == sorted(order)
    assert text.index("Needs a careful look") < text.index("<details>")


def test_hostile_values_stay_inside_code() -> None:
    text = render_markdown(sample_plan())
    # The value's backticks make the fence longer, so the value cannot close it.
    assert "````diff" in text
    assert "<!-- hide" not in text.split("````diff")[0]
    # The warning's HTML is escaped, newlines are flattened.
    assert "&lt;b&gt;zone&lt;/b&gt;" in text
    assert "line\\nbreak" in text
    # The injected marker is content on a prefixed line: the real hash is what CI reads.
    assert parse_plan_marker(text).plan_hash == sample_plan().plan_hash


def test_github_limit_keeps_summary_and_marker() -> None:
    plan = many_scopes(40, 60)
    text = render_markdown(plan)
    assert comment_length(text) <= GITHUB_COMMENT_LIMIT - COMMENT_RESERVE
    assert text.startswith("### infomaniak-gitops plan")
    assert "Plan: 2400 to create" in text
    note = re.search(r"details cut for (\d+) of 40 scope\(s\)", text)
    assert note is not None
    cut = int(note.group(1))
    kept = text.count("<details>")
    assert kept + cut >= 40  # a partly shown scope counts in both
    assert "and " in text.split("**Truncated**")[1]  # more than NOTE_NAMES scopes are summarised
    assert parse_plan_marker(text).plan_hash == plan.plan_hash


def test_one_huge_scope_is_shown_in_part() -> None:
    plan = many_scopes(1, 3000)
    text = render_markdown(plan)
    assert comment_length(text) <= GITHUB_COMMENT_LIMIT - COMMENT_RESERVE
    match = re.search(r"(\d+) of 3000 changes shown", text)
    assert match is not None and int(match.group(1)) > 100
    assert "more change(s) of this scope cut" in text


def test_tiny_limit_still_keeps_the_marker() -> None:
    plan = sample_plan()
    text = render_markdown(plan, limit=400)
    assert comment_length(text) <= 400
    assert parse_plan_marker(text).plan_hash == plan.plan_hash


def test_non_bmp_characters_count_double() -> None:
    plan = Plan(changes=[change("x.ch", "emoji TXT", "create", after={"values": ["😀" * 3000]})])
    plan.plan_hash = plan.compute_hash()
    text = render_markdown(plan, limit=5000)
    assert comment_length(text) <= 5000
    assert len(text) < comment_length(text)


def test_secret_values_never_reach_the_comment() -> None:
    kind = FakeKind()
    secret = "hunter2-very-secret-value"
    desired = [DesiredObject(("api",), Item(value="v", secret=secret))]
    changes, summary = diff_scope(kind, "main", "state/items/main.yaml", desired, [], AccountConfig())
    plan = Plan(scopes=[summary], changes=changes)
    plan.plan_hash = plan.compute_hash()
    text = render_markdown(plan)
    assert secret not in text
    assert "(sensitive)" in text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("### plan\n\nno marker at all\n", "no plan marker"),
        ("<!-- infomaniak-gitops:plan v=1 plan_hash=abc commit=unknown -->\n", "garbled"),
        ("<!-- infomaniak-gitops:plan v=1 plan_hash=" + "A" * 64 + " commit=unknown -->\n", "garbled"),
        ("<!-- infomaniak-gitops:plan v=2 plan_hash=" + "a" * 64 + " commit=unknown -->\n", "garbled"),
        (
            "<!-- infomaniak-gitops:plan v=1 plan_hash=" + "a" * 64 + " commit=unknown -->\n"
            "<!-- infomaniak-gitops:plan v=1 plan_hash=" + "b" * 64 + " commit=unknown -->\n",
            "2 different plan hashes",
        ),
        ("", "no plan marker"),
    ],
)
def test_marker_parsing_fails_closed(body: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan_marker(body)


def test_marker_repeated_with_the_same_hash_is_accepted() -> None:
    line = "<!-- infomaniak-gitops:plan v=1 plan_hash=" + "a" * 64 + " commit=" + COMMIT + "+dirty -->"
    found = parse_plan_marker(f"{line}\ntext\n{line}\n")
    assert found.plan_hash == "a" * 64
    assert found.commit == COMMIT + "+dirty"


@pytest.mark.parametrize("comment_id", ["", "a b", "x-->", "a" * 101, "ok\n"])
def test_comment_id_is_validated(comment_id: str) -> None:
    with pytest.raises(SettingsError):
        comment_marker(comment_id)
