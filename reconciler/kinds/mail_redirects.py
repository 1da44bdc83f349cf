"""The mail_redirects kind: a mail hosting's redirection addresses (no mailbox behind them).

``state/mail/redirects/<domain>.yaml`` maps each redirection address to the addresses that receive its mail
(docs/format-mail.md)::

    team@example.ch:
      to: [alice.martin@example.ch, bob.keller@example.ch]

A redirection absent from the file is deleted (mail sent to its address then bounces: flagged). A new
target receives mail only after it confirms Infomaniak's opt-in message, so live state lags the file:
the plan says so on every change that adds a target. Pending targets count as present, so a plan does not
repeat itself while they confirm.

Live side (``mail.json``): ``GET /1/mail_hostings/{id}/redirections`` (one paginated list), ``POST`` (``name``
= the address's local part, ``targets``), ``PUT …/{redirection_id}`` (``targets``) and ``DELETE``. The
inventory's read-only kind ``mail_redirections`` lists the same redirections with their opt-in states.
"""

from __future__ import annotations

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
from reconciler.kinds.mail_file import EXTERNAL_ADDRESS, MailAddressKind, mail_entries
from reconciler.kinds.mail_hosting import (
    file_domain,
    hosting_id,
    mail_domain,
    mail_files,
    mailboxes,
    row_address,
)

KIND_NAME = "mail_redirects"
FILES = mail_files("redirects")
TARGETS_MAX = 10
"""``maxItems`` of ``targets`` in the spec."""


def _target(raw: str) -> str:
    text = raw.strip().lower()
    if not EXTERNAL_ADDRESS.fullmatch(text) or len(text) > 255:
        raise PydanticCustomError("mail_redirect_to", "{value} is not an email address", {"value": repr(raw)})
    return text


class Redirect(SpecModel):
    """One redirection address of the hosting and where its mail goes."""

    to: list[Annotated[str, AfterValidator(_target)]] = Field(
        min_length=1,
        max_length=TARGETS_MAX,
        description="Addresses that receive the mail sent to this address (1 to 10). A set, compared "
        "lowercased. A new target gets mail only once it confirms Infomaniak's opt-in message.",
    )


def _spec(spec: SpecModel) -> Redirect:
    if not isinstance(spec, Redirect):
        raise TypeError(f"not a mail_redirects spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the sorted set of targets (pending or confirmed alike)."""
    return {"to": sorted(set(_spec(spec).to))}


def from_api(row: Mapping[str, Any]) -> Redirect:
    """A redirection of the list: its targets' addresses."""
    targets = [
        str(t.get("address") if isinstance(t, Mapping) else t).strip().lower()
        for t in row.get("targets") or []
    ]
    return Redirect.model_construct(to=[t for t in targets if t])


def address_of(row: Mapping[str, Any], domain: str) -> str:
    """A redirection's full address: ``address.address``, else its name in the domain."""
    address = row.get("address")
    if isinstance(address, Mapping) and address.get("address"):
        return str(address["address"]).strip().lower()
    return f"{str(row.get('name') or '').strip().lower()}@{domain}"


def parse_file(document: Any, source: DocumentSource, *, domain: str) -> list[DesiredObject]:
    """Desired objects of a redirects file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for address, path, spec in mail_entries(
        document,
        source,
        Redirect,
        domain=domain,
        not_a_mapping="a redirects file maps redirection addresses to their targets",
        document_rule="mail-redirects-document",
        not_in_domain="{address} is not an address of {domain}",
        entry_hint="give the redirection as a mapping: to: [address, ...]",
    ):
        if address in spec.to:
            where = (*path, "to", spec.to.index(address))
            source.error(where, f"{address} cannot redirect to itself", rule="mail-redirect-self")
            continue
        objects.append(DesiredObject(key=(address,), spec=spec, located=source.locate(path)))
    return objects


class MailRedirectsKind(MailAddressKind):
    """Redirection addresses of Infomaniak mail hostings."""

    name: ClassVar[str] = KIND_NAME
    spec_model: ClassVar[type[SpecModel]] = Redirect
    apply_order: ClassVar[int] = 48
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "Mail redirections file (state/mail/redirects/<domain>.yaml)"
    schema_description: ClassVar[str] = (
        "Redirection addresses of the hosting mapped to their targets. A redirection absent from the "
        "file is deleted. See docs/format-mail.md."
    )
    not_a_mapping: ClassVar[str] = "the redirects file is not a mapping of addresses to redirections"
    not_an_entry: ClassVar[str] = (
        "a mail_redirects entry is a mapping: to: [address, ...] (see docs/format-mail.md)"
    )

    # -- files (scope_files, path_for: KindBase; file_schema, render, edits: KeyedFileKind) -----------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source, domain=file_domain(source.file))

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def format_key(self, key: Key) -> str:
        return key[0]

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if after is None:
            return [f"deletes the redirection {key[0]}: mail sent there bounces"]
        domain = key[0].rsplit("@", 1)[1]
        added = sorted(set(after["to"]) - set((before or {}).get("to", [])))
        reasons = []
        outside = [t for t in added if t.rsplit("@", 1)[1] != domain]
        if outside:
            reasons.append(f"redirects the mail of {key[0]} outside {domain}, to {', '.join(outside)}")
        if added:
            reasons.append(
                f"{', '.join(added)} receive(s) mail only after confirming Infomaniak's opt-in message; "
                "until then the redirection shows them as pending"
            )
        return reasons

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        # Deletes first: a redirection removed frees its address for a mailbox alias or a new one.
        return {"delete": 0, "update": 1, "create": 2}[action]

    # -- live (discover: MailAddressKind) ---------------------------------------------------------------
    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        domain = mail_domain(scope)
        hosting = await hosting_id(ctx, domain, layout=FILES)
        rows = await ctx.client.get_all(_path(hosting))
        return [
            LiveObject(
                key=(address_of(row, domain),),
                spec=from_api(row),
                native={"hosting": hosting, "id": row["id"]},
            )
            for row in rows
        ]

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """A redirection's address must be free: not a mailbox nor one of their aliases."""
        domain = mail_domain(scope)
        rows = await mailboxes(ctx, await hosting_id(ctx, domain, layout=FILES))
        used = {row_address(row, domain): row_address(row, domain) for row in rows}
        for row in rows:
            for alias in row.get("aliases") or []:
                used[f"{str(alias).lower()}@{domain}"] = f"an alias of {row_address(row, domain)}"
        return [
            (
                obj,
                f"{obj.key[0]} is {'a mailbox' if used[obj.key[0]] == obj.key[0] else used[obj.key[0]]}; "
                "a redirection needs an address of its own",
            )
            for obj in desired
            if obj.key[0] in used
        ]

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        hosting = await hosting_id(ctx, mail_domain(scope), layout=FILES)
        body = {"name": desired.key[0].split("@")[0], "targets": normalize(desired.spec)["to"]}
        await ctx.client.post(_path(hosting), json=body)

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        native = _native(live)
        path = f"{_path(native['hosting'])}/{segment(native['id'])}"
        await ctx.client.put(path, json={"targets": normalize(desired.spec)["to"]})

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        native = _native(live)
        await ctx.client.delete(f"{_path(native['hosting'])}/{segment(native['id'])}")


def _path(hosting: int) -> str:
    return f"/1/mail_hostings/{segment(hosting)}/redirections"


def _native(live: LiveObject) -> dict[str, Any]:
    return native_fields(live, KIND_NAME, "id")


KIND = MailRedirectsKind()
