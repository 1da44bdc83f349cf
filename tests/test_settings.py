"""Run settings from arguments and the environment: validation of the rate, the URL and the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.api import REQUIRED_SCOPES
from reconciler.errors import SettingsError
from reconciler.settings import load_settings


def test_rate_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(env={"INFOMANIAK_RATE_LIMIT": "30"}, cwd=tmp_path)
    assert settings.requests_per_minute == 30.0
    assert load_settings(env={}, cwd=tmp_path).requests_per_minute == 60.0


@pytest.mark.parametrize("value", ["fast", "nan", "inf", "-1"])
def test_a_rate_that_is_not_a_count_per_minute_is_a_settings_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="INFOMANIAK_RATE_LIMIT"):
        load_settings(env={"INFOMANIAK_RATE_LIMIT": value}, cwd=tmp_path)


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://127.0.0.1"])
def test_plain_http_is_refused_off_the_loopback(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="INFOMANIAK_API_URL"):
        load_settings(env={"INFOMANIAK_API_URL": url}, cwd=tmp_path)


def test_missing_token_names_the_variable_and_every_scope(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env={}, cwd=tmp_path).require_token()
    assert "INFOMANIAK_API_TOKEN" in str(caught.value)
    assert f"with the scopes {REQUIRED_SCOPES} " in str(caught.value)


def settings_from(tmp_path: Path, **env: str):
    return load_settings(env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work"), **env}, cwd=tmp_path)


def test_defaults(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.requests_per_minute == 60.0
    assert settings.retry_budget == 300.0
    assert settings.page_size == 1000


def test_values_from_the_environment(tmp_path):
    settings = settings_from(
        tmp_path, INFOMANIAK_RATE_LIMIT="40", INFOMANIAK_RETRY_BUDGET="90.5", INFOMANIAK_PAGE_SIZE="200"
    )
    assert (settings.requests_per_minute, settings.retry_budget, settings.page_size) == (40.0, 90.5, 200)
    assert settings_from(tmp_path, INFOMANIAK_RATE_LIMIT="0").requests_per_minute == 0  # limiter off


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INFOMANIAK_RATE_LIMIT", "fast"),
        ("INFOMANIAK_RATE_LIMIT", "0.5"),
        ("INFOMANIAK_RATE_LIMIT", "-3"),
        ("INFOMANIAK_RATE_LIMIT", "inf"),
        ("INFOMANIAK_RETRY_BUDGET", "nan"),
        ("INFOMANIAK_RETRY_BUDGET", "-1"),
        ("INFOMANIAK_PAGE_SIZE", "0"),
        ("INFOMANIAK_PAGE_SIZE", "12.5"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        settings_from(tmp_path, **{name: value})


@pytest.mark.parametrize(
    "url", ["https://user:pw@127.0.0.1:9", "https://pw@api.infomaniak.com", "http://127.0.0.1@evil.example"]
)
def test_user_info_in_the_url_is_refused_without_echoing_it(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"INFOMANIAK_API_URL": url}, cwd=tmp_path)
    message = str(caught.value)
    assert "INFOMANIAK_API_TOKEN" in message and "user name or password" in message
    assert "pw" not in message and "user" not in message.replace("user name", "")
    assert "127.0.0.1@" not in message


@pytest.mark.parametrize("placeholder", ["${INFOMANIAK_API_TOKEN}", "$INFOMANIAK_API_TOKEN", " ${TOKEN} "])
def test_an_unexpanded_mcp_json_placeholder_is_named_as_such(tmp_path: Path, placeholder: str) -> None:
    # The MCP Inspector passes .mcp.json's "${INFOMANIAK_API_TOKEN}" on as written (before: an API 401).
    settings = load_settings(env={"INFOMANIAK_API_TOKEN": placeholder}, cwd=tmp_path)
    with pytest.raises(SettingsError) as caught:
        settings.require_token()
    message = str(caught.value)
    assert "is an unexpanded placeholder (a $VARIABLE reference), not a token" in message
    assert '-e INFOMANIAK_API_TOKEN="$INFOMANIAK_API_TOKEN"' in message


def test_a_token_with_a_dollar_inside_is_a_token(tmp_path: Path) -> None:
    settings = load_settings(env={"INFOMANIAK_API_TOKEN": "abc$def"}, cwd=tmp_path)
    assert settings.require_token() == "abc$def"


@pytest.mark.parametrize("value", ["0", "2.5"])
def test_a_page_size_below_one_or_fractional_says_how_to_get_the_default(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"INFOMANIAK_PAGE_SIZE": value}, cwd=tmp_path)
    assert str(caught.value) == (
        f"INFOMANIAK_PAGE_SIZE={value!r} must be a whole number of items, at least 1\n"
        "  unset it to use the default (1000)"
    )


@pytest.mark.parametrize("inside", ["", "sub"])
def test_a_work_directory_that_is_a_file_is_a_settings_error(tmp_path: Path, inside: str) -> None:
    # Before: a FileExistsError / NotADirectoryError traceback at the first write (sandbox, audit log).
    (tmp_path / "afile").write_text("", encoding="utf-8")
    home = tmp_path / "afile" / inside if inside else tmp_path / "afile"
    with pytest.raises(SettingsError) as caught:
        load_settings(env={"INFOMANIAK_GITOPS_HOME": str(home)}, cwd=tmp_path)
    assert str(caught.value) == (
        f"INFOMANIAK_GITOPS_HOME={str(home)!r}: {tmp_path / 'afile'} is a file, not a folder\n"
        "  point INFOMANIAK_GITOPS_HOME at a folder, or unset it (default: ./.infomaniak-gitops)"
    )
