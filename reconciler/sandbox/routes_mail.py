"""Mail hostings and mailbox settings: ``/1/mail_hostings…`` (shared/infomaniak-api.md §2.8, §3.8).

Shapes: mailbox objects follow the 2025 spec's ``Mailbox`` (``mail.json``), where sender lists are objects
``{"email", "locked"}``; ``GET /1/mail_hostings`` and the mailbox ``PATCH`` are missing from the 2025 spec
and follow the 2024 spec and the admin MCP's client (which PATCHes plain string lists). Scope family:
``mail``.

Stored layout (``data/demo_mail.json``)::

    "mail_hostings": [mail hosting object, ...]              # served as is by /1/mail_hostings
    "mailboxes":     {"<hosting id>": [mailbox, ...]}        # only the fields that differ from _DEFAULTS
    "mail_settings": {"sender_list_form": "objects"}         # or "strings": serve sender lists as strings

In a stored mailbox a sender is ``"addr"`` or ``{"email": "addr", "locked": bool}``.

Invented where nothing documents the real behaviour: ``locked`` is served as the string ``"1"``/``"0"`` (the
spec types it as a string); a locked sender survives a PATCH that leaves it out (it is set at the hosting
level); a sender in both lists, a malformed sender and a field the PATCH does not know all answer 422
``validation_failed`` (the real API probably ignores unknown fields; refusing them catches client typos).
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiRoute,
    field_error,
    list_response,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
    with_values,
)

MAILBOX_WITH = ("aliases", "size", "size_refresh", "users", "invitations", "permissions")
FOLDER_MAX = 255

_SENDER = re.compile(r"(?:[^@\s]+@)?[^@\s.]+(?:\.[^@\s.]+)+")
_SENDER_LISTS = ("authorized_senders", "blocked_senders")
_FLAGS = ("has_move_spam", "has_mail_filtering", "has_responder")
_FOLDERS = ("mail_filtering_folder_commercials", "mail_filtering_folder_social_networks")
_TEXTS = ("full_name", "note")
PATCHABLE = frozenset({*_SENDER_LISTS, *_FLAGS, *_FOLDERS, *_TEXTS, "password"})
"""PATCH body fields (2024 spec / admin MCP)."""

_PERMISSIONS = {
    "has_technical_right": True,
    "can_manage_aliases": True,
    "can_manage_redirections": True,
    "can_manage_filters": True,
    "can_manage_security": True,
    "can_manage_signatures": True,
    "can_manage_auto_reply": True,
    "can_change_password": True,
    "can_configure_mail_folders": True,
    "can_restore_emails": True,
    "can_manage_rules": True,
    "can_access_logs": True,
    "is_linked_to_user": "0",  # a string in the 2025 spec, like is_used_for_account
}

# A mailbox as served, in the spec's key order; a stored mailbox only overrides what differs.
_DEFAULTS: dict[str, Any] = {
    "users": [],
    "invitations": [],
    "mailbox_name": "",
    "mailbox": "",
    "mailbox_idn": "",
    "note": None,
    "type": None,
    "count_signatures": 0,
    "count_invitations": 0,
    "is_limited": False,
    "is_free_mail": False,
    "has_auto_responder": False,
    "auto_responder": {"is_active": False},
    "has_redirection": False,
    "redirection": [],
    "aliases": [],
    "full_aliases": [],
    "created_at": 1700000000,
    "password_last_changed_at": 1700000000,
    "size": 0,
    "size_checked_at": 1767225600,
    "imap_last_login_at": 1767225600,
    "pop3_last_login_at": 0,
    "operation_in_progress": False,
    "has_move_spam": True,
    "authorized_senders": [],
    "blocked_senders": [],
    "has_dkim_signature": True,
    "is_dkim_updatable": False,
    "has_mail_filtering": False,
    "mail_filtering_folder_commercials": "Commercial",
    "mail_filtering_folder_social_networks": "Social",
    "is_auth": False,
    "is_removable": True,
    "permissions": _PERMISSIONS,
    "mailbox_id": 0,
    "is_used_for_account": "0",
    "external_mail_flag_enabled": None,
    "smtpban_bounce": "",
    "smtpban_auth": "",
    "smtpban_url": None,
    "private": {},
    "count_devices": 0,
    "has_legacy_device": False,
    "has_multi_password": False,
    "access_rights": {
        "can_create_webmail_access": True,
        "can_create_device": True,
        "can_delete_device_legacy": True,
        "can_regenerate_device_legacy": True,
    },
}
_PRIVATE = ("password_hash",)


# -- stored collections -------------------------------------------------------------------------------------


def _hostings(state: SandboxState) -> list[dict[str, Any]]:
    hostings: list[dict[str, Any]] = state.data.setdefault("mail_hostings", [])
    return hostings


def _hosting(request: Request) -> tuple[SandboxState, dict[str, Any]]:
    state = sandbox_state(request)
    raw = str(request.path_params["mail_hosting_id"])
    for hosting in _hostings(state):
        if str(hosting["id"]) == raw:
            return state, hosting
    raise not_found("MailHosting")


def _mailboxes(state: SandboxState, hosting: dict[str, Any]) -> list[dict[str, Any]]:
    return state.owned("mailboxes", hosting["id"])


def _mailbox(request: Request) -> tuple[SandboxState, dict[str, Any], dict[str, Any]]:
    state, hosting = _hosting(request)
    name = str(request.path_params["mailbox_name"]).strip().lower()
    for mailbox in _mailboxes(state, hosting):
        if mailbox["mailbox_name"] == name:
            return state, hosting, mailbox
    raise not_found("Mailbox")


def _stored_senders(raw: list[Any]) -> list[dict[str, Any]]:
    """A stored list in its canonical form: ``[{"email", "locked": bool}]``."""
    return [
        {"email": item, "locked": False}
        if isinstance(item, str)
        else {"email": item["email"], "locked": bool(item.get("locked"))}
        for item in raw
    ]


# -- views --------------------------------------------------------------------------------------------------


def _sender_form(state: SandboxState) -> str:
    settings: dict[str, Any] = state.data.get("mail_settings") or {}
    return str(settings.get("sender_list_form", "objects"))


def _view(state: SandboxState, hosting: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(_DEFAULTS)
    view.update({k: copy.deepcopy(v) for k, v in stored.items() if k not in _PRIVATE})
    domain = str(hosting.get("main_fqdn") or hosting["customer_name"])
    view["mailbox"] = view["mailbox_idn"] = f"{view['mailbox_name']}@{domain}"
    view["full_aliases"] = [f"{alias}@{domain}" for alias in view["aliases"]]
    for field in _SENDER_LISTS:
        senders = _stored_senders(view[field])
        if _sender_form(state) == "strings":
            view[field] = [s["email"] for s in senders]
        else:
            view[field] = [{"email": s["email"], "locked": "1" if s["locked"] else "0"} for s in senders]
    return view


# -- handlers -----------------------------------------------------------------------------------------------


async def list_hostings(request: Request) -> Response:
    hostings = _hostings(sandbox_state(request))
    wanted = request.query_params.get("account_id")
    if wanted:
        hostings = [h for h in hostings if str(h.get("account_id")) == wanted]
    return list_response(request, hostings)


async def show_hosting(request: Request) -> Response:
    return success(_hosting(request)[1])


async def list_mailboxes(request: Request) -> Response:
    with_values(request, MAILBOX_WITH)
    state, hosting = _hosting(request)
    views = [
        _view(state, hosting, m) for m in sorted(_mailboxes(state, hosting), key=lambda m: m["mailbox_name"])
    ]
    search = request.query_params.get("search", "").strip().lower()
    if search:
        views = [v for v in views if search in v["mailbox"]]
    return list_response(request, views)


async def show_mailbox(request: Request) -> Response:
    with_values(request, MAILBOX_WITH)
    state, hosting, mailbox = _mailbox(request)
    return success(_view(state, hosting, mailbox))


def _parse_senders(field: str, raw: Any, errors: list[dict[str, Any]]) -> list[str] | None:
    if not isinstance(raw, list):
        errors.append(field_error(field, "validation_rule_array", f"The {field} must be an array."))
        return None
    senders: list[str] = []
    for index, item in enumerate(raw):
        # Accepted as strings (what clients send) or as the objects the API serves.
        email = item.get("email") if isinstance(item, dict) else item
        if not isinstance(email, str) or not _SENDER.fullmatch(email.strip().lower().removeprefix("@")):
            errors.append(
                field_error(
                    f"{field}.{index}", "validation_rule_email", "Must be an email address or domain."
                )
            )
            continue
        value = email.strip().lower().removeprefix("@")
        if value not in senders:
            senders.append(value)
    return senders


def _validate_patch(body: dict[str, Any], mailbox: dict[str, Any]) -> dict[str, Any]:
    """The updates of a PATCH body; every problem of the body in one 422 (Laravel style)."""
    errors: list[dict[str, Any]] = []
    updates: dict[str, Any] = {}
    for field in sorted(set(body) - PATCHABLE):
        errors.append(field_error(field, "validation_rule_prohibited", f"The {field} field is not accepted."))
    for field in _SENDER_LISTS:
        if field in body:
            senders = _parse_senders(field, body[field], errors)
            if senders is not None:
                # Locked entries are set at the hosting level: a PATCH cannot remove them.
                locked = [s for s in _stored_senders(mailbox.get(field, [])) if s["locked"]]
                emails = {s["email"] for s in locked}
                updates[field] = locked + [{"email": s, "locked": False} for s in senders if s not in emails]
    for field in _FLAGS:
        if field in body:
            value = body[field]
            if value in ("1", "true", 1):
                value = True
            elif value in ("0", "false", 0):
                value = False
            if not isinstance(value, bool):
                errors.append(
                    field_error(field, "validation_rule_boolean", f"The {field} must be true or false.")
                )
            else:
                updates["has_auto_responder" if field == "has_responder" else field] = value
    for field in _FOLDERS:
        if field in body:
            value = body[field]
            if not isinstance(value, str) or not value.strip() or len(value) > FOLDER_MAX:
                errors.append(
                    field_error(
                        field, "validation_rule_string", f"The {field} must be 1-{FOLDER_MAX} characters."
                    )
                )
            else:
                updates[field] = value.strip()
    for field in _TEXTS:
        if field in body:
            updates[field] = None if body[field] is None else str(body[field])
    if "password" in body:
        # Never stored in clear: the sandbox file is written to disk.
        updates["password_hash"] = hashlib.sha256(str(body["password"]).encode()).hexdigest()
    authorized = {
        s["email"]
        for s in _stored_senders(updates.get("authorized_senders", mailbox.get("authorized_senders", [])))
    }
    blocked = {
        s["email"]
        for s in _stored_senders(updates.get("blocked_senders", mailbox.get("blocked_senders", [])))
    }
    for sender in sorted(authorized & blocked):
        errors.append(
            field_error(
                "blocked_senders",
                "validation_rule_distinct",
                f"{sender} cannot be both authorized and blocked.",
            )
        )
    if errors:
        raise validation_failed(errors)
    return updates


async def patch_mailbox(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    updates = _validate_patch(await read_body(request), mailbox)
    mailbox.update(updates)
    return success(True)


ROUTES = [
    ApiRoute("/1/mail_hostings", list_hostings, scope="mail"),
    ApiRoute("/1/mail_hostings/{mail_hosting_id}", show_hosting, scope="mail"),
    ApiRoute("/1/mail_hostings/{mail_hosting_id}/mailboxes", list_mailboxes, scope="mail"),
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}",
        show_mailbox,
        methods=("GET",),
        scope="mail",
    ),
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}",
        patch_mailbox,
        methods=("PATCH",),
        scope="mail",
    ),
]
