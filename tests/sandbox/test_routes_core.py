"""Core routes: accounts, products (plural and legacy singular), profile."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_accounts_list_and_detail(client):
    accounts = (await client.get("/1/accounts")).json()["data"]
    assert [(a["id"], a["name"]) for a in accounts] == [(123456, "Demo Agency Sàrl")]
    detail = (await client.get("/1/accounts/123456")).json()["data"]
    assert detail == accounts[0]


@pytest.mark.parametrize("account", ["999", "abc"])
async def test_unknown_account_is_404(client, account):
    response = await client.get(f"/1/accounts/{account}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "object_not_found"


async def test_products_filters(client):
    domains = (
        await client.get("/1/products", params={"account_id": 123456, "service_name": "domain"})
    ).json()
    assert [p["customer_name"] for p in domains["data"]] == ["example.ch", "demo-shop.ch"]
    assert {p["service_id"] for p in domains["data"]} == {14}
    mail = (await client.get("/1/products", params={"service_name": "email_hosting"})).json()["data"]
    assert [(p["service_id"], p["customer_name"]) for p in mail] == [(23, "example.ch")]
    drive = (await client.get("/1/products", params={"service_id": 40})).json()["data"]
    assert [p["customer_name"] for p in drive] == ["Demo Drive"]
    none = (await client.get("/1/products", params={"account_id": 1})).json()
    assert none == {"result": "success", "data": []}


async def test_legacy_singular_product_matches_customer_name_exactly(client):
    params = {"service_name": "domain", "customer_name": "example.ch"}
    found = (await client.get("/1/product", params=params)).json()["data"]
    assert [p["id"] for p in found] == [1600101]
    params["customer_name"] = "www.example.ch"
    assert (await client.get("/1/product", params=params)).json()["data"] == []


async def test_account_products(client):
    products = (await client.get("/1/accounts/123456/products")).json()["data"]
    assert len(products) == 10  # 4 in the DNS, mail and drive demos, 6 read by the inventory kinds


async def test_profile(client):
    profile = (await client.get("/2/profile")).json()["data"]
    assert profile["email"] == "admin@example.ch"
    assert {"id", "display_name", "first_name", "last_name", "is_sso", "login"} <= set(profile)
