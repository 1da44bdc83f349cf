"""The live side of mailbox_security: mailbox objects in, PATCH bodies out (pure functions).

The API's sender lists come as plain strings (2024 spec, admin tools) or as ``{email, locked}`` objects
(2025 spec); :func:`from_api` accepts both.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.kinds.live import join_notes, read_live, unwritable_text
from reconciler.kinds.mailbox_security.spec import MailboxSecurity, SmartFiltering, normalize_sender

logger = logging.getLogger(__name__)

# -- API shapes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveMailbox:
    """What apply needs about a live mailbox besides its settings."""

    hosting_id: int
    name: str
    """The local part: the API's path parameter."""
    locked_authorized: tuple[str, ...] = ()
    locked_blocked: tuple[str, ...] = ()
    """Entries the API marks ``locked``: kept out of the diff and sent back unchanged on every PATCH."""


def _is_locked(value: Any) -> bool:
    # The 2025 spec types `locked` as a string; accept every spelling of true.
    return value is True or value == 1 or str(value).strip().lower() in ("1", "true", "yes", "locked")


def _senders(raw: Any) -> tuple[list[str], list[str]]:
    """``(managed, locked)`` entries of a sender list, whether the API sends strings or {email, locked}."""
    managed: list[str] = []
    locked: list[str] = []
    for item in raw or []:
        if isinstance(item, str):
            email, is_locked = item, False
        elif isinstance(item, Mapping) and isinstance(item.get("email"), str):
            email, is_locked = item["email"], _is_locked(item.get("locked"))
        else:
            logger.warning("fetch mailbox_security: ignoring a sender entry of unknown shape: %r", item)
            continue
        (locked if is_locked else managed).append(email)
    return managed, locked


def from_api(row: Mapping[str, Any], hosting_id: int) -> tuple[MailboxSecurity, LiveMailbox]:
    """A live mailbox object → its settings and what apply needs."""
    _, locked_authorized = _senders(row.get("authorized_senders"))
    _, locked_blocked = _senders(row.get("blocked_senders"))
    spec = read_mailbox(row)[0]
    native = LiveMailbox(
        hosting_id=hosting_id,
        name=str(row["mailbox_name"]),
        locked_authorized=tuple(locked_authorized),
        locked_blocked=tuple(locked_blocked),
    )
    return spec, native


def read_mailbox(row: Mapping[str, Any]) -> tuple[MailboxSecurity, str | None]:
    """A mailbox's settings, and why they are kept as the API gave them (a sender or folder the file
    rules refuse), if they are."""
    authorized, _ = _senders(row.get("authorized_senders"))
    blocked, _ = _senders(row.get("blocked_senders"))
    filtering: dict[str, Any] = {"enabled": bool(row.get("has_mail_filtering"))}
    for field, api_field in (
        ("commercial_folder", "mail_filtering_folder_commercials"),
        ("social_networks_folder", "mail_filtering_folder_social_networks"),
    ):
        if row.get(api_field):
            filtering[field] = str(row[api_field])
    move_spam = bool(row.get("has_move_spam"))
    data = {
        "authorized_senders": authorized,
        "blocked_senders": blocked,
        "move_spam": move_spam,
        "smart_filtering": filtering,
    }
    spec, note = read_live(MailboxSecurity, data, context={"live": True})
    if note is not None:
        # Kept as given, but still compared as the file's normaliser compares (lowercase, no '@').
        spec = MailboxSecurity.model_construct(
            authorized_senders=[str(s).strip().lower().removeprefix("@") for s in authorized],
            blocked_senders=[str(s).strip().lower().removeprefix("@") for s in blocked],
            move_spam=move_spam,
            smart_filtering=SmartFiltering.model_construct(**filtering),
        )
    everyone = [*spec.authorized_senders, *spec.blocked_senders]
    odd = [sender for sender in everyone if not _sender_ok(sender)]
    twice = sorted({sender for sender in everyone if everyone.count(sender) > 1})
    return spec, join_notes(
        note,
        f"senders the file rules refuse: {', '.join(odd)}" if odd else None,
        f"senders listed twice or both authorized and blocked: {', '.join(twice)}" if twice else None,
        unwritable_text(*everyone, *filtering.values()),
    )


def _sender_ok(sender: str) -> bool:
    try:
        normalize_sender(sender)
    except ValueError:
        return False
    return True


def to_api(desired: dict[str, Any], live: dict[str, Any], native: LiveMailbox) -> dict[str, Any]:
    """The PATCH body that turns ``live`` into ``desired`` (both normalised): changed fields only.

    Sender lists are replaced whole (the API has no add/remove), with the locked entries appended so a
    PATCH never drops what the tool does not manage.
    """
    body: dict[str, Any] = {}
    for field, locked in (
        ("authorized_senders", native.locked_authorized),
        ("blocked_senders", native.locked_blocked),
    ):
        if desired[field] != live[field]:
            body[field] = [*desired[field], *(s for s in locked if s not in desired[field])]
    if desired["move_spam"] != live["move_spam"]:
        body["has_move_spam"] = desired["move_spam"]
    filtering = desired["smart_filtering"]
    if filtering != live["smart_filtering"]:
        body["has_mail_filtering"] = filtering["enabled"]
        if filtering["enabled"]:
            body["mail_filtering_folder_commercials"] = filtering["commercial_folder"]
            body["mail_filtering_folder_social_networks"] = filtering["social_networks_folder"]
    return body
