"""The mail_forwarding kind: where each mailbox forwards its mail, one file per mail hosting.

``state/mail/forwarding/<domain>.yaml`` maps full mailbox addresses to their forwarding
(docs/format-mail.md)::

    sales@example.ch:
      to: [crm@partner.example]
      keep_copy: true          # API has_dont_deliver = false
      forward_spam: false      # API has_forward_spam

A mailbox absent from the file does not forward: removing its entry stops its forwarding. A mailbox in
the file that does not exist live stops the plan (``check``).

Live side (``mail.json``): the mailbox list (shared with mail_aliases and mailbox_security, one call per
hosting) says which mailboxes forward (``has_redirection``); only those are read with
``GET …/forwarding_addresses``, concurrently (the API has no hosting-wide read of forwardings). Creates
and updates are one ``PUT …/forwarding_addresses`` with the whole list and both flags; a delete is
``DELETE …/forwarding_addresses`` (every address at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from reconciler.api.paths import segment
from reconciler.api.tasks import gather_all
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    DocumentSource,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
    native_fields,
)
from reconciler.kinds.mail_file import EXTERNAL_ADDRESS, MailAddressKind, mail_entries, missing_mailboxes
from reconciler.kinds.mail_hosting import (
    file_domain,
    hosting_id,
    mail_domain,
    mail_files,
    mailboxes,
    row_address,
)
from reconciler.kinds.mailbox_security.spec import mailbox_address

KIND_NAME = "mail_forwarding"
FILES = mail_files("forwarding")
FORWARDING_MAX = 100
"""``maxItems`` of ``redirect_addresses`` in the spec (1 on a starter pack, which the API enforces)."""


def _target(raw: str) -> str:
    text = raw.strip().lower()
    if not EXTERNAL_ADDRESS.fullmatch(text):
        raise PydanticCustomError("mail_forward_to", "{value} is not an email address", {"value": repr(raw)})
    return text


Target = Annotated[str, AfterValidator(_target)]


class MailboxForwarding(SpecModel):
    """Forwarding of one existing mailbox."""

    to: list[Target] = Field(
        min_length=1,
        max_length=FORWARDING_MAX,
        description="Addresses that receive a copy of every mail of this mailbox. A set: order never "
        "matters, compared lowercased. To stop forwarding, remove the entry.",
    )
    keep_copy: bool = Field(
        default=True,
        description="Also deliver each mail to the mailbox itself (API has_dont_deliver is the opposite).",
    )
    forward_spam: bool = Field(
        default=False, description="Also forward mail detected as spam (API has_forward_spam)."
    )


def key(address: str) -> Key:
    """The identity of an entry: the mailbox's full address, lowercased."""
    return (mailbox_address(address),)


def _spec(spec: SpecModel) -> MailboxForwarding:
    if not isinstance(spec, MailboxForwarding):
        raise TypeError(f"not a mail_forwarding spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the sorted set of targets and both flags."""
    forwarding = _spec(spec)
    return {
        "to": sorted(set(forwarding.to)),
        "keep_copy": forwarding.keep_copy,
        "forward_spam": forwarding.forward_spam,
    }


def _truthy(value: Any) -> bool:
    # The spec types the answer's flags as strings ("1"/"0"); accept booleans too.
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def from_api(data: Mapping[str, Any]) -> MailboxForwarding | None:
    """The answer of ``GET …/forwarding_addresses``; None when the mailbox forwards nowhere."""
    # Sic: the answer spells the list "redirect_adresses"; accept the request bodies' spelling too.
    raw = data.get("redirect_adresses", data.get("redirect_addresses")) or []
    targets = [
        str(item.get("email") if isinstance(item, Mapping) else item).strip().lower()
        for item in raw
        if (item.get("email") if isinstance(item, Mapping) else item)
    ]
    if not targets or not _truthy(data.get("is_enabled", True)):
        return None
    return MailboxForwarding.model_construct(
        to=targets,
        keep_copy=not _truthy(data.get("has_dont_deliver")),
        forward_spam=_truthy(data.get("has_forward_spam")),
    )


def to_api(spec: SpecModel) -> dict[str, Any]:
    """The body of ``PUT …/forwarding_addresses``: the whole list and both flags."""
    canonical = normalize(spec)
    return {
        "is_enabled": True,
        "redirect_addresses": canonical["to"],
        "has_dont_deliver": not canonical["keep_copy"],
        "has_forward_spam": canonical["forward_spam"],
    }


# -- the file -----------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource, *, domain: str) -> list[DesiredObject]:
    """Desired objects of a forwarding file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for address, path, spec in mail_entries(
        document,
        source,
        MailboxForwarding,
        domain=domain,
        not_a_mapping="a forwarding file maps mailbox addresses to their forwarding",
        document_rule="mail-forwarding-document",
        not_in_domain="{address} is not a mailbox of {domain}: this file holds the forwarding of {domain}",
        entry_hint="give the forwarding as a mapping: to: [address, ...]",
    ):
        if address in spec.to:
            index = spec.to.index(address)
            source.error(
                (*path, "to", index), f"{address} cannot forward to itself", rule="mail-forward-self"
            )
            continue
        objects.append(DesiredObject(key=(address,), spec=spec, located=source.locate(path)))
    return objects


class MailForwardingKind(MailAddressKind):
    """Forwarding of the mailboxes of Infomaniak mail hostings."""

    name: ClassVar[str] = KIND_NAME
    spec_model: ClassVar[type[SpecModel]] = MailboxForwarding
    apply_order: ClassVar[int] = 44
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "Mailbox forwarding file (state/mail/forwarding/<domain>.yaml)"
    schema_description: ClassVar[str] = (
        "Full mailbox addresses of the mail hosting mapped to where they forward their mail. A mailbox "
        "absent from the file does not forward. See docs/format-mail.md."
    )
    not_a_mapping: ClassVar[str] = "the forwarding file is not a mapping of mailbox addresses to forwarding"
    not_an_entry: ClassVar[str] = (
        "a mail_forwarding entry is a mapping: to: [address, ...], keep_copy, forward_spam "
        "(see docs/format-mail.md)"
    )

    # -- files (scope_files, path_for: KindBase; file_schema, render, edits: KeyedFileKind) -----------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source, domain=file_domain(source.file))

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        mailbox = key[0]
        domain = mailbox.rsplit("@", 1)[1]
        if after is None:
            if before is not None and not before["keep_copy"]:
                return [f"stops forwarding {mailbox}: its mail stays in the mailbox, which nobody reads"]
            return []
        reasons = []
        was = set(before["to"]) if before else set()
        outside = sorted(t for t in set(after["to"]) - was if t.rsplit("@", 1)[1] != domain)
        if outside:
            reasons.append(f"forwards all mail of {mailbox} outside {domain}, to {', '.join(outside)}")
        if not after["keep_copy"] and (before is None or before["keep_copy"]):
            reasons.append(f"stops keeping a copy in {mailbox}: its mail only reaches the forwarding targets")
        if after["forward_spam"] and not (before or {}).get("forward_spam"):
            reasons.append(f"forwards the spam of {mailbox} too")
        return reasons

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        return {"create": 0, "update": 1, "delete": 2}[action]

    # -- live (discover: MailAddressKind) ---------------------------------------------------------------
    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        domain = mail_domain(scope)
        hosting = await hosting_id(ctx, domain, layout=FILES)
        # The API has no list of a hosting's forwardings (docs/api-fidelity.md): one read per forwarding
        # mailbox, all at once, each waiting for its turn in the client's rate limit.
        forwarding = [row for row in await mailboxes(ctx, hosting) if row.get("has_redirection")]
        answers = await gather_all(
            ctx.client.get(_forwarding_path(hosting, str(row["mailbox_name"]))) for row in forwarding
        )
        objects = []
        for row, answer in zip(forwarding, answers, strict=True):
            spec = from_api(answer)
            if spec is not None:
                native = {"hosting_id": hosting, "mailbox_name": str(row["mailbox_name"])}
                objects.append(LiveObject(key=(row_address(row, domain),), spec=spec, native=native))
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """A mailbox in the file must exist: this kind never creates one."""
        domain = mail_domain(scope)
        rows = await mailboxes(ctx, await hosting_id(ctx, domain, layout=FILES))
        return missing_mailboxes(desired, rows, domain=domain, scope=scope)

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        hosting = await hosting_id(ctx, mail_domain(scope), layout=FILES)
        path = _forwarding_path(hosting, desired.key[0].split("@")[0])
        await ctx.client.put(path, json=to_api(desired.spec))

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        native = _native(live)
        path = _forwarding_path(native["hosting_id"], native["mailbox_name"])
        await ctx.client.put(path, json=to_api(desired.spec))

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        native = _native(live)
        await ctx.client.delete(_forwarding_path(native["hosting_id"], native["mailbox_name"]))


def _forwarding_path(hosting: int, name: str) -> str:
    return f"/1/mail_hostings/{segment(hosting)}/mailboxes/{segment(name)}/forwarding_addresses"


def _native(live: LiveObject) -> dict[str, Any]:
    return native_fields(live, KIND_NAME, "hosting_id")


KIND = MailForwardingKind()
