"""Envelope helpers: Retry-After parsing, class choice, retry rules and redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reconciler.api import responses
from reconciler.errors import ApiError, ApiForbidden, ApiNotFound, ApiRejected, ApiUnavailable


def with_retry_after(value: str) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("99999", responses.MAX_RETRY_AFTER),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(value, expected):
    assert responses.retry_after(with_retry_after(value)) == expected


def test_retry_after_absent():
    assert responses.retry_after(httpx.Response(429)) is None


def test_retry_after_http_date():
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert responses.retry_after(with_retry_after(past)) == 0.0
    future = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert responses.retry_after(with_retry_after(future)) == responses.MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ("status", "code", "envelope_error", "cls"),
    [
        (200, "object_not_found", True, ApiNotFound),
        (200, "forbidden_error", True, ApiForbidden),
        (200, "anything_else", True, ApiRejected),
        (200, None, False, ApiError),
        (302, None, False, ApiError),
        (418, "teapot", True, ApiRejected),
        (504, None, False, ApiUnavailable),
    ],
)
def test_error_class(status, code, envelope_error, cls):
    assert responses.error_class(status, code, envelope_error=envelope_error) is cls


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        ("GET", 503, True),
        ("PUT", 500, True),
        ("DELETE", 502, True),
        ("POST", 500, False),
        ("PATCH", 503, False),
        ("POST", 429, True),
        ("PATCH", 429, True),
        ("GET", 404, False),
    ],
)
def test_may_retry_status(method, status, expected):
    assert responses.may_retry_status(method, status) is expected


def test_redact_value_masks_nested_strings():
    value = {"a": ["x SECRET y", {"b": "SECRET"}], "n": 3}
    assert responses.redact_value(value, "SECRET") == {"a": ["x *** y", {"b": "***"}], "n": 3}
    assert responses.redact("text", "") == "text"
