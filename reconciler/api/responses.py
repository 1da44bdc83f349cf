"""Reading API answers: the envelope, status and httpx failures to typed errors, and retry rules."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from reconciler.errors import (
    ApiAuthError,
    ApiError,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiRejected,
    ApiUnavailable,
)
from reconciler.redaction import mask_secrets
from reconciler.settings import BUDGET_ENV, RATE_ENV, URL_ENV

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# A broken or hostile Retry-After must not stall a run for hours.
MAX_RETRY_AFTER: Final = 120.0
# Raised before any byte of the request left the machine: retrying cannot run a write twice.
NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures that may pass on a second try; the others (bad scheme, our own protocol bug) would not.
TRANSIENT: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError)

_STATUS_ERRORS: Final[Mapping[int, type[ApiError]]] = {
    400: ApiRejected,
    401: ApiAuthError,
    403: ApiForbidden,
    404: ApiNotFound,
    409: ApiRejected,
    422: ApiRejected,
    429: ApiRateLimited,
}
# Only for an error envelope on a 2xx answer, where the status says nothing.
_CODE_ERRORS: Final[Mapping[str, type[ApiError]]] = {
    "not_authorized": ApiAuthError,
    "access_denied": ApiForbidden,
    "forbidden": ApiForbidden,
    "forbidden_error": ApiForbidden,
    "object_not_found": ApiNotFound,
    "not_found": ApiNotFound,
}
_HINTS: Final[Mapping[type[ApiError], str]] = {
    ApiAuthError: "check INFOMANIAK_API_TOKEN (a token with the scopes dns:read dns:write)",
    ApiForbidden: "the token lacks a right or scope for this call",
    ApiRateLimited: f"lower {RATE_ENV}, raise {BUDGET_ENV}, or try again later",
    ApiUnavailable: "try again later",
}
_MAY_HAVE_RUN: Final = "the request may have run, check before repeating it"


def may_retry(method: str, exc: httpx.HTTPError) -> bool:
    """Tell whether a failed send may be tried again without risking a double write."""
    if isinstance(exc, NOT_SENT):
        return True
    return method in IDEMPOTENT_METHODS and isinstance(exc, TRANSIENT)


def may_retry_status(method: str, status: int) -> bool:
    """Tell whether an HTTP status is worth another try for this method."""
    # 429 means the call was refused before it ran; a 5xx on a write may come after it ran.
    return status == 429 or (status >= 500 and method in IDEMPOTENT_METHODS)


def retry_after(response: httpx.Response) -> float | None:
    """Return the pause asked by a ``Retry-After`` header (seconds or HTTP date), capped."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def transport_error(
    exc: httpx.HTTPError, *, method: str, path: str, gave_up: str, secret: str, api_url: str
) -> ApiUnavailable:
    """Build the error for an httpx failure; the caller raises it ``from exc``.

    ``gave_up`` says how long the client kept trying (empty when it did not retry); ``api_url`` is the URL in
    use, named so a wrong ``INFOMANIAK_API_URL`` is the first thing the reader checks.
    """
    text = f"the API at {api_url} could not be reached ({type(exc).__name__}: {exc or 'no detail'})"
    if gave_up:
        text += f"; {gave_up}"
    if method not in IDEMPOTENT_METHODS and not isinstance(exc, NOT_SENT):
        text += f"; {_MAY_HAVE_RUN}"
    else:
        text += f"; check {URL_ENV} and the network, or {_HINTS[ApiUnavailable]}"
    return ApiUnavailable(redact(text, secret), method=method, path=path)


def unwrap(
    response: httpx.Response, *, method: str, path: str, secret: str, gave_up: str = ""
) -> dict[str, Any]:
    """Return the success envelope, or raise the typed error for the status and error envelope.

    ``gave_up`` (from the client's retry loop) is added to rate-limit and unavailability errors.
    """
    status = response.status_code
    success = 200 <= status < 300
    if success and not response.content:
        # 204 and empty 200 answers to writes carry no envelope and no data.
        return {"result": "success", "data": None}
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            body = None
    if success and isinstance(body, dict) and body.get("result") in ("success", "asynchronous"):
        return body

    result = body.get("result") if isinstance(body, dict) else None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    description = error.get("description")
    raw_fields = error.get("errors")
    field_errors = (
        [redact_value(e, secret) for e in raw_fields if isinstance(e, dict)]
        if isinstance(raw_fields, list)
        else []
    )

    if result == "error":
        message = description if isinstance(description, str) and description else code or "request failed"
    elif response.content and body is None:
        kind = response.headers.get("Content-Type") or "no content type"
        message = f"the API answered with a non-JSON body ({kind})"
    elif success:
        message = "the API answered without a result envelope"
    else:
        message = "request failed"

    cls = error_class(status, code, envelope_error=result == "error")
    if gave_up and cls in (ApiRateLimited, ApiUnavailable):
        message += f"; {gave_up}"
    if cls is ApiUnavailable and method not in IDEMPOTENT_METHODS:
        message += f"; {_MAY_HAVE_RUN}"
    elif cls in _HINTS:
        message += f"; {_HINTS[cls]}"
    raise cls(
        redact(message, secret),
        method=method,
        path=path,
        status=status,
        code=code or None,
        field_errors=field_errors,
    )


def error_class(status: int, code: str | None, *, envelope_error: bool) -> type[ApiError]:
    """Pick the ``ApiError`` subclass for a failed answer."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= 500:
        return ApiUnavailable
    if status >= 400:
        return ApiRejected
    if envelope_error:
        return _CODE_ERRORS.get(code or "", ApiRejected)
    return ApiError


def redact(text: str, secret: str) -> str:
    """Mask ``secret`` in text that came from the server or from httpx."""
    return text.replace(secret, "***") if secret else text


def redact_value(value: Any, secret: str) -> Any:
    """Mask ``secret`` in every string inside a JSON value."""
    return mask_secrets(value, (secret,), mark="***")


__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_RETRY_AFTER",
    "NOT_SENT",
    "TRANSIENT",
    "error_class",
    "may_retry",
    "may_retry_status",
    "redact",
    "redact_value",
    "retry_after",
    "transport_error",
    "unwrap",
]
