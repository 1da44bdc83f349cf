"""Black-box: the CLI in real mode against `sandbox serve` on 127.0.0.1; the token never shows."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import SERVED_TOKEN as TOKEN
from tests.cli.conftest import clean_env


def test_token_never_appears_in_output_logs_or_audit(
    run_cli, committed_dns_state: Path, server: str, tmp_path: Path
) -> None:
    env = clean_env(INFOMANIAK_API_TOKEN=TOKEN, INFOMANIAK_API_URL=server)
    outputs = []
    plan = run_cli("-vv", "plan", "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stderr
    outputs.append(plan)
    applied = run_cli("-vv", "apply", "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stderr
    outputs.append(applied)
    outputs.append(run_cli("-vv", "plan", "--format", "json", env=env))
    outputs.append(run_cli("-vv", "plan", "--format", "markdown", env=env))
    wrong = run_cli("-vv", "plan", env=clean_env(INFOMANIAK_API_TOKEN=TOKEN[::-1], INFOMANIAK_API_URL=server))
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr
    outputs.append(wrong)
    for result in outputs:
        assert TOKEN not in result.stdout and TOKEN not in result.stderr
        assert TOKEN[::-1] not in result.stdout and TOKEN[::-1] not in result.stderr
    for path in (tmp_path / ".infomaniak-gitops").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), path


def test_a_password_in_the_api_url_is_refused_and_never_printed(run_cli, tmp_path: Path) -> None:
    env = clean_env(INFOMANIAK_API_TOKEN=TOKEN, INFOMANIAK_API_URL="https://user:s3cr3t-pw@127.0.0.1:9")
    result = run_cli("plan", env=env)
    assert result.returncode == 1
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "put the API token in INFOMANIAK_API_TOKEN" in result.stderr, result.stderr
