"""Service-level settings of a mail hosting: ``PATCH /1/mail_hostings/{id}/preferences`` (``mail.json``).

The ``GET`` is ``routes_inventory``'s, which serves the stored object ``inventory.mail_preferences.<hosting
id>`` (``data/demo_inventory.json``); this PATCH changes that same object, so a write reads back there.

Invented where the spec is silent (docs/api-fidelity.md): a field the PATCH does not know, a non-boolean
flag, or a sender that is neither an address nor a domain answers 422 ``validation_failed``;
``default_permission`` (a string in the spec, meaning unknown) and ``dkim_enabled`` are accepted and ignored
(no read-back field exists for them); ``updated_at`` follows the sandbox's logical clock.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.routes_mail import _hosting
from reconciler.sandbox.wire import ApiRoute, field_error, not_found, read_body, success, validation_failed

_PERMISSIONS = (
    "can_manage_filters",
    "can_manage_security",
    "can_manage_aliases",
    "can_manage_redirections",
    "can_manage_signatures",
    "can_manage_auto_reply",
    "can_change_password",
    "can_configure_mail_folders",
    "can_restore_emails",
    "can_manage_rules",
    "can_access_logs",
)
_FLAGS = ("spam_filter_enabled", "promotion_filter_enabled", "external_mail_flag_enabled")
_LISTS = ("authorized_senders", "blocked_senders")
_IGNORED = ("default_permission", "dkim_enabled")
_SENDER = re.compile(r"(?:[^@\s]+@)?[^@\s.]+(?:\.[^@\s.]+)+")


def _stored(request: Request) -> tuple[Any, dict[str, Any]]:
    state, hosting = _hosting(request)
    by_hosting: dict[str, dict[str, Any]] = state.data.setdefault("inventory", {}).setdefault(
        "mail_preferences", {}
    )
    stored = by_hosting.get(str(hosting["id"]))
    if stored is None:
        raise not_found("MailHosting")
    return state, stored


async def update_preferences(request: Request) -> Response:
    state, stored = _stored(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    updates: dict[str, Any] = {}
    for field in sorted(set(body) - {*_FLAGS, *_LISTS, *_IGNORED, "default_permissions"}):
        errors.append(field_error(field, "validation_rule_prohibited", f"The {field} field is not accepted."))
    for field in _FLAGS:
        if field in body:
            if isinstance(body[field], bool):
                updates[field] = body[field]
            else:
                errors.append(
                    field_error(field, "validation_rule_boolean", f"The {field} must be true or false.")
                )
    for field in _LISTS:
        if field in body:
            raw = body[field]
            if not isinstance(raw, list):
                errors.append(field_error(field, "validation_rule_array", f"The {field} must be an array."))
                continue
            senders: list[str] = []
            for index, item in enumerate(raw):
                text = str(item).strip().lower().removeprefix("@") if isinstance(item, str) else ""
                if not _SENDER.fullmatch(text):
                    errors.append(
                        field_error(
                            f"{field}.{index}", "validation_rule_email", "Must be an email address or domain."
                        )
                    )
                elif text not in senders:
                    senders.append(text)
            updates[field] = senders
    if "default_permissions" in body:
        raw = body["default_permissions"]
        if not isinstance(raw, dict) or not all(
            k in _PERMISSIONS and isinstance(v, bool) for k, v in raw.items()
        ):
            errors.append(
                field_error(
                    "default_permissions", "validation_rule_array", "Known permissions, each true or false."
                )
            )
        else:
            updates["default_permissions"] = {**stored.get("default_permissions", {}), **raw}
    both = set(updates.get("authorized_senders", stored.get("authorized_senders", []))) & set(
        updates.get("blocked_senders", stored.get("blocked_senders", []))
    )
    for sender in sorted(both):
        errors.append(
            field_error(
                "blocked_senders",
                "validation_rule_distinct",
                f"{sender} cannot be both authorized and blocked.",
            )
        )
    if errors:
        raise validation_failed(errors)
    stored.update(updates)
    stored["updated_at"] = state.tick()
    return success(True)


ROUTES = [
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/preferences", update_preferences, methods=("PATCH",), scope="mail"
    ),
]
