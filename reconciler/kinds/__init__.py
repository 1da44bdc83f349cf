"""Resource kinds. Each module defines one ``KIND``; this registry lists them in apply order."""

from __future__ import annotations

from reconciler.errors import SettingsError
from reconciler.kinds.base import (
    SENSITIVE_MARK,
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    Kind,
    KindBase,
    LiveObject,
    Located,
    RunContext,
    SpecModel,
)
from reconciler.kinds.dns import KIND as DNS
from reconciler.kinds.domains import KIND as DOMAINS
from reconciler.kinds.drive_access import KIND as DRIVE_ACCESS
from reconciler.kinds.drive_permissions import KIND as DRIVE_PERMISSIONS
from reconciler.kinds.mail_aliases import KIND as MAIL_ALIASES
from reconciler.kinds.mail_forwarding import KIND as MAIL_FORWARDING
from reconciler.kinds.mail_redirects import KIND as MAIL_REDIRECTS
from reconciler.kinds.mail_settings import KIND as MAIL_SETTINGS
from reconciler.kinds.mailbox_security import KIND as MAILBOX_SECURITY
from reconciler.kinds.share_links import KIND as SHARE_LINKS
from reconciler.kinds.tags import KIND as TAGS
from reconciler.kinds.teams import KIND as TEAMS

REGISTRY: tuple[Kind, ...] = tuple(
    sorted(
        (
            DNS,
            DOMAINS,
            DRIVE_ACCESS,
            DRIVE_PERMISSIONS,
            MAIL_ALIASES,
            MAIL_FORWARDING,
            MAIL_REDIRECTS,
            MAIL_SETTINGS,
            MAILBOX_SECURITY,
            SHARE_LINKS,
            TAGS,
            TEAMS,
        ),
        key=lambda kind: kind.apply_order,
    )
)


def all_kinds() -> tuple[Kind, ...]:
    """Every registered kind, in apply order."""
    return REGISTRY


def get_kind(name: str) -> Kind:
    """A kind by its name (``dns``) or its directory (``mail``)."""
    for kind in REGISTRY:
        if name in (kind.name, kind.directory):
            return kind
    known = ", ".join(kind.name for kind in REGISTRY)
    raise SettingsError(f"unknown kind {name!r}; known kinds: {known}")


__all__ = [
    "REGISTRY",
    "SENSITIVE_MARK",
    "Action",
    "DesiredObject",
    "DocumentSource",
    "FileLayout",
    "Key",
    "Kind",
    "KindBase",
    "LiveObject",
    "Located",
    "RunContext",
    "SpecModel",
    "all_kinds",
    "get_kind",
]
