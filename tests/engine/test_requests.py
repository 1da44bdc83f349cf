"""How many requests a plan and an apply cost: one list per scope at the largest page size, plus pages;
the verification after an apply re-reads only the scopes that changed."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import httpx
import pytest

from reconciler.desired import load_config
from reconciler.engine import Session, apply_plan, make_plan
from reconciler.sandbox import SandboxState, create_app
from reconciler.settings import load_settings

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


class Recorder(httpx.AsyncBaseTransport):
    """The in-process simulator, noting every request as (method, path, query)."""

    def __init__(self, state: SandboxState) -> None:
        self.inner = httpx.ASGITransport(app=create_app(state))
        self.calls: list[tuple[str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path, str(request.url.params)))
        return await self.inner.handle_async_request(request)

    def gets(self) -> Counter[str]:
        return Counter(path for method, path, _ in self.calls if method == "GET")


def settings_for(tmp_path: Path, root: Path, **env: str):
    return load_settings(
        state_dir=root,
        sandbox=True,
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), **env},
        cwd=tmp_path,
    )


async def test_a_plan_of_the_demo_account_reads_each_scope_once(tmp_path: Path) -> None:
    root = tmp_path / "state"
    shutil.copytree(REPO / "state", root)
    settings = settings_for(tmp_path, root)
    recorder = Recorder(SandboxState.demo())
    async with Session(settings, load_config(root), transport=recorder) as session:
        plan = await make_plan(session)
    scopes = {(s.kind, s.scope) for s in plan.scopes}
    assert {kind for kind, _ in scopes} >= {"dns", "mailbox_security", "share_links", "tags", "teams"}
    calls = recorder.gets()
    # Every list asks for the largest page the API is known to take, and each fits one page here.
    assert all(
        "per_page=1000" in query or "limit=1000" in query or not query for _, _, query in recorder.calls
    )
    # One list per scope ...
    assert calls["/2/zones/example.ch/records"] == calls["/2/zones/demo-shop.ch/records"] == 1
    assert calls["/1/accounts/123456/tags"] == 1
    assert calls["/3/drive/140946/files/links"] == 1
    # ... teams and all their memberships in two (the team list, the users with their teams), not 1 + 3 ...
    assert calls["/1/accounts/123456/teams"] == 1 and calls["/2/accounts/123456/users"] == 1
    assert not [path for path in calls if path.startswith("/1/accounts/123456/teams/")]
    # ... and each shared lookup once, though the kinds that need it are fetched at the same moment.
    assert calls["/1/products"] == 1 and calls["/2/drive"] == 1
    # Nothing is read twice. (mailbox_security and mail_aliases each list the mailboxes, the latter with
    # `with=aliases`; mail_forwarding reads each forwarding mailbox's addresses on its own.)
    repeated = Counter((path, query) for method, path, query in recorder.calls if method == "GET")
    assert max(repeated.values()) == 1, repeated


async def test_a_long_list_costs_one_request_per_page_of_the_configured_size(tmp_path: Path) -> None:
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    shutil.copy(REPO / "state" / "dns" / "example.ch.yaml", root / "dns" / "example.ch.yaml")
    state = SandboxState.demo()
    live = len(state.data["zones"]["example.ch"]["records"])
    for size, pages in ((1000, 1), (5, -(-live // 5))):
        recorder = Recorder(state)
        settings = settings_for(tmp_path, root, INFOMANIAK_PAGE_SIZE=str(size))
        async with Session(settings, load_config(root), transport=recorder) as session:
            await make_plan(session)
        asked = [query for _, path, query in recorder.calls if path == "/2/zones/example.ch/records"]
        assert asked == [f"page={page}&per_page={size}" for page in range(1, pages + 1)]
    assert live > 5


async def test_the_verification_after_apply_rereads_only_the_changed_scope(tmp_path: Path) -> None:
    root = tmp_path / "state"
    shutil.copytree(REPO / "state" / "dns", root / "dns")
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    settings = settings_for(tmp_path, root)
    state = SandboxState.demo()

    async def plan_and_apply(recorder: Recorder) -> None:
        async with Session(settings, load_config(root), transport=recorder) as session:
            plan = await make_plan(session)
            recorder.calls.clear()
            report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        assert report.converged

    await plan_and_apply(Recorder(state))  # both zones as the files say
    zone = root / "dns" / "example.ch.yaml"
    zone.write_text(
        zone.read_text(encoding="utf-8").replace("203.0.113.10", "203.0.113.99"), encoding="utf-8"
    )
    recorder = Recorder(state)
    await plan_and_apply(recorder)
    calls = recorder.gets()
    # The stale check reads both zones; the verification reads again only the zone that changed.
    assert calls["/2/zones/example.ch/records"] == 2
    assert calls["/2/zones/demo-shop.ch/records"] == 1
    async with Session(settings, load_config(root), transport=Recorder(state)) as session:
        assert (await make_plan(session)).changes == []
