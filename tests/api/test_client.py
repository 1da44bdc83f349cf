"""InfomaniakClient against respx: envelope, error mapping, retries, pagination, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx

import reconciler
import reconciler.api
from reconciler.api import DEFAULT_BASE_URL, InfomaniakClient, SlidingWindowLimiter
from reconciler.api import pages as pages_module
from reconciler.errors import (
    ApiAuthError,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiRejected,
    ApiUnavailable,
    SettingsError,
)
from tests.api.helpers import FakeClock

TOKEN = "tok-SECRET-4f9a1c77e2"
RECORDS = "/2/zones/example.ch/records"

pytestmark = pytest.mark.anyio


def no_jitter(delay: float) -> float:
    return delay


def make_client(clock: FakeClock | None = None, **kwargs: Any) -> InfomaniakClient:
    """A client on virtual time: back-off pauses are recorded in ``clock.sleeps``, never slept."""
    clock = clock or FakeClock()
    kwargs.setdefault("requests_per_minute", 0)
    kwargs.setdefault("jitter", no_jitter)
    return InfomaniakClient(TOKEN, clock=clock, sleep=clock.sleep, **kwargs)


def ok(data: Any, status: int = 200, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"result": "success", "data": data, **extra})


def err(status: int, code: str, description: str = "failed", **extra: Any) -> httpx.Response:
    error = {"code": code, "description": description, **extra}
    return httpx.Response(status, json={"result": "error", "error": error})


@pytest.fixture
def api():
    with respx.mock(base_url=DEFAULT_BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sleeps(clock):
    return clock.sleeps


@pytest.fixture
async def client(clock):
    async with make_client(clock) as made:
        yield made


# --- surface -----------------------------------------------------------------------------------


def test_public_surface_is_complete():
    expected = [
        "DEFAULT_BASE_URL",
        "REQUIRED_SCOPES",
        "InfomaniakClient",
        "SlidingWindowLimiter",
        "shared_limiter",
    ]
    assert reconciler.api.__all__ == expected
    assert DEFAULT_BASE_URL == "https://api.infomaniak.com"


async def test_success_envelope_is_unwrapped_and_headers_are_sent(api, client):
    route = api.get("/2/zones/example.ch").mock(return_value=ok({"fqdn": "example.ch"}))
    assert await client.get("/2/zones/example.ch", params={"with": "records,idn"}) == {"fqdn": "example.ch"}
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == f"infomaniak-gitops/{reconciler.__version__}"
    assert request.url.params["with"] == "records,idn"
    assert client.call_count == 1


@pytest.mark.parametrize("base_url", ["https://api.example.test", "https://api.example.test/"])
async def test_base_url_with_or_without_trailing_slash(base_url):
    with respx.mock() as router:
        route = router.get("https://api.example.test/2/zones").mock(return_value=ok([]))
        async with make_client(base_url=base_url) as client:
            assert await client.get("/2/zones") == []
            assert await client.get("2/zones") == []
    assert route.call_count == 2


async def test_base_url_with_a_path_prefix_keeps_it():
    with respx.mock() as router:
        route = router.get("http://127.0.0.1:8080/sandbox/2/zones").mock(return_value=ok([]))
        async with make_client(base_url="http://127.0.0.1:8080/sandbox") as client:
            await client.get("/2/zones")
    assert route.called


@pytest.mark.parametrize("base_url", ["ftp://api.infomaniak.com", "api.infomaniak.com", ""])
def test_bad_base_url_is_a_settings_error(base_url):
    with pytest.raises(SettingsError, match="INFOMANIAK_API_URL"):
        InfomaniakClient(TOKEN, base_url=base_url)


async def test_plain_http_loads_no_ca_bundle_and_trusts_no_certificate():
    # The sandbox speaks http: loading the CA bundle would cost CPU for nothing. Its TLS context must fail
    # closed (no trusted CA, hostname and certificate checked), while https keeps httpx's verifying default.
    plain = InfomaniakClient("t", base_url="http://127.0.0.1:8000")
    secure = InfomaniakClient("t", base_url="https://api.example.test")
    try:
        plain_tls = plain._http._transport._pool._ssl_context
        secure_tls = secure._http._transport._pool._ssl_context
        assert plain_tls.cert_store_stats()["x509_ca"] == 0
        assert plain_tls.verify_mode == ssl.CERT_REQUIRED and plain_tls.check_hostname
        assert secure_tls.cert_store_stats()["x509_ca"] > 0
        assert secure_tls.verify_mode == ssl.CERT_REQUIRED and secure_tls.check_hostname
    finally:
        await plain.aclose()
        await secure.aclose()


def test_repr_hides_the_token():
    client = InfomaniakClient(TOKEN)
    assert TOKEN not in repr(client)


async def test_writes_send_json_and_return_data(api, client):
    post = api.post(RECORDS).mock(return_value=ok({"id": 7}, status=201))
    put = api.put(f"{RECORDS}/7").mock(return_value=ok(True))
    patch = api.patch(f"{RECORDS}/7").mock(return_value=ok(True))
    assert await client.post(RECORDS, json={"type": "A"}, params={"with": "idn"}) == {"id": 7}
    assert await client.put(f"{RECORDS}/7", json={"ttl": 300}) is True
    assert await client.patch(f"{RECORDS}/7", json={"ttl": 600}) is True
    assert json.loads(post.calls.last.request.content) == {"type": "A"}
    assert post.calls.last.request.url.params["with"] == "idn"
    assert json.loads(put.calls.last.request.content) == {"ttl": 300}
    assert json.loads(patch.calls.last.request.content) == {"ttl": 600}


async def test_delete_may_carry_a_json_body(api, client):
    route = api.delete("/1/accounts/1/teams/2/users").mock(return_value=ok(True))
    assert await client.delete("/1/accounts/1/teams/2/users", json={"user_ids": [5, 6]}) is True
    request = route.calls.last.request
    assert request.method == "DELETE"
    assert json.loads(request.content) == {"user_ids": [5, 6]}


async def test_empty_204_answer_is_none(api, client):
    api.delete(f"{RECORDS}/7").mock(return_value=httpx.Response(204))
    assert await client.delete(f"{RECORDS}/7") is None


async def test_asynchronous_envelope_is_a_success(api, client):
    api.post("/1/public_clouds/1/projects").mock(
        return_value=httpx.Response(202, json={"result": "asynchronous", "data": 42})
    )
    assert await client.post("/1/public_clouds/1/projects", json={}) == 42


# --- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "invalid_dns_record", ApiRejected),
        (401, "not_authorized", ApiAuthError),
        (403, "access_denied", ApiForbidden),
        (404, "object_not_found", ApiNotFound),
        (405, "method_not_allowed", ApiRejected),
        (409, "object_already_exists", ApiRejected),
        (422, "validation_failed", ApiRejected),
        (429, "too_many_requests", ApiRateLimited),
        (500, "unexpected_error", ApiUnavailable),
        (502, "bad_gateway", ApiUnavailable),
        (503, "maintenance", ApiUnavailable),
    ],
)
async def test_status_maps_to_error_class(api, client, status, code, cls):
    api.get(RECORDS).mock(return_value=err(status, code, "Something went wrong"))
    with pytest.raises(cls) as info:
        await client.get(RECORDS, params={"search": "www"})
    exc = info.value
    assert type(exc) is cls
    assert (exc.method, exc.path, exc.status, exc.code) == ("GET", RECORDS, status, code)
    text = str(exc)
    assert text.startswith(f"GET {RECORDS}: Something went wrong")
    assert f"HTTP {status}" in text
    assert code in text
    assert "search" not in text  # the query string stays out of messages


async def test_auth_error_says_which_variable_and_scopes(api, client):
    api.get("/2/zones").mock(return_value=err(401, "not_authorized", "Authorization required"))
    with pytest.raises(ApiAuthError, match=r"INFOMANIAK_API_TOKEN.*dns:read dns:write"):
        await client.get("/2/zones")


@pytest.mark.parametrize(
    ("code", "cls"),
    [("object_not_found", ApiNotFound), ("access_denied", ApiForbidden), ("some_rule", ApiRejected)],
)
async def test_error_envelope_on_http_200_raises(api, client, code, cls):
    api.get("/2/zones/example.ch").mock(return_value=err(200, code, "Nope"))
    with pytest.raises(cls, match="Nope") as info:
        await client.get("/2/zones/example.ch")
    assert info.value.status == 200
    assert info.value.code == code


async def test_field_errors_are_kept(api, client):
    sub = {
        "code": "validation_rule_in",
        "description": "The selected type is invalid.",
        "context": {"attribute": "type", "values": ["A", "AAAA"]},
    }
    api.post(RECORDS).mock(return_value=err(422, "validation_failed", "Validation failed", errors=[sub]))
    with pytest.raises(ApiRejected) as info:
        await client.post(RECORDS, json={"type": "BOGUS"})
    assert info.value.field_errors == [sub]
    assert "type: The selected type is invalid." in str(info.value)


async def test_non_json_error_body(api, client):
    api.get("/2/zones").mock(
        return_value=httpx.Response(
            502, text="<html>Bad gateway</html>", headers={"Content-Type": "text/html"}
        )
    )
    with pytest.raises(ApiUnavailable, match=r"non-JSON body \(text/html\)") as info:
        await client.get("/2/zones")
    assert info.value.status == 502


async def test_non_json_success_body_is_an_api_error(api, client):
    api.get("/2/zones").mock(
        return_value=httpx.Response(200, text="hello", headers={"Content-Type": "text/plain"})
    )
    with pytest.raises(ApiError, match="non-JSON body"):
        await client.get("/2/zones")


async def test_json_without_envelope_is_an_api_error(api, client):
    api.get("/2/zones").mock(return_value=httpx.Response(200, json=[1, 2]))
    with pytest.raises(ApiError, match="without a result envelope"):
        await client.get("/2/zones")


async def test_unexpected_redirect_is_an_api_error(api, client):
    api.get("/2/zones").mock(return_value=httpx.Response(302, headers={"Location": "https://elsewhere/"}))
    with pytest.raises(ApiError) as info:
        await client.get("/2/zones")
    assert info.value.status == 302


# --- retries -----------------------------------------------------------------------------------


async def test_retry_on_503_then_success(api, client, sleeps, caplog):
    route = api.get(RECORDS).mock(side_effect=[err(503, "maintenance"), ok([{"id": 1}])])
    with caplog.at_level(logging.DEBUG, logger="reconciler.api.client"):
        assert await client.get(RECORDS) == [{"id": 1}]
    assert route.call_count == 2
    assert client.call_count == 2
    assert sleeps == [0.5]
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert [(r.levelno, r.getMessage()) for r in retries] == [
        (
            logging.INFO,
            f"retrying GET {RECORDS} after HTTP 503 in 0.5s (retry 1, 300s of the 300s budget left)",
        )
    ]


async def test_backoff_is_exponential(api, clock):
    api.get(RECORDS).mock(side_effect=[err(500, "x"), err(502, "x"), err(503, "x"), ok([])])
    async with make_client(clock, backoff_base=0.25) as client:
        assert await client.get(RECORDS) == []
    assert clock.sleeps == [0.25, 0.5, 1.0]


async def test_backoff_has_jitter_and_a_ceiling(api):
    api.get(RECORDS).mock(side_effect=[err(503, "x")] * 8 + [ok([])])
    clock = FakeClock()
    async with InfomaniakClient(TOKEN, requests_per_minute=0, clock=clock, sleep=clock.sleep) as client:
        assert await client.get(RECORDS) == []
    nominal = [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert len(clock.sleeps) == len(nominal)
    for pause, full in zip(clock.sleeps, nominal, strict=True):
        assert full / 2 <= pause <= full


async def test_retry_after_header_is_honoured(api, client, sleeps):
    api.get(RECORDS).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}, text="Too many request"), ok([])]
    )
    assert await client.get(RECORDS) == []
    assert sleeps == [7.0]


async def test_retry_after_http_date_is_honoured(api, client, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api.get(RECORDS).mock(side_effect=[httpx.Response(429, headers={"Retry-After": when}), ok([])])
    assert await client.get(RECORDS) == []
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 30


async def test_429_retries_until_the_time_budget_is_spent(api):
    route = api.get(RECORDS).mock(return_value=err(429, "too_many_requests", "Too many request"))
    clock = FakeClock()
    async with make_client(clock, retry_budget=10) as client:
        with pytest.raises(ApiRateLimited) as info:
            await client.get(RECORDS)
    # 0.5 + 1 + 2 + 4 = 7.5 s; the next pause (8 s) would pass the 10 s budget.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert route.call_count == 5
    assert info.value.status == 429
    message = str(info.value)
    assert "gave up after 4 retries over 7.5 s (INFOMANIAK_RETRY_BUDGET=10)" in message
    assert "INFOMANIAK_RATE_LIMIT" in message


async def test_a_long_outage_inside_the_budget_is_ridden_out(api):
    # Well past the old "3 retries": 12 failures in a row, then the API is back.
    route = api.get(RECORDS).mock(side_effect=[err(503, "maintenance")] * 12 + [ok([1])])
    clock = FakeClock()
    async with make_client(clock) as client:
        assert await client.get(RECORDS) == [1]
    assert route.call_count == 13
    assert sum(clock.sleeps) <= 300


async def test_5xx_budget_exhausted_is_unavailable(api):
    api.get(RECORDS).mock(return_value=err(503, "maintenance"))
    async with make_client(retry_budget=3) as client:
        with pytest.raises(ApiUnavailable, match=r"gave up after 2 retries over 1.5 s") as info:
            await client.get(RECORDS)
    assert info.value.status == 503


async def test_a_429_holds_every_request_of_the_client(api):
    clock = FakeClock()
    limiter = SlidingWindowLimiter(60, clock=clock, sleep=clock.sleep)
    api.get(RECORDS).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "20"}), ok([])])
    other = api.get("/2/zones").mock(return_value=ok([]))
    async with make_client(clock, limiter=limiter) as client:
        start = clock.now
        assert await client.get(RECORDS) == []
        assert await client.get("/2/zones") == []
    assert other.call_count == 1
    assert clock.now - start >= 20


async def test_post_is_retried_on_429(api, client):
    route = api.post(RECORDS).mock(side_effect=[err(429, "too_many_requests"), ok({"id": 1}, status=201)])
    assert await client.post(RECORDS, json={}) == {"id": 1}
    assert route.call_count == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_non_idempotent_is_not_retried_on_500(api, client, method):
    route = api.route(method=method, path=RECORDS).mock(return_value=err(500, "cannot_create_object"))
    with pytest.raises(ApiUnavailable, match="may have run"):
        await client._request(method, RECORDS, json={})
    assert route.call_count == 1


@pytest.mark.parametrize("exc_cls", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError])
async def test_post_is_not_retried_once_it_may_have_been_sent(api, client, exc_cls):
    route = api.post(RECORDS).mock(side_effect=exc_cls("dropped"))
    with pytest.raises(ApiUnavailable, match="may have run"):
        await client.post(RECORDS, json={})
    assert route.call_count == 1


@pytest.mark.parametrize("exc_cls", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_post_is_retried_when_the_request_never_left(api, client, exc_cls):
    route = api.post(RECORDS).mock(side_effect=[exc_cls("refused"), ok({"id": 1}, status=201)])
    assert await client.post(RECORDS, json={}) == {"id": 1}
    assert route.call_count == 2
    assert client.call_count == 1  # the refused connection sent nothing


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_idempotent_is_retried_on_dropped_connection(api, client, method):
    route = api.route(method=method, path=RECORDS).mock(
        side_effect=[httpx.RemoteProtocolError("peer closed"), httpx.ReadTimeout("slow"), ok(True)]
    )
    assert await client._request(method, RECORDS) == {"result": "success", "data": True}
    assert route.call_count == 3


async def test_unreachable_api_fails_soon_quietly_and_names_the_url(api, client, sleeps, caplog):
    route = api.get(RECORDS).mock(side_effect=httpx.ConnectError("connection refused"))
    with caplog.at_level(logging.INFO), pytest.raises(ApiUnavailable) as info:
        await client.get(RECORDS)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    # A refused connection gets a short budget (15 s), not the full one: the URL may simply be wrong.
    assert sleeps == [0.5, 1.0, 2.0, 4.0]
    assert route.call_count == 5
    message = str(info.value)
    assert message.startswith(f"GET {RECORDS}: the API at {DEFAULT_BASE_URL} could not be reached")
    assert "ConnectError: connection refused" in message
    assert "gave up after 4 retries over 7.5 s" in message
    assert "check INFOMANIAK_API_URL" in message
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_zero_budget_never_retries(api):
    route = api.get(RECORDS).mock(return_value=err(503, "maintenance"))
    async with make_client(retry_budget=0) as client:
        with pytest.raises(ApiUnavailable):
            await client.get(RECORDS)
    assert route.call_count == 1


async def test_max_retries_zero_sends_once(api):
    route = api.get(RECORDS).mock(return_value=err(503, "maintenance"))
    async with make_client(max_retries=0) as client:
        with pytest.raises(ApiUnavailable):
            await client.get(RECORDS)
    assert route.call_count == 1


def _httpx_error_family() -> list[type[httpx.HTTPError]]:
    members = [getattr(httpx, name) for name in httpx.__all__]
    family = [m for m in members if isinstance(m, type) and issubclass(m, httpx.HTTPError)]
    # raise_for_status is the only source of HTTPStatusError, and the client never calls it.
    return [m for m in family if m is not httpx.HTTPStatusError]


def test_error_family_list_is_not_empty():
    family = _httpx_error_family()
    for expected in (
        httpx.TimeoutException,
        httpx.NetworkError,
        httpx.RemoteProtocolError,
        httpx.ProxyError,
        httpx.UnsupportedProtocol,
        httpx.DecodingError,
        httpx.TooManyRedirects,
        httpx.HTTPError,
    ):
        assert expected in family


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("exc_cls", _httpx_error_family(), ids=lambda c: c.__name__)
async def test_every_httpx_error_becomes_an_api_error(method, exc_cls):
    def handler(request: httpx.Request) -> httpx.Response:
        if issubclass(exc_cls, httpx.RequestError):
            raise exc_cls("boom", request=request)
        raise exc_cls("boom")

    async with make_client(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ApiError) as info:
            await client._request(method, RECORDS, json={} if method == "POST" else None)
    assert isinstance(info.value, ApiUnavailable)
    assert isinstance(info.value.__cause__, exc_cls)


async def test_invalid_url_becomes_an_api_error(api, client):
    with pytest.raises(ApiError, match="invalid request URL") as info:
        await client.get("/2/zones/exa\x00mple.ch")
    assert isinstance(info.value.__cause__, httpx.InvalidURL)


# --- the token never leaks ---------------------------------------------------------------------


async def test_token_never_appears_in_errors_or_logs(api, client, caplog):
    api.get("/2/zones").mock(return_value=err(401, "not_authorized", f"Bad token {TOKEN}"))
    api.get("/2/zones/a").mock(side_effect=httpx.ConnectError(f"proxy said Bearer {TOKEN}"))
    api.get("/2/zones/b").mock(return_value=err(503, "maintenance"))
    api.post("/2/zones/c").mock(
        return_value=err(422, "validation_failed", "x", errors=[{"code": "c", "description": TOKEN}])
    )
    api.get("/2/zones/d").mock(return_value=httpx.Response(500, text=f"<pre>{TOKEN}</pre>"))
    errors: list[ApiError] = []
    with caplog.at_level(logging.DEBUG):
        for call in (
            client.get("/2/zones"),
            client.get("/2/zones/a"),
            client.get("/2/zones/b"),
            client.post("/2/zones/c", json={"token": "no"}),
            client.get("/2/zones/d"),
        ):
            with pytest.raises(ApiError) as info:
                await call
            errors.append(info.value)
    assert caplog.records, "expected retry and debug logs"
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
    for exc in errors:
        assert TOKEN not in str(exc)
        assert TOKEN not in repr(exc)
        assert TOKEN not in repr(exc.args)


# --- pagination --------------------------------------------------------------------------------


def paged(items: list[Any], per_page_cap: int | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        if per_page_cap:
            per_page = min(per_page, per_page_cap)
        pages = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return ok(chunk, total=len(items), page=page, pages=pages, items_per_page=per_page)

    return handler


async def test_get_all_reads_every_page_with_the_right_params(api, client):
    items = [{"id": i} for i in range(25)]
    route = api.get(RECORDS).mock(side_effect=paged(items))
    assert await client.get_all(RECORDS, params={"with": "idn"}, per_page=10) == items
    sent = [dict(call.request.url.params) for call in route.calls]
    assert sent == [
        {"with": "idn", "page": "1", "per_page": "10"},
        {"with": "idn", "page": "2", "per_page": "10"},
        {"with": "idn", "page": "3", "per_page": "10"},
    ]


async def test_get_all_follows_pages_when_the_server_caps_per_page(api, client):
    items = list(range(250))
    route = api.get(RECORDS).mock(side_effect=paged(items, per_page_cap=100))
    assert await client.get_all(RECORDS, per_page=500) == items
    assert route.call_count == 3


async def test_get_all_follows_total_when_pages_is_missing(api, client):
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return ok([page * 10 + 1, page * 10 + 2], total=6, page=page)

    route = api.get(RECORDS).mock(side_effect=handler)
    assert await client.get_all(RECORDS, per_page=2) == [11, 12, 21, 22, 31, 32]
    assert route.call_count == 3


async def test_list_without_pagination_keys_is_returned_as_is(api, client):
    route = api.get(RECORDS).mock(return_value=ok([{"id": 1}, {"id": 2}]))
    assert await client.get_all(RECORDS) == [{"id": 1}, {"id": 2}]
    assert route.call_count == 1


async def test_a_full_page_without_pagination_keys_is_followed(api, client):
    # Before: exactly per_page items and no keys were taken as the whole list (silent truncation).
    items = [{"id": i} for i in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["per_page"])
        return ok(items[(page - 1) * size : page * size])

    route = api.get(RECORDS).mock(side_effect=handler)
    assert await client.get_all(RECORDS, per_page=2) == items
    assert route.call_count == 3
    assert await client.get_all(RECORDS, per_page=5) == items  # full, then an empty page ends it
    assert route.call_count == 5


async def test_a_full_page_repeated_without_keys_is_refused(api, client):
    # A server that ignores `page` and `per_page` and caps at 2: the list may be longer; say so.
    route = api.get(RECORDS).mock(return_value=ok([{"id": 1}, {"id": 2}]))
    with pytest.raises(ApiError, match="ignores `page`") as info:
        await client.get_all(RECORDS, per_page=2)
    assert "INFOMANIAK_PAGE_SIZE above 2" in str(info.value)
    assert route.call_count == 2


async def test_a_page_longer_than_asked_is_the_whole_list(api, client):
    api.get(RECORDS).mock(return_value=ok([1, 2, 3]))
    assert await client.get_all(RECORDS, per_page=2) == [1, 2, 3]


async def test_get_all_asks_the_client_page_size(api):
    route = api.get(RECORDS).mock(side_effect=paged(list(range(30))))
    async with make_client(page_size=20) as client:
        assert await client.get_all(RECORDS) == list(range(30))
    assert [call.request.url.params["per_page"] for call in route.calls] == ["20", "20"]


async def test_a_refused_page_size_falls_back_once_to_100(api, client):
    def handler(request: httpx.Request) -> httpx.Response:
        if int(request.url.params["per_page"]) > 100:
            return err(
                422,
                "validation_failed",
                "invalid",
                errors=[{"code": "max", "context": {"attribute": "per_page"}}],
            )
        return paged(list(range(150)))(request)

    route = api.get(RECORDS).mock(side_effect=handler)
    assert await client.get_all(RECORDS) == list(range(150))
    assert [call.request.url.params["per_page"] for call in route.calls] == ["1000", "100", "100"]


async def test_get_all_stops_on_an_empty_page(api, client, caplog):
    route = api.get(RECORDS).mock(
        side_effect=[ok([1, 2], total=10, page=1, pages=5), ok([], total=10, page=2, pages=5)]
    )
    with caplog.at_level(logging.WARNING):
        assert await client.get_all(RECORDS, per_page=2) == [1, 2]
    assert route.call_count == 2
    assert "stopped at empty page 2" in caplog.text


async def test_get_all_refuses_a_server_that_ignores_page(api, client):
    api.get(RECORDS).mock(return_value=ok([1, 2], total=4, page=1, pages=2))
    with pytest.raises(ApiError, match="asked for page 2 but the API returned page 1"):
        await client.get_all(RECORDS, per_page=2)


async def test_get_all_has_a_hard_page_cap(api, client, monkeypatch):
    monkeypatch.setattr(pages_module, "MAX_PAGES", 3)
    route = api.get(RECORDS).mock(side_effect=lambda request: ok([1], pages=1000))
    with pytest.raises(ApiError, match="did not end after 3 pages"):
        await client.get_all(RECORDS, per_page=1)
    assert route.call_count == 3


async def test_get_all_rejects_non_list_data(api, client):
    api.get(RECORDS).mock(return_value=ok({"id": 1}))
    with pytest.raises(ApiError, match="expected a list"):
        await client.get_all(RECORDS)


async def test_cursor_pagination_reads_every_batch(api, client):
    route = api.get("/3/drive/1/files/1/files").mock(
        side_effect=[
            ok([1, 2], cursor="c1", has_more=True, response_at=1),
            ok([3, 4], cursor="c2", has_more=True, response_at=1),
            ok([5], cursor="c3", has_more=False, response_at=1),
        ]
    )
    assert await client.get_all_cursor("/3/drive/1/files/1/files", params={"with": "path"}, limit=2) == [
        1,
        2,
        3,
        4,
        5,
    ]
    sent = [dict(call.request.url.params) for call in route.calls]
    assert sent == [
        {"with": "path", "limit": "2"},
        {"with": "path", "limit": "2", "cursor": "c1"},
        {"with": "path", "limit": "2", "cursor": "c2"},
    ]


async def test_cursor_pagination_without_cursor_keys_is_returned_as_is(api, client):
    api.get("/3/drive/1/files").mock(return_value=ok([1, 2]))
    assert await client.get_all_cursor("/3/drive/1/files") == [1, 2]


async def test_cursor_pagination_refuses_a_repeating_cursor(api, client):
    api.get("/3/drive/1/files").mock(return_value=ok([1], cursor="same", has_more=True))
    with pytest.raises(ApiError, match="cursor is missing or repeats"):
        await client.get_all_cursor("/3/drive/1/files")


# --- rate limit and settings -------------------------------------------------------------------


async def test_requests_wait_for_the_injected_limiter(api):
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, clock=clock, sleep=clock.sleep)
    api.get(RECORDS).mock(return_value=ok([]))
    start = clock.now
    async with make_client(clock, limiter=limiter) as client:
        for _ in range(5):
            await client.get(RECORDS)
    # Two per minute: requests 3-4 wait a window, request 5 another.
    assert clock.now - start == pytest.approx(120.0)
    assert limiter.waits == 2


def test_default_client_limits_to_60_per_sliding_minute():
    client = InfomaniakClient(TOKEN)
    assert client.limiter.limit == 60
    assert client.limiter.window == 60.0
    assert client.retry_budget == 300.0
    assert client.page_size == 1000
    assert not InfomaniakClient(TOKEN, requests_per_minute=0).limiter.enabled


def test_empty_token_is_a_settings_error():
    with pytest.raises(SettingsError, match="INFOMANIAK_API_TOKEN"):
        InfomaniakClient("  ")


async def test_works_over_an_asgi_transport():
    seen: list[tuple[str, str, bytes]] = []

    async def app(scope, receive, send):
        seen.append((scope["method"], scope["path"], scope["query_string"]))
        body = json.dumps({"result": "success", "data": [1, 2], "total": 2, "page": 1, "pages": 1})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

    async with make_client(base_url="http://sandbox", transport=httpx.ASGITransport(app=app)) as client:
        assert await client.get_all("/2/zones") == [1, 2]
    assert seen == [("GET", "/2/zones", b"page=1&per_page=1000")]


# --- one request for identical concurrent reads --------------------------------------------------


async def test_identical_concurrent_gets_share_one_request(api, client):
    route = api.get("/1/products").mock(return_value=ok([{"id": 1}]))
    params = {"service_name": "email_hosting", "account_id": 123456}
    first, second = await asyncio.gather(
        client.get("/1/products", params=params), client.get("/1/products", params=dict(params))
    )
    assert first == second == [{"id": 1}]
    assert first is not second  # each caller may keep and edit its own rows
    assert route.call_count == 1
    assert client.call_count == 1


async def test_gets_that_differ_or_follow_each_other_are_each_sent(api, client):
    route = api.get("/1/products").mock(return_value=ok([]))
    await asyncio.gather(
        client.get("/1/products", params={"a": 1}), client.get("/1/products", params={"a": 2})
    )
    await client.get("/1/products", params={"a": 1})  # not a cache: a later read asks again
    assert route.call_count == 3


async def test_a_shared_get_failure_reaches_every_caller(api, client):
    route = api.get("/1/products").mock(return_value=err(404, "object_not_found"))
    results = await asyncio.gather(
        client.get("/1/products"), client.get("/1/products"), return_exceptions=True
    )
    assert [type(r) for r in results] == [ApiNotFound, ApiNotFound]
    assert route.call_count == 1


async def test_writes_are_never_shared(api, client):
    route = api.post(RECORDS).mock(return_value=ok({"id": 1}, status=201))
    await asyncio.gather(client.post(RECORDS, json={"a": 1}), client.post(RECORDS, json={"a": 1}))
    assert route.call_count == 2


async def test_a_caller_editing_a_shared_answer_does_not_change_another_callers(api, client):
    # Before: the first caller got the original and could edit it before the second caller copied it.
    api.get("/1/products").mock(return_value=ok([{"id": 1, "name": "a"}]))

    async def edit() -> list[dict[str, Any]]:
        rows = await client.get("/1/products")
        rows[0]["name"] = "edited"
        return rows

    edited, untouched = await asyncio.gather(edit(), client.get("/1/products"))
    assert edited == [{"id": 1, "name": "edited"}]
    assert untouched == [{"id": 1, "name": "a"}]


# --- a DELETE whose answer was lost -----------------------------------------------------------------


async def test_delete_whose_lost_answer_is_a_404_on_retry_is_a_success(clock, caplog):
    from reconciler.sandbox import SANDBOX_TOKEN, Faults, SandboxState, create_app

    state = SandboxState.demo()
    # The first DELETE runs, then its connection drops: the retry finds the record gone (404).
    faults = Faults(drop_connection_on=1, drop_after_handling=True)
    transport = httpx.ASGITransport(app=create_app(state, faults=faults))
    caplog.set_level(logging.INFO, logger="reconciler.api")
    sandboxed = InfomaniakClient(
        SANDBOX_TOKEN,
        transport=transport,
        requests_per_minute=0,
        jitter=no_jitter,
        clock=clock,
        sleep=clock.sleep,
    )
    async with sandboxed as client:
        assert await client.delete(f"{RECORDS}/17781151") is True
    assert faults.requests_seen == 2
    assert state.find_record("example.ch", 17781151) is None
    assert "the earlier try, whose answer was lost, deleted it" in caplog.text


async def test_delete_of_a_missing_resource_is_still_not_found(api, client):
    # Without a lost answer a 404 means what it says: nothing was there to delete.
    api.delete(RECORDS).mock(return_value=err(404, "not_found"))
    with pytest.raises(ApiError) as caught:
        await client.delete(RECORDS)
    assert caught.value.status == 404
