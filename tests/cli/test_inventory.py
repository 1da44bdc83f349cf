"""show, audit-account, api get and `sandbox reset --account dirty`, as a user runs them."""

from __future__ import annotations

import json


def test_show_lists_the_kinds_then_reads_one(run_cli) -> None:
    kinds = run_cli("--sandbox", "show")
    assert kinds.returncode == 0 and "mailboxes (mail) [scope: a row of mail_hostings]" in kinds.stdout
    mailboxes = run_cli("--sandbox", "show", "mailboxes", "example.ch", "--limit", "2")
    assert mailboxes.returncode == 0, mailboxes.stderr
    lines = mailboxes.stdout.splitlines()
    assert lines[0].split()[:3] == ["mailbox", "size", "aliases"]
    assert lines[-1] == "mailboxes example.ch: rows 1-2 of 5; next: --offset 2"


def test_show_json_and_yaml_and_a_dated_view(run_cli) -> None:
    data = json.loads(run_cli("--sandbox", "show", "products", "--format", "json").stdout)
    assert data["total"] == 10 and data["rows"][0]["expires_in_days"] == 268  # the demo's own clock
    later = json.loads(
        run_cli("--sandbox", "show", "products", "--format", "json", "--as-of", "2026-09-01").stdout
    )
    assert later["rows"][0]["expires_in_days"] == 25
    yaml = run_cli("--sandbox", "show", "kchat_channels", "--format", "yaml").stdout
    assert "name: town-square" in yaml


def test_show_errors_are_clear(run_cli) -> None:
    wrong = run_cli("--sandbox", "show", "mailboxes", "nope")
    assert wrong.returncode == 1
    assert "no mail_hostings named 'nope' in the account (known: example.ch)" in wrong.stderr
    date = run_cli("--sandbox", "show", "products", "--as-of", "soon")
    assert date.returncode == 1 and "give YYYY-MM-DD" in date.stderr


def test_audit_account_exit_codes_and_formats(run_cli) -> None:
    plain = run_cli("--sandbox", "audit-account")
    assert plain.returncode == 0 and plain.stdout.splitlines()[0].split()[0] == "audit"
    gate = run_cli("--sandbox", "audit-account", "--fail-on", "high", "--format", "markdown")
    assert gate.returncode == 2 and "2 finding(s) at or above high" in gate.stderr
    assert "| share_links | 0 | 2 | 0 | 0 | 0 | ok |" in gate.stdout
    quiet = run_cli("--sandbox", "audit-account", "--audit", "access", "--fail-on", "low", "--format", "json")
    assert quiet.returncode == 0 and json.loads(quiet.stdout)["findings"] == []


def test_the_dirty_account_fails_every_audit(run_cli) -> None:
    reset = run_cli("sandbox", "reset", "--account", "dirty")
    assert reset.returncode == 0 and "starts from the dirty account" in reset.stdout
    report = json.loads(run_cli("--sandbox", "audit-account", "--format", "json").stdout)
    assert all(sum(counts.values()) > 0 for counts in report["summary"].values()), report["summary"]
    run_cli("sandbox", "reset")
    clean = json.loads(run_cli("--sandbox", "audit-account", "--format", "json", "--audit", "access").stdout)
    assert clean["findings"] == []


def test_api_get_prints_the_answer_and_refuses_escapes(run_cli) -> None:
    ok = run_cli("--sandbox", "api", "get", "/1/products", "-p", "service_name=domain")
    assert ok.returncode == 0 and [p["id"] for p in json.loads(ok.stdout)["data"]] == [1600101, 1600102]
    cut = run_cli("--sandbox", "api", "get", "/1/products", "--max-chars", "1500")
    assert cut.returncode == 0 and "note: showing" in cut.stderr
    escape = run_cli("--sandbox", "api", "get", "/1/../proxy/1/vps")
    assert escape.returncode == 1 and "'..' segment" in escape.stderr
    bad = run_cli("--sandbox", "api", "get", "/1/products", "-p", "nonsense")
    assert bad.returncode == 1 and "is not NAME=VALUE" in bad.stderr


def test_counts_below_their_minimum_are_argparse_errors(run_cli) -> None:
    for args, minimum in (
        (("api", "get", "/1/accounts", "--max-chars", "-5"), 1),
        (("api", "get", "/1/accounts", "--max-chars", "0"), 1),
        (("show", "products", "--limit", "0"), 1),
        (("show", "products", "--offset", "-1"), 0),
        (("audit-account", "--days", "0"), 1),
    ):
        result = run_cli("--sandbox", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert f"give at least {minimum}" in result.stderr and "usage:" in result.stderr, result.stderr
