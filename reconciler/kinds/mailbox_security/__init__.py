"""The mailbox_security kind: sender lists and spam handling of existing mailboxes, one file per mail hosting.

``state/mail/<domain>.yaml`` maps full mailbox addresses to their settings (docs/format-mail.md)::

    info@example.ch:
      authorized_senders: [boss@partner.example]
      blocked_senders: [spam@bad.example, bad.example]
      move_spam: true
      smart_filtering: {enabled: true, commercial_folder: Commercial, social_networks_folder: Social}

YAML field → API field of ``PATCH /1/mail_hostings/{id}/mailboxes/{local part}``:

=====================================  =======================================
``authorized_senders``                 ``authorized_senders``
``blocked_senders``                    ``blocked_senders``
``move_spam``                          ``has_move_spam``
``smart_filtering.enabled``            ``has_mail_filtering``
``smart_filtering.commercial_folder``  ``mail_filtering_folder_commercials``
``smart_filtering.social_networks_folder``  ``mail_filtering_folder_social_networks``
=====================================  =======================================

The kind manages settings, never mailboxes: a live mailbox missing from the file is left alone
(``is_unmanaged``), and a mailbox in the file that does not exist live stops the plan (``risks`` refuses
the create) instead of becoming a create.

Modules: ``spec`` (the YAML model, normaliser and file edits), ``api`` (live mailbox objects and PATCH
bodies), ``kind`` (the :class:`MailboxSecurityKind` the engine uses, registered as :data:`KIND`).
"""

from __future__ import annotations

from reconciler.kinds.mail_hosting import mail_domain
from reconciler.kinds.mailbox_security.api import LiveMailbox, from_api, to_api
from reconciler.kinds.mailbox_security.kind import KIND, MailboxSecurityKind
from reconciler.kinds.mailbox_security.spec import (
    DEFAULT_COMMERCIAL_FOLDER,
    DEFAULT_SOCIAL_FOLDER,
    MailboxSecurity,
    SmartFiltering,
    mailbox_address,
    normalize,
    normalize_sender,
)

__all__ = [
    "DEFAULT_COMMERCIAL_FOLDER",
    "DEFAULT_SOCIAL_FOLDER",
    "KIND",
    "LiveMailbox",
    "MailboxSecurity",
    "MailboxSecurityKind",
    "SmartFiltering",
    "from_api",
    "mail_domain",
    "mailbox_address",
    "normalize",
    "normalize_sender",
    "to_api",
]
