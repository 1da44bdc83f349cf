"""Rules of infomaniak.yaml: which addresses protect, ignore, no_prune and allow match."""

from __future__ import annotations

from reconciler.desired.config import AccountConfig


def test_rules_that_keep_things_match_without_case_and_allow_matches_exactly() -> None:
    # Written when drive scopes were lowercased: it must still protect the drive spelled as the account does.
    config = AccountConfig(
        protect=["share_links/demo drive//Finance/*"],
        ignore=["share_links/demo drive//Press/*"],
        no_prune=["share_links/demo drive"],
        allow=["domains/example.ch/dnssec"],
    )
    assert config.is_protected("share_links/Demo Drive//Finance/q3-report.xlsx")
    assert not config.is_protected("share_links/Demo Drive//Marketing/logo.png")
    assert config.is_ignored("share_links/Demo Drive//Press/kit.zip")
    assert not config.prunes("share_links", "Demo Drive")
    assert config.prunes("share_links", "Other Drive")
    # allow loosens a guard: only the exact spelling counts
    assert config.is_allowed("domains/example.ch/dnssec")
    assert not config.is_allowed("domains/Example.ch/dnssec")
