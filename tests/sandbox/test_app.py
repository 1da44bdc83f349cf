"""The gate in front of every route: envelope, auth, scopes, unknown routes, faults, route discovery."""

from __future__ import annotations

import json

import httpx
import pytest

import reconciler.sandbox as sandbox
from reconciler.sandbox import SANDBOX_TOKEN, Faults, SandboxState, create_app
from reconciler.sandbox.app import SandboxConnectionDropped, discover_routes
from reconciler.sandbox.wire import ApiRoute
from tests.api.helpers import FakeClock

from .helpers import client_for

pytestmark = pytest.mark.anyio

RECORDS = "/2/zones/example.ch/records"
NEW_RECORD = {"source": "new", "type": "A", "target": "192.0.2.10", "ttl": 300}


def test_exports_are_sorted_and_complete():
    # isort-style order, as ruff's RUF022 enforces it: CONSTANTS, then Classes, then functions.
    def casing(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert sandbox.__all__ == sorted(sandbox.__all__, key=casing)
    assert sandbox.__all__ == ["ACCOUNTS", "SANDBOX_TOKEN", "Faults", "SandboxState", "create_app", "serve"]


def test_app_state_exposes_state_and_faults(state, faults):
    app = create_app(state, faults=faults)
    assert app.state.sandbox is state and app.state.faults is faults


def test_routes_are_discovered_from_route_modules():
    paths = {route.path for route in discover_routes() if isinstance(route, ApiRoute)}
    assert {"/1/accounts", "/2/profile", "/2/zones/{zone}/records"} <= paths


# -- envelope --------------------------------------------------------------------------------------


async def test_success_envelope_is_compact_result_first_data_last(client):
    response = await client.get(RECORDS)
    assert response.headers["content-type"].startswith("application/json")
    text = response.text
    assert text.startswith('{"result":"success","data":[{"id":')
    assert text.endswith("]}")
    assert text == json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)


async def test_pagination_keys_only_with_page(client):
    plain = await client.get(RECORDS, params={"per_page": 2})
    assert list(plain.json()) == ["result", "data"]
    paged = await client.get(RECORDS, params={"page": 2, "per_page": 5})
    body = paged.json()
    assert list(body) == ["result", "total", "page", "pages", "items_per_page", "data"]
    assert (body["total"], body["page"], body["pages"], body["items_per_page"]) == (14, 2, 3, 5)
    assert len(body["data"]) == 5


@pytest.mark.parametrize("alias", ["per_page", "items_per_page", "items", "limit"])
async def test_page_size_aliases(client, alias):
    body = (await client.get("/1/products", params={"page": 1, alias: 3})).json()
    assert body["items_per_page"] == 3 and body["pages"] == 4 and len(body["data"]) == 3


async def test_last_page_and_default_page_size(client):
    body = (await client.get(RECORDS, params={"page": 1})).json()
    assert body["items_per_page"] == 15 and body["pages"] == 1 and len(body["data"]) == 14
    beyond = (await client.get(RECORDS, params={"page": 9, "per_page": 5})).json()
    assert beyond["data"] == [] and beyond["pages"] == 3


async def test_offset_family(client):
    body = (await client.get(RECORDS, params={"skip": 12, "limit": 5})).json()
    assert list(body) == ["result", "data"] and len(body["data"]) == 2


@pytest.mark.parametrize("params", [{"page": 0}, {"page": "x"}, {"page": 1, "per_page": 0}])
async def test_bad_pagination_is_422(client, params):
    assert (await client.get(RECORDS, params=params)).status_code == 422


# -- auth, scopes, routes -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
async def test_missing_or_invalid_token_is_401(app, token):
    async with client_for(app, token) as client:
        response = await client.get(RECORDS)
    assert response.status_code == 401
    assert response.json() == {
        "result": "error",
        "error": {"code": "not_authorized", "description": "Authorization required"},
    }


async def test_non_bearer_scheme_is_401(app):
    async with client_for(app, None) as client:
        response = await client.get(RECORDS, headers={"Authorization": f"Basic {SANDBOX_TOKEN}"})
    assert response.status_code == 401


async def test_scopes_are_enforced_per_method(state):
    app = create_app(state, token_scopes={"reader": {"dns:read"}, "coarse": {"dns"}})
    async with client_for(app, "reader") as reader:
        assert (await reader.get(RECORDS)).status_code == 200
        denied = await reader.post(RECORDS, json=NEW_RECORD)
        assert (await reader.get("/1/accounts")).status_code == 403
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert error["code"] == "access_denied" and "dns:write" in error["description"]
    assert state.find_record("example.ch", 32000001) is None
    async with client_for(app, "coarse") as coarse:
        assert (await coarse.post(RECORDS, json=NEW_RECORD)).status_code == 201


async def test_plain_tokens_have_every_scope(state):
    app = create_app(state, tokens=("a", "b"), token_scopes={"c": {"accounts:read"}})
    async with client_for(app, "b") as client:
        assert (await client.post(RECORDS, json=NEW_RECORD)).status_code == 201
    async with client_for(app, SANDBOX_TOKEN) as client:
        assert (await client.get(RECORDS)).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/2/nothing"), ("GET", "/3/zones/example.ch"), ("PATCH", RECORDS), ("GET", RECORDS + "/")],
)
async def test_unknown_route_is_404_method_not_found(client, method, path):
    response = await client.request(method, path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "method_not_found"


async def test_method_override_query_parameter(client, state: SandboxState):
    response = await client.post(f"{RECORDS}/17781151", params={"_method": "DELETE"})
    assert response.json()["data"] is True
    assert state.find_record("example.ch", 17781151) is None


# -- faults -----------------------------------------------------------------------------------------


async def test_fail_on_write_fails_the_nth_write_and_changes_nothing(client, state, faults):
    faults.fail_on_write = 2
    assert (await client.post(RECORDS, json=NEW_RECORD)).status_code == 201
    before = state.to_json()
    assert (await client.get(RECORDS)).status_code == 200  # reads are not counted
    failed = await client.post(RECORDS, json={**NEW_RECORD, "source": "second"})
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "unexpected_error"
    assert state.to_json() == before
    assert (await client.post(RECORDS, json={**NEW_RECORD, "source": "second"})).status_code == 201
    assert faults.writes_seen == 3


async def test_fail_status_is_configurable(client, faults):
    faults.fail_on_write, faults.fail_status = 1, 503
    assert (await client.delete(f"{RECORDS}/17781151")).status_code == 503


async def test_drop_connection_on_nth_request(client, state, faults):
    faults.drop_connection_on = 2
    assert (await client.get(RECORDS)).status_code == 200
    before = state.to_json()
    with pytest.raises(httpx.TransportError) as caught:
        await client.post(RECORDS, json=NEW_RECORD)
    assert isinstance(caught.value, SandboxConnectionDropped)
    assert state.to_json() == before
    assert (await client.get(RECORDS)).status_code == 200


async def test_drop_after_handling_applies_the_write(client, state, faults):
    faults.drop_connection_on, faults.drop_after_handling = 1, True
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(RECORDS, json=NEW_RECORD)
    assert state.find_record("example.ch", 32000001) is not None


async def test_rate_limit_answers_429(client, faults):
    faults.rate_limit_per_minute = 2
    assert (await client.get(RECORDS)).status_code == 200
    assert (await client.get(RECORDS)).status_code == 200
    limited = await client.get(RECORDS)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_requests"
    faults.rate_limit_per_minute = None
    assert (await client.get(RECORDS)).status_code == 200


async def test_rate_limit_is_a_sliding_window_on_the_given_clock(state):
    clock = FakeClock()
    faults = Faults(rate_limit_per_minute=3)
    async with client_for(create_app(state, faults=faults, clock=clock)) as client:
        statuses = []
        for step in (0.0, 20.0, 20.0, 1.0, 18.9, 0.1, 0.0):  # at 0, 20, 40, 41, 59.9, 60, 60
            clock.now += step
            statuses.append((await client.get(RECORDS)).status_code)
    # 41 and 59.9 find three requests in the last 60 s; at 60 the first has left the window (refused
    # requests never ran, so they do not count); the next at 60 finds 20, 40 and 60 in it again.
    assert statuses == [200, 200, 200, 429, 429, 200, 429]


async def test_429_carries_retry_after_when_asked(state):
    faults = Faults(rate_limit_per_minute=1, retry_after_seconds=4.2)
    async with client_for(create_app(state, faults=faults, clock=FakeClock())) as client:
        assert (await client.get(RECORDS)).status_code == 200
        limited = await client.get(RECORDS)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "5"
    assert limited.json()["error"]["code"] == "too_many_requests"


async def test_429_has_no_retry_after_by_default(client, faults):
    faults.rate_limit_per_minute = 1
    await client.get(RECORDS)
    limited = await client.get(RECORDS)
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers


@pytest.mark.parametrize(("status", "code"), [(503, "unexpected_error"), (429, "too_many_requests")])
async def test_fail_on_write_with_a_chosen_status(client, state, faults, status, code):
    faults.fail_on_write, faults.fail_status, faults.retry_after_seconds = 1, status, 2
    failed = await client.post(RECORDS, json=NEW_RECORD)
    assert failed.status_code == status
    assert failed.json()["error"]["code"] == code
    assert ("Retry-After" in failed.headers) is (status == 429)
    assert (await client.post(RECORDS, json=NEW_RECORD)).status_code == 201


@pytest.mark.parametrize("latency", [0.0, 0.01])
async def test_latency(client, faults, latency):
    faults.latency_seconds = latency
    assert (await client.get(RECORDS)).status_code == 200
    assert faults.requests_seen == 1


async def test_on_write_hook_runs_after_successful_writes_only(state):
    seen: list[int] = []
    app = create_app(state, on_write=lambda s: seen.append(len(s.records("example.ch"))))
    async with client_for(app) as client:
        await client.post(RECORDS, json=NEW_RECORD)
        await client.post(RECORDS, json=NEW_RECORD)  # duplicate → 400, no hook
        await client.get(RECORDS)
    assert seen == [15]


async def test_handler_bug_still_answers_json(state):
    # A route that raises is answered with the error envelope (raise_app_exceptions=False shows the body).
    async def broken(request):
        raise RuntimeError("bug")

    app = create_app(state, routes=[ApiRoute("/2/broken", broken, scope=None)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url="https://x", headers=headers) as client:
        response = await client.get("/2/broken")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "unexpected_error"


def test_faults_defaults():
    assert Faults() == Faults(
        fail_on_write=None,
        fail_status=500,
        latency_seconds=0.0,
        rate_limit_per_minute=None,
        drop_connection_on=None,
        default_list_cap=None,
        txt_quoting=True,
        writes_seen=0,
        requests_seen=0,
    )
