"""Account teams and their members, one file: ``state/account/teams.yaml`` (scope ``teams``).

The file maps a team name to ``color`` and ``members`` (user emails). The diff works on two resource types
with two kinds of key: the team ``(team,)`` and one membership ``(team, "member", email)``. So adding one
member is one change of its own (one ``POST …/users``), never an update of the whole team, and a review
sees exactly who gains or loses a team's access.

Modules: ``spec`` (names, keys, the file's model, parsing and edits), ``team`` (teams live and their
writes), ``members`` (memberships live, the email → user id lookup and their writes), ``kind`` (the
:class:`TeamsKind` the engine uses, registered as :data:`KIND`).
"""

from __future__ import annotations

from reconciler.kinds.teams.kind import KIND, TeamsKind
from reconciler.kinds.teams.spec import (
    Membership,
    Team,
    TeamEntry,
    normalize_email,
    normalize_team_name,
)
from reconciler.kinds.teams.team import from_api, to_api

__all__ = [
    "KIND",
    "Membership",
    "Team",
    "TeamEntry",
    "TeamsKind",
    "from_api",
    "normalize_email",
    "normalize_team_name",
    "to_api",
]
