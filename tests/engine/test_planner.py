"""engine/planner: target parsing is where every front's scope names are checked; a working-tree
loosening of the committed rules is the plan's first, risky change, and only a human approval applies it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import git
import pytest

from reconciler.engine import Session, apply_plan, make_plan, parse_targets, render_markdown
from reconciler.engine.applier import HUMAN_APPROVALS
from reconciler.engine.planner import Target
from reconciler.engine.render.plan import scope_groups
from reconciler.errors import ApprovalError, SettingsError
from tests.engine.fakes import FakeKind

DESIRED = "keep: {value: k}\nchange: {value: '1'}\n"  # deletes `old`


def test_targets_name_a_kind_and_the_scope_as_its_files_spell_it() -> None:
    # A zone is lowercased; a drive keeps its case, and loading matches it to a file without case.
    assert parse_targets(["dns/Example.CH.", "tags"]) == [Target("dns", "example.ch"), Target("tags")]
    drive = parse_targets(["drive/Demo Drive"])
    assert {t.kind for t in drive} >= {"share_links", "drive_access"} and {t.scope for t in drive} == {
        "Demo Drive"
    }


@pytest.mark.anyio
async def test_every_plan_header_is_the_target_of_its_scope(demo_settings) -> None:
    """One spelling: what a plan's header says (``share_links/Demo Drive``, ``teams``) is a target that
    selects that scope and nothing else, and change labels start with the same words."""
    async with Session(demo_settings) as session:
        plan = await make_plan(session)
    groups = scope_groups(plan)
    assert {title for title, _, _ in groups} >= {
        "share_links/Demo Drive",
        "mailbox_security/example.ch",
        "teams",
    }
    for title, _, changes in groups:
        # A one-scope kind's title is its name: the whole kind, which is that one scope.
        selected = {(t.kind, t.scope or t.kind) for t in parse_targets([title])}
        assert selected == {(changes[0].kind, changes[0].scope)}, title
        assert all(change.label == f"{change.action} {title}: {change.display_key}" for change in changes)


@pytest.mark.parametrize("target", ["dns/example.ch?x=1", "dns/example.ch#x", "mail/a%2fb", "dns/a\x00b"])
def test_a_scope_with_url_syntax_or_control_characters_is_refused(target: str) -> None:
    with pytest.raises(SettingsError, match="scope"):
        parse_targets([target])


def test_a_target_spells_its_scope_as_the_files_do() -> None:
    assert parse_targets(["dns/Straße.CH."]) == [Target("dns", "xn--strae-oqa.ch")]
    assert parse_targets(["dns/"]) == [Target("dns")]  # a shell-completed folder: the whole kind
    assert parse_targets(["account/teams"]) == [Target("teams", "teams")]  # the folder tags share


@pytest.mark.parametrize("target", ["dns/..", "dns/.", "dns//", "dns/./", "tags/stray", "teams/x"])
def test_a_target_never_widens_to_the_whole_kind(target: str) -> None:
    # Each of these used to select every scope of the kind (an apply on every zone).
    with pytest.raises(SettingsError):
        parse_targets([target])


@pytest.mark.anyio
async def test_a_target_without_a_file_is_an_error_listing_the_files(
    make_session: Callable[..., Session], write_items: Callable[[str, str], Path]
) -> None:
    write_items("main", DESIRED)
    async with make_session() as session:
        with pytest.raises(SettingsError) as caught:
            await make_plan(session, targets=[Target("items", "mian")])
    message = str(caught.value)
    assert "no desired-state file for items/mian" in message
    assert "items scopes with a file: main" in message


@pytest.fixture
def committed(tmp_path: Path, state_dir: Path) -> git.Repo:
    (state_dir / "infomaniak.yaml").write_text('protect: ["items/main/old"]\n')
    (state_dir / "items" / "main.yaml").write_text(DESIRED)
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "T")
        config.set_value("user", "email", "t@example.invalid")
    repo.git.add("state")
    repo.git.commit("-m", "rules")
    return repo


@pytest.mark.anyio
async def test_committed_rules_hold_and_no_policy_change(
    committed: git.Repo, make_session: Callable[..., Session]
) -> None:
    async with make_session() as session:
        plan = await make_plan(session)
    assert plan.policy_changes == [] and plan.unsafe_reasons


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("approval", "named"),
    [
        (
            "mcp_token (model-satisfiable)",
            "and an MCP approval token (the model can satisfy it) cannot approve",
        ),
        ("auto_approve", "and an --auto-approve apply cannot approve that"),
    ],
)
async def test_a_loosening_is_the_first_change_and_needs_a_human(
    committed: git.Repo,
    state_dir: Path,
    make_session: Callable[..., Session],
    fake_kind: FakeKind,
    approval: str,
    named: str,
) -> None:
    (state_dir / "infomaniak.yaml").write_text("protect: []\n")
    async with make_session() as session:
        plan = await make_plan(session)
        first = plan.changes[0]
        assert first.is_policy and first.address == "policy/infomaniak.yaml/rules"
        assert first.risky[0].startswith(
            "policy change: loosens the rules in force (commit infomaniak.yaml at"
        )
        assert first.fields[0].removed == ["items/main/old"]
        assert plan.counts() == {"create": 0, "update": 0, "delete": 1}
        assert plan.summary_line().endswith("The rules (policy) change too.")
        look = render_markdown(plan).split("#### Needs a careful look")[1]
        assert look.index("policy/infomaniak.yaml: rules") < look.index("items/main: old")
        with pytest.raises(ApprovalError, match=r"changes the rules in infomaniak\.yaml") as refused:
            await apply_plan(session, expected_hash=plan.plan_hash, approval=approval)
        assert named in str(refused.value)
    assert "old" in fake_kind.backend["main"]


@pytest.mark.anyio
async def test_a_human_approval_applies_under_the_working_rules(
    committed: git.Repo, state_dir: Path, make_session: Callable[..., Session], fake_kind: FakeKind
) -> None:
    (state_dir / "infomaniak.yaml").write_text("protect: []\n")
    assert "interactive" in HUMAN_APPROVALS
    async with make_session() as session:
        plan = await make_plan(session)
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="interactive")
    assert report.applied == ["delete items/main: old"] and report.converged
    assert "old" not in fake_kind.backend["main"]
