"""Helpers shared by the simulator tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.applications import Starlette

from reconciler.sandbox import SANDBOX_TOKEN

BASE_URL = "https://api.infomaniak.com"
# Copies of the official export kept in the repository (their source: tests/fixtures/openapi/README.md).
OPENAPI_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"


def client_for(app: Starlette, token: str | None = SANDBOX_TOKEN) -> httpx.AsyncClient:
    """An in-process client for ``app``, sending ``token`` as Bearer (None: no Authorization header)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers)


def field_errors(response: httpx.Response) -> list[tuple[str, str]]:
    """``(attribute, code)`` of each error of a 422 ``validation_failed`` answer."""
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    return [(e["context"]["attribute"], e["code"]) for e in body["errors"]]


# -- the official OpenAPI documents ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenApi:
    """One official OpenAPI document, loaded in a JSON Schema registry under ``uri``."""

    uri: str
    registry: Registry


def read_openapi(name: str) -> dict[str, Any]:
    """The official document ``name`` (``kdrive.json``) from the repository's fixtures."""
    path = OPENAPI_DIR / name
    if not path.is_file():
        pytest.fail(f"the official OpenAPI file {path} is missing (see tests/fixtures/openapi/README.md)")
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def load_openapi(name: str, document: dict[str, Any]) -> OpenApi:
    """``document`` (read by :func:`read_openapi`, then repaired) ready to validate against."""
    uri = f"urn:infomaniak:{Path(name).stem}"
    return OpenApi(uri, Registry().with_resource(uri, DRAFT202012.create_resource(document)))


def validate(openapi: OpenApi, path: str, method: str, status: int, body: Any) -> None:
    """``body`` against the documented JSON answer of ``method path`` with ``status``."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/{method}/responses/{status}/content/application~1json/schema"
    Draft202012Validator({"$ref": f"{openapi.uri}#{quote(pointer)}"}, registry=openapi.registry).validate(
        body
    )


def validate_schema(openapi: OpenApi, name: str, value: Any) -> None:
    """``value`` against the document's component schema ``name``."""
    schema = {"$ref": f"{openapi.uri}#/components/schemas/{name}"}
    Draft202012Validator(schema, registry=openapi.registry).validate(value)


def repair_nullables(node: Any) -> None:
    """In place: ``nullable: true`` → a type that accepts null; ``properties: []`` → ``{}``."""
    if isinstance(node, dict):
        if node.get("properties") == []:
            node["properties"] = {}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        for value in node.values():
            repair_nullables(value)
    elif isinstance(node, list):
        for value in node:
            repair_nullables(value)
