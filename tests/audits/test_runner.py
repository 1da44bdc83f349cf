"""All audits together: the demo as shipped, the demo once its desired state is applied, the dirty account,
unreadable scopes, thresholds and the three renderings."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from reconciler.api import InfomaniakClient
from reconciler.audits import (
    AUDIT_RENDERERS,
    AUDITS,
    Severity,
    Thresholds,
    parse_severity,
    run_audits,
    select_audits,
)
from reconciler.errors import SettingsError
from reconciler.kinds import RunContext
from reconciler.sandbox import SandboxState, create_app
from reconciler.sandbox.dirty import dirty_state
from tests.audits.helpers import CLOCK, audit, brief
from tests.kinds.helpers import REPO, engine_run, write_state

pytestmark = pytest.mark.anyio

SECURITY = [a.name for a in AUDITS if a.security]


async def test_the_shipped_demo_shows_what_its_desired_state_fixes() -> None:
    report = await audit(SandboxState.demo())
    assert brief(report) == [
        ("high", "share_links", "share_links/Demo Drive//Marketing/brochure.pdf"),
        ("high", "share_links", "share_links/Demo Drive//Press/press-kit.zip"),
        ("medium", "mailboxes", "mailbox_security/example.ch/sales@example.ch"),
        ("low", "dns", "dns/demo-shop.ch/@"),
        ("low", "dns", "dns/demo-shop.ch/_dmarc"),
        ("low", "dns", "dns/example.ch/@"),
    ]
    assert report.errors == {}


async def test_the_demo_with_its_desired_state_applied_is_clean_for_every_security_audit(tmp_path) -> None:
    files = {
        "drive/Demo Drive.yaml": (REPO / "state" / "drive" / "Demo Drive.yaml").read_text(encoding="utf-8"),
        "mail/example.ch.yaml": (REPO / "state" / "mail" / "example.ch.yaml").read_text(encoding="utf-8"),
    }
    state_dir = write_state(tmp_path / "state", files)
    sandbox = SandboxState.demo()
    _, report, after = await engine_run(tmp_path, sandbox, ["share_links", "mailbox_security"])
    assert report is not None and not after.has_changes
    found = await audit(sandbox, SECURITY, state_dir=state_dir)
    assert found.findings == [] and found.errors == {}


async def test_the_dirty_account_trips_every_audit() -> None:
    report = await audit(dirty_state())
    assert report.errors == {}
    assert {f.audit for f in report.findings} == {a.name for a in AUDITS}
    assert report.at_least(Severity.HIGH) and report.at_least(Severity.CRITICAL) == []


async def test_fixes_name_the_desired_file_and_carry_the_edit(tmp_path) -> None:
    state_dir = tmp_path / "state"
    (state_dir / "drive").mkdir(parents=True)
    shutil.copy(REPO / "state" / "drive" / "Demo Drive.yaml", state_dir / "drive")
    report = await audit(SandboxState.demo(), ["share_links"], state_dir=state_dir)
    first = report.findings[0]
    assert first.fix == (
        "in state/drive/Demo Drive.yaml give `/Marketing/brochure.pdf` valid_until: 2026-04-01"
        " (or password, or no download)"
    )
    assert first.to_data()["edit"] == {
        "kind": "share_links",
        "scope": "Demo Drive",
        "key": "/Marketing/brochure.pdf",
        "set": {"valid_until": "2026-04-01"},
    }


async def test_an_audit_that_cannot_read_is_reported_and_the_others_run() -> None:
    app = create_app(SandboxState.demo(), token_scopes={"dns-only": {"dns", "domain", "accounts"}})
    client = InfomaniakClient(
        "dns-only",
        base_url="https://sandbox.invalid",
        transport=httpx.ASGITransport(app=app),
        requests_per_minute=0,
    )
    report = await run_audits(
        RunContext(client=client, account_id=123456), ["share_links", "access"], now=CLOCK
    )
    assert set(report.errors) == {"share_links", "access"}
    assert "lacks the scope drive:read" in report.errors["share_links"]


async def test_thresholds_move_findings_in_and_out() -> None:
    dirty = dirty_state()
    strict = await audit(dirty, ["expiry"], expiry_days=400)
    loose = await audit(dirty, ["expiry"], expiry_days=1)
    assert len(strict.findings) > len(loose.findings)
    assert {f.resource for f in loose.findings} == {"product/swiss_backup/Demo Backup"}
    invitation = await audit(dirty, ["access"], invitation_days=200)
    assert "invitation/emma.favre@example.ch" not in {f.resource for f in invitation.findings}
    assert Thresholds().expiry_days == 30


def test_selection_and_severity_errors_name_the_choices() -> None:
    assert [a.name for a in select_audits(["expiry", "dns", "expiry"])] == ["expiry", "dns"]
    with pytest.raises(SettingsError, match="unknown audit"):
        select_audits(["nope"])
    assert parse_severity("HIGH") is Severity.HIGH
    with pytest.raises(SettingsError, match="use one of info, low, medium, high, critical"):
        parse_severity("urgent")


async def test_renderings_carry_the_summary_and_every_finding() -> None:
    report = await audit(SandboxState.demo())
    text = AUDIT_RENDERERS["text"](report)
    assert text.splitlines()[0].split() == ["audit", "critical", "high", "medium", "low", "info", "status"]
    assert text.splitlines()[2].split() == ["share_links", "0", "2", "0", "0", "0", "ok"]
    assert "fix: in state/mail/example.ch.yaml set `sales@example.ch` move_spam: true" in text
    markdown = AUDIT_RENDERERS["markdown"](report)
    assert "| share_links | 0 | 2 | 0 | 0 | 0 | ok |" in markdown
    assert markdown.count("\n| high | share_links |") == 2
    data = json.loads(AUDIT_RENDERERS["json"](report))
    assert data["summary"]["mailboxes"]["medium"] == 1 and len(data["findings"]) == 6
    empty = await audit(SandboxState.demo(), ["access"])
    assert AUDIT_RENDERERS["text"](empty).rstrip().endswith("no findings")
    assert AUDIT_RENDERERS["markdown"](empty).rstrip().endswith("No findings.")
