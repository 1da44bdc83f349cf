"""Reading every inventory kind from the simulator: rows, scopes, pages, windows and errors."""

from __future__ import annotations

import pytest

from reconciler.errors import ApiError, SettingsError
from reconciler.inventory import CATALOGUE, Reader, get_read_kind, kchat_base, read_live
from reconciler.inventory.reader import MATTERMOST_PER_PAGE, pick
from reconciler.inventory.render import cell, render_json, render_text, render_yaml
from reconciler.sandbox import SandboxState
from tests.kinds.helpers import context

pytestmark = pytest.mark.anyio

CLOCK = 1767225600  # the demo's logical clock, 2026-01-01


@pytest.fixture
def sandbox() -> SandboxState:
    return SandboxState.demo()


async def rows(state: SandboxState, kind: str, scope: str | None = None) -> list[dict[str, object]]:
    ctx, _ = context(state)
    result = await read_live(ctx, kind, scope, limit=10_000, now=CLOCK)
    return result.rows


@pytest.mark.parametrize("kind", [k.name for k in CATALOGUE])
async def test_every_kind_reads_rows_with_its_columns(sandbox, kind) -> None:
    found = await rows(sandbox, kind)
    assert found, f"the demo account has no {kind}"
    expected = set(get_read_kind(kind).columns) | ({"scope"} if get_read_kind(kind).parent else set())
    assert set(found[0]) >= set(get_read_kind(kind).columns)
    assert set(found[0]) <= expected
    assert not any(column.startswith("_") for column in found[0])


async def test_domains_merge_details_zones_and_expiry(sandbox) -> None:
    found = {r["name"]: r for r in await rows(sandbox, "registered_domains")}
    assert found["example.ch"] == {
        "name": "example.ch",
        "id": 1600101,
        "expires_at": 1790460000,
        "renewal_warranty": True,
        "expires_in_days": 268,
        "transfer_lock": True,
        "nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"],
        "dnssec": False,
    }


async def test_invitations_are_the_pending_users_with_their_age(sandbox) -> None:
    (invitation,) = await rows(sandbox, "invitations")
    assert (invitation["email"], invitation["status"], invitation["age_days"]) == (
        "emma.favre@example.ch",
        "pending",
        5,
    )
    users = await rows(sandbox, "account_users")
    assert "emma.favre@example.ch" not in {u["email"] for u in users} and len(users) == 5


async def test_child_kinds_take_a_parent_name_or_id_as_scope(sandbox) -> None:
    by_name = await rows(sandbox, "mailboxes", "example.ch")
    by_id = await rows(sandbox, "mailboxes", "2300101")
    assert by_name == by_id and [m["mailbox"] for m in by_name][:2] == ["ceo@example.ch", "info@example.ch"]
    info = next(m for m in by_name if m["mailbox"] == "info@example.ch")
    assert (info["aliases"], info["move_spam"], info["scope"]) == (["contact@example.ch"], True, "example.ch")
    certificates = await rows(sandbox, "ssl_certificates", "demo-shop.ch")
    assert [(c["fqdn"], c["expires_in_days"]) for c in certificates] == [("demo-shop.ch", 75)]


async def test_an_unknown_scope_lists_the_known_ones(sandbox) -> None:
    ctx, _ = context(sandbox)
    with pytest.raises(
        SettingsError, match=r"no mail_hostings named 'nope' in the account \(known: example.ch\)"
    ):
        await read_live(ctx, "mailboxes", "nope")
    with pytest.raises(SettingsError, match="products has no scope"):
        await read_live(ctx, "products", "example.ch")
    with pytest.raises(SettingsError, match=r"unknown kind 'nope'; known: .*dns, .*, accounts, products"):
        await read_live(ctx, "nope")


async def test_lists_follow_every_page(sandbox) -> None:
    sandbox.data["inventory"]["short_urls"]["*"] = [
        {"code": f"c{i:03}", "url": f"https://example.ch/{i}", "created_at": CLOCK, "expiration_date": CLOCK}
        for i in range(250)
    ]
    ctx, recorder = context(sandbox)
    ctx.client.page_size = 100
    result = await read_live(ctx, "short_urls", limit=20, offset=240)
    assert (result.total, [r["code"] for r in result.rows], result.next_offset) == (
        250,
        [f"c{i}" for i in range(240, 250)],
        None,
    )
    assert [call[1] for call in recorder.calls].count("/2/url-shortener") == 3  # 100 + 100 + 50


async def test_cursor_lists_follow_every_cursor(sandbox) -> None:
    files = sandbox.data["drive_files"]["140946"]
    files += [
        {
            "id": 900 + i,
            "name": f"old-{i}.txt",
            "type": "file",
            "parent_id": 1,
            "size": 10,
            "status": "trashed",
        }
        for i in range(11)
    ]
    ctx, recorder = context(sandbox)
    ctx.client.page_size = 5
    result = await read_live(ctx, "drive_trash_files", "Demo Drive", limit=100)
    assert result.total == 12 and sum(int(str(r["size"])) for r in result.rows) == 20480 + 110
    assert [path for _, path, _ in recorder.calls].count("/3/drive/140946/trash") == 3
    trash = await read_live(ctx, "drive_trash", "Demo Drive")
    assert (trash.rows[0]["count"], trash.rows[0]["files"]) == (12, 12)


async def test_kchat_pages_are_zero_based_and_followed(sandbox) -> None:
    team = sandbox.data["inventory"]["kchat_teams"]["demo-agency"][0]["id"]
    channel = sandbox.data["inventory"]["kchat_channels"][team][0]
    count = MATTERMOST_PER_PAGE * 2 + 7
    sandbox.data["inventory"]["kchat_channels"][team] = [{**channel, "name": f"c{i}"} for i in range(count)]
    ctx, recorder = context(sandbox)
    result = await read_live(ctx, "kchat_channels", "demo-agency", limit=1)
    assert result.total == count
    paths = [path for _, path, _ in recorder.calls if path.endswith("/channels")]
    assert paths == [f"/kchat/demo-agency/api/v4/teams/{team}/channels"] * 3


async def test_window_offset_limit_and_next_offset(sandbox) -> None:
    ctx, _ = context(sandbox)
    first = await read_live(ctx, "products", limit=4)
    rest = await read_live(ctx, "products", offset=8, limit=4)
    assert (len(first.rows), first.next_offset, first.total) == (4, 4, 10)
    assert (len(rest.rows), rest.next_offset) == (2, None)
    with pytest.raises(SettingsError, match="offset must be ≥ 0 and limit ≥ 1"):
        await read_live(ctx, "products", limit=0)


async def test_managed_kinds_read_through_their_fetch_with_secrets_masked(sandbox) -> None:
    links = {r["key"]: r for r in await rows(sandbox, "share_links")}
    assert links["/Finance/q3-report.xlsx"]["password"] == "(sensitive)"
    assert "password" not in links["/Marketing/brochure.pdf"]
    zone = await rows(sandbox, "dns", "example.ch")
    assert {"key": "@ MX", "ttl": 3600, "values": ["5 mta-gw.infomaniak.ch."]} in zone


async def test_each_list_is_read_once_per_reader(sandbox) -> None:
    ctx, recorder = context(sandbox)
    reader = Reader(ctx, now=CLOCK)
    await reader.rows(get_read_kind("mailboxes"))
    await reader.rows(get_read_kind("mail_preferences"))
    assert [path for _, path, _ in recorder.calls].count("/1/mail_hostings") == 1


async def test_a_parent_row_without_the_id_is_a_clear_error(sandbox) -> None:
    del sandbox.data["mail_hostings"][0]["id"]
    ctx, _ = context(sandbox)
    with pytest.raises((SettingsError, ApiError)):
        await read_live(ctx, "mailboxes")


def test_kchat_host_mapping() -> None:
    assert kchat_base("https://api.infomaniak.com", "acme") == "https://acme.kchat.infomaniak.com"
    assert kchat_base("http://127.0.0.1:8765/", "acme") == "http://127.0.0.1:8765/kchat/acme"
    with pytest.raises(SettingsError, match="not a host name label"):
        kchat_base("https://api.infomaniak.com", "evil.example/x")


def test_pick_and_cells() -> None:
    assert pick({"a": {"b": 1}}, "a.b") == 1 and pick({"a": 1}, "a.b") is None
    assert cell("expired_at", 1767225600) == "2026-01-01"
    assert (cell("x", None), cell("x", True), cell("x", ["a", "b"])) == ("-", "yes", "a, b")
    assert cell("x", "y" * 100).endswith("…") and len(cell("x", "y" * 100)) == 60


async def test_renderers_show_the_window_and_how_to_get_more(sandbox) -> None:
    ctx, _ = context(sandbox)
    result = await read_live(ctx, "products", limit=2, now=CLOCK)
    text = render_text(result)
    assert text.splitlines()[0].split() == [
        "name",
        "id",
        "service",
        "expired_at",
        "is_locked",
        "has_maintenance",
        "is_trial",
        "expires_in_days",
    ]
    assert text.rstrip().endswith("products: rows 1-2 of 10; next: --offset 2")
    assert '"next_offset": 2' in render_json(result)
    assert "next_offset: 2" in render_yaml(result)
