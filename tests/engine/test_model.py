from __future__ import annotations

from reconciler.engine.model import Change, change_title, scope_title


def test_a_kind_with_one_scope_is_titled_by_its_name_alone() -> None:
    # `teams/teams` said the same word twice; the kind's name is the scope (account/teams.yaml).
    assert scope_title("teams", "teams") == "teams"
    assert scope_title("tags", "tags") == "tags"
    assert change_title("teams", "teams", "Support") == "teams: Support"
    assert scope_title("dns", "example.ch") == "dns/example.ch"
    assert change_title("share_links", "Demo Drive", "/a.pdf") == "share_links/Demo Drive: /a.pdf"


def test_only_the_title_is_shortened_the_address_and_hash_form_keep_kind_and_scope() -> None:
    change = Change(
        kind="teams", scope="teams", key=["Support"], display_key="Support", action="create", after={"x": 1}
    )
    assert change.label == "create teams: Support"
    assert change.address == "teams/teams/Support"  # what rules match, journal and audit carry
    assert change.hash_form()["scope"] == "teams"
    assert (change.model_dump()["kind"], change.model_dump()["scope"]) == ("teams", "teams")  # plan JSON
