"""The mail file: the YAML model of a mailbox's settings, its normaliser, whole-file parsing and edits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from reconciler.kinds.base import DesiredObject, DocumentSource, Key, SpecModel
from reconciler.kinds.mapping_file import entries

KIND_NAME = "mailbox_security"

DEFAULT_COMMERCIAL_FOLDER = "Commercial"
DEFAULT_SOCIAL_FOLDER = "Social"
"""Folder names used when ``smart_filtering`` is enabled without naming them (the names the manager shows)."""

# Permissive on purpose (IDN domains, plus-addressing, '*' wildcards): the API is the final judge; this only
# catches what cannot be an address or a domain at all (spaces, two '@', no dot in the domain).
_SENDER = re.compile(r"(?:[^@\s]+@)?[^@\s.]+(?:\.[^@\s.]+)+")
_ADDRESS = re.compile(r"[^@\s/]+@[^@\s.]+(?:\.[^@\s.]+)+")
ADDRESS_PATTERN = _ADDRESS.pattern
"""What a mailbox address looks like (``propertyNames`` of the address-keyed mail files)."""

# Fields every full mailbox object carries; a list row without them is completed by a per-mailbox GET.
API_FIELDS = ("authorized_senders", "blocked_senders", "has_move_spam", "has_mail_filtering")


def mailbox_address(text: str) -> str:
    """A mailbox key: the full address, lowercased; ValueError when it is not ``local@domain``."""
    address = str(text).strip().lower()
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"a mailbox is keyed by its full address, e.g. info@example.ch; got {text!r}")
    return address


def address_key(raw: Any) -> str:
    """A file key as a mailbox key (YAML may have read it as a number or a boolean)."""
    return mailbox_address(str(raw))


def normalize_sender(raw: str) -> str:
    """An authorized or blocked sender: an address or a domain, lowercased (``@domain`` means the domain)."""
    text = raw.strip().lower()
    if text.startswith("@"):
        text = text[1:]
    if not _SENDER.fullmatch(text):
        raise ValueError(f"{raw!r} is neither an email address nor a domain")
    return text


def _sender(raw: str, info: ValidationInfo) -> str:
    if info.context and info.context.get("live"):
        # Live data is never rejected: an odd entry stays visible in the plan instead of failing the fetch.
        return raw.strip().lower().removeprefix("@")
    try:
        return normalize_sender(raw)
    except ValueError as exc:
        raise PydanticCustomError("mail_sender", "{reason}", {"reason": str(exc)}) from None


Sender = Annotated[str, AfterValidator(_sender)]


# -- spec ---------------------------------------------------------------------------------------------------


class SmartFiltering(SpecModel):
    """Sorting of newsletters and social-network notifications into their own folders."""

    enabled: bool = Field(
        default=False,
        description="Sort commercial and social-network mail into folders (API has_mail_filtering).",
    )
    commercial_folder: str = Field(
        default=DEFAULT_COMMERCIAL_FOLDER,
        min_length=1,
        max_length=255,
        description="Folder for newsletters and promotions (API mail_filtering_folder_commercials); "
        "only used when enabled.",
    )
    social_networks_folder: str = Field(
        default=DEFAULT_SOCIAL_FOLDER,
        min_length=1,
        max_length=255,
        description="Folder for social-network notifications (API mail_filtering_folder_social_networks); "
        "only used when enabled.",
    )


class MailboxSecurity(SpecModel):
    """Security settings of one existing mailbox; omitted fields take the documented defaults."""

    authorized_senders: list[Sender] = Field(
        default_factory=list,
        description="Addresses or domains whose mail always skips the spam filter. A set: order never "
        "matters; compared lowercased.",
    )
    blocked_senders: list[Sender] = Field(
        default_factory=list,
        description="Addresses or domains whose mail is always refused. A set: order never matters; "
        "compared lowercased. A sender cannot be both authorized and blocked.",
    )
    move_spam: bool = Field(
        default=True, description="Move mail detected as spam to the Spam folder (API has_move_spam)."
    )
    smart_filtering: SmartFiltering = Field(
        default_factory=SmartFiltering,
        description="Sort commercial and social-network mail into folders; disabled when omitted.",
    )


def key(address: str) -> Key:
    """The identity of a mailbox: its full address, lowercased."""
    return (mailbox_address(address),)


# -- normaliser ---------------------------------------------------------------------------------------------


def _as_spec(spec: SpecModel) -> MailboxSecurity:
    if not isinstance(spec, MailboxSecurity):
        raise TypeError(f"not a mailbox_security spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: sender sets sorted; folder names only matter while filtering is on."""
    settings = _as_spec(spec)
    filtering: dict[str, Any] = {"enabled": settings.smart_filtering.enabled}
    if settings.smart_filtering.enabled:
        filtering["commercial_folder"] = settings.smart_filtering.commercial_folder
        filtering["social_networks_folder"] = settings.smart_filtering.social_networks_folder
    return {
        "authorized_senders": sorted(set(settings.authorized_senders)),
        "blocked_senders": sorted(set(settings.blocked_senders)),
        "move_spam": settings.move_spam,
        "smart_filtering": filtering,
    }


# -- files --------------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource, *, domain: str) -> list[DesiredObject]:
    """Desired objects of a mail file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for item in entries(
        document,
        source,
        address_key,
        not_a_mapping="a mail file maps mailbox addresses to their settings",
        document_rule="mail-document",
        key_rule="mail-address",
        text_paths=True,
    ):
        address, entry, path = item.key, item.value, item.path
        if address.rsplit("@", 1)[1] != domain:
            source.error(
                path,
                f"{address} is not a mailbox of {domain}: this file holds the mail hosting {domain}; "
                f"move the entry to mail/{address.rsplit('@', 1)[1]}.yaml",
                rule="mail-domain",
            )
            continue
        if not isinstance(entry, Mapping):
            source.error(
                path,
                "give the mailbox's settings as a mapping (authorized_senders, blocked_senders, move_spam, "
                "smart_filtering)",
                rule="mail-entry",
            )
            continue
        spec = source.validate(MailboxSecurity, entry, path)
        if not isinstance(spec, MailboxSecurity):
            continue
        if _check_senders(spec, path, source):
            objects.append(DesiredObject(key=(address,), spec=spec, located=source.locate(path)))
    return objects


def _check_senders(spec: MailboxSecurity, path: tuple[str | int, ...], source: DocumentSource) -> bool:
    ok = True
    for field in ("authorized_senders", "blocked_senders"):
        seen: set[str] = set()
        for index, sender in enumerate(getattr(spec, field)):
            if sender in seen:
                source.error((*path, field, index), f"{sender} is listed twice", rule="mail-duplicate-sender")
                ok = False
            seen.add(sender)
    authorized = set(spec.authorized_senders)
    for index, sender in enumerate(spec.blocked_senders):
        if sender in authorized:
            source.error(
                (*path, "blocked_senders", index),
                f"{sender} is both authorized and blocked; keep it in one list",
                rule="mail-sender-conflict",
            )
            ok = False
    return ok


def render_entry(spec: SpecModel) -> dict[str, Any]:
    """The YAML entry of a spec (import writes every field, so the file plans to zero changes)."""
    canonical = normalize(spec)
    return {
        "authorized_senders": canonical["authorized_senders"],
        "blocked_senders": canonical["blocked_senders"],
        "move_spam": canonical["move_spam"],
        "smart_filtering": canonical["smart_filtering"],
    }
