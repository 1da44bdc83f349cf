"""The catalogue: names, parents, columns, and the fidelity labels checked against the official files."""

from __future__ import annotations

import json
import re

import pytest

from reconciler.errors import SettingsError
from reconciler.inventory import CATALOGUE, find_read_kind, get_read_kind
from reconciler.inventory.render import catalogue_rows, render_catalogue
from reconciler.kinds import all_kinds
from tests.sandbox.helpers import OPENAPI_DIR


def _spec_get_paths() -> set[str]:
    paths: set[str] = set()
    for file in OPENAPI_DIR.glob("*.json"):
        document = json.loads(file.read_text(encoding="utf-8"))
        paths |= {path for path, item in document["paths"].items() if "get" in item}
    return paths


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_names_are_unique_and_apart_from_the_managed_kinds() -> None:
    names = [kind.name for kind in CATALOGUE]
    assert len(names) == len(set(names))
    managed = {name for kind in all_kinds() for name in (kind.name, kind.directory)}
    assert managed.isdisjoint(names)


def test_every_parent_is_in_the_catalogue_and_comes_first() -> None:
    seen: set[str] = set()
    for kind in CATALOGUE:
        if kind.parent is not None:
            assert kind.parent in seen, f"{kind.name}: parent {kind.parent} must be listed before it"
        seen.add(kind.name)


def test_spec_sources_are_in_the_official_files_and_others_are_not() -> None:
    if not OPENAPI_DIR.is_dir():
        pytest.fail(f"the official OpenAPI files are missing from {OPENAPI_DIR}")
    documented = {_shape(path) for path in _spec_get_paths()}
    for kind in CATALOGUE:
        shape = _shape(kind.path)
        if kind.source == "spec":
            assert shape in documented, f"{kind.name}: {kind.path} is marked spec but is not in the files"
            assert kind.verified
        else:
            assert not kind.verified
            if kind.name not in ("kchats", "web_hostings"):  # product lists filtered by an unlisted service
                assert shape not in documented or kind.details, f"{kind.name} is documented: mark it spec"


def test_columns_drop_working_fields_and_add_derived_ones() -> None:
    domains = get_read_kind("registered_domains")
    assert domains.columns == (
        "name", "id", "expires_at", "renewal_warranty",
        "expires_in_days", "transfer_lock", "nameservers", "dnssec",
    )  # fmt: skip
    assert domains.key_column == "name"


def test_lookup_errors_name_the_known_kinds() -> None:
    assert find_read_kind("nope") is None
    with pytest.raises(SettingsError, match="unknown inventory kind 'nope'; known: accounts, products"):
        get_read_kind("nope")


def test_catalogue_lists_managed_then_read_only_kinds_and_marks_unverified() -> None:
    rows = catalogue_rows()
    assert [r["kind"] for r in rows[: len(all_kinds())]] == [k.name for k in all_kinds()]
    web = {r["kind"]: r for r in catalogue_rows("web")}
    assert set(web) == {
        "web_hostings", "web_sites", "ssl_certificates", "web_databases", "web_database_users", "web_users"
    }  # fmt: skip
    assert web["web_sites"]["source"] == "third-party (unverified)"
    text = render_catalogue("kchat")
    assert "kchat_channels (kchat) [scope: a row of kchat_teams]: name, id, display_name" in text
    assert json.loads(render_catalogue("ai", fmt="json"))[0]["kind"] == "ai_products"
