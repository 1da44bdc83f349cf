"""Drift: which side moved, from the last apply's commit, else the audit log, else unknown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.engine.drift import MemoKind, applied_values, memo_kinds, scope_commits
from reconciler.kinds.base import LiveObject, RunContext
from tests.ci.conftest import Flow
from tests.engine.fakes import FakeKind

C1, C2 = "1" * 40, "2" * 40


def sides(flow: Flow, *args: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    result = flow.run("drift", "--sandbox", "--format", "json", *args)
    report = json.loads(result.out)
    return result.code, {item["address"]: item["side"] for item in report["items"]}, report


def applied(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("Move the apex")
    result = flow.run("apply", "--sandbox", "--auto-approve")
    assert result.code == 0, result.err


def test_scope_commits_trusts_only_the_last_converged_apply() -> None:
    record = {
        "time": "T2",
        "git_commit": C2,
        "failed": 0,
        "scopes": {
            "dns/a.ch": {"time": "T2"},
            "dns/b.ch": {"time": "T1"},  # verified by an older apply, at a commit the record no longer has
            "dns/c.ch": {"time": "T1", "git_commit": C1},
        },
    }
    assert scope_commits(record) == {"dns/a.ch": C2, "dns/c.ch": C1}
    assert scope_commits({**record, "failed": 1}) == {}
    assert scope_commits({}) == {}


def test_applied_values_keeps_the_last_entry() -> None:
    entries = [
        {"event": "applied", "change": "dns/x/a A", "after": {"v": 1}},
        {"event": "refused", "change": "dns/x/a A"},
        {"event": "applied", "change": "dns/x/a A", "after": {"v": 2}},
    ]
    assert applied_values(entries)["dns/x/a A"]["after"] == {"v": 2}


def test_no_drift_right_after_an_apply(flow: Flow) -> None:
    applied(flow)
    code, found, report = sides(flow)
    assert (code, found) == (0, {})
    assert report["base"] == "working tree"
    assert report["last_apply"]["git_commit"] == str(flow.repo.head.commit.hexsha)


def test_before_any_apply_the_side_is_unknown(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    flow.commit_all("Move the apex")
    code, found, report = sides(flow)
    assert code == 2
    assert found == {"dns/example.ch/@ A": "unknown"}
    assert "no last-apply record" in report["notes"][0]


def test_audit_log_answers_without_a_record(flow: Flow) -> None:
    applied(flow)
    (flow.home / "last-apply.json").unlink()
    flow.set_live(".", "A", "203.0.113.99", "203.0.113.1")  # the applied resource moves live
    flow.set_live("app", "A", "203.0.113.21", "203.0.113.77")  # never applied: nothing to compare with
    code, found, _ = sides(flow)
    assert code == 2
    assert found == {"dns/example.ch/@ A": "live", "dns/example.ch/app A": "unknown"}


def test_both_sides_moved(flow: Flow) -> None:
    applied(flow)
    flow.set_live(".", "A", "203.0.113.99", "203.0.113.1")
    flow.edit_zone("203.0.113.99", "203.0.113.2")
    flow.commit_all("Move the apex again")
    code, found, _ = sides(flow)
    assert (code, found) == (2, {"dns/example.ch/@ A": "both"})


def test_base_ref_and_a_commit_git_no_longer_has(flow: Flow) -> None:
    applied(flow)
    flow.edit_zone("ttl: 300", "ttl: 900")
    flow.commit_all("Longer TTL")
    # At the applied commit (HEAD~1) nothing has drifted; at HEAD the desired state moved.
    assert sides(flow, "--base", "HEAD~1")[:2] == (0, {})
    assert sides(flow, "--base", "HEAD")[1] == {"dns/example.ch/_acme-challenge TXT": "desired"}

    record = json.loads((flow.home / "last-apply.json").read_text(encoding="utf-8"))
    record["git_commit"] = "f" * 40
    for entry in record["scopes"].values():
        entry["git_commit"] = "f" * 40
    (flow.home / "last-apply.json").write_text(json.dumps(record), encoding="utf-8")
    code, found, report = sides(flow)
    assert code == 2
    assert found == {"dns/example.ch/_acme-challenge TXT": "unknown"}
    assert any("not in this clone" in note for note in report["notes"])


def test_dirty_apply_is_not_trusted_as_a_commit(flow: Flow) -> None:
    flow.edit_zone("203.0.113.10", "203.0.113.99")
    assert flow.run("apply", "--sandbox", "--auto-approve").code == 0  # sandbox: dirty allowed
    flow.set_live(".", "A", "203.0.113.99", "203.0.113.1")
    code, found, report = sides(flow)
    assert code == 2
    assert found == {"dns/example.ch/@ A": "live"}  # from the audit log
    assert any("uncommitted changes" in note for note in report["notes"])


def test_text_output_and_targets(flow: Flow) -> None:
    applied(flow)
    flow.set_live("app", "A", "203.0.113.21", "203.0.113.77")
    result = flow.run("drift", "--sandbox", "--target", "dns/example.ch")
    assert result.code == 2
    assert result.out.startswith(
        "Drift: 1 difference(s) between live state and the desired state at working tree"
    )
    assert "Live moved" in result.out and "apply` brings live state back" in result.out
    other = flow.run("drift", "--sandbox", "--target", "dns/demo-shop.ch")
    assert other.code == 0  # no file for that zone: nothing managed, nothing drifted


@pytest.mark.anyio
async def test_memo_kind_fetches_each_scope_once() -> None:
    class Counting(FakeKind):
        fetches = 0

        async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
            Counting.fetches += 1
            return await super().fetch(ctx, scope)

    kind = memo_kinds([Counting({"main": {"a": {"value": "1"}}})])[0]
    assert isinstance(kind, MemoKind)
    ctx = RunContext(client=None)  # type: ignore[arg-type]
    first = await kind.fetch(ctx, "main")
    second = await kind.fetch(ctx, "main")
    await kind.fetch(ctx, "other")
    assert first is second
    assert Counting.fetches == 2
    assert kind.name == "items"  # everything else is delegated


def test_damaged_record_is_ignored(flow: Flow) -> None:
    applied(flow)
    (flow.home / "last-apply.json").write_text(json.dumps({"time": [1], "failed": "many"}), encoding="utf-8")
    flow.set_live("app", "A", "203.0.113.21", "203.0.113.77")
    code, found, report = sides(flow)
    assert (code, found) == (2, {"dns/example.ch/app A": "unknown"})
    assert report["notes"] == ["the last-apply record is damaged; ignoring it"]


def test_drift_reads_the_deeper_folders_the_base_commit_names(flow: Flow) -> None:
    # drive_permissions reads a folder below the root only when the desired file names it, and fetch reads
    # that file from the session's state directory: for `drift --base`, the exported commit, not the
    # working tree (where the entry is gone here, uncommitted).
    assert flow.run("import", "--sandbox", "drive_permissions", "Demo Drive").code == 0
    state = flow.sandbox()
    state.data["drive_file_access"]["140946"]["103"] = {"users": {"5000103": "read"}, "teams": {}}
    state.save(flow.home / "sandbox.json")
    file = flow.root / "state" / "drive" / "permissions" / "Demo Drive.yaml"
    committed = file.read_text(encoding="utf-8")
    entry = "/Marketing/Campaign 2026:\n  users:\n    bruno.keller@example.ch: manage\n"
    file.write_text(committed + entry, encoding="utf-8")
    flow.commit_all("Bruno manages the campaign folder")
    file.write_text(committed, encoding="utf-8")
    code, found, report = sides(flow, "--base", "HEAD")
    assert code == 2, report
    assert list(found) == ["drive_permissions/Demo Drive//Marketing/Campaign 2026"]
    (change,) = report["plan"]["changes"]
    assert change["before"]["users"] == {"bruno.keller@example.ch": "read"}
    assert change["after"]["users"] == {"bruno.keller@example.ch": "manage"}
