"""engine/planner: target parsing is where every front's scope names are checked."""

from __future__ import annotations

import pytest

from reconciler.engine import parse_targets
from reconciler.engine.planner import Target
from reconciler.errors import SettingsError


def test_targets_name_a_kind_and_a_normalised_scope() -> None:
    assert parse_targets(["dns/Example.CH.", "tags"]) == [Target("dns", "example.ch"), Target("tags")]


@pytest.mark.parametrize("target", ["dns/example.ch?x=1", "dns/example.ch#x", "mail/a%2fb", "dns/a\x00b"])
def test_a_scope_with_url_syntax_or_control_characters_is_refused(target: str) -> None:
    with pytest.raises(SettingsError, match="scope"):
        parse_targets([target])
