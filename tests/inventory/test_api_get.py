"""The read-only GET hatch: each path and parameter guard, the cap and its note, errors kept typed."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import ApiNotFound, SettingsError
from reconciler.inventory import api_get, check_api_path, check_params
from reconciler.sandbox import SandboxState
from tests.kinds.helpers import context

pytestmark = pytest.mark.anyio


def test_plain_paths_pass() -> None:
    assert check_api_path(" /1/products ") == "/1/products"
    assert check_api_path("/2/zones/example.ch/records") == "/2/zones/example.ch/records"
    assert check_api_path("/3/drive/140946/files/links") == "/3/drive/140946/files/links"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/4/products", "must start with /1/, /2/ or /3/"),
        ("https://evil.example/1/x", "must start with /1/, /2/ or /3/"),
        ("1/products", "must start with /1/, /2/ or /3/"),
        ("/1/../proxy/1/vps", "'..' segment"),
        ("/1/./products", "'..' segment"),
        ("/1//products", "empty, '.' or '..' segment"),
        ("/1/products?account_id=1", "has a query string"),
        ("/1/products#x", "has a query string"),
        ("/1/%2e%2e/proxy", "'%' (a percent-escape in a URL)"),
        ("/1/prod\\ucts", "is refused"),
        ("/1/pro\u200bducts", "invisible ones"),
        ("/1/pro ducts", "characters outside"),
        ("/1/" + "a" * 600, "the limit is 500"),
    ],
)
def test_path_guards(path: str, message: str) -> None:
    with pytest.raises(
        SettingsError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
    ):
        check_api_path(path)


def test_params_guards() -> None:
    assert check_params({"per_page": 10, "with": "records", "x": True}) == {
        "per_page": "10",
        "with": "records",
        "x": "true",
    }
    with pytest.raises(SettingsError, match="not a plain name"):
        check_params({"a b": "1"})
    with pytest.raises(SettingsError, match="must be a string or a number, got list"):
        check_params({"ids": [1, 2]})
    with pytest.raises(SettingsError, match="control characters"):
        check_params({"search": "a\nb"})
    with pytest.raises(SettingsError, match="the limit is 30"):
        check_params({f"p{i}": i for i in range(31)})


async def test_get_returns_the_whole_envelope_when_small() -> None:
    ctx, recorder = context(SandboxState.demo())
    result = await api_get(ctx, "/1/products", {"service_name": "domain", "page": 1})
    body = json.loads(result.text)
    assert result.note is None
    assert (body["total"], [p["customer_name"] for p in body["data"]]) == (2, ["example.ch", "demo-shop.ch"])
    assert [(m, p) for m, p, _ in recorder.calls] == [("GET", "/1/products")]


async def test_a_large_list_is_cut_to_whole_items_with_a_note() -> None:
    ctx, _ = context(SandboxState.demo())
    result = await api_get(ctx, "/1/products", max_chars=2_000)
    body = json.loads(result.text)
    assert len(result.text) <= 2_000 and 0 < len(body["data"]) < 10
    assert result.note == (
        f"showing {len(body['data'])} of 10 items of data (answer cut at 2000 characters); "
        "narrow with params such as page/per_page, search or a filter"
    )


async def test_an_object_too_large_is_cut_with_a_note() -> None:
    ctx, _ = context(SandboxState.demo())
    result = await api_get(ctx, "/2/profile", max_chars=50)
    assert len(result.text) == 50 and result.note is not None and "ask for a narrower path" in result.note


async def test_api_errors_stay_typed() -> None:
    ctx, _ = context(SandboxState.demo())
    with pytest.raises(ApiNotFound):
        await api_get(ctx, "/1/nothing/here")
