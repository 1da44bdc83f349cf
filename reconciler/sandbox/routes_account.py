"""Account users, teams and tags: ``/2/accounts/{a}/users``, ``/1/accounts/{a}/teams…``, ``…/tags…``.

Shapes follow the official spec (core resources: ``Team``, ``TeamUser``, ``User or pending user``, ``Tag``);
tag writes (POST / PUT / DELETE) are not in the 2025 spec and follow the admin MCP's client code
(``shared/infomaniak-api.md`` §2.2). Scope family: ``accounts`` for every route.

Stored layout (``data/demo_account.json``), keyed by account id as a string::

    "account_users": {"123456": [User or pending user, ...]}   # pending: user_id null, invitation_id set
    "teams":         {"123456": [Team + "user_ids": [int]]}     # members kept as ids, never served as such
    "tags":          {"123456": [Tag]}

Invented where the spec is silent: duplicate names (exact, case sensitive) answer 422
``validation_rule_unique``; unknown user ids in a team-user body answer 422 ``validation_rule_exists``, and
adding a member twice or removing a non-member is no error; ``color_id`` is accepted on team POST / PATCH
although the spec's body omits it (the manager sets a team's colour); a team or tag created without a colour
gets colour 1; ``with=teams`` on the users list adds each user's teams (short team objects); the tag list
ignores pagination parameters (the spec documents none); a tag name has at most
255 characters. The account objects' embedded ``tags`` (served by ``routes_core``) are not kept in step.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiRoute,
    by_id,
    field_error,
    list_response,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
)

TEAM_NAME_MAX = 128
"""``maxLength`` of a team name in the spec's POST / PATCH body."""

TAG_NAME_MAX = 255
"""Not documented; Laravel's default string column length."""

DEFAULT_TAG_COLOR = 1
DEFAULT_TEAM_COLOR = 1

_TEAM_USER_FIELDS = ("display_name", "first_name", "last_name", "email", "is_sso", "last_login_at")


# -- stored collections ---------------------------------------------------------------------------------


def _account_id(request: Request, param: str) -> str:
    """The account of the path, as its storage key; 404 like ``/1/accounts/{id}`` for an unknown one."""
    raw = str(request.path_params[param])
    if not any(str(account["id"]) == raw for account in sandbox_state(request).accounts):
        raise not_found("Account")
    return raw


def _users(state: SandboxState, account: str) -> list[dict[str, Any]]:
    return state.owned("account_users", account)


# -- validation (Laravel style: every problem of the body in one 422) ----------------------------------


def _check_name(body: dict[str, Any], *, required: bool, maximum: int, errors: list[dict[str, Any]]) -> None:
    if "name" not in body or body["name"] is None:
        if required:
            errors.append(field_error("name", "validation_rule_required", "The name field is required."))
        return
    name = body["name"]
    if not isinstance(name, str) or not name.strip():
        errors.append(field_error("name", "validation_rule_string", "The name must be a non-empty string."))
    elif len(name) > maximum:
        errors.append(
            field_error("name", "validation_rule_max", f"The name may not exceed {maximum} characters.")
        )


def _check_int(body: dict[str, Any], field: str, errors: list[dict[str, Any]]) -> None:
    value = body.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(field_error(field, "validation_rule_integer", f"The {field} must be an integer ≥ 0."))


def _check_unique(
    items: list[dict[str, Any]], body: dict[str, Any], errors: list[dict[str, Any]], *, own_id: int | None
) -> None:
    name = body.get("name")
    if isinstance(name, str) and any(i["name"] == name.strip() and i["id"] != own_id for i in items):
        errors.append(field_error("name", "validation_rule_unique", "The name has already been taken."))


def _user_ids(body: dict[str, Any], state: SandboxState, account: str) -> list[int]:
    """``user_ids`` of a team-user body: a non-empty list of active users of the account."""
    raw = body.get("user_ids")
    if not isinstance(raw, list) or not raw:
        raise validation_failed(
            [field_error("user_ids", "validation_rule_required", "The user ids field is required.")]
        )
    known = {u["user_id"] for u in _users(state, account) if u.get("user_id") is not None}
    errors = []
    for index, value in enumerate(raw):
        attribute = f"user_ids.{index}"
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                field_error(attribute, "validation_rule_integer", "Each user id is an integer ≥ 1.")
            )
        elif value not in known:
            errors.append(
                field_error(attribute, "validation_rule_exists", "The selected user id is invalid.")
            )
    if errors:
        raise validation_failed(errors)
    return list(dict.fromkeys(raw))


# -- views ----------------------------------------------------------------------------------------------


def _team_view(team: dict[str, Any]) -> dict[str, Any]:
    view = {key: value for key, value in team.items() if key != "user_ids"}
    view["user_count"] = len(team.get("user_ids", []))
    return view


def _team_summary(team: dict[str, Any]) -> dict[str, Any]:
    """The short team object nested in a team user (spec ``Team_7471c6bd``)."""
    return {
        "id": team["id"],
        "name": team["name"],
        "color_id": team["color_id"],
        "created_at": team["created_at"],
        "updated_at": team["updated_at"],
        "user_count": len(team.get("user_ids", [])),
    }


def _team_user_view(user: dict[str, Any], teams: list[dict[str, Any]]) -> dict[str, Any]:
    view: dict[str, Any] = {"id": user["user_id"]}
    view.update({key: user.get(key) for key in _TEAM_USER_FIELDS})
    view["teams"] = [_team_summary(t) for t in teams if user["user_id"] in t.get("user_ids", [])]
    return view


# -- users ----------------------------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    state = sandbox_state(request)
    users = _users(state, _account_id(request, "account"))
    query = request.query_params
    wanted_state = query.get("filter[state_in_account]")
    if wanted_state:
        users = [u for u in users if u.get("state_in_account") == wanted_state]
    search = query.get("search", "").strip().lower()
    if search:
        users = [u for u in users if search in u["email"].lower() or search in u["display_name"].lower()]
    if "teams" in _with(request):
        teams = state.owned("teams", _account_id(request, "account"))
        users = [{**u, "teams": _user_teams(u, teams)} for u in users]
    return list_response(request, users)


def _with(request: Request) -> set[str]:
    # Lenient on purpose: other `with` values are ignored here, as they were before `teams` was served.
    raw = request.query_params.getlist("with") + request.query_params.getlist("with[]")
    return {value.strip() for item in raw for value in item.split(",")}


def _user_teams(user: dict[str, Any], teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``with=teams`` on the users list: the user's teams as the short team object (a guess: the spec lists
    a ``teams`` field on a user, typed ``string`` like every relation of that schema). A pending user has
    none."""
    user_id = user.get("user_id")
    if user_id is None:
        return []
    return [_team_summary(team) for team in teams if user_id in team.get("user_ids", [])]


# -- teams ----------------------------------------------------------------------------------------------


async def list_teams(request: Request) -> Response:
    state = sandbox_state(request)
    teams = state.owned("teams", _account_id(request, "account"))
    search = request.query_params.get("search", "").strip().lower()
    selected = [t for t in teams if search in t["name"].lower()] if search else teams
    return list_response(request, [_team_view(t) for t in selected])


async def create_team(request: Request) -> Response:
    state = sandbox_state(request)
    account = _account_id(request, "account")
    teams = state.owned("teams", account)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    _check_name(body, required=True, maximum=TEAM_NAME_MAX, errors=errors)
    for field in ("color_id", "owned_by_id"):
        _check_int(body, field, errors)
    _check_unique(teams, body, errors, own_id=None)
    if errors:
        raise validation_failed(errors)
    now = state.tick()
    team = {
        "id": state.new_id(),
        "name": body["name"].strip(),
        "color_id": body.get("color_id", DEFAULT_TEAM_COLOR),
        "owned_by_id": body.get("owned_by_id"),
        "created_by_id": state.profile.get("id"),
        "created_at": now,
        "updated_at": now,
        "product_count": 0,
        "product_by_service_count": 0,
        "is_sso": False,
        "permissions": [],
        "user_ids": [],
    }
    teams.append(team)
    return success(_team_view(team), status=201)


async def show_team(request: Request) -> Response:
    state = sandbox_state(request)
    teams = state.owned("teams", _account_id(request, "account"))
    return success(_team_view(by_id(teams, request.path_params["team"], "Team")))


async def update_team(request: Request) -> Response:
    state = sandbox_state(request)
    teams = state.owned("teams", _account_id(request, "account"))
    team = by_id(teams, request.path_params["team"], "Team")
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    _check_name(body, required=False, maximum=TEAM_NAME_MAX, errors=errors)
    for field in ("color_id", "owned_by_id"):
        _check_int(body, field, errors)
    _check_unique(teams, body, errors, own_id=team["id"])
    if errors:
        raise validation_failed(errors)
    if body.get("name") is not None:
        team["name"] = body["name"].strip()
    for field in ("color_id", "owned_by_id"):
        if body.get(field) is not None:
            team[field] = body[field]
    team["updated_at"] = state.tick()
    return success(_team_view(team))


async def delete_team(request: Request) -> Response:
    state = sandbox_state(request)
    teams = state.owned("teams", _account_id(request, "account"))
    teams.remove(by_id(teams, request.path_params["team"], "Team"))
    return success(True)


async def team_users(request: Request) -> Response:
    state = sandbox_state(request)
    account = _account_id(request, "account")
    teams = state.owned("teams", account)
    team = by_id(teams, request.path_params["team"], "Team")
    if request.method == "GET":
        members = [u for u in _users(state, account) if u.get("user_id") in team["user_ids"]]
        return list_response(request, [_team_user_view(u, teams) for u in members])
    ids = _user_ids(await read_body(request), state, account)
    if request.method == "POST":
        # Adding a member twice is not an error: the set of members is what counts.
        team["user_ids"].extend(i for i in ids if i not in team["user_ids"])
    else:
        team["user_ids"] = [i for i in team["user_ids"] if i not in ids]
    team["updated_at"] = state.tick()
    return success(True, status=201 if request.method == "POST" else 200)


# -- tags -----------------------------------------------------------------------------------------------


async def list_tags(request: Request) -> Response:
    # The spec documents no pagination for this list: the whole list, whatever the query says.
    state = sandbox_state(request)
    return success(list(state.owned("tags", _account_id(request, "account_id"))))


def _tag_errors(tags: list[dict[str, Any]], body: dict[str, Any], *, own_id: int | None) -> None:
    errors: list[dict[str, Any]] = []
    _check_name(body, required=own_id is None, maximum=TAG_NAME_MAX, errors=errors)
    _check_int(body, "color", errors)
    _check_unique(tags, body, errors, own_id=own_id)
    if errors:
        raise validation_failed(errors)


async def create_tag(request: Request) -> Response:
    state = sandbox_state(request)
    tags = state.owned("tags", _account_id(request, "account_id"))
    body = await read_body(request)
    _tag_errors(tags, body, own_id=None)
    tag = {
        "id": state.new_id(),
        "name": body["name"].strip(),
        "color": body.get("color", DEFAULT_TAG_COLOR),
        "product_count": 0,
    }
    tags.append(tag)
    return success(tag, status=201)


async def update_tag(request: Request) -> Response:
    state = sandbox_state(request)
    tags = state.owned("tags", _account_id(request, "account_id"))
    tag = by_id(tags, request.path_params["tag"], "Tag")
    body = await read_body(request)
    _tag_errors(tags, body, own_id=tag["id"])
    if body.get("name") is not None:
        tag["name"] = body["name"].strip()
    if body.get("color") is not None:
        tag["color"] = body["color"]
    return success(tag)


async def delete_tag(request: Request) -> Response:
    state = sandbox_state(request)
    tags = state.owned("tags", _account_id(request, "account_id"))
    tags.remove(by_id(tags, request.path_params["tag"], "Tag"))
    return success(True)


ROUTES = [
    ApiRoute("/2/accounts/{account}/users", list_users, scope="accounts"),
    ApiRoute("/1/accounts/{account}/teams", list_teams, scope="accounts"),
    ApiRoute("/1/accounts/{account}/teams", create_team, methods=("POST",), scope="accounts"),
    ApiRoute("/1/accounts/{account}/teams/{team}", show_team, scope="accounts"),
    ApiRoute("/1/accounts/{account}/teams/{team}", update_team, methods=("PATCH",), scope="accounts"),
    ApiRoute("/1/accounts/{account}/teams/{team}", delete_team, methods=("DELETE",), scope="accounts"),
    ApiRoute(
        "/1/accounts/{account}/teams/{team}/users",
        team_users,
        methods=("GET", "POST", "DELETE"),
        scope="accounts",
    ),
    ApiRoute("/1/accounts/{account_id}/tags", list_tags, scope="accounts"),
    ApiRoute("/1/accounts/{account_id}/tags", create_tag, methods=("POST",), scope="accounts"),
    ApiRoute("/1/accounts/{account_id}/tags/{tag}", update_tag, methods=("PUT",), scope="accounts"),
    ApiRoute("/1/accounts/{account_id}/tags/{tag}", delete_tag, methods=("DELETE",), scope="accounts"),
]
