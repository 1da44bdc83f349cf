"""Writes of a mail hosting's redirections: ``POST …/redirections``, ``GET|PUT|DELETE …/{redirection_id}``.

The list (``GET /1/mail_hostings/{id}/redirections``) is ``routes_inventory``'s, which serves the stored list
``inventory.mail_redirections.<hosting id>`` (``data/demo_inventory.json``); these routes change that same
list, so a write reads back there. Shapes follow ``mail.json`` (``Redirection``, ``RedirectionTarget``).

Invented where the spec is silent (docs/api-fidelity.md): ``name`` is the local part of the redirection's
address (as the admin MCP server sends it); a new target is ``pending`` with an opt-in code until it
confirms, and a kept target keeps its state; a name already used by a mailbox, an alias or another
redirection, a target that is not an address, or more than 10 targets answer 422 ``validation_failed``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.routes_mail import _hosting, _mailboxes
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import ApiRoute, field_error, not_found, read_body, success, validation_failed

TARGETS_MAX = 10
"""``maxItems`` of ``targets`` in the spec."""
OPTIN_SECONDS = 7 * 86400
"""How long an opt-in code stays valid (invented)."""

_LOCAL = re.compile(r"[a-z0-9._+-]{1,64}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
_PATH = "/1/mail_hostings/{mail_hosting_id}/redirections"


def _stored(request: Request) -> tuple[SandboxState, dict[str, Any], list[dict[str, Any]]]:
    state, hosting = _hosting(request)
    by_hosting: dict[str, list[dict[str, Any]]] = state.data.setdefault("inventory", {}).setdefault(
        "mail_redirections", {}
    )
    return state, hosting, by_hosting.setdefault(str(hosting["id"]), [])


def _redirection(request: Request) -> tuple[SandboxState, list[dict[str, Any]], dict[str, Any]]:
    state, _, redirections = _stored(request)
    wanted = str(request.path_params["redirection_id"])
    for redirection in redirections:
        if str(redirection["id"]) == wanted:
            return state, redirections, redirection
    raise not_found("Redirection")


def _targets(raw: Any, errors: list[dict[str, Any]]) -> list[str]:
    if not isinstance(raw, list) or not raw or len(raw) > TARGETS_MAX:
        errors.append(field_error("targets", "validation_rule_between", f"Give 1 to {TARGETS_MAX} targets."))
        return []
    targets: list[str] = []
    for index, item in enumerate(raw):
        address = item.strip().lower() if isinstance(item, str) else ""
        if len(address) > 255 or not _EMAIL.fullmatch(address):
            errors.append(
                field_error(f"targets.{index}", "validation_rule_email", "Must be an email address.")
            )
        elif address not in targets:
            targets.append(address)
    return targets


def _target(state: SandboxState, address: str, kept: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if address in kept:
        return kept[address]
    now = state.tick()
    return {
        "id": f"t-{state.new_id()}",
        "address": address,
        "created_at": now,
        "updated_at": now,
        "state": "pending",
        "opted_in_at": None,
        "optin_code": f"{state.new_id():x}",
        "optin_expires_at": now + OPTIN_SECONDS,
    }


async def create_redirection(request: Request) -> Response:
    state, hosting, redirections = _stored(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    raw_name = body.get("name")
    name = raw_name.strip().lower() if isinstance(raw_name, str) else ""
    domain = str(hosting.get("main_fqdn") or hosting["customer_name"])
    taken = {str(r["address"]["address"]).split("@")[0] for r in redirections}
    for mailbox in _mailboxes(state, hosting):
        taken.add(str(mailbox["mailbox_name"]))
        taken.update(str(alias) for alias in mailbox.get("aliases", []))
    if not _LOCAL.fullmatch(name):
        errors.append(field_error("name", "validation_rule_regex", "The name must be a local part."))
    elif name in taken:
        errors.append(field_error("name", "validation_rule_unique", f"{name}@{domain} is already in use."))
    targets = _targets(body.get("targets"), errors)
    if errors:
        raise validation_failed(errors)
    now = state.tick()
    identifier = f"r-{state.new_id()}"
    redirections.append(
        {
            "id": identifier,
            "name": name,
            "created_at": now,
            "updated_at": now,
            "targets": [_target(state, t, {}) for t in targets],
            "address": {
                "id": f"a-{state.new_id()}",
                "address": f"{name}@{domain}",
                "created_at": now,
                "updated_at": now,
                "state": "ok",
            },
            "state": "ok",
            "send_confirmation_requests_enabled": True,
            "send_confirmation_requests_state": "done",
        }
    )
    return success(identifier, status=201)


async def show_redirection(request: Request) -> Response:
    return success(_redirection(request)[2])


async def update_redirection(request: Request) -> Response:
    state, _, redirection = _redirection(request)
    errors: list[dict[str, Any]] = []
    targets = _targets((await read_body(request)).get("targets"), errors)
    if errors:
        raise validation_failed(errors)
    kept = {str(t["address"]): t for t in redirection["targets"]}
    redirection["targets"] = [_target(state, t, kept) for t in targets]
    redirection["updated_at"] = state.tick()
    return success(True)


async def delete_redirection(request: Request) -> Response:
    _, redirections, redirection = _redirection(request)
    redirections.remove(redirection)
    return success(True)


ROUTES = [
    ApiRoute(_PATH, create_redirection, methods=("POST",), scope="mail"),
    ApiRoute(f"{_PATH}/{{redirection_id}}", show_redirection, scope="mail"),
    ApiRoute(f"{_PATH}/{{redirection_id}}", update_redirection, methods=("PUT",), scope="mail"),
    ApiRoute(f"{_PATH}/{{redirection_id}}", delete_redirection, methods=("DELETE",), scope="mail"),
]
