"""The :class:`MailboxSecurityKind` the engine uses, registered as :data:`KIND`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from reconciler.api.paths import segment
from reconciler.errors import PlanError
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.live import checked_name, join_notes, split_noted, with_notes
from reconciler.kinds.mail_hosting import mail_domain, mailboxes
from reconciler.kinds.mailbox_security.api import LiveMailbox, from_api, read_mailbox, to_api
from reconciler.kinds.mailbox_security.spec import (
    ADDRESS_PATTERN,
    API_FIELDS,
    KIND_NAME,
    MailboxSecurity,
    address_key,
    mailbox_address,
    normalize,
    parse_file,
    render_entry,
)
from reconciler.kinds.mapping_file import FilePerScope, KeyedFileKind, shown

SENSITIVE: frozenset[str] = frozenset()
"""No secrets: sender lists and spam settings are plain configuration."""
IGNORED: frozenset[str] = frozenset(
    {"password", "full_name", "note", "has_responder", "aliases", "forwarding", "auto_reply"}
)
"""Mailbox fields this kind never reads or writes (other concerns, or secrets it has no business with)."""

FILES = FilePerScope(
    "mail",
    mail_domain,
    duplicate="two files hold mail hosting {scope!r}: {first} and {second}",
    rule="mail-duplicate-file",
)


class MailboxSecurityKind(KeyedFileKind):
    """Sender lists and spam handling of the mailboxes of Infomaniak mail hostings."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = FILES.directory
    spec_model: ClassVar[type[SpecModel]] = MailboxSecurity
    apply_order: ClassVar[int] = 40
    sensitive_fields: ClassVar[frozenset[str]] = SENSITIVE
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "Mailbox security file (state/mail/<domain>.yaml)"
    schema_description: ClassVar[str] = (
        "Full mailbox addresses of the mail hosting mapped to their sender lists and spam handling. "
        "Mailboxes absent from the file are left alone. See docs/format-mail.md."
    )
    key_schema: ClassVar[dict[str, Any]] = {"pattern": ADDRESS_PATTERN}
    not_a_mapping: ClassVar[str] = "the mail file is not a mapping of mailbox addresses to settings"
    not_an_entry: ClassVar[str] = (
        "a mailbox_security entry is a mapping of settings (see docs/format-mail.md)"
    )

    # -- files (scope_files, path_for: KindBase; file_schema, parse_key, edits: KeyedFileKind) -------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source, domain=mail_domain(Path(source.file).stem))

    def entry_key(self, raw: Any) -> str:
        return address_key(raw)

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        kept, left_out = split_noted(objects, self.format_key)
        document = {obj.key[0]: render_entry(obj.spec) for obj in sorted(kept, key=lambda obj: obj.key)}
        return with_notes(document, left_out)

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        # Mailboxes are created and deleted in the manager; this kind only tunes existing ones, so a
        # mailbox left out of the file must never turn into a delete.
        return True

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        address = key[0]
        if before is None or after is None:
            return []
        reasons = []
        unblocked = sorted(set(before["blocked_senders"]) - set(after["blocked_senders"]))
        if unblocked:
            reasons.append(f"unblocks {', '.join(unblocked)}: their mail reaches {address} again")
        allowed = sorted(set(after["authorized_senders"]) - set(before["authorized_senders"]))
        if allowed:
            reasons.append(f"authorizes {', '.join(allowed)}: their mail skips the spam filter")
        if before["move_spam"] and not after["move_spam"]:
            reasons.append(f"stops moving spam out of the inbox of {address}")
        return reasons

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        return 0  # mailboxes are independent of each other

    # -- live ------------------------------------------------------------------------------------------
    async def _hostings(self, ctx: RunContext) -> list[dict[str, Any]]:
        cached = ctx.cache.get("mailbox_security/hostings")
        if cached is None:
            params: dict[str, Any] = {"service_name": "email_hosting"}
            if ctx.account_id is not None:
                params["account_id"] = ctx.account_id
            cached = await ctx.client.get_all("/1/products", params=params)
            ctx.cache["mailbox_security/hostings"] = cached
        hostings: list[dict[str, Any]] = cached
        return hostings

    async def _hosting_id(self, ctx: RunContext, domain: str) -> int:
        hostings = await self._hostings(ctx)
        matches = [
            h
            for h in hostings
            if domain
            in (mail_domain(str(h.get("customer_name") or "")), mail_domain(str(h.get("fqdn") or "")))
        ]
        if len(matches) != 1:
            state_dir = ctx.state_dir or Path("state")
            file = shown(self.path_for(state_dir, domain), state_dir)
            if not matches:
                known = (
                    ", ".join(sorted(mail_domain(str(h.get("customer_name"))) for h in hostings)) or "none"
                )
                raise PlanError(
                    f"mail hosting {domain!r} does not exist in the account ({file})\n"
                    f"  mail hostings the token sees: {known}\n"
                    "  rename the file after one of them, or remove it"
                )
            ids = ", ".join(str(h.get("id")) for h in matches)
            raise PlanError(
                f"{len(matches)} mail hostings are named {domain!r} (ids {ids}); cannot tell ({file})"
            )
        return int(matches[0]["id"])

    async def discover(self, ctx: RunContext) -> list[str]:
        return sorted(
            {
                mail_domain(str(h["customer_name"]))
                for h in await self._hostings(ctx)
                if h.get("customer_name")
            }
        )

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """A mailbox in the file must exist: this kind tunes existing mailboxes and never creates one."""
        existing = {obj.key for obj in live}
        return [
            (
                obj,
                f"mailbox {obj.key[0]} does not exist in the mail hosting {scope}; create it in the "
                "Infomaniak manager, or remove the entry",
            )
            for obj in desired
            if obj.key not in existing
        ]

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        domain = mail_domain(scope)
        hosting_id = await self._hosting_id(ctx, domain)
        path = f"/1/mail_hostings/{segment(hosting_id)}/mailboxes"
        objects = []
        # The hosting's list as mail_aliases and mail_forwarding read it: one request per hosting and run.
        for row in await mailboxes(ctx, hosting_id):
            if any(field not in row for field in API_FIELDS):
                # A list row without the settings (older API behaviour): read the mailbox itself.
                row = await ctx.client.get(f"{path}/{segment(row['mailbox_name'])}")
            address = str(row.get("mailbox") or f"{row['mailbox_name']}@{domain}").strip().lower()
            spec, native = from_api(row, hosting_id)
            address, address_note = checked_name(mailbox_address, address)
            if address_note is None and address.rsplit("@", 1)[1] != domain:
                address_note = f"{address} is not an address of {domain}"
            note = join_notes(address_note, read_mailbox(row)[1])
            objects.append(LiveObject(key=(address,), spec=spec, native=native, note=note))
        return objects

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        raise RuntimeError(f"mailbox_security never creates mailboxes ({desired.key[0]}); plan refuses this")

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        native = live.native
        if not isinstance(native, LiveMailbox):
            raise TypeError(f"mailbox_security {live.key}: live object was not built by fetch")
        body = to_api(normalize(desired.spec), normalize(live.spec), native)
        if body:
            await ctx.client.patch(
                f"/1/mail_hostings/{segment(native.hosting_id)}/mailboxes/{segment(native.name)}", json=body
            )

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        raise RuntimeError(
            f"mailbox_security never deletes mailboxes ({live.key[0]}); is_unmanaged keeps them"
        )


KIND = MailboxSecurityKind()
