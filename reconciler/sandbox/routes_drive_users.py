"""Writes of a kDrive's users: ``POST /2/drive/{drive_id}/users``, ``PUT|DELETE …/users/{user_id}``.

The list (``GET /2/drive/{drive_id}/users``) is ``routes_inventory``'s, which serves the stored list
``inventory.drive_users.<drive id>`` (``data/demo_inventory.json``); these routes change that same list, so a
write reads back there.

Invented where the spec is silent (docs/api-fidelity.md): an invited email becomes a user with ``status``
``pending`` at once (the real API answers with an invitation until the person accepts); an email already on
the drive, a role outside the spec's enum, or ``PUT`` of a role on an external user answers 422
``validation_failed``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiRoute,
    field_error,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_PATH = "/2/drive/{drive_id:int}/users"


def _users(request: Request) -> tuple[SandboxState, list[dict[str, Any]]]:
    state = sandbox_state(request)
    stored: dict[str, list[dict[str, Any]]] = state.data.setdefault("inventory", {}).setdefault(
        "drive_users", {}
    )
    drive = str(request.path_params["drive_id"])
    if drive not in stored:
        raise not_found("Drive")
    return state, stored[drive]


def _user(request: Request) -> tuple[SandboxState, list[dict[str, Any]], dict[str, Any]]:
    state, users = _users(request)
    wanted = str(request.path_params["user_id"])
    for user in users:
        if str(user["id"]) == wanted:
            return state, users, user
    raise not_found("DriveUser")


async def invite_users(request: Request) -> Response:
    state, users = _users(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    role = body.get("role")
    if role not in ("admin", "external", "user"):
        errors.append(field_error("role", "validation_rule_in", "The role must be admin, external or user."))
    raw = body.get("emails")
    emails: list[str] = []
    if not isinstance(raw, list) or not raw or len(raw) > 100:
        errors.append(field_error("emails", "validation_rule_between", "Give 1 to 100 emails."))
    else:
        known = {str(u["email"]).lower() for u in users}
        for index, item in enumerate(raw):
            email = item.strip().lower() if isinstance(item, str) else ""
            if not _EMAIL.fullmatch(email):
                errors.append(
                    field_error(f"emails.{index}", "validation_rule_email", "Must be an email address.")
                )
            elif email in known:
                errors.append(
                    field_error(f"emails.{index}", "validation_rule_unique", f"{email} is already a user.")
                )
            else:
                emails.append(email)
    if errors:
        raise validation_failed(errors)
    template = users[0] if users else {}
    created = []
    for email in emails:
        now = state.tick()
        user = {
            **{
                k: v
                for k, v in template.items()
                if k in ("drive_id", "drive_name", "account_id", "product_id")
            },
            "id": state.new_id(),
            "display_name": email,
            "first_name": "",
            "last_name": "",
            "email": email,
            "is_sso": False,
            "avatar": "",
            "type": "shared" if role == "external" else "main",
            "deleted_at": 0,
            "created_at": now,
            "updated_at": now,
            "last_connection_at": 0,
            "status": "pending",
            "role": role,
            "preference": {
                "color": "#0098ff",
                "default": False,
                "default_page": "files",
                "hide": False,
                "ui": {
                    "rag_ocr_promotion": False,
                    "storage_limit_alert": False,
                    "storage_warning_alert": False,
                },
            },
        }
        users.append(user)
        created.append({"user": user})
    return success(created)


async def update_user(request: Request) -> Response:
    state, _, user = _user(request)
    body = await read_body(request)
    role = body.get("role")
    if role is not None and role not in ("admin", "user"):
        raise validation_failed(
            [field_error("role", "validation_rule_in", "The role must be admin or user.")]
        )
    if role is not None and user.get("role") == "external":
        raise validation_failed(
            [field_error("role", "validation_rule_prohibited", "An external user's role cannot be changed.")]
        )
    if role is not None:
        user["role"] = role
    if isinstance(body.get("name"), str):
        user["display_name"] = body["name"]
    user["updated_at"] = state.tick()
    return success(True)


async def delete_user(request: Request) -> Response:
    _, users, user = _user(request)
    users.remove(user)
    return success(True)


ROUTES = [
    ApiRoute(_PATH, invite_users, methods=("POST",), scope="drive"),
    ApiRoute(f"{_PATH}/{{user_id}}", update_user, methods=("PUT",), scope="drive"),
    ApiRoute(f"{_PATH}/{{user_id}}", delete_user, methods=("DELETE",), scope="drive"),
]
