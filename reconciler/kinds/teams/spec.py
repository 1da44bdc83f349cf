"""The teams file, ``state/account/teams.yaml``: names, keys, the entry model, parsing and in-place edits.

The file maps a team name to ``color`` and ``members`` (user emails); it yields two kinds of object:

* ``(team,)`` — the team itself; its content is ``{"color": int}``;
* ``(team, "member", email)`` — one membership, with no content: it exists or not.

Team names compare exactly (case and inner spaces count, surrounding spaces do not), like the manager shows
them; emails compare lowercased.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError

from reconciler.kinds.base import DesiredObject, DocumentSource, Key, LiveObject, SpecModel
from reconciler.kinds.live import note_of, split_noted, with_notes
from reconciler.kinds.mapping_file import OneFile, editable, entries, find_key, mapping_schema, name_key

KIND_NAME = "teams"
DIRECTORY = "account"
SCOPE = "teams"
"""The only scope: the account's teams live in one file, ``account/teams.yaml``."""
FILES = OneFile(DIRECTORY, SCOPE)

MEMBER = "member"
"""Middle part of a membership key, ``(team, "member", email)``."""

NAME_MAX = 128
"""The API's ``maxLength`` for a team name."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MEMBER_KEY = re.compile(rf"(?P<team>.+) {MEMBER} (?P<email>\S+@\S+)")


def normalize_email(raw: str) -> str:
    """An email as compared and shown: trimmed and lowercased; ValueError when it is not an address."""
    email = raw.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError(f"{raw!r} is not an email address")
    return email


def normalize_team_name(raw: object) -> str:
    """A team name as compared and shown: surrounding spaces dropped, case and inner spaces kept."""
    return name_key(raw, what="a team name", max_length=NAME_MAX)


def _check_email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except ValueError as exc:
        raise PydanticCustomError("email", "{reason}", {"reason": str(exc)}) from None


Email = Annotated[str, AfterValidator(_check_email)]
Color = Annotated[int, Strict(), Field(ge=0)]


class TeamEntry(SpecModel):
    """One team of ``teams.yaml``; the mapping key is the team's name."""

    color: Color = Field(
        description="Colour of the team: the number the API calls `color_id` (an index into the manager's "
        "palette, whose names the API does not publish). `import` writes the current ones."
    )
    members: list[Email] = Field(
        default_factory=list,
        description="Emails of the account users in the team; order does not matter. Absent or empty: "
        "the team has no members (live members are removed).",
    )


class Team(SpecModel):
    """A team in canonical form, without its members (each membership is an object of its own)."""

    color: Color


class Membership(SpecModel):
    """One user in one team: nothing to compare beyond the key."""


# -- keys --------------------------------------------------------------------------------------------------


def team_key(name: str) -> Key:
    return (name,)


def member_key(team: str, email: str) -> Key:
    return (team, MEMBER, email)


def is_member_key(key: Key) -> bool:
    return len(key) == 3 and key[1] == MEMBER


def parse_key(text: str) -> Key:
    """``Support`` → a team key; ``Support member a@example.ch`` → a membership key."""
    match = _MEMBER_KEY.fullmatch(text.strip())
    if match is not None:
        return member_key(normalize_team_name(match["team"]), normalize_email(match["email"]))
    return team_key(normalize_team_name(text))


def format_key(key: Key) -> str:
    return f"{key[0]} {MEMBER} {key[2]}" if is_member_key(key) else key[0]


# -- the file ----------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource) -> list[DesiredObject]:
    """One object per team, then one per member; a member listed twice is an error at its line."""
    objects: list[DesiredObject] = []
    for item in entries(
        document,
        source,
        normalize_team_name,
        not_a_mapping="teams.yaml maps team names to teams",
        document_rule="teams-document",
        key_rule="teams-name",
    ):
        name, path = item.key, item.path
        entry = source.validate(TeamEntry, item.value, path)
        if not isinstance(entry, TeamEntry):
            continue
        objects.append(DesiredObject(team_key(name), Team(color=entry.color), source.locate(path)))
        seen: set[str] = set()
        for index, email in enumerate(entry.members):
            where = (*path, "members", index)
            if email in seen:
                source.error(where, f"{email} is listed twice in {name}", rule="teams-duplicate-member")
                continue
            seen.add(email)
            objects.append(DesiredObject(member_key(name, email), Membership(), source.locate(where)))
    return objects


def file_schema() -> dict[str, Any]:
    return mapping_schema(
        TeamEntry,
        title="Account teams (state/account/teams.yaml)",
        description="Team names mapped to their colour and members. See docs/format-account.md.",
        property_names={"minLength": 1, "maxLength": NAME_MAX},
    )


def render_file(objects: Iterable[DesiredObject | LiveObject]) -> dict[str, Any]:
    """The file of ``objects``: teams by name, each with its sorted members.

    A live team or membership with a note (a value the file rules refuse) is left out, with the note as a
    comment; so are the members of a team left out, which the file could not hold without it.
    """
    kept, left_out = split_noted(objects, format_key)
    dropped = {obj.key[0] for obj in objects if not is_member_key(obj.key) and note_of(obj)}
    teams: dict[str, dict[str, Any]] = {}
    members: dict[str, list[str]] = {}
    for obj in kept:
        if obj.key[0] in dropped:
            left_out.append(f"{format_key(obj.key)} is not written: its team is not")
            continue
        if is_member_key(obj.key):
            members.setdefault(obj.key[0], []).append(obj.key[2])
        elif isinstance(obj.spec, Team):
            teams[obj.key[0]] = {"color": obj.spec.color}
    document: dict[str, Any] = {}
    for name in sorted(set(teams) | set(members)):
        entry = dict(teams.get(name, {}))
        if members.get(name):
            entry["members"] = sorted(members[name])
        document[name] = entry
    return with_notes(document, left_out)


def upsert_entry(document: Any, key: Key, entry: Any) -> Any:
    """A team key takes a whole entry (``{color, members}``); a member key adds the email to its team."""
    document = editable(document, "teams.yaml is not a mapping of team names to teams")
    found = find_key(document, key[0], normalize_team_name)
    if not is_member_key(key):
        if not isinstance(entry, Mapping):
            raise ValueError("a team entry is a mapping with color and members")
        document[key[0] if found is None else found] = entry
        return document
    if found is None:
        raise ValueError(f"team {key[0]!r} is not in the file; add the team first")
    team = document[found]
    if not isinstance(team, MutableMapping):
        raise ValueError(f"team {key[0]!r} is not a mapping")
    listed = team.get("members")
    if not isinstance(listed, list):
        team["members"] = [key[2]]
    elif not any(_same_email(item, key[2]) for item in listed):
        listed.append(key[2])
    return document


def remove_entry(document: Any, key: Key) -> bool:
    """Remove a team (with its members) or one member; False when it is not in the file."""
    if not isinstance(document, MutableMapping):
        return False
    found = find_key(document, key[0], normalize_team_name)
    if found is None:
        return False
    if not is_member_key(key):
        del document[found]
        return True
    listed = document[found].get("members") if isinstance(document[found], Mapping) else None
    if not isinstance(listed, list):
        return False
    for index, item in enumerate(listed):
        if _same_email(item, key[2]):
            del listed[index]
            return True
    return False


def _same_email(item: Any, email: str) -> bool:
    return isinstance(item, str) and item.strip().lower() == email
