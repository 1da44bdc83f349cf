"""api/paths: a name is always exactly one URL path segment; odd scopes are refused before any request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.api.paths import check_scope, segment
from reconciler.errors import SettingsError


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("example.ch", "example.ch"),
        ("example.ch?x=1", "example.ch%3Fx%3D1"),
        ("a/../b", "a%2F..%2Fb"),
        ("info#frag", "info%23frag"),
        ("100%", "100%25"),
        ("Demo Drive", "Demo%20Drive"),
        ("café", "caf%C3%A9"),
        (123456, "123456"),
    ],
)
def test_segment_encodes_everything_but_unreserved_characters(name: object, encoded: str) -> None:
    assert segment(name) == encoded


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_segment_refuses_names_that_are_path_steps(name: str) -> None:
    with pytest.raises(ValueError, match="cannot be a path segment"):
        segment(name)


@given(st.text(min_size=1, max_size=30).filter(lambda text: text not in (".", "..")))
def test_segment_never_contains_url_syntax(name: str) -> None:
    encoded = segment(name)
    assert not set(encoded) & set("/?#") and encoded.isascii()


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("example.ch?x=1", "contains '?'"),
        ("example.ch#top", "contains '#'"),
        ("example%2ech", "contains '%'"),
        ("a/b", "is a path"),
        ("example.ch\tx", "control characters"),
        ("example.ch\nx", "control characters"),
        ("exam\u200dple.ch", "invisible"),
        (" example.ch", "spaces at its edges"),
        ("Demo  Drive", "doubled"),
        ("", "empty scope"),
        ("a" * 254, "limit is 253"),
    ],
)
def test_check_scope_refuses_url_syntax_and_control_characters(scope: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        check_scope(scope)


@pytest.mark.parametrize("scope", ["example.ch", "Demo Drive", "xn--strae-oqa.ch", "tags"])
def test_check_scope_keeps_plain_names(scope: str) -> None:
    assert check_scope(scope) == scope
