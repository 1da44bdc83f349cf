"""The approval store and mode choice, without MCP: one-time links, CSRF, expiry, single-use tokens."""

from __future__ import annotations

import pytest

from reconciler.engine import Plan
from reconciler.errors import ApprovalError, SettingsError
from reconciler.mcp.approval import (
    APPROVAL_MODE_ENV,
    PAGE_TTL_SECONDS,
    TOKEN_TTL_SECONDS,
    ApprovalMode,
    ApprovalStore,
    Channel,
    choose_channel,
    launch_mode,
    mode_from,
)

HASH = "a" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> ApprovalStore:
    return ApprovalStore(clock=clock)


def plan(plan_hash: str = HASH) -> Plan:
    return Plan(plan_hash=plan_hash)


@pytest.mark.parametrize(
    ("mode", "can_elicit", "page", "expected"),
    [
        (ApprovalMode.AUTO, True, True, Channel.ELICITATION),
        (ApprovalMode.AUTO, False, True, Channel.PAGE),
        (ApprovalMode.AUTO, False, False, Channel.NONE),
        (ApprovalMode.ELICITATION, True, True, Channel.ELICITATION),
        (ApprovalMode.ELICITATION, False, True, Channel.NONE),
        (ApprovalMode.PAGE, True, True, Channel.PAGE),
        (ApprovalMode.PAGE, True, False, Channel.NONE),
        (ApprovalMode.TOKEN, True, True, Channel.TOKEN),
        (ApprovalMode.PULL_REQUEST, True, True, Channel.PULL_REQUEST),
    ],
)
def test_choose_channel(mode: ApprovalMode, can_elicit: bool, page: bool, expected: Channel) -> None:
    assert choose_channel(mode, can_elicit=can_elicit, page_available=page) is expected


def test_launch_mode_comes_from_the_flag_then_the_environment() -> None:
    assert launch_mode(None, {}) is ApprovalMode.AUTO
    assert launch_mode(None, {APPROVAL_MODE_ENV: "token"}) is ApprovalMode.TOKEN
    assert launch_mode("page", {APPROVAL_MODE_ENV: "token"}) is ApprovalMode.PAGE


@pytest.mark.parametrize(
    ("configured", "launch", "expected"),
    [
        (None, ApprovalMode.TOKEN, ApprovalMode.TOKEN),
        ("token", ApprovalMode.AUTO, ApprovalMode.AUTO),  # the file cannot loosen
        ("token", ApprovalMode.ELICITATION, ApprovalMode.ELICITATION),
        ("auto", ApprovalMode.PAGE, ApprovalMode.PAGE),
        ("elicitation", ApprovalMode.TOKEN, ApprovalMode.ELICITATION),  # it can tighten at once
        ("pull_request", ApprovalMode.AUTO, ApprovalMode.PULL_REQUEST),
    ],
)
def test_the_account_file_can_only_tighten_the_launch_mode(
    configured: str | None, launch: ApprovalMode, expected: ApprovalMode
) -> None:
    assert mode_from(configured, launch) is expected


def test_unknown_mode_in_the_environment_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="not an approval mode"):
        launch_mode(None, {APPROVAL_MODE_ENV: "yolo"})


def test_token_channel_is_audited_as_model_satisfiable() -> None:
    assert Channel.TOKEN.audit_name == "mcp_token (model-satisfiable)"
    assert Channel.PAGE.audit_name == "mcp_page"


def test_page_approval_needs_the_link_and_the_csrf_token(store: ApprovalStore) -> None:
    item = store.register(plan(), "text", (), page=True, token=False)
    assert item.page_token is not None
    with pytest.raises(ApprovalError, match="not approved yet"):
        store.check_page_approval(HASH)
    with pytest.raises(ApprovalError, match="CSRF"):
        store.decide(item.page_token, "forged", approve=True)
    store.decide(item.page_token, item.csrf_token, approve=True)
    assert store.check_page_approval(HASH) is item


def test_a_link_works_once(store: ApprovalStore) -> None:
    item = store.register(plan(), "text", (), page=True, token=False)
    assert item.page_token is not None
    store.decide(item.page_token, item.csrf_token, approve=False)
    assert store.by_link(item.page_token) is None
    with pytest.raises(ApprovalError, match="already used"):
        store.decide(item.page_token, item.csrf_token, approve=True)
    with pytest.raises(ApprovalError, match="rejected"):
        store.check_page_approval(HASH)


def test_unknown_link_finds_nothing(store: ApprovalStore) -> None:
    store.register(plan(), "text", (), page=True, token=False)
    assert store.by_link("guess") is None


def test_approval_expires(store: ApprovalStore, clock: Clock) -> None:
    item = store.register(plan(), "text", (), page=True, token=False)
    assert item.page_token is not None
    store.decide(item.page_token, item.csrf_token, approve=True)
    clock.now += PAGE_TTL_SECONDS + 1
    with pytest.raises(ApprovalError, match="not registered"):
        store.check_page_approval(HASH)


def test_unused_link_expires(store: ApprovalStore, clock: Clock) -> None:
    item = store.register(plan(), "text", (), page=True, token=False)
    assert item.page_token is not None
    clock.now += PAGE_TTL_SECONDS + 1
    assert store.by_link(item.page_token) is None


def test_replanning_keeps_an_approval_of_the_same_hash(store: ApprovalStore) -> None:
    item = store.register(plan(), "text", (), page=True, token=False)
    assert item.page_token is not None
    store.decide(item.page_token, item.csrf_token, approve=True)
    assert store.register(plan(), "text", (), page=True, token=False) is item


def test_replanning_a_pending_plan_replaces_its_link(store: ApprovalStore) -> None:
    first = store.register(plan(), "text", (), page=True, token=False)
    second = store.register(plan(), "text", (), page=True, token=False)
    assert first.page_token is not None and second.page_token != first.page_token
    assert store.by_link(first.page_token) is None


def test_token_is_single_use(store: ApprovalStore) -> None:
    item = store.register(plan(), "text", (), page=False, token=True)
    token = item.approval_token
    assert token is not None
    store.redeem_token(HASH, token)
    with pytest.raises(ApprovalError, match="already used"):
        store.redeem_token(HASH, token)


def test_token_is_bound_to_its_plan(store: ApprovalStore) -> None:
    item = store.register(plan(), "text", (), page=False, token=True)
    store.register(plan("b" * 64), "text", (), page=False, token=True)
    assert item.approval_token is not None
    with pytest.raises(ApprovalError, match="not valid"):
        store.redeem_token("b" * 64, item.approval_token)


def test_token_expires_after_ten_minutes(store: ApprovalStore, clock: Clock) -> None:
    item = store.register(plan(), "text", (), page=False, token=True)
    assert item.approval_token is not None
    clock.now += TOKEN_TTL_SECONDS + 1
    with pytest.raises(ApprovalError, match="expired"):
        store.redeem_token(HASH, item.approval_token)


def test_missing_token_says_where_to_get_it(store: ApprovalStore) -> None:
    store.register(plan(), "text", (), page=False, token=True)
    with pytest.raises(ApprovalError, match="approval_token that ik_plan returned"):
        store.redeem_token(HASH, None)


def test_consumed_plan_is_forgotten(store: ApprovalStore) -> None:
    store.register(plan(), "text", (), page=True, token=False)
    store.consume(HASH)
    assert store.get(HASH) is None
