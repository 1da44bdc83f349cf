"""Infomaniak HTTP client: auth, envelope, pagination, rate limit, retries and typed errors."""

from __future__ import annotations

from reconciler.api.client import DEFAULT_BASE_URL, REQUIRED_SCOPES, InfomaniakClient
from reconciler.api.ratelimit import SlidingWindowLimiter, shared_limiter

__all__ = [
    "DEFAULT_BASE_URL",
    "REQUIRED_SCOPES",
    "InfomaniakClient",
    "SlidingWindowLimiter",
    "shared_limiter",
]
