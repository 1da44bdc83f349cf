"""What the mail kinds keyed by a full address share (mail_aliases, mail_forwarding, mail_redirects).

Each file ``state/mail/<folder>/<domain>.yaml`` maps addresses of that domain to one entry; the walk over
it and the kind's file handling are the same for all of them, only the texts and the checks of an entry
differ (docs/format-mail.md). It stays apart from ``mail_hosting`` because ``mailbox_security`` imports that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from reconciler.kinds.base import DesiredObject, DocumentSource, RunContext, SpecModel
from reconciler.kinds.mail_hosting import MAIL_DIRECTORY, discover_domains, row_address
from reconciler.kinds.mailbox_security.spec import ADDRESS_PATTERN, mailbox_address
from reconciler.kinds.mapping_file import KeyedFileKind, entries

M = TypeVar("M", bound=SpecModel)


EXTERNAL_ADDRESS = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
"""An address mail is sent on to (forwarding, redirect targets): any domain, a dot in it, no spaces."""


def mail_entries(
    document: Any,
    source: DocumentSource,
    model: type[M],
    *,
    domain: str,
    not_a_mapping: str,
    document_rule: str,
    not_in_domain: str,
    entry_hint: str,
) -> Iterator[tuple[str, tuple[str | int, ...], M]]:
    """``(address, path, spec)`` of every entry whose key and value are valid; the rest goes to ``source``.

    ``not_in_domain`` is the message for an address of another domain, with ``{address}`` and ``{domain}``
    to fill in; ``entry_hint`` the one for an entry that is no mapping.
    """
    for item in entries(
        document,
        source,
        mailbox_address,
        not_a_mapping=not_a_mapping,
        document_rule=document_rule,
        key_rule="mail-address",
        text_paths=True,
    ):
        address, path = item.key, item.path
        if address.rsplit("@", 1)[1] != domain:
            source.error(path, not_in_domain.format(address=address, domain=domain), rule="mail-domain")
            continue
        if not isinstance(item.value, Mapping):
            source.error(path, entry_hint, rule="mail-entry")
            continue
        spec = source.validate(model, item.value, path)
        if isinstance(spec, model):
            yield address, path, spec


def missing_mailboxes(
    desired: Sequence[DesiredObject], rows: Iterable[dict[str, Any]], *, domain: str, scope: str
) -> list[tuple[DesiredObject, str]]:
    """The entries whose mailbox is not among ``rows`` (the hosting's), each with the ``check`` message."""
    existing = {row_address(row, domain) for row in rows}
    return [
        (
            obj,
            f"mailbox {obj.key[0]} does not exist in the mail hosting {scope}; create it in the "
            "Infomaniak manager, or remove the entry",
        )
        for obj in desired
        if obj.key[0] not in existing
    ]


class MailAddressKind(KeyedFileKind):
    """A mail kind whose file maps the full addresses of one mail hosting to entries."""

    directory: ClassVar[str] = MAIL_DIRECTORY
    key_schema: ClassVar[dict[str, Any]] = {"pattern": ADDRESS_PATTERN}

    def entry_key(self, raw: Any) -> str:
        # YAML may have read the key as a number or a boolean; mailbox_address takes its text.
        return mailbox_address(raw)

    async def discover(self, ctx: RunContext) -> list[str]:
        return await discover_domains(ctx)
