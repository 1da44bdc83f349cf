"""Async client for the Infomaniak REST API: auth, envelope, typed errors, retries, pagination."""

from __future__ import annotations

import asyncio
import copy
import logging
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

import anyio
import httpx

from reconciler import __version__
from reconciler.api.pages import walk_cursor, walk_pages
from reconciler.api.ratelimit import Clock, Sleep, SlidingWindowLimiter
from reconciler.api.responses import (
    NOT_SENT,
    may_retry,
    may_retry_status,
    redact,
    retry_after,
    transport_error,
    unwrap,
)
from reconciler.api.retry import Jitter, RetryBudget, equal_jitter
from reconciler.errors import ApiError, ApiRejected, SettingsError
from reconciler.settings import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RETRY_BUDGET,
    PAGE_SIZE_ENV,
    REQUIRED_SCOPES,
    TOKEN_ENV,
    URL_ENV,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.infomaniak.com"
CURSOR_LIMIT_MAX: Final = 1000
"""``limit`` maximum of every kDrive v3 cursor list in the official spec."""
FALLBACK_PAGE_SIZE: Final = 100
"""``per_page`` real clients send (community.dns); used once if the API refuses a larger one."""


class InfomaniakClient:
    """Async Infomaniak API client; every failure surfaces as an ``ApiError`` subclass.

    ``limiter`` is the rate limit to respect; pass the process-wide one (``shared_limiter``) so that every
    client of a token shares one window. Without it the client builds its own from ``requests_per_minute``.
    ``clock`` and ``sleep`` drive the retry pauses (and that own limiter), so tests run on a fake clock.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        requests_per_minute: float = DEFAULT_RATE_LIMIT,
        limiter: SlidingWindowLimiter | None = None,
        retry_budget: float = DEFAULT_RETRY_BUDGET,
        max_retries: int | None = None,
        backoff_base: float = 0.5,
        jitter: Jitter = equal_jitter,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        if not token or not token.strip():
            raise SettingsError(f"the API token is empty; set {TOKEN_ENV} (scopes {REQUIRED_SCOPES})")
        if max_retries is not None and max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        if retry_budget < 0:
            raise ValueError(f"retry_budget must be 0 or more seconds, got {retry_budget}")
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.base_url = _check_base_url(base_url)
        self.retry_budget = retry_budget
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.page_size = page_size
        self.call_count = 0
        self._inflight: dict[tuple[str, str], _Shared] = {}
        """Requests that reached the server (a refused connection sends nothing and is not counted)."""
        self._token = token.strip()
        self._jitter = jitter
        self._clock = clock
        self._sleep = sleep
        self.limiter = limiter or SlidingWindowLimiter(requests_per_minute, clock=clock, sleep=sleep)
        # Plain http (the sandbox) never does TLS, so it skips loading the CA bundle (about 45 ms of CPU per
        # run). That context trusts no certificate: a request that did reach an https URL would fail, never
        # go unverified. An https base URL gets httpx's default, verifying context.
        verify: ssl.SSLContext | bool = True
        if httpx.URL(self.base_url).scheme == "http":
            verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            verify=verify,
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

    async def get_plain(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET a JSON answer that has no ``result``/``data`` envelope (kChat's Mattermost API).

        Rate limit, retries and error mapping are those of every call; ``url`` may be absolute (kChat
        lives on ``https://{team}.kchat.infomaniak.com``).
        """
        return (await self._request("GET", url, params=params, envelope=False)).get("data")

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
        self, path: str, *, params: Mapping[str, Any] | None = None, per_page: int | None = None
    ) -> list[Any]:
        """GET every page of a page/per_page list and return all its items.

        ``per_page`` defaults to the client's ``page_size`` (the largest the API is known to accept, see
        docs/api-fidelity.md): one request per list as long as the list fits.
        """
        size = self.page_size if per_page is None else per_page
        if size < 1:
            raise ValueError(f"per_page must be at least 1, got {size}")
        shown = _display_path(path)
        base = dict(params or {})

        async def fetch(query: dict[str, Any]) -> dict[str, Any]:
            return await self._request("GET", path, params=query)

        try:
            return await walk_pages(fetch, params=base, per_page=size, path=shown)
        except ApiRejected as exc:
            if size <= FALLBACK_PAGE_SIZE or not _about_page_size(exc):
                raise
            logger.info(
                "listing GET %s: the API refused per_page=%d; asking %d per page (set %s to skip this)",
                shown,
                size,
                FALLBACK_PAGE_SIZE,
                PAGE_SIZE_ENV,
            )
            return await walk_pages(fetch, params=base, per_page=FALLBACK_PAGE_SIZE, path=shown)

    async def get_all_cursor(
        self, path: str, *, params: Mapping[str, Any] | None = None, limit: int | None = None
    ) -> list[Any]:
        """GET every batch of a kDrive v3 cursor list (``cursor``/``has_more``) and return all items."""
        size = min(self.page_size, CURSOR_LIMIT_MAX) if limit is None else limit
        if size < 1:
            raise ValueError(f"limit must be at least 1, got {size}")

        async def fetch(query: dict[str, Any]) -> dict[str, Any]:
            return await self._request("GET", path, params=query)

        return await walk_cursor(fetch, params=dict(params or {}), limit=size, path=_display_path(path))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        envelope: bool = True,
    ) -> dict[str, Any]:
        """Send one call within the rate limit, retrying inside the time budget; return the envelope.

        ``envelope=False``: a 2xx JSON answer is the data itself, wrapped here as ``{"data": ...}``.

        A GET identical to one already in flight (same path and parameters) is not sent again: it waits for
        that answer. Scopes are fetched concurrently, and two kinds looking up the same list at the same
        moment (the mail hostings, say) would otherwise spend two of the 60 requests a minute on it.
        """
        method = method.upper()
        if not path.startswith("/") and "://" not in path:
            path = "/" + path
        if method != "GET" or json is not None:
            return await self._send(method, path, params=params, json=json, envelope=envelope)
        key = (f"{path} envelope={envelope}", _frozen(params))
        shared = self._inflight.get(key)
        if shared is not None:
            shared.callers += 1
            # Every caller of a shared answer gets its own copy of it, taken from the untouched original:
            # kinds keep, and sometimes edit, the rows they are given.
            return copy.deepcopy(await asyncio.shield(shared.task))
        shared = _Shared(
            asyncio.ensure_future(self._send(method, path, params=params, json=None, envelope=envelope))
        )
        self._inflight[key] = shared
        try:
            # Shielded: a cancelled caller must not cancel the answer other callers wait for.
            result = await asyncio.shield(shared.task)
            return copy.deepcopy(result) if shared.callers else result
        finally:
            if self._inflight.get(key) is shared:
                del self._inflight[key]

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any, envelope: bool
    ) -> dict[str, Any]:
        shown = _display_path(path)
        retry = RetryBudget(
            budget=self.retry_budget,
            backoff_base=self.backoff_base,
            max_retries=self.max_retries,
            jitter=self._jitter,
        )
        # A DELETE whose answer was lost may have run: a 404 on its retry then means it did.
        sent_unanswered = False
        while True:
            await self.limiter.acquire()
            try:
                response = await self._http.request(method, path, params=params, json=json)
            except httpx.InvalidURL as exc:
                raise ApiError(
                    redact(f"invalid request URL: {exc}", self._token), method=method, path=shown
                ) from exc
            except httpx.HTTPError as exc:
                if not isinstance(exc, NOT_SENT):
                    self.call_count += 1
                if may_retry(method, exc):
                    sent_unanswered = sent_unanswered or not isinstance(exc, NOT_SENT)
                    pause = retry.next_pause(None, connect=isinstance(exc, NOT_SENT))
                    if pause is not None:
                        await self._pause(method, shown, type(exc).__name__, pause, retry)
                        continue
                raise transport_error(
                    exc,
                    method=method,
                    path=shown,
                    gave_up=retry.summary(),
                    secret=self._token,
                    api_url=self.base_url,
                ) from exc
            self.call_count += 1
            status = response.status_code
            logger.debug("%s %s answered HTTP %d", method, shown, status)
            if method == "DELETE" and status == 404 and sent_unanswered:
                logger.info(
                    "DELETE %s: the retry found it gone (HTTP 404); the earlier try, whose answer was "
                    "lost, deleted it",
                    shown,
                )
                return {"result": "success", "data": True}
            if may_retry_status(method, status):
                asked = retry_after(response)
                pause = retry.next_pause(asked)
                if pause is not None:
                    if status == 429:
                        # The server's window is full: hold every request of the process, not only this one.
                        self.limiter.hold(pause)
                    await self._pause(method, shown, f"HTTP {status}", pause, retry)
                    continue
            if not envelope and 200 <= status < 300:
                return {"result": "success", "data": _plain_json(response, method=method, path=shown)}
            return unwrap(response, method=method, path=shown, secret=self._token, gave_up=retry.summary())

    async def _pause(self, method: str, path: str, reason: str, delay: float, retry: RetryBudget) -> None:
        # INFO, not WARNING: a retry that works is routine, and one that does not ends in an error that says
        # how long the client tried. A dozen warnings before that error only bury it.
        logger.info(
            "retrying %s %s after %s in %.1fs (retry %d, %.0fs of the %gs budget left)",
            method,
            path,
            reason,
            delay,
            retry.retries + 1,
            max(retry.budget - retry.waited - delay, 0.0),
            retry.budget,
        )
        retry.took(delay)
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


@dataclass
class _Shared:
    """A GET in flight and how many more callers wait for its answer."""

    task: asyncio.Future[dict[str, Any]]
    callers: int = 0


def _frozen(params: Mapping[str, Any] | None) -> str:
    return repr(sorted((str(key), repr(value)) for key, value in (params or {}).items()))


def _about_page_size(exc: ApiRejected) -> bool:
    """Whether a 422 names the page size (so a smaller one may pass)."""
    for error in exc.field_errors:
        attribute = str((error.get("context") or {}).get("attribute", ""))
        if attribute in ("per_page", "limit"):
            return True
    return "per_page" in str(exc)


def _plain_json(response: httpx.Response, *, method: str, path: str) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError as exc:
        kind = response.headers.get("Content-Type") or "no content type"
        raise ApiError(f"the API answered with a non-JSON body ({kind})", method=method, path=path) from exc


__all__ = ["DEFAULT_BASE_URL", "REQUIRED_SCOPES", "InfomaniakClient"]
