"""One apply per account on a machine: the work-directory lock and the user-level account lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine import apply_plan, make_plan
from reconciler.engine.lock import account_lock_name, apply_lock, user_lock_dir
from reconciler.errors import LockError
from reconciler.settings import load_settings
from tests.engine.conftest import TOKEN

pytestmark = pytest.mark.anyio

DESIRED = "keep: {value: k}\nchange: {value: '2'}\n"


def test_the_lock_folder_follows_xdg_and_the_override() -> None:
    assert user_lock_dir({"INFOMANIAK_GITOPS_LOCK_DIR": "/x/locks"}) == Path("/x/locks")
    assert user_lock_dir({"XDG_STATE_HOME": "/s"}) == Path("/s/infomaniak-gitops/locks")
    assert user_lock_dir({}) == Path.home() / ".local" / "state" / "infomaniak-gitops" / "locks"


def test_lock_names_account_and_other_apis_never_the_token() -> None:
    assert account_lock_name(api_host="api.infomaniak.com", account_id=42, token=TOKEN) == "42.lock"
    assert account_lock_name(api_host="127.0.0.1:8765", account_id=42, token=None) == "127.0.0.1_8765-42.lock"
    by_token = account_lock_name(api_host="api.infomaniak.com", account_id=None, token=TOKEN)
    assert by_token.startswith("token-") and TOKEN not in by_token


async def test_two_checkouts_cannot_apply_to_one_account_at_once(
    make_session, write_items, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locks = tmp_path / "locks"
    monkeypatch.setenv("INFOMANIAK_GITOPS_LOCK_DIR", str(locks))
    write_items("main", DESIRED)
    async with make_session() as session:
        plan = await make_plan(session)
        # Another checkout (its own work directory) holds the same account's lock.
        other = load_settings(
            state_dir=session.settings.state_dir,
            env={"INFOMANIAK_API_TOKEN": TOKEN, "INFOMANIAK_GITOPS_HOME": str(tmp_path / "other-work")},
            cwd=tmp_path,
        )
        assert other.work_dir != session.settings.work_dir
        name = account_lock_name(api_host="api.infomaniak.com", account_id=None, token=TOKEN)
        with apply_lock(locks / name), pytest.raises(LockError) as caught:
            await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
        assert "on account" in str(caught.value) and "on this machine" in str(caught.value)
        report = await apply_plan(session, expected_hash=plan.plan_hash, approval="test")
    assert report.converged
    assert (locks / name).exists()
