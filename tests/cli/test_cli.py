"""The CLI end to end, as a subprocess, against the sandbox."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

from tests.cli.conftest import clean_env


def test_sandbox_loop_plan_apply_converges(run_cli, dns_state: Path) -> None:
    first = run_cli("--sandbox", "plan", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "+ blog CNAME" in first.stdout and "~ www CNAME" in first.stdout and "- app A" in first.stdout
    assert "Plan: 2 to create, 2 to update, 1 to delete." in first.stdout

    applied = run_cli("--sandbox", "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "Verified: live state now matches the desired state." in applied.stdout

    again = run_cli("plan", "--sandbox", "--detailed-exitcode")
    assert again.returncode == 0, again.stderr
    assert "No changes." in again.stdout


def test_apply_without_terminal_or_flag_refuses(run_cli, dns_state: Path) -> None:
    result = run_cli("--sandbox", "apply", stdin="yes\n")
    assert result.returncode == 1
    assert "refusing to apply without approval" in result.stderr
    assert "--expect-plan-hash" in result.stderr
    # Each way out is a whole command to copy, against the same account (the sandbox here).
    assert "infomaniak-gitops --sandbox apply --auto-approve" in result.stderr
    assert (
        "infomaniak-gitops --sandbox plan --out plan.json, then: infomaniak-gitops --sandbox apply plan.json"
        in result.stderr
    )
    assert run_cli("--sandbox", "plan", "--detailed-exitcode").returncode == 2


def test_saved_sandbox_plan_names_the_command_that_applies_it(run_cli, dns_state: Path) -> None:
    saved = run_cli("--sandbox", "plan", "--out", "plan.json")
    assert "apply it with `infomaniak-gitops --sandbox apply plan.json`" in saved.stderr
    # Applied without --sandbox, the refusal gives the command that works.
    wrong = run_cli("apply", "plan.json", env=clean_env(INFOMANIAK_API_TOKEN="not-used"))
    assert wrong.returncode == 1
    assert "plan.json was planned against the sandbox" in wrong.stderr
    assert "infomaniak-gitops --sandbox apply plan.json" in wrong.stderr


def test_saved_plan_applies_and_goes_stale_when_live_moves(run_cli, dns_state: Path, tmp_path: Path) -> None:
    assert run_cli("--sandbox", "plan", "--out", "plan.json").returncode == 0
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert saved["format_version"] == 1 and len(saved["plan_hash"]) == 64

    # Someone changes the zone behind our back: the www TTL the plan wants to change.
    sandbox_file = tmp_path / ".infomaniak-gitops" / "sandbox.json"
    state = json.loads(sandbox_file.read_text())
    for record in state["zones"]["example.ch"]["records"]:
        if record["source"] == "www":
            record["ttl"] = 7200
    sandbox_file.write_text(json.dumps(state))

    stale = run_cli("--sandbox", "apply", "plan.json")
    assert stale.returncode == 1
    assert "stale plan" in stale.stderr
    assert "live value moved: dns/example.ch: www CNAME" in stale.stderr
    # Field by field, in the plan's own words, never a Python dict.
    assert re.search(r"^\s+ttl: \d+ → 7200$", stale.stderr, re.MULTILINE), stale.stderr
    assert "{'" not in stale.stderr

    fresh = run_cli("--sandbox", "plan", "--out", "plan.json")
    assert fresh.returncode == 0
    assert run_cli("--sandbox", "apply", "plan.json").returncode == 0
    assert run_cli("--sandbox", "plan", "--detailed-exitcode").returncode == 0


def test_expect_plan_hash_mismatch_is_refused(run_cli, dns_state: Path) -> None:
    result = run_cli("--sandbox", "apply", "--expect-plan-hash", "0" * 64)
    assert result.returncode == 1
    assert "stale plan" in result.stderr
    plan = run_cli("--sandbox", "plan", "--format", "json")
    digest = json.loads(plan.stdout)["plan_hash"]
    assert run_cli("--sandbox", "apply", "--expect-plan-hash", digest).returncode == 0


def test_import_writes_files_that_plan_to_zero_changes(run_cli, tmp_path: Path) -> None:
    result = run_cli("--sandbox", "--state", "imported", "import", "dns", "example.ch")
    assert result.returncode == 0, result.stderr
    zone = tmp_path / "imported" / "dns" / "example.ch.yaml"
    assert "mta-gw.infomaniak.ch." in zone.read_text()
    plan = run_cli("--sandbox", "--state", "imported", "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    again = run_cli("--sandbox", "--state", "imported", "import", "dns", "example.ch")
    assert again.returncode == 1 and "--overwrite" in again.stderr


def test_validate_reports_file_line_and_field(run_cli, dns_state: Path) -> None:
    assert run_cli("validate").returncode == 0
    zone = dns_state / "dns" / "example.ch.yaml"
    zone.write_text(zone.read_text() + "bad:\n  type: A\n  value: 10.0.0.1\n  colour: red\n")
    result = run_cli("validate")
    assert result.returncode == 1
    assert "state/dns/example.ch.yaml:" in result.stderr and "bad.colour: unknown field" in result.stderr


def test_unknown_target_and_missing_token_are_clear(run_cli, dns_state: Path) -> None:
    unknown = run_cli("--sandbox", "plan", "--target", "nope")
    assert unknown.returncode == 1 and "unknown target 'nope'" in unknown.stderr
    no_token = run_cli("plan")
    assert no_token.returncode == 1
    assert "INFOMANIAK_API_TOKEN" in no_token.stderr and "--sandbox" in no_token.stderr


def test_schema_is_json(run_cli) -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert {"config", "dns"} <= set(document["$defs"])
    dns = json.loads(run_cli("schema", "dns").stdout)
    assert "object" in dns["type"]
    config = json.loads(run_cli("schema", "config").stdout)
    assert "safety" in config["properties"]


def test_sandbox_reset_restores_the_demo(run_cli, dns_state: Path) -> None:
    assert run_cli("--sandbox", "apply", "--auto-approve").returncode == 0
    assert run_cli("sandbox", "reset").returncode == 0
    assert run_cli("--sandbox", "plan", "--detailed-exitcode", env=clean_env()).returncode == 2


def test_unreachable_api_is_one_clear_error_naming_the_url(run_cli, dns_state: Path) -> None:
    # Before: a dozen "WARNING ... retrying" lines, then an error that did not say which URL was tried.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed again when the block ends
    env = clean_env(
        INFOMANIAK_API_TOKEN="tok-unreachable-0123456789abcdef",
        INFOMANIAK_API_URL=url,
        INFOMANIAK_RETRY_BUDGET="1",
    )
    result = run_cli("plan", env=env)
    assert result.returncode == 1
    assert "WARNING" not in result.stderr
    assert "retrying" not in result.stderr
    assert f"the API at {url} could not be reached" in result.stderr
    assert "check INFOMANIAK_API_URL" in result.stderr


def test_an_unreachable_api_leaves_no_unawaited_connect_behind(run_cli, tmp_path: Path) -> None:
    # Before: the other scopes' fetches were left mid-connect when the first failed, and the interpreter
    # printed "coroutine 'connect_tcp.<locals>.try_connect' was never awaited" after the error.
    shutil.copytree(Path(__file__).resolve().parents[2] / "state", tmp_path / "state")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = clean_env(INFOMANIAK_API_TOKEN="tok-unreachable-0123456789abcdef", INFOMANIAK_API_URL=url)
    env["INFOMANIAK_RETRY_BUDGET"] = "1"
    result = run_cli("plan", env=env)
    assert result.returncode == 1 and "could not be reached" in result.stderr
    assert "never awaited" not in result.stderr and "RuntimeWarning" not in result.stderr, result.stderr


def test_bad_plan_files_are_one_line_errors(run_cli, dns_state: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    (tmp_path / "deep.json").write_text("[" * 100000 + "\n")
    for name, detail in (("bad.json", "not UTF-8"), ("deep.json", "nested too deeply")):
        result = run_cli("--sandbox", "apply", name)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert f"{name}: not a JSON plan file ({detail}" in result.stderr, result.stderr


def test_plan_out_into_a_missing_folder_names_the_path(run_cli, dns_state: Path) -> None:
    result = run_cli("--sandbox", "plan", "--out", "/nonexistent/dir/p.json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "/nonexistent/dir/p.json: cannot write the plan file" in result.stderr, result.stderr


def test_targets_that_would_widen_or_name_no_file_are_refused(run_cli, dns_state: Path) -> None:
    widened = run_cli("--sandbox", "apply", "--target", "dns/..", "--auto-approve")
    assert widened.returncode == 1
    assert "has no scope after '/'" in widened.stderr
    typo = run_cli("--sandbox", "plan", "--target", "dns/exmaple.ch", "--detailed-exitcode")
    assert typo.returncode == 1  # not 0 ("no changes"), which a CI job would trust
    assert "no desired-state file for dns/exmaple.ch" in typo.stderr
    assert "demo-shop.ch, example.ch" in typo.stderr
    audit = dns_state.parent / ".infomaniak-gitops" / "audit.jsonl"
    assert not audit.exists() or "apply_attempt" not in audit.read_text()


def test_one_shot_verbs_collect_garbage_less_often_and_servers_keep_the_defaults(
    monkeypatch, tmp_path: Path
) -> None:
    import gc

    from reconciler.cli import RUN_GC_THRESHOLDS, main

    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *values: seen.append(values))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFOMANIAK_GITOPS_HOME", str(tmp_path / "home"))
    assert main(["schema"]) == 0
    # Raised for the verb (CPython's default is 700), then given back to the caller.
    assert seen == [RUN_GC_THRESHOLDS, before] and RUN_GC_THRESHOLDS[0] > 700
    seen.clear()
    assert main(["sandbox", "reset"]) == 0  # `sandbox serve` and `mcp` run for hours: defaults kept
    assert seen == []
