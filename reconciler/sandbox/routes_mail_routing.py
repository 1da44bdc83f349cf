"""Where a mailbox's mail also arrives and goes: aliases and forwarding addresses (``mail.json``, 2025 spec).

* ``GET|PUT|POST …/mailboxes/{mailbox_name}/aliases``, ``DELETE …/aliases/{alias}``: aliases are kept in the
  stored mailbox's ``aliases`` (local parts), which the mailbox views of ``routes_mail`` also serve.
* ``GET|PUT|POST|DELETE …/mailboxes/{mailbox_name}/forwarding_addresses``, ``DELETE …/{redirect_addresses}``:
  forwarding is kept in the stored mailbox's ``redirection`` (addresses) and ``has_redirection``, plus the
  private ``forwarding_options`` (``has_dont_deliver``, ``has_forward_spam``).

Invented where the spec is silent (docs/api-fidelity.md): an alias already used by another mailbox of the
hosting, or equal to a mailbox name, answers 422 ``validation_failed``; ``PUT …/aliases`` with an empty
list answers 422 (Laravel's ``required`` refuses an empty array); ``enabled_alias`` is served as ``1``; the
forwarding flags are served as the strings ``"1"``/``"0"`` (the spec types them as strings).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.routes_mail import _hosting, _mailbox, _mailboxes
from reconciler.sandbox.wire import ApiRoute, field_error, not_found, read_body, success, validation_failed

ALIAS_MAX = 64
"""``maxLength`` of an alias in the spec's request bodies."""
FORWARDING_MAX = 100
"""``maxItems`` of ``redirect_addresses`` in the spec."""

_FORWARDING = "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/forwarding_addresses"
_ALIAS = re.compile(r"[a-z0-9._+-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


# -- aliases ------------------------------------------------------------------------------------------------


def _alias_errors(field: str, raw: Any, taken: set[str], errors: list[dict[str, Any]]) -> str | None:
    """A valid alias (local part, lowercased) or None with the reason appended to ``errors``."""
    if not isinstance(raw, str) or not raw.strip():
        errors.append(field_error(field, "validation_rule_required", f"The {field} field is required."))
        return None
    alias = raw.strip().lower()
    if len(alias) > ALIAS_MAX or not _ALIAS.fullmatch(alias):
        errors.append(
            field_error(
                field, "validation_rule_regex", f"The {field} must be a local part of at most 64 characters."
            )
        )
        return None
    if alias in taken:
        errors.append(
            field_error(field, "validation_rule_unique", f"{alias} is already used in this mail hosting.")
        )
        return None
    return alias


def _taken(request: Request, mailbox: dict[str, Any]) -> set[str]:
    """Names another address of the hosting already uses: every mailbox, and other mailboxes' aliases."""
    state, hosting = _hosting(request)
    taken: set[str] = set()
    for other in _mailboxes(state, hosting):
        taken.add(str(other["mailbox_name"]))
        if other is not mailbox:
            taken.update(str(a) for a in other.get("aliases", []))
    return taken


def _alias_limit(hosting: dict[str, Any]) -> int:
    return int((hosting.get("limit") or {}).get("alias_for_mailbox") or 100)


async def list_aliases(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    return success({"enabled_alias": 1, "aliases": list(mailbox.get("aliases", []))})


async def add_alias(request: Request) -> Response:
    _, hosting, mailbox = _mailbox(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    aliases: list[str] = mailbox.setdefault("aliases", [])
    alias = _alias_errors("alias", body.get("alias"), _taken(request, mailbox) | set(aliases), errors)
    if alias is not None and len(aliases) >= _alias_limit(hosting):
        errors.append(field_error("alias", "validation_rule_max", "The mailbox has reached its alias limit."))
    if errors:
        raise validation_failed(errors)
    assert alias is not None
    aliases.append(alias)
    return success(True)


async def replace_aliases(request: Request) -> Response:
    _, hosting, mailbox = _mailbox(request)
    raw = (await read_body(request)).get("aliases")
    if not isinstance(raw, list) or not raw:
        raise validation_failed(
            [field_error("aliases", "validation_rule_required", "The aliases field is required.")]
        )
    errors: list[dict[str, Any]] = []
    taken = _taken(request, mailbox)
    aliases: list[str] = []
    for index, item in enumerate(raw):
        alias = _alias_errors(f"aliases.{index}", item, taken, errors)
        if alias is not None and alias not in aliases:
            aliases.append(alias)
    if len(aliases) > _alias_limit(hosting):
        errors.append(field_error("aliases", "validation_rule_max", "Too many aliases for this mailbox."))
    if errors:
        raise validation_failed(errors)
    mailbox["aliases"] = aliases
    return success(True)


async def delete_alias(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    alias = str(request.path_params["alias"]).strip().lower()
    aliases: list[str] = mailbox.get("aliases", [])
    if alias not in aliases:
        raise not_found("Alias")
    aliases.remove(alias)
    return success(True)


# -- forwarding ---------------------------------------------------------------------------------------------


def _options(request: Request, mailbox: dict[str, Any]) -> dict[str, bool]:
    """The forwarding flags of a mailbox, kept out of the stored mailbox so its views never show them."""
    state, hosting = _hosting(request)
    by_hosting: dict[str, dict[str, dict[str, bool]]] = state.data.setdefault("mail_forwarding_options", {})
    stored = by_hosting.setdefault(str(hosting["id"]), {})
    return stored.setdefault(
        str(mailbox["mailbox_name"]), {"has_dont_deliver": False, "has_forward_spam": False}
    )


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _set_forwarding(mailbox: dict[str, Any], addresses: list[str]) -> None:
    mailbox["redirection"] = addresses
    mailbox["has_redirection"] = bool(addresses)


async def show_forwarding(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    options = _options(request, mailbox)
    addresses = list(mailbox.get("redirection") or [])
    return success(
        {
            "is_enabled": _flag(bool(addresses)),
            # Sic: the spec's answer spells it with one "d", its request bodies with two.
            "redirect_adresses": [{"email": a, "email_idn": a} for a in addresses],
            "has_dont_deliver": _flag(options["has_dont_deliver"]),
            "has_forward_spam": _flag(options["has_forward_spam"]),
        }
    )


def _address(field: str, raw: Any, own: str, errors: list[dict[str, Any]]) -> str | None:
    if not isinstance(raw, str) or not _EMAIL.fullmatch(raw.strip().lower()):
        errors.append(
            field_error(field, "validation_rule_email", f"The {field} must be a valid email address.")
        )
        return None
    address = raw.strip().lower()
    if address == own:
        errors.append(field_error(field, "validation_rule_different", "A mailbox cannot forward to itself."))
        return None
    return address


def _own_address(request: Request, mailbox: dict[str, Any]) -> str:
    _, hosting = _hosting(request)
    return f"{mailbox['mailbox_name']}@{hosting.get('main_fqdn') or hosting['customer_name']}"


async def update_forwarding(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    body = await read_body(request)
    errors: list[dict[str, Any]] = []
    flags: dict[str, bool] = {}
    for field in ("has_dont_deliver", "has_forward_spam", "is_enabled"):
        if field in body:
            if isinstance(body[field], bool):
                flags[field] = body[field]
            else:
                errors.append(
                    field_error(field, "validation_rule_boolean", f"The {field} must be true or false.")
                )
    addresses: list[str] | None = None
    if "redirect_addresses" in body:
        raw = body["redirect_addresses"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= FORWARDING_MAX:
            errors.append(
                field_error(
                    "redirect_addresses", "validation_rule_between", f"Give 1 to {FORWARDING_MAX} addresses."
                )
            )
        else:
            own = _own_address(request, mailbox)
            addresses = []
            for index, item in enumerate(raw):
                address = _address(f"redirect_addresses.{index}", item, own, errors)
                if address is not None and address not in addresses:
                    addresses.append(address)
    if errors:
        raise validation_failed(errors)
    options = _options(request, mailbox)
    for field in ("has_dont_deliver", "has_forward_spam"):
        if field in flags:
            options[field] = flags[field]
    if flags.get("is_enabled") is False:
        _set_forwarding(mailbox, [])  # the spec: "setting it to false drop all the existing adresses"
    elif addresses is not None:
        _set_forwarding(mailbox, addresses)
    return success(True)


async def add_forwarding(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    errors: list[dict[str, Any]] = []
    address = _address(
        "redirect_address",
        (await read_body(request)).get("redirect_address"),
        _own_address(request, mailbox),
        errors,
    )
    current = list(mailbox.get("redirection") or [])
    if address is not None and len(current) >= FORWARDING_MAX and address not in current:
        errors.append(
            field_error("redirect_address", "validation_rule_max", "Too many forwarding addresses.")
        )
    if errors:
        raise validation_failed(errors)
    assert address is not None
    if address not in current:
        _set_forwarding(mailbox, [*current, address])
    return success(True)


async def delete_all_forwarding(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    _set_forwarding(mailbox, [])
    return success(True)


async def delete_forwarding(request: Request) -> Response:
    _, _, mailbox = _mailbox(request)
    address = str(request.path_params["redirect_addresses"]).strip().lower()
    current = list(mailbox.get("redirection") or [])
    if address not in current:
        raise not_found("RedirectionAddress")
    _set_forwarding(mailbox, [a for a in current if a != address])
    return success(True)


ROUTES = [
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/aliases", list_aliases, scope="mail"
    ),
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/aliases",
        add_alias,
        methods=("POST",),
        scope="mail",
    ),
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/aliases",
        replace_aliases,
        methods=("PUT",),
        scope="mail",
    ),
    ApiRoute(
        "/1/mail_hostings/{mail_hosting_id}/mailboxes/{mailbox_name}/aliases/{alias}",
        delete_alias,
        methods=("DELETE",),
        scope="mail",
    ),
    ApiRoute(_FORWARDING, show_forwarding, scope="mail"),
    ApiRoute(_FORWARDING, update_forwarding, methods=("PUT",), scope="mail"),
    ApiRoute(_FORWARDING, add_forwarding, methods=("POST",), scope="mail"),
    ApiRoute(_FORWARDING, delete_all_forwarding, methods=("DELETE",), scope="mail"),
    ApiRoute(f"{_FORWARDING}/{{redirect_addresses}}", delete_forwarding, methods=("DELETE",), scope="mail"),
]
