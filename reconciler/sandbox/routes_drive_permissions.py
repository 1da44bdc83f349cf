"""kDrive accesses of files (``kdrive.json``: ``/2/drive/{d}/files/{f}/access[/users|/teams]``).

Scope family ``drive``. The drive's users are the inventory's ``drive_users`` list (served by
routes_inventory.py, written by routes_drive_users.py); accesses are stored per drive and file in
``drive_file_access``::

    "drive_file_access": {"140946": {"10": {"users": {"5000103": "manage"}, "teams": {"81002": "write"}}}}

The simulator keeps the accesses given to a file itself; the real API may list inherited ones too.
``GET …/access`` answers the users, teams and invitations of a file at once (the spec's ``FileAccess``); the
simulator has no external invitations, so ``invitations`` is always empty, and ``parent_access`` (only with
``with=parent_access`` in the real API, a guess) is never served.
Invented where nothing documents the real behaviour: ``PUT``/``DELETE`` of an access the file does not have
answer 404 ``object_not_found``; an unknown user or team id in a ``POST`` gets ``result: false``; a body field
the route does not know answers 422 ``validation_failed``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import drive_files as store
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiError,
    ApiRoute,
    field_error,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
)

RIGHTS = ("manage", "none", "read", "write")


def _drive(request: Request) -> tuple[SandboxState, dict[str, Any]]:
    state = sandbox_state(request)
    return state, store.drive(state, str(request.path_params["drive_id"]))


def _users(state: SandboxState, drive_id: int) -> list[dict[str, Any]]:
    stored: dict[str, Any] = state.data.setdefault("inventory", {}).setdefault("drive_users", {})
    users: list[dict[str, Any]] = stored.setdefault(str(drive_id), [])
    return users


def _user(state: SandboxState, drive_id: int, raw: Any) -> dict[str, Any]:
    for row in _users(state, drive_id):
        if str(row["id"]) == str(raw) and not str(row.get("status", "")).startswith("deleted"):
            return row
    raise not_found("DriveUser")


def _teams(state: SandboxState, drive: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(t["id"]): t for t in state.data.get("teams", {}).get(str(drive["account_id"]), [])}


def _body(raw: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    errors = [
        field_error(name, "validation_rule_required", f"The {name} field is required.")
        for name in required
        if name not in raw
    ]
    errors += [
        field_error(name, "validation_rule_prohibited", f"The {name} field is prohibited.")
        for name in sorted(set(raw) - set(allowed))
    ]
    if "right" in raw and raw["right"] not in RIGHTS:
        errors.append(
            field_error("right", "validation_rule_in", "The selected right is invalid.", values=RIGHTS)
        )
    if errors:
        raise validation_failed(errors)
    return raw


# -- accesses -----------------------------------------------------------------------------------------------


def _accesses(state: SandboxState, drive_id: int) -> dict[str, dict[str, dict[str, str]]]:
    stored: dict[str, Any] = state.data.setdefault("drive_file_access", {})
    found: dict[str, dict[str, dict[str, str]]] = stored.setdefault(str(drive_id), {})
    return found


def _file_access(request: Request) -> tuple[SandboxState, dict[str, Any], dict[str, dict[str, str]]]:
    """The state, the drive, and the stored accesses (users and teams) of the file."""
    state, drive = _drive(request)
    drive_id = int(drive["id"])
    item = store.node(state, drive_id, int(request.path_params["file_id"]))
    if store.trashed(item):
        raise not_found("File")
    return state, drive, _accesses(state, drive_id).setdefault(str(item["id"]), {})


def _file(request: Request) -> tuple[SandboxState, dict[str, Any], dict[str, str], str]:
    """The state, the drive, and the stored accesses of one kind (users or teams) of the file."""
    state, drive, access = _file_access(request)
    who = "users" if "/access/users" in request.url.path else "teams"
    return state, drive, access.setdefault(who, {}), who


def _view(state: SandboxState, drive: dict[str, Any], who: str, raw_id: str, right: str) -> dict[str, Any]:
    if who == "users":
        user = _user(state, int(drive["id"]), raw_id)
        name, color = str(user.get("display_name", "")), None
    else:
        team = _teams(state, drive).get(int(raw_id), {})
        name, color = str(team.get("name", "")), team.get("color_id")
    access = "user" if who == "users" else "team"
    return {
        "id": int(raw_id),
        "access": access,
        "name": name,
        "right": right,
        "color": color,
        "status": "accepted",
    }


def _rows(
    state: SandboxState, drive: dict[str, Any], granted: dict[str, str], who: str
) -> list[dict[str, Any]]:
    if who == "users":  # a user removed from the drive loses their accesses with it
        members = {str(u["id"]) for u in _users(state, int(drive["id"]))}
        for raw in [raw for raw in granted if raw not in members]:
            del granted[raw]
    return [_view(state, drive, who, raw, right) for raw, right in sorted(granted.items())]


async def list_access(request: Request) -> Response:
    state, drive, granted, who = _file(request)
    return success(_rows(state, drive, granted, who))


async def file_access(request: Request) -> Response:
    """``GET …/access``: the lists of ``…/access/users`` and ``…/access/teams`` in one answer."""
    state, drive, access = _file_access(request)
    found = {who: _rows(state, drive, access.setdefault(who, {}), who) for who in ("users", "teams")}
    return success({**found, "invitations": []})


async def add_access(request: Request) -> Response:
    state, drive, granted, who = _file(request)
    ids_field = "user_ids" if who == "users" else "team_ids"
    body = _body(
        await read_body(request),
        ("message", "right", ids_field),
        ("right", ids_field) if who == "users" else ("right",),
    )
    ids = body.get(ids_field) or []
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise validation_failed(
            [field_error(ids_field, "validation_rule_array", f"The {ids_field} must be an array of ids.")]
        )
    known = (
        {
            int(u["id"])
            for u in _users(state, int(drive["id"]))
            if not str(u.get("status", "")).startswith("deleted")
        }
        if who == "users"
        else set(_teams(state, drive))
    )
    results = []
    for raw in ids:
        if raw not in known:
            results.append({"id": raw, "result": False, "access": None, "message": "Unknown identifier"})
            continue
        granted[str(raw)] = body["right"]
        results.append(
            {
                "id": raw,
                "result": True,
                "access": _view(state, drive, who, str(raw), body["right"]),
                "message": "",
            }
        )
    return success(results, status=201)


def _granted(request: Request, granted: dict[str, str], who: str) -> str:
    raw = str(request.path_params["user_id" if who == "users" else "team_id"])
    if raw not in granted:
        raise not_found("FileAccess")
    return raw


async def update_access(request: Request) -> Response:
    _, _, granted, who = _file(request)
    body = _body(await read_body(request), ("right",), ("right",))
    granted[_granted(request, granted, who)] = body["right"]
    return success(True)


async def remove_access(request: Request) -> Response:
    state, drive, granted, who = _file(request)
    if who == "users" and not any(
        str(u["id"]) == str(request.path_params["user_id"]) for u in _users(state, int(drive["id"]))
    ):
        raise ApiError(400, "user_not_associated_with_drive", "The user is not associated with the drive")
    del granted[_granted(request, granted, who)]
    return success(True)


_ACCESS = "/2/drive/{drive_id:int}/files/{file_id:int}/access"

ROUTES = [
    ApiRoute(_ACCESS, file_access, methods=("GET",), scope="drive"),
    ApiRoute(f"{_ACCESS}/users", list_access, methods=("GET",), scope="drive"),
    ApiRoute(f"{_ACCESS}/users", add_access, methods=("POST",), scope="drive"),
    ApiRoute(f"{_ACCESS}/users/{{user_id:int}}", update_access, methods=("PUT",), scope="drive"),
    ApiRoute(f"{_ACCESS}/users/{{user_id:int}}", remove_access, methods=("DELETE",), scope="drive"),
    ApiRoute(f"{_ACCESS}/teams", list_access, methods=("GET",), scope="drive"),
    ApiRoute(f"{_ACCESS}/teams", add_access, methods=("POST",), scope="drive"),
    ApiRoute(f"{_ACCESS}/teams/{{team_id:int}}", update_access, methods=("PUT",), scope="drive"),
    ApiRoute(f"{_ACCESS}/teams/{{team_id:int}}", remove_access, methods=("DELETE",), scope="drive"),
]
