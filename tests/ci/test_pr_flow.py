"""The pull-request flow end to end against the simulator: plan comment → review → merge → apply the hash.

Each test builds a desired-state git repository imported from the sandbox's demo account (see conftest),
changes it on a branch, renders the Markdown plan as the plan job would post it, merges, then applies
with the hash read back from the comment, as the apply job does.
"""

from __future__ import annotations

import json

from reconciler.engine.render import parse_plan_marker
from tests.ci.conftest import Flow

APEX_OLD, APEX_NEW = "203.0.113.10", "203.0.113.99"


def review_on_branch(flow: Flow) -> tuple[str, str]:
    """Change the apex A record on a branch; return (branch head commit, the posted comment body)."""
    flow.repo.git.checkout("-b", "change-apex")
    flow.edit_zone(APEX_OLD, APEX_NEW)
    head = flow.commit_all("Move the apex to the new server")
    plan = flow.run("plan", "--sandbox", "--format", "markdown", "--detailed-exitcode")
    assert plan.code == 2, plan.err
    markdown = flow.root.parent / "plan.md"
    markdown.write_text(plan.out, encoding="utf-8")
    wrapped = flow.run("comment", "wrap", "--id", "state", str(markdown))
    assert wrapped.code == 0, wrapped.err
    return head, wrapped.out


def merge(flow: Flow) -> None:
    flow.repo.git.checkout("main")
    flow.repo.git.merge("--no-ff", "change-apex", "-m", "Merge pull request #12 from change-apex")


def test_reviewed_plan_is_applied_after_merge(flow: Flow) -> None:
    head, body = review_on_branch(flow)
    assert f"- {APEX_OLD}" not in body  # values are quoted JSON inside the diff
    assert f'-     values: "{APEX_OLD}"' in body and f'+     values: "{APEX_NEW}"' in body
    marker = parse_plan_marker(body)
    assert marker.commit == head  # the plan records the desired-state commit it was computed at

    merge(flow)
    found = flow.run("comment", "hash", "--comments", str(flow.bot_comments(body)))
    assert found.code == 0, found.err
    assert found.out.strip() == marker.plan_hash

    applied = flow.run("apply", "--sandbox", "--expect-plan-hash", found.out.strip())
    assert applied.code == 0, applied.err
    assert "done: update dns/example.ch: @ A" in applied.out
    assert flow.live_targets(".", "A") == [APEX_NEW]
    assert flow.run("plan", "--sandbox", "--detailed-exitcode").code == 0

    attempt = next(e for e in flow.audit_events() if e["event"] == "apply_attempt")
    assert attempt["approval"] == "expected_hash"
    assert attempt["plan_hash"] == marker.plan_hash
    assert attempt["git_commit"] == str(flow.repo.head.commit.hexsha)


def test_live_change_between_review_and_merge_is_refused(flow: Flow) -> None:
    _, body = review_on_branch(flow)
    # Someone edits the record in the Infomaniak manager after the review, before the merge.
    flow.set_live(".", "A", APEX_OLD, "203.0.113.50")
    merge(flow)
    found = flow.run("comment", "hash", "--comments", str(flow.bot_comments(body)))
    assert found.code == 0

    applied = flow.run("apply", "--sandbox", "--expect-plan-hash", found.out.strip())
    assert applied.code == 1
    assert "stale plan" in applied.err
    assert "dns/example.ch: @ A" in applied.err  # says what moved
    assert flow.live_targets(".", "A") == ["203.0.113.50"]  # nothing was applied
    assert [e["reason"] for e in flow.audit_events() if e["event"] == "refused"] == ["stale"]
    assert not [e for e in flow.audit_events() if e["event"] == "apply_attempt"]


def test_desired_change_after_review_is_refused(flow: Flow) -> None:
    _, body = review_on_branch(flow)
    # A second commit lands on the branch after the plan comment was written (and its plan job failed).
    flow.edit_zone("ttl: 600", "ttl: 60")
    flow.commit_all("Lower the app TTL")
    merge(flow)
    found = flow.run("comment", "hash", "--comments", str(flow.bot_comments(body)))
    applied = flow.run("apply", "--sandbox", "--expect-plan-hash", found.out.strip())
    assert applied.code == 1
    assert "stale plan" in applied.err
    assert flow.live_targets(".", "A") == [APEX_OLD]


def test_drift_exits_2_and_says_which_side_moved(flow: Flow) -> None:
    head, body = review_on_branch(flow)
    merge(flow)
    found = flow.run("comment", "hash", "--comments", str(flow.bot_comments(body)))
    assert flow.run("apply", "--sandbox", "--expect-plan-hash", found.out.strip()).code == 0
    clean = flow.run("drift", "--sandbox")
    assert clean.code == 0, clean.err
    assert "No drift" in clean.out

    flow.set_live("app", "A", "203.0.113.21", "203.0.113.77")  # live moves
    flow.edit_zone("ttl: 300", "ttl: 900")  # desired moves (_acme-challenge), committed, not applied
    flow.commit_all("Longer TTL for the ACME record")

    drift = flow.run("drift", "--sandbox")
    assert drift.code == 2, drift.err
    live_section = drift.out.split("Live moved")[1].split("Desired moved")[0]
    assert "dns/example.ch: app A" in live_section
    assert "dns/example.ch: _acme-challenge TXT" in drift.out.split("Desired moved")[1]

    report = json.loads(flow.run("drift", "--sandbox", "--format", "json").out)
    sides = {item["address"]: item["side"] for item in report["items"]}
    assert sides == {"dns/example.ch/app A": "live", "dns/example.ch/_acme-challenge TXT": "desired"}
    assert report["last_apply"]["git_commit"] != head  # the merge commit, not the branch head

    markdown = flow.run("drift", "--sandbox", "--format", "markdown")
    assert markdown.code == 2
    assert "#### Live moved" in markdown.out


def test_plan_at_a_ref_uses_that_commit(flow: Flow) -> None:
    main_commit = str(flow.repo.head.commit.hexsha)
    head, _ = review_on_branch(flow)
    flow.edit_zone("ttl: 600", "ttl: 60")  # uncommitted: --ref must ignore it

    at_main = json.loads(flow.run("plan", "--sandbox", "--ref", "main", "--format", "json").out)
    assert at_main["git_commit"] == main_commit
    assert at_main["changes"] == []
    at_head = json.loads(flow.run("plan", "--sandbox", "--ref", "HEAD", "--format", "json").out)
    assert at_head["git_commit"] == head
    assert [c["display_key"] for c in at_head["changes"]] == ["@ A"]
    assert at_head["scopes"][0]["file"] == "state/dns/example.ch.yaml"  # not the temporary export

    # The working tree plan includes the uncommitted edit and says so in its commit.
    worktree = json.loads(flow.run("plan", "--sandbox", "--format", "json").out)
    assert worktree["git_commit"] == head + "+dirty"
    assert len(worktree["changes"]) == 2

    unknown = flow.run("plan", "--sandbox", "--ref", "no-such-branch")
    assert unknown.code == 1
    assert "unknown git revision 'no-such-branch'" in unknown.err
