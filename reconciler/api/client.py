"""Async client for the Infomaniak REST API: auth, envelope, typed errors, retries, pagination."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, Self

import anyio
import httpx

from reconciler import __version__
from reconciler.api.ratelimit import TokenBucket
from reconciler.api.responses import (
    NOT_SENT,
    may_retry,
    may_retry_status,
    redact,
    retry_after,
    transport_error,
    unwrap,
)
from reconciler.errors import ApiError, SettingsError

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.infomaniak.com"
TOKEN_ENV: Final = "INFOMANIAK_API_TOKEN"
URL_ENV: Final = "INFOMANIAK_API_URL"
# What a token needs for every kind: DNS zones, account teams/tags/users/products, mail hostings, kDrive.
REQUIRED_SCOPES: Final = "dns:read dns:write accounts mail drive"
# A list longer than this many pages means the server keeps answering "more": stop instead of looping.
MAX_PAGES: Final = 10_000


class InfomaniakClient:
    """Async Infomaniak API client; every failure surfaces as an ``ApiError`` subclass."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        requests_per_minute: float = 60.0,
        max_retries: int = 3,
        timeout: float = 30.0,
        backoff_base: float = 0.5,
    ) -> None:
        if not token or not token.strip():
            raise SettingsError(f"the API token is empty; set {TOKEN_ENV} (scopes {REQUIRED_SCOPES})")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        self.base_url = _check_base_url(base_url)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.call_count = 0
        self._token = token.strip()
        self._bucket = TokenBucket(requests_per_minute)
        # Tests replace this to observe back-off pauses without waiting.
        self._sleep = anyio.sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": f"infomaniak-gitops/{__version__}",
            },
        )

    def __repr__(self) -> str:
        return f"InfomaniakClient(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connections."""
        await self._http.aclose()

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and return the envelope's ``data``."""
        return (await self._request("GET", path, params=params)).get("data")

    async def post(self, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """POST ``json`` to ``path`` and return the envelope's ``data``."""
        return (await self._request("POST", path, params=params, json=json)).get("data")

    async def put(self, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """PUT ``json`` to ``path`` and return the envelope's ``data``."""
        return (await self._request("PUT", path, params=params, json=json)).get("data")

    async def patch(self, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """PATCH ``json`` to ``path`` and return the envelope's ``data``."""
        return (await self._request("PATCH", path, params=params, json=json)).get("data")

    async def delete(self, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """DELETE ``path`` (optionally with a JSON body) and return the envelope's ``data``."""
        return (await self._request("DELETE", path, params=params, json=json)).get("data")

    async def get_all(
        self, path: str, *, params: Mapping[str, Any] | None = None, per_page: int = 100
    ) -> list[Any]:
        """GET every page of a page/per_page list and return all its items."""
        if per_page < 1:
            raise ValueError(f"per_page must be at least 1, got {per_page}")
        shown = _display_path(path)
        items: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            body = await self._request(
                "GET", path, params={**(params or {}), "page": page, "per_page": per_page}
            )
            data = _list_data(body, shown)
            if not any(key in body for key in ("page", "pages", "total")):
                if page == 1:
                    # The endpoint does not paginate: what came back is the whole list.
                    return data
                raise ApiError(f"pagination keys vanished on page {page}", method="GET", path=shown)
            echoed = _int(body.get("page"))
            if echoed is not None and echoed != page:
                # The server ignores `page`: going on would only collect the same items again.
                raise ApiError(
                    f"asked for page {page} but the API returned page {echoed}", method="GET", path=shown
                )
            items.extend(data)
            pages, total = _int(body.get("pages")), _int(body.get("total"))
            if not data:
                if total is not None and len(items) < total:
                    logger.warning(
                        "listing GET %s stopped at empty page %d with %d of %d items",
                        shown,
                        page,
                        len(items),
                        total,
                    )
                break
            if pages is not None and page >= pages:
                break
            if total is not None and len(items) >= total:
                break
            if pages is None and total is None and len(data) < per_page:
                break
        else:
            raise ApiError(f"pagination did not end after {MAX_PAGES} pages", method="GET", path=shown)
        return items

    async def get_all_cursor(
        self, path: str, *, params: Mapping[str, Any] | None = None, limit: int = 100
    ) -> list[Any]:
        """GET every batch of a kDrive v3 cursor list (``cursor``/``has_more``) and return all items."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        shown = _display_path(path)
        items: list[Any] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            query: dict[str, Any] = {**(params or {}), "limit": limit}
            if cursor is not None:
                query["cursor"] = cursor
            body = await self._request("GET", path, params=query)
            items.extend(_list_data(body, shown))
            if not body.get("has_more"):
                return items
            cursor = body.get("cursor")
            if not isinstance(cursor, str) or not cursor or cursor in seen:
                raise ApiError(
                    "has_more is set but the cursor is missing or repeats", method="GET", path=shown
                )
            seen.add(cursor)
        raise ApiError(f"pagination did not end after {MAX_PAGES} pages", method="GET", path=shown)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """Send one call with rate limiting and retries; return the success envelope or raise."""
        method = method.upper()
        if not path.startswith("/") and "://" not in path:
            path = "/" + path
        shown = _display_path(path)
        attempt = 0
        while True:
            await self._bucket.acquire()
            try:
                response = await self._http.request(method, path, params=params, json=json)
            except httpx.InvalidURL as exc:
                raise ApiError(
                    redact(f"invalid request URL: {exc}", self._token), method=method, path=shown
                ) from exc
            except httpx.HTTPError as exc:
                if not isinstance(exc, NOT_SENT):
                    self.call_count += 1
                if attempt < self.max_retries and may_retry(method, exc):
                    await self._pause(method, shown, type(exc).__name__, attempt, None)
                    attempt += 1
                    continue
                raise transport_error(
                    exc, method=method, path=shown, retries=attempt, secret=self._token
                ) from exc
            self.call_count += 1
            status = response.status_code
            logger.debug("%s %s answered HTTP %d", method, shown, status)
            if attempt < self.max_retries and may_retry_status(method, status):
                await self._pause(method, shown, f"HTTP {status}", attempt, retry_after(response))
                attempt += 1
                continue
            return unwrap(response, method=method, path=shown, retries=attempt, secret=self._token)

    async def _pause(
        self, method: str, path: str, reason: str, attempt: int, retry_after: float | None
    ) -> None:
        delay = retry_after if retry_after is not None else self.backoff_base * 2**attempt
        logger.warning(
            "retrying %s %s after %s in %.1fs (%d tries left)",
            method,
            path,
            reason,
            delay,
            self.max_retries - attempt - 1,
        )
        await self._sleep(delay)


def _check_base_url(base_url: str) -> str:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise SettingsError(f"API base URL {base_url!r} is invalid ({exc}); check {URL_ENV}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise SettingsError(f"API base URL {base_url!r} must be an http(s) URL; check {URL_ENV}")
    return base_url


def _display_path(path: str) -> str:
    # Query strings can hold search terms or signed values; messages and logs show the path only.
    return path.split("?", 1)[0]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list_data(body: Mapping[str, Any], path: str) -> list[Any]:
    data = body.get("data")
    if not isinstance(data, list):
        raise ApiError(f"expected a list in data, got {type(data).__name__}", method="GET", path=path)
    return data


__all__ = ["DEFAULT_BASE_URL", "InfomaniakClient"]
