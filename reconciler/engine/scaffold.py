"""``init``: turn a directory into a configuration repository.

Every file is written only when absent (or with ``force``), so running ``init`` twice changes nothing; the
``.gitignore`` is the one file it amends rather than replaces, because a user's own ignore rules must survive.
``state/infomaniak.yaml`` is never rewritten, even with ``force``: it holds the account id and the protect
rules, which a regenerated file would drop (or comment out, without a token). Deleting it first is the
deliberate way to get a fresh one.
"""

from __future__ import annotations

import errno
import json
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import git

from reconciler.desired import CONFIG_FILE, AccountConfig
from reconciler.desired.yamlio import write_text_atomic
from reconciler.errors import ReconcilerError, SettingsError
from reconciler.kinds import all_kinds
from reconciler.settings import WORK_DIR_NAME, Settings

if TYPE_CHECKING:
    from reconciler.engine.session import Session

log = logging.getLogger(__name__)

Outcome = Literal["created", "kept", "overwritten", "amended"]

STATE_DIR_NAME = "state"
SCHEMA_DIR_NAME = "schemas"
COMMAND_NAME = "infomaniak-gitops"
WORKFLOWS = ("infomaniak-plan.yml", "infomaniak-apply.yml", "infomaniak-drift.yml")


@dataclass
class ScaffoldReport:
    """What ``init`` did to each file, in the order it touched them."""

    root: Path
    git_initialised: bool = False
    files: list[tuple[str, Outcome]] = field(default_factory=list)
    # The repository's top level: ``root`` itself unless ``init`` ran inside an existing repository.
    repo_root: Path | None = None
    force_kept: list[str] = field(default_factory=list)
    """Files kept although ``force`` was given (the account file)."""

    def record(self, path: Path, outcome: Outcome) -> None:
        self.files.append((path.relative_to(self.root).as_posix(), outcome))


def installed_command(*, absolute: bool = False) -> str:
    """How a client should start this installation.

    The bare name when it is on PATH keeps a committed ``.mcp.json`` valid on every teammate's machine;
    ``absolute`` is for desktop apps, which do not inherit the shell's PATH. An installation in a virtualenv
    that is not activated is always named by its full path.
    """
    beside = Path(sys.executable).with_name(COMMAND_NAME)
    on_path = shutil.which(COMMAND_NAME)
    if on_path and not absolute:
        return COMMAND_NAME
    if on_path:
        return str(Path(on_path).resolve())
    return str(beside) if beside.exists() else COMMAND_NAME


def schema_document(name: str | None = None) -> dict[str, Any]:
    """JSON Schema of one file type (``config`` or a kind), or of all of them as ``$defs``."""
    if name == "config":
        return AccountConfig.model_json_schema()
    if name:
        from reconciler.kinds import get_kind

        return get_kind(name).file_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "infomaniak-gitops desired-state files",
        "description": "config: state/infomaniak.yaml; each kind: the files under state/<directory>/.",
        "$defs": {
            "config": AccountConfig.model_json_schema(),
            **{kind.name: kind.file_schema() for kind in all_kinds()},
        },
    }


def config_text(account: int | None) -> str:
    account_line = (
        f"account: {account}\n"
        if account is not None
        else "# account: 123456   # set it when the token sees more than one account\n"
    )
    return (
        "# The account this repository describes, and the rules every plan and apply follow.\n"
        "# Reference: docs/format-config.md of infomaniak-gitops · JSON Schema: schemas/config.json\n"
        f"{account_line}\n"
        "safety:\n"
        "  # Refuse plans that rewrite more than 30 % of a scope with 10+ resources, unless --force.\n"
        "  min_existing: 10\n"
        "  max_update_fraction: 0.3\n"
        "  max_delete_fraction: 0.3\n\n"
        "protect:\n"
        "  # Mail routing must never disappear by accident.\n"
        '  - "dns/*/@ MX"\n'
    )


def mcp_config(command: str, *, sandbox: bool, absolute_root: Path | None = None) -> dict[str, Any]:
    """The ``mcpServers`` entry: relative paths for a committed ``.mcp.json``, absolute for Claude Desktop
    (which starts servers in an unknown working directory)."""
    state = str(absolute_root / STATE_DIR_NAME) if absolute_root else STATE_DIR_NAME
    args = ["--state", state, *(["--sandbox"] if sandbox else []), "mcp"]
    server: dict[str, Any] = {"command": command, "args": args}
    env: dict[str, str] = {}
    if not sandbox:
        env["INFOMANIAK_API_TOKEN"] = "${INFOMANIAK_API_TOKEN}" if absolute_root is None else "…"
    if absolute_root is not None:
        env["INFOMANIAK_GITOPS_HOME"] = str(absolute_root / WORK_DIR_NAME)
    if env:
        server["env"] = env
    return {"mcpServers": {"infomaniak": server}}


def editor_schema_map() -> dict[str, list[str]]:
    """yaml-language-server associations: schema file → the state files it validates."""
    mapping: dict[str, list[str]] = {f"./{SCHEMA_DIR_NAME}/config.json": [f"{STATE_DIR_NAME}/{CONFIG_FILE}"]}
    for kind in all_kinds():
        mapping[f"./{SCHEMA_DIR_NAME}/{kind.name}.json"] = [kind.file_pattern(Path(STATE_DIR_NAME))]
    return mapping


class _Writer:
    def __init__(self, report: ScaffoldReport, *, force: bool) -> None:
        self.report = report
        self.force = force

    def text(self, relative: str, content: str, *, forceable: bool = True) -> None:
        path = self.report.root / relative
        if path.exists() and not (self.force and forceable):
            self.report.record(path, "kept")
            if self.force:
                self.report.force_kept.append(relative)
            return
        outcome: Outcome = "overwritten" if path.exists() else "created"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, content)
        self.report.record(path, outcome)

    def json(self, relative: str, document: Any) -> None:
        self.text(relative, json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def ignore_line(self, relative: str, line: str) -> None:
        path = self.report.root / relative
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        if line in (entry.strip() for entry in existing.splitlines()):
            self.report.record(path, "kept")
            return
        separator = "" if not existing or existing.endswith("\n") else "\n"
        comment = "# infomaniak-gitops: sandbox state, audit log, last-apply record, parse cache\n"
        write_text_atomic(path, f"{existing}{separator}{comment}{line}\n")
        self.report.record(path, "amended" if existing else "created")


def scaffold_repository(
    root: Path, *, account: int | None, sandbox: bool, force: bool = False, command: str | None = None
) -> ScaffoldReport:
    """Create (or complete) a configuration repository at ``root``; see the module docstring."""
    with _writable(root):
        root.mkdir(parents=True, exist_ok=True)
        root = root.resolve()
        report = ScaffoldReport(root=root)
        try:
            repo = git.Repo(root, search_parent_directories=True)
        except git.InvalidGitRepositoryError:
            repo = git.Repo.init(root, initial_branch="main")
            report.git_initialised = True
        top = Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None
        repo.close()
        # A bare repository, or a folder inside a .git directory, has no work tree to hold the files.
        if top is None or top not in (root, *root.parents) or ".git" in root.relative_to(top).parts:
            raise SettingsError(
                f"init: {root} is inside a git directory without a work tree (a bare repository or .git)\n"
                "  clone it (git clone PATH DIR) and run init in the clone, or name another directory"
            )
        report.repo_root = top
        write = _Writer(report, force=force)
        write.ignore_line(".gitignore", f"{WORK_DIR_NAME}/")
        write.text(f"{STATE_DIR_NAME}/{CONFIG_FILE}", config_text(account), forceable=False)
        templates = resources.files("reconciler") / "templates" / "workflows"
        for name in WORKFLOWS:
            content = (templates / name).read_text(encoding="utf-8")
            if sandbox:
                content = content.replace("state-dir: ${{ matrix.state-dir }}", _SANDBOX_STEP)
            write.text(f".github/workflows/{name}", content)
        write.json(".mcp.json", mcp_config(command or installed_command(), sandbox=sandbox))
        write.json(f"{SCHEMA_DIR_NAME}/config.json", schema_document("config"))
        for kind in all_kinds():
            write.json(f"{SCHEMA_DIR_NAME}/{kind.name}.json", schema_document(kind.name))
        write.json(".vscode/settings.json", {"yaml.schemas": editor_schema_map()})
    return report


@contextmanager
def _writable(root: Path) -> Iterator[None]:
    """Turn the filesystem's and git's refusals into one error that names the path and what to do."""
    try:
        yield
    except FileExistsError as exc:
        raise SettingsError(
            f"init: {exc.filename or root} is a file, not a directory\n"
            "  name a new or existing directory: infomaniak-gitops init DIR"
        ) from exc
    except NotADirectoryError as exc:
        raise SettingsError(
            f"init: cannot create {exc.filename or root}: a part of that path is a file\n"
            "  name a new or existing directory: infomaniak-gitops init DIR"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        hint = (
            "pick a directory you can write to"
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            else "check the path and the disk"
        )
        raise SettingsError(f"init: cannot write {exc.filename or root}: {reason}\n  {hint}") from exc
    except git.GitCommandError as exc:
        raise SettingsError(
            f"init: git failed in {root}: {_last_line(exc)}\n  pick a directory you can write to"
        ) from exc


def _last_line(exc: git.GitCommandError) -> str:
    """git's last stderr line (GitPython wraps it as ``stderr: '…'``)."""
    text = str(exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {exc.status}"


# The example workflows plan a real account; a sandbox repository's workflows run against the simulator.
_SANDBOX_STEP = 'state-dir: ${{ matrix.state-dir }}\n          sandbox: "true"'


def commit_all(
    root: Path, message: str, *, paths: Sequence[str] | None = None, new_only: Sequence[str] = ()
) -> str | None:
    """Stage and commit under ``root``; None when there was nothing to commit.

    With ``paths`` (relative to ``root``) only those files are committed, plus those of ``new_only`` that
    git does not track yet (left by an earlier ``init`` that stopped before its commit): whatever else the
    user has staged, modified or left untracked (a ``.env``, work in progress) stays out of the commit.
    """
    repo = git.Repo(root, search_parent_directories=True)
    try:
        if paths is None:
            repo.git.add("--all", str(root))
            if not repo.git.status("--porcelain", str(root)).strip():
                return None
            repo.git.commit("-m", message)
            return str(repo.head.commit.hexsha)
        untracked = set(repo.untracked_files)
        top = Path(repo.working_tree_dir or root).resolve()
        chosen = [str(root / p) for p in paths]
        chosen += [str(root / p) for p in new_only if (root / p).relative_to(top).as_posix() in untracked]
        # Ignored files stay out, as `git add --all` leaves them (a user's .gitignore may list .vscode/).
        ignored = set(repo.ignored(*chosen)) if chosen else set()
        chosen = sorted({p for p in chosen if p not in ignored and Path(p).exists()})
        if not chosen or not repo.git.status("--porcelain", "--", *chosen).strip():
            return None
        repo.git.add("--", *chosen)
        # `commit -- paths` commits only these paths, even when the user has other changes staged.
        repo.git.commit("-m", message, "--", *chosen)
        return str(repo.head.commit.hexsha)
    except git.GitCommandError as exc:
        raise SettingsError(
            f"git commit in {root} failed: {_last_line(exc)}\n"
            "  the files are written; commit them yourself (git config user.name / user.email if git "
            "asks who you are)"
        ) from exc
    finally:
        repo.close()


async def detect_account(settings: Settings) -> int | None:
    """The account id to write into a new ``infomaniak.yaml``: the only one the token sees, else None.

    Best effort: ``init`` must work offline and before a token exists, so any failure means "unknown".
    """
    if not settings.sandbox and not settings.token:
        return None
    from reconciler.engine.session import Session

    try:
        async with Session(settings) as session:
            return await _only_account(session)
    except ReconcilerError as exc:
        log.info("init: cannot list the token's accounts (%s); leaving the account id unset", exc)
        return None


async def _only_account(session: Session) -> int | None:
    """The only account the session's token sees (kept in its run context), else None."""
    try:
        return await session.ctx.require_account_id()
    except ReconcilerError as exc:
        log.info("init: no single account for the token (%s); leaving the account id unset", exc)
        return None


@dataclass
class InitResult:
    """What ``init`` did: the files, the account written into ``infomaniak.yaml``, the files imported."""

    report: ScaffoldReport
    account: int | None
    imported: list[str] = field(default_factory=list)


async def init_repository(
    settings: Settings,
    root: Path,
    *,
    account: int | None = None,
    force: bool = False,
    import_live: bool = False,
) -> InitResult:
    """``init``: scaffold ``root`` and, with ``import_live``, import every kind into it.

    1. the account: ``account``, else the only one the token sees (:func:`detect_account`)
    2. the files (:func:`scaffold_repository`)
    3. with ``import_live``, every live scope whose file is missing (:func:`import_scopes`)

    With ``import_live``, one API session serves 1 and 3: the account list is read once, and the import
    manages the account written in step 2 (the given one, even when the token sees several).
    """
    if not import_live:
        if account is None:
            account = await detect_account(settings)
        report = scaffold_repository(root, account=account, sandbox=settings.sandbox, force=force)
        return InitResult(report, account)
    from reconciler.engine.importer import import_scopes
    from reconciler.engine.session import Session

    async with Session(settings, AccountConfig(account=account)) as session:
        if account is None:
            account = await _only_account(session)
        report = scaffold_repository(root, account=account, sandbox=settings.sandbox, force=force)
        imported: list[str] = []
        for kind in session.kinds:
            scopes = await import_scopes(session, kind, [], overwrite=False, missing_ok=True)
            imported += [scope.edit.file for scope in scopes]
    return InitResult(report, account, imported)
