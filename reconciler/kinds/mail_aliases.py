"""The mail_aliases kind: the aliases of each mailbox, one file per mail hosting.

``state/mail/aliases/<domain>.yaml`` maps full mailbox addresses to the aliases that also deliver to them
(docs/format-mail.md)::

    info@example.ch:
      aliases: [contact, hello]        # contact@example.ch and hello@example.ch reach info@

An alias is written as its local part (``contact``) or as a full address of the same domain; both sides
compare as sorted, lowercased local parts. A mailbox absent from the file has no alias: removing its
entry deletes its aliases (a risky change, since mail sent to them then bounces). A mailbox in the file
that does not exist live stops the plan (``check``).

Live side (``mail.json``): the mailbox list (``GET /1/mail_hostings/{id}/mailboxes?with=aliases``, one
call per hosting) gives every mailbox's aliases; a mailbox's list is set whole with ``PUT …/aliases``, and
removed alias by alias with ``DELETE …/aliases/{alias}`` (the ``PUT`` refuses an empty list).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from reconciler.api.paths import segment
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
from reconciler.kinds.mail_file import MailAddressKind, mail_entries, missing_mailboxes
from reconciler.kinds.mail_hosting import (
    file_domain,
    hosting_id,
    mail_domain,
    mail_files,
    mailboxes,
    row_address,
)
from reconciler.kinds.mailbox_security.spec import mailbox_address

KIND_NAME = "mail_aliases"
FILES = mail_files("aliases")
ALIAS_MAX = 64
"""``maxLength`` of an alias in the spec's request bodies."""

_LOCAL_PART = re.compile(r"[a-z0-9._+-]+")


def _alias(raw: str) -> str:
    text = raw.strip().lower()
    local, at, _ = text.partition("@")
    if not _LOCAL_PART.fullmatch(local) or len(local) > ALIAS_MAX:
        raise PydanticCustomError(
            "mail_alias",
            "{value} is no alias: give its local part (letters, digits, . _ + -; at most 64) or its full "
            "address",
            {"value": repr(raw)},
        )
    # Keep the domain for parse_file's same-domain check; normalize drops it.
    return text if at else local


Alias = Annotated[str, AfterValidator(_alias)]


class MailboxAliases(SpecModel):
    """The aliases of one existing mailbox."""

    aliases: list[Alias] = Field(
        min_length=1,
        description="Other addresses of the same domain that deliver to this mailbox, as local parts "
        "(`contact`) or full addresses (`contact@example.ch`). A set: order never matters. To remove every "
        "alias of a mailbox, remove its entry.",
    )


def key(address: str) -> Key:
    """The identity of an entry: the mailbox's full address, lowercased."""
    return (mailbox_address(address),)


def _spec(spec: SpecModel) -> MailboxAliases:
    if not isinstance(spec, MailboxAliases):
        raise TypeError(f"not a mail_aliases spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the sorted set of local parts."""
    return {"aliases": sorted({alias.partition("@")[0] for alias in _spec(spec).aliases})}


def from_api(row: Mapping[str, Any]) -> MailboxAliases | None:
    """A mailbox row's aliases (``aliases`` holds local parts); None when it has none."""
    aliases = [str(a).strip().lower() for a in row.get("aliases") or [] if str(a).strip()]
    return MailboxAliases.model_construct(aliases=aliases) if aliases else None


def to_api(spec: SpecModel) -> dict[str, Any]:
    """The body of ``PUT …/aliases``: the whole list."""
    return {"aliases": normalize(spec)["aliases"]}


# -- the file -----------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource, *, domain: str) -> list[DesiredObject]:
    """Desired objects of an aliases file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    owner: dict[str, str] = {}
    for address, path, spec in mail_entries(
        document,
        source,
        MailboxAliases,
        domain=domain,
        not_a_mapping="an aliases file maps mailbox addresses to their aliases",
        document_rule="mail-aliases-document",
        not_in_domain="{address} is not a mailbox of {domain}: this file holds the aliases of {domain}",
        entry_hint="give the mailbox's aliases as a mapping: aliases: [contact, ...]",
    ):
        ok = True
        for index, alias in enumerate(spec.aliases):
            local, _, alias_domain = alias.partition("@")
            where = (*path, "aliases", index)
            if alias_domain and alias_domain != domain:
                source.error(
                    where,
                    f"{alias} is not an address of {domain}; an alias shares its mailbox's domain",
                    rule="mail-alias-domain",
                )
                ok = False
            elif local == address.split("@")[0]:
                source.error(
                    where, f"{local} is the mailbox's own name, not an alias", rule="mail-alias-self"
                )
                ok = False
            elif local in owner:
                where_else = "this mailbox" if owner[local] == address else owner[local]
                source.error(
                    where,
                    f"{local} is already an alias of {where_else}; an alias delivers to one mailbox",
                    rule="mail-alias-duplicate",
                )
                ok = False
            else:
                owner[local] = address
        if ok:
            objects.append(DesiredObject(key=(address,), spec=spec, located=source.locate(path)))
    return objects


class MailAliasesKind(MailAddressKind):
    """The aliases of the mailboxes of Infomaniak mail hostings."""

    name: ClassVar[str] = KIND_NAME
    spec_model: ClassVar[type[SpecModel]] = MailboxAliases
    apply_order: ClassVar[int] = 42
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "Mailbox aliases file (state/mail/aliases/<domain>.yaml)"
    schema_description: ClassVar[str] = (
        "Full mailbox addresses of the mail hosting mapped to their aliases. A mailbox absent from the file "
        "has no alias. See docs/format-mail.md."
    )
    not_a_mapping: ClassVar[str] = "the aliases file is not a mapping of mailbox addresses to aliases"
    not_an_entry: ClassVar[str] = (
        "a mail_aliases entry is a mapping: aliases: [contact, ...] (see docs/format-mail.md)"
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
        lost = sorted(set((before or {}).get("aliases", [])) - set((after or {}).get("aliases", [])))
        if not lost:
            return []
        domain = key[0].rsplit("@", 1)[1]
        addresses = ", ".join(f"{alias}@{domain}" for alias in lost)
        return [f"removes {addresses} from {key[0]}: mail sent there bounces"]

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        # Removals first, so that an alias moved from one mailbox to another is free when it is added.
        return {"delete": 0, "update": 1, "create": 2}[action]

    # -- live (discover: MailAddressKind) ---------------------------------------------------------------
    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        domain = mail_domain(scope)
        hosting = await hosting_id(ctx, domain, layout=FILES)
        objects = []
        for row in await mailboxes(ctx, hosting):
            spec = from_api(row)
            if spec is not None:
                native = {"hosting_id": hosting, "mailbox_name": str(row["mailbox_name"])}
                objects.append(LiveObject(key=(row_address(row, domain),), spec=spec, native=native))
        return objects

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """A mailbox in the file must exist, and an alias must not be the name of another mailbox."""
        domain = mail_domain(scope)
        rows = await mailboxes(ctx, await hosting_id(ctx, domain, layout=FILES))
        names = {str(row["mailbox_name"]).lower() for row in rows}
        problems = missing_mailboxes(desired, rows, domain=domain, scope=scope)
        for obj in desired:
            for alias in normalize(obj.spec)["aliases"]:
                if alias in names:
                    problems.append(
                        (obj, f"{alias}@{domain} is a mailbox, so it cannot be an alias of {obj.key[0]}")
                    )
        return problems

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        hosting = await hosting_id(ctx, mail_domain(scope), layout=FILES)
        await _put(ctx, hosting, desired.key[0].split("@")[0], desired.spec)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        native = _native(live)
        await _put(ctx, native["hosting_id"], native["mailbox_name"], desired.spec)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        native = _native(live)
        hosting, name = native["hosting_id"], native["mailbox_name"]
        for alias in list(_row(await mailboxes(ctx, hosting), name).get("aliases") or []):
            await _release(ctx, hosting, name, str(alias))


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next((row for row in rows if str(row["mailbox_name"]) == name), {"mailbox_name": name})


async def _release(ctx: RunContext, hosting: int, name: str, alias: str) -> None:
    """Delete one alias of a mailbox, and keep the run's copy of the mailbox list in step."""
    await ctx.client.delete(f"{_aliases_path(hosting, name)}/{segment(alias)}")
    row = _row(await mailboxes(ctx, hosting), name)
    row["aliases"] = [a for a in row.get("aliases") or [] if a != alias]


async def _put(ctx: RunContext, hosting: int, name: str, spec: SpecModel) -> None:
    """Set a mailbox's whole alias list; an alias another mailbox holds is first released there.

    The API refuses an alias that another mailbox of the hosting still has, so a move from one mailbox to
    another works whichever of the two changes the plan runs first.
    """
    rows = await mailboxes(ctx, hosting)
    body = to_api(spec)
    for alias in body["aliases"]:
        for row in rows:
            if str(row["mailbox_name"]) != name and alias in (row.get("aliases") or []):
                await _release(ctx, hosting, str(row["mailbox_name"]), alias)
    await ctx.client.put(_aliases_path(hosting, name), json=body)
    _row(rows, name)["aliases"] = list(body["aliases"])


def _aliases_path(hosting: int, name: str) -> str:
    return f"/1/mail_hostings/{segment(hosting)}/mailboxes/{segment(name)}/aliases"


def _native(live: LiveObject) -> dict[str, Any]:
    return native_fields(live, KIND_NAME, "hosting_id")


KIND = MailAliasesKind()
