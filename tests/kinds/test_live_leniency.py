"""Whatever the live account holds, fetch → plan → import → plan never raises, and plans to zero (issue 16).

For each kind, live objects are built from arbitrary values the API's schema allows (any target string for a
record type, odd hex, unknown enum values, missing optional fields, extra fields) and served by a fake client
at the kind's real paths. Each example then goes through the real fetch, the real diff against an empty
file (nothing the tool could not read is deleted), the real import (render, dump, load and validate as a
desired file), and the diff again, which must be empty. Examples are few and small to keep the suite fast.
"""

from __future__ import annotations

import string
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired import dump_yaml, load_config, load_desired
from reconciler.engine.diff import diff_scope
from reconciler.engine.model import Change
from reconciler.kinds import get_kind
from reconciler.kinds.base import Kind, LiveObject, RunContext
from reconciler.kinds.dns.records import SUPPORTED_TYPES
from tests.kinds.helpers import ACCOUNT, write_state

BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FakeClient:
    """Answers GETs at the paths the kinds read (pages and cursors already resolved); refuses writes."""

    def __init__(self, answers: Mapping[str, Any]) -> None:
        self.answers = dict(answers)

    def _answer(self, path: str) -> Any:
        if path not in self.answers:
            raise AssertionError(f"unexpected GET {path}")
        return self.answers[path]

    async def get_all(self, path: str, *, params: Any = None) -> list[Any]:
        return list(self._answer(path))

    async def get_all_cursor(self, path: str, *, params: Any = None, limit: int | None = None) -> list[Any]:
        return list(self._answer(path))

    async def get(self, path: str, *, params: Any = None) -> Any:
        return self._answer(path)


def only_unifies_ttls(change: Change) -> bool:
    """A live DNS set whose values carry different TTLs: a zone file has one TTL per set, so the plan after
    an import gives them all the set's TTL (docs/format-dns.md); nothing else may remain."""
    return change.action == "update" and [field.path for field in change.fields] == ["ttl_per_value"]


def round_trip(
    kind: Kind,
    scope: str,
    answers: Mapping[str, Any],
    *,
    expected: Callable[[Change], bool] = lambda _: False,
) -> list[LiveObject]:
    """fetch → plan → import → plan; returns the live objects for extra checks."""
    with tempfile.TemporaryDirectory() as folder:
        root = write_state(Path(folder) / "state", {})
        ctx = RunContext(client=FakeClient(answers), account_id=ACCOUNT, state_dir=root)  # type: ignore[arg-type]
        live = anyio.run(kind.fetch, ctx, scope)
        config = load_config(root)
        file = kind.path_for(root, scope)
        # Plan against a file that lists nothing: what the tool could not read is never deleted.
        changes, _ = diff_scope(kind, scope, str(file), [], live, config)
        deleted = {tuple(change.key) for change in changes if change.action == "delete"}
        assert not deleted & {obj.key for obj in live if obj.note}
        # Import: the document is written and loads as a valid desired file.
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(dump_yaml(kind.render(live, scope)), encoding="utf-8")
        desired = load_desired(root, [kind])
        objects = [obj for item in desired.scopes for obj in item.objects]
        changes, _ = diff_scope(kind, scope, str(file), objects, live, config)
        again = [change for change in changes if not expected(change)]
        assert again == [], [f"{c.action} {c.display_key}: {c.before} -> {c.after}" for c in again]
    return live


# -- shared value strategies ------------------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
odd_text = text | st.sampled_from(["", " ", "a b", "-", "..", "x" * 300, "é", "\u200d", "\x00", "@", "a@b"])
extra_fields = st.dictionaries(
    st.sampled_from(["extra", "flags", "new_field"]), st.integers() | text, max_size=2
)
ints = st.integers(-5, 70_000)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field that may be missing (None here; dropped from the row)."""
    return st.none() | value


def row_of(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


# -- dns --------------------------------------------------------------------------------------------------

hexdigits = st.text("0123456789abcdefABCDEF ", min_size=0, max_size=20)
targets = {
    "A": st.ip_addresses(v=4).map(str) | odd_text,
    "AAAA": st.ip_addresses(v=6).map(str) | odd_text,
    "DS": st.builds(lambda a, b, c, d: f"{a} {b} {c} {d}", ints, ints, ints, hexdigits) | odd_text,
    "MX": st.builds(lambda p, h: f"{p} {h}", ints, st.sampled_from(["mx.example.net", ".", "", "a b"])),
    "TXT": odd_text.map(lambda t: f'"{t}"') | odd_text | st.just('"caf\\195\\169"') | st.just('"\\255"'),
}
dns_row = st.tuples(
    st.sampled_from([*SUPPORTED_TYPES, "SOA", "XYZ"]),
    st.sampled_from([".", "www", "_dmarc", "_imap._tcp", "*", "straße", "bad name", "a..b", ""]),
    st.integers(0, 200_000) | st.none(),
    st.data(),
)


@BOUNDED
@given(st.lists(dns_row, max_size=6), st.data())
def test_dns_live_values_always_round_trip(rows: list[Any], data: st.DataObject) -> None:
    api_rows = []
    for index, (rtype, source, ttl, _) in enumerate(rows):
        target = data.draw(targets.get(rtype, odd_text))
        api_rows.append(
            row_of(id=index + 1, source=source, type=rtype, ttl=ttl, target=target, **data.draw(extra_fields))
        )
    round_trip(
        get_kind("dns"), "example.ch", {"/2/zones/example.ch/records": api_rows}, expected=only_unifies_ttls
    )


def test_dns_the_odd_ds_digest_is_a_fixed_example() -> None:
    rows = [
        {
            "id": 1,
            "source": "sub",
            "type": "DS",
            "ttl": 3600,
            "target": "2371 15 1 23711321F987CC6583E92DF0890718C42",
        }
    ]
    [live] = round_trip(get_kind("dns"), "example.ch", {"/2/zones/example.ch/records": rows})
    assert live.note is not None


# -- tags -------------------------------------------------------------------------------------------------

tag_rows = st.lists(
    st.fixed_dictionaries(
        {"name": odd_text, "color": ints | st.just(None) | text},
        optional={"product_count": maybe(ints), "extra": text},
    ),
    max_size=5,
    unique_by=lambda row: str(row["name"]).strip(),
)


@BOUNDED
@given(tag_rows)
def test_tags_live_values_always_round_trip(rows: list[dict[str, Any]]) -> None:
    listed = [{"id": index + 1, **row} for index, row in enumerate(rows)]
    round_trip(get_kind("tags"), "tags", {f"/1/accounts/{ACCOUNT}/tags": listed})


# -- teams ------------------------------------------------------------------------------------------------

emails = st.emails().map(str) | odd_text
team_rows = st.lists(
    st.tuples(
        st.fixed_dictionaries({"name": odd_text, "color_id": ints | st.just(None)}, optional={"extra": text}),
        st.lists(emails, max_size=3, unique_by=lambda email: email.strip().lower()),
    ),
    max_size=4,
    unique_by=lambda pair: str(pair[0]["name"]).strip(),
)


@BOUNDED
@given(team_rows)
def test_teams_live_values_always_round_trip(teams: list[Any]) -> None:
    answers: dict[str, Any] = {}
    listed = []
    for index, (row, users) in enumerate(teams):
        team = {"id": index + 1, **row, "user_count": len(users)}
        listed.append(team)
        answers[f"/1/accounts/{ACCOUNT}/teams/{index + 1}/users"] = [
            {"id": 100 + n, "email": email} for n, email in enumerate(users)
        ]
    answers[f"/1/accounts/{ACCOUNT}/teams"] = listed
    # The users list with `with=teams`, which the kind reads first: one row per user, with their teams.
    users_by_email: dict[str, dict[str, Any]] = {}
    for index, (_, users) in enumerate(teams):
        for email in users:
            found = users_by_email.setdefault(
                email.strip().lower(), {"user_id": 100 + len(users_by_email), "email": email, "teams": []}
            )
            found["teams"].append({"id": index + 1})
    answers[f"/2/accounts/{ACCOUNT}/users"] = list(users_by_email.values())
    round_trip(get_kind("teams"), "teams", answers)


# -- mailbox_security -------------------------------------------------------------------------------------

senders = st.lists(
    st.emails().map(str) | odd_text | st.fixed_dictionaries({"email": text, "locked": st.booleans() | text}),
    max_size=3,
)
mailbox_rows = st.lists(
    st.fixed_dictionaries(
        {
            "mailbox_name": st.from_regex(r"[a-z][a-z0-9.]{0,8}", fullmatch=True) | odd_text,
            "authorized_senders": senders,
            "blocked_senders": senders,
            "has_move_spam": st.booleans() | st.none(),
            "has_mail_filtering": st.booleans() | st.none(),
        },
        optional={
            "mail_filtering_folder_commercials": odd_text,
            "mail_filtering_folder_social_networks": odd_text,
            "extra": text,
        },
    ),
    max_size=3,
    unique_by=lambda row: str(row["mailbox_name"]).strip().lower(),
)


@BOUNDED
@given(mailbox_rows)
def test_mailbox_security_live_values_always_round_trip(rows: list[dict[str, Any]]) -> None:
    answers = {
        "/1/products": [{"id": 7, "customer_name": "example.ch", "service_name": "email_hosting"}],
        "/1/mail_hostings/7/mailboxes": rows,
    }
    round_trip(get_kind("mailbox_security"), "example.ch", answers)


# -- share_links ------------------------------------------------------------------------------------------

links = st.fixed_dictionaries(
    {"right": st.sampled_from(["public", "password", "inherit", "team", "domain"]) | text},
    optional={
        "capabilities": st.dictionaries(
            st.sampled_from(["can_download", "can_edit", "can_see_info", "can_comment", "new_one"]),
            st.booleans(),
            max_size=3,
        ),
        "valid_until": st.none() | st.integers(0, 4_000_000_000) | text,
        "extra": text,
    },
)
link_rows = st.lists(
    st.tuples(st.text(string.ascii_letters + "/. é", max_size=12).map(lambda p: "/" + p) | odd_text, links),
    max_size=4,
    unique_by=lambda pair: pair[0],
)


@BOUNDED
@given(link_rows)
def test_share_links_live_values_always_round_trip(rows: list[Any]) -> None:
    listed = [
        {"id": 10 + index, "path": path, "type": "file", "status": None, "sharelink": link}
        for index, (path, link) in enumerate(rows)
    ]
    answers = {
        "/2/drive": [{"id": 5, "name": "Demo Drive"}],
        "/3/drive/5/files/links": listed,
    }
    round_trip(get_kind("share_links"), "demo drive", answers)


@pytest.mark.parametrize("kind", ["dns", "tags", "teams", "mailbox_security", "share_links"])
def test_every_kind_has_a_property_test(kind: str) -> None:
    assert f"test_{kind}_live_values_always_round_trip" in globals()


# -- fixed examples: the note reaches the import's comment ------------------------------------------------


def _imported_text(kind_name: str, scope: str, answers: Mapping[str, Any]) -> tuple[list[LiveObject], str]:
    kind = get_kind(kind_name)
    live = round_trip(kind, scope, answers)
    return live, dump_yaml(kind.render(live, scope))


def test_a_tag_colour_the_file_refuses_is_noted_and_commented() -> None:
    rows = [{"id": 1, "name": "Blue", "color": "blue"}, {"id": 2, "name": "Red", "color": 3}]
    live, text = _imported_text("tags", "tags", {f"/1/accounts/{ACCOUNT}/tags": rows})
    assert [obj.key for obj in live if obj.note] == [("Blue",)]
    assert text.startswith("# Blue is not written (kept as the API gave it): color: ")
    assert "Red:\n  color: 3\n" in text


def test_an_unknown_share_link_right_is_noted_and_commented() -> None:
    listed = [{"id": 10, "path": "/a.pdf", "type": "file", "sharelink": {"right": "team"}}]
    answers = {"/2/drive": [{"id": 5, "name": "Demo Drive"}], "/3/drive/5/files/links": listed}
    live, text = _imported_text("share_links", "demo drive", answers)
    assert live[0].note is not None and "right" in live[0].note
    assert text.startswith("# /a.pdf is not written (kept as the API gave it): right: ")


def test_a_sender_both_authorized_and_blocked_is_noted_and_commented() -> None:
    row = {
        "mailbox_name": "info",
        "authorized_senders": ["news@example.net"],
        "blocked_senders": ["NEWS@example.net"],
        "has_move_spam": True,
        "has_mail_filtering": False,
    }
    answers = {
        "/1/products": [{"id": 7, "customer_name": "example.ch", "service_name": "email_hosting"}],
        "/1/mail_hostings/7/mailboxes": [row],
    }
    _, text = _imported_text("mailbox_security", "example.ch", answers)
    assert text.startswith("# info@example.ch is not written (kept as the API gave it): senders listed twice")
