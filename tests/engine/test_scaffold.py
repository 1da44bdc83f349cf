"""``init``'s scaffolding: the files a configuration repository starts with, and running it twice."""

from __future__ import annotations

import errno
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import git
import jsonschema
import pytest
from ruamel.yaml import YAML

from reconciler import sandbox
from reconciler.engine import (
    commit_all,
    detect_account,
    init_repository,
    mcp_config,
    scaffold_repository,
)
from reconciler.errors import SettingsError
from reconciler.kinds import all_kinds
from reconciler.settings import WORK_DIR_NAME, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_new_directory_becomes_a_repository_with_every_file(tmp_path: Path) -> None:
    root = tmp_path / "cfg"
    report = scaffold_repository(root, account=4242, sandbox=False, command="infomaniak-gitops")
    assert report.git_initialised
    assert git.Repo(root).active_branch.name == "main"
    expected = {
        ".gitignore",
        ".mcp.json",
        ".vscode/settings.json",
        "state/infomaniak.yaml",
        "schemas/config.json",
        ".github/workflows/infomaniak-plan.yml",
        ".github/workflows/infomaniak-apply.yml",
        ".github/workflows/infomaniak-drift.yml",
        *(f"schemas/{kind.name}.json" for kind in all_kinds()),
    }
    assert _files(root) == expected
    assert {outcome for _, outcome in report.files} == {"created"}
    assert "account: 4242\n" in (root / "state" / "infomaniak.yaml").read_text()
    assert ".infomaniak-gitops/" in (root / ".gitignore").read_text().splitlines()


def test_running_twice_keeps_every_file_and_force_rewrites_all_but_the_account_file(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    config = tmp_path / "state" / "infomaniak.yaml"
    mine = 'account: 7\nprotect:\n  - "dns/*/@ MX"\n  - "dns/example.ch/www A"\n'  # the user's own rules
    config.write_text(mine, encoding="utf-8")
    (tmp_path / ".mcp.json").write_text("{}\n", encoding="utf-8")
    again = scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    assert not again.git_initialised
    assert {outcome for _, outcome in again.files} == {"kept"}
    assert config.read_text() == mine
    forced = scaffold_repository(tmp_path, account=None, sandbox=True, command="x", force=True)
    outcomes = dict(forced.files)
    assert outcomes[".mcp.json"] == "overwritten" and (tmp_path / ".mcp.json").read_text() != "{}\n"
    assert outcomes[".gitignore"] == "kept"  # amended at most once, never replaced
    # Its account id and protect rules are the user's: --force never rewrites them (nor comments the id out).
    assert outcomes["state/infomaniak.yaml"] == "kept"
    assert forced.force_kept == ["state/infomaniak.yaml"]
    assert config.read_text() == mine


def test_existing_gitignore_is_amended_not_replaced(tmp_path: Path) -> None:
    git.Repo.init(tmp_path).close()
    (tmp_path / ".gitignore").write_text("node_modules/", encoding="utf-8")  # no final newline
    report = scaffold_repository(tmp_path, account=None, sandbox=False, command="x")
    assert not report.git_initialised
    assert dict(report.files)[".gitignore"] == "amended"
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[0] == "node_modules/" and lines[-1] == ".infomaniak-gitops/"


def test_sandbox_repository_workflows_run_against_the_simulator(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    for workflow in (tmp_path / ".github" / "workflows").glob("*.yml"):
        assert 'sandbox: "true"' in workflow.read_text(), workflow.name
    server = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["infomaniak"]
    assert server == {"command": "x", "args": ["--state", "state", "--sandbox", "mcp"]}


def test_mcp_snippets_keep_the_token_out_of_files(tmp_path: Path) -> None:
    shared = mcp_config("infomaniak-gitops", sandbox=False)["mcpServers"]["infomaniak"]
    assert shared["env"] == {"INFOMANIAK_API_TOKEN": "${INFOMANIAK_API_TOKEN}"}
    desktop = mcp_config("/opt/bin/infomaniak-gitops", sandbox=False, absolute_root=tmp_path)
    server = desktop["mcpServers"]["infomaniak"]
    assert server["args"] == ["--state", str(tmp_path / "state"), "mcp"]
    assert server["env"]["INFOMANIAK_GITOPS_HOME"] == str(tmp_path / ".infomaniak-gitops")


def test_editor_associations_validate_the_example_state(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=False, command="x")
    schemas = json.loads((tmp_path / ".vscode" / "settings.json").read_text())["yaml.schemas"]
    assert schemas["./schemas/dns.json"] == ["state/dns/*.yaml"]
    assert schemas["./schemas/config.json"] == ["state/infomaniak.yaml"]
    checked: dict[str, str] = {}
    for schema_file, patterns in schemas.items():
        validator = jsonschema.Draft202012Validator(json.loads((tmp_path / schema_file).read_text()))
        included = {p for pattern in patterns if not pattern.startswith("!") for p in REPO.glob(pattern)}
        excluded = {p for pattern in patterns if pattern.startswith("!") for p in REPO.glob(pattern[1:])}
        for example in sorted(included - excluded):
            # Editors read YAML 1.2 (no timestamp type): a date is the string the file spells.
            loaded = YAML(typ="safe").load(example.read_text(encoding="utf-8"))
            document = json.loads(json.dumps(loaded, default=str))
            assert not list(validator.iter_errors(document)), example
            name = example.relative_to(REPO).as_posix()
            assert name not in checked, f"{name}: both {checked[name]} and {schema_file} claim it"
            checked[name] = schema_file
    # Every file of the example state is covered by exactly the schema of its kind.
    assert set(checked) == {p.relative_to(REPO).as_posix() for p in (REPO / "state").rglob("*.yaml")}


def test_commit_all_commits_once_and_then_has_nothing_to_do(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    with git.Repo(tmp_path).config_writer() as config:
        config.set_value("user", "name", "Init Test")
        config.set_value("user", "email", "init@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    first = commit_all(tmp_path, "start")
    assert first is not None and len(first) == 40
    assert commit_all(tmp_path, "again") is None


def test_commit_failure_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    hook = tmp_path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by hook >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    with pytest.raises(SettingsError, match=r"git commit in .* failed") as caught:
        commit_all(tmp_path, "start")
    assert "commit them yourself" in str(caught.value)


@pytest.mark.anyio
async def test_account_is_detected_only_when_the_token_sees_exactly_one(tmp_path: Path) -> None:
    sandbox = load_settings(sandbox=True, env={"INFOMANIAK_GITOPS_HOME": str(tmp_path)}, cwd=tmp_path)
    assert await detect_account(sandbox) == 123456
    no_token = load_settings(sandbox=False, env={}, cwd=tmp_path)
    assert await detect_account(no_token) is None


class Simulators:
    """Every simulator the sessions of a test open (one per session), with the requests each one saw."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, other_accounts: int = 0) -> None:
        self.requests: list[Counter[str]] = []
        real = sandbox.create_app

        def create_app(state: sandbox.SandboxState, **options: Any) -> Any:
            for n in range(other_accounts):
                state.accounts.append({**state.accounts[0], "id": 700001 + n, "name": f"Other {n}"})
            app = real(state, **options)
            seen: Counter[str] = Counter()
            self.requests.append(seen)

            async def counted(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    seen[f"{scope['method']} {scope['path']}"] += 1
                await app(scope, receive, send)

            return counted

        monkeypatch.setattr(sandbox, "create_app", create_app)


def _init_settings(tmp_path: Path) -> Settings:
    root = tmp_path / "cfg"
    base = load_settings(sandbox=True, env={}, cwd=tmp_path)
    return replace(base, state_dir=root / "state", work_dir=root / WORK_DIR_NAME)


@pytest.mark.anyio
async def test_init_import_reads_the_account_list_once_in_one_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulators = Simulators(monkeypatch)
    result = await init_repository(_init_settings(tmp_path), tmp_path / "cfg", import_live=True)
    assert result.account == 123456
    assert "account: 123456" in (tmp_path / "cfg" / "state" / "infomaniak.yaml").read_text()
    assert "state/dns/example.ch.yaml" in result.imported
    # One session (one simulator) found the account and imported every kind; /1/accounts was read once.
    (requests,) = simulators.requests
    assert requests["GET /1/accounts"] == 1
    assert requests["GET /2/zones/example.ch/records"] == 1


@pytest.mark.anyio
async def test_init_import_manages_the_given_account_when_the_token_sees_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulators = Simulators(monkeypatch, other_accounts=1)
    result = await init_repository(
        _init_settings(tmp_path), tmp_path / "cfg", account=123456, import_live=True
    )
    assert "state/account/tags.yaml" in result.imported
    (requests,) = simulators.requests
    assert requests["GET /1/accounts"] == 0  # the account was given: nothing to look up


@pytest.mark.anyio
async def test_init_import_without_an_account_when_the_token_sees_several_says_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Simulators(monkeypatch, other_accounts=1)
    with pytest.raises(SettingsError, match=r"the token sees 2 accounts .*\n.*account: <id>"):
        await init_repository(_init_settings(tmp_path), tmp_path / "cfg", import_live=True)


def test_a_read_only_directory_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests may run as root, where chmod does not refuse: the filesystem's answer is injected instead.
    def refuse(path: Path, text: str) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr("reconciler.engine.scaffold.write_text_atomic", refuse)
    with pytest.raises(SettingsError) as caught:
        scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    assert str(caught.value) == (
        f"init: cannot write {tmp_path / '.gitignore'}: Read-only file system\n"
        "  pick a directory you can write to"
    )


def test_a_failing_git_init_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise git.GitCommandError(["git", "init"], 128, b"fatal: cannot mkdir .git: Permission denied")

    monkeypatch.setattr(git.Repo, "init", refuse)
    with pytest.raises(SettingsError, match=r"git failed in .*: fatal: cannot mkdir \.git: Permission"):
        scaffold_repository(tmp_path / "cfg", account=None, sandbox=True, command="x")


def test_commit_all_with_paths_leaves_the_users_other_changes_alone(tmp_path: Path) -> None:
    scaffold_repository(tmp_path, account=None, sandbox=True, command="x")
    with git.Repo(tmp_path).config_writer() as config:
        config.set_value("user", "name", "Init Test")
        config.set_value("user", "email", "init@example.invalid")
        config.set_value("commit", "gpgsign", "false")
    (tmp_path / ".gitignore").write_text(".infomaniak-gitops/\n.vscode/\n", encoding="utf-8")
    (tmp_path / ".env").write_text("SECRET=1\n", encoding="utf-8")
    sha = commit_all(
        tmp_path, "start", paths=[".mcp.json", ".vscode/settings.json"], new_only=["state/infomaniak.yaml"]
    )
    assert sha is not None
    repo = git.Repo(tmp_path)
    committed = set(repo.git.show("--name-only", "--format=", "HEAD").splitlines())
    # Ignored by the user's .gitignore stays out, as `git add --all` would leave it.
    assert committed == {".mcp.json", "state/infomaniak.yaml"}
    assert ".env" in repo.untracked_files
    assert commit_all(tmp_path, "again", paths=[".mcp.json"], new_only=["state/infomaniak.yaml"]) is None


@pytest.mark.parametrize("where", ["bare", "repo/.git/hooks/cfg"])
def test_a_git_directory_without_a_work_tree_is_refused_before_any_file(tmp_path: Path, where: str) -> None:
    git.Repo.init(tmp_path / "bare", bare=True).close()
    git.Repo.init(tmp_path / "repo").close()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(SettingsError, match=r"inside a git directory without a work tree.*\n.*git clone"):
        scaffold_repository(tmp_path / where, account=None, sandbox=True, command="x")
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert [p for p in after if p not in before] in ([], [Path(where)])  # at most the empty folder named
