"""What the mail kinds share: their files in ``state/mail/``, the mail hosting of a domain, its mailboxes.

Each mail kind has one file per mail hosting, named after its domain, in its own folder under
``state/mail/`` (docs/format-mail.md explains the choice)::

    mail/example.ch.yaml              mailbox_security
    mail/aliases/example.ch.yaml      mail_aliases
    mail/forwarding/example.ch.yaml   mail_forwarding

All of them answer the target ``mail/example.ch`` (their ``directory`` is ``mail``).

The lookups are cached per run in ``RunContext.cache``, so a plan of every mail kind reads the product list
once and each hosting's mailbox list once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.api.paths import segment
from reconciler.errors import PlanError
from reconciler.kinds.base import RunContext
from reconciler.kinds.mapping_file import FilePerScope, shown

MAIL_DIRECTORY = "mail"
"""The ``directory`` of every mail kind, the head of the target ``mail/example.ch``."""

_HOSTINGS_CACHE = "mail/hostings"


def mail_domain(text: str) -> str:
    """A mail hosting's domain as used in scopes and file names: lowercased, without a trailing dot."""
    return text.strip().lower().rstrip(".")


def mail_files(folder: str) -> FilePerScope:
    """The layout of the mail kind whose files are ``mail/<folder>/<domain>.yaml``."""
    return FilePerScope(
        f"{MAIL_DIRECTORY}/{folder}",
        mail_domain,
        duplicate=f"two files hold the {folder} of mail hosting {{scope!r}}: {{first}} and {{second}}",
        rule="mail-duplicate-file",
    )


def file_domain(file: str) -> str:
    """The mail hosting a file holds: ``example.ch`` for ``…/mail/aliases/example.ch.yaml``."""
    return mail_domain(Path(file).stem)


async def hostings(ctx: RunContext) -> list[dict[str, Any]]:
    """The account's mail hostings (``email_hosting`` products), read once per run."""
    cached = ctx.cache.get(_HOSTINGS_CACHE)
    if cached is None:
        params: dict[str, Any] = {"service_name": "email_hosting"}
        if ctx.account_id is not None:
            params["account_id"] = ctx.account_id
        cached = await ctx.client.get_all("/1/products", params=params)
        ctx.cache[_HOSTINGS_CACHE] = cached
    found: list[dict[str, Any]] = cached
    return found


async def discover_domains(ctx: RunContext) -> list[str]:
    """Domains of the account's mail hostings (the scopes of every mail kind)."""
    return sorted(
        {mail_domain(str(h["customer_name"])) for h in await hostings(ctx) if h.get("customer_name")}
    )


async def hosting_id(ctx: RunContext, domain: str, *, layout: FilePerScope) -> int:
    """The id of the mail hosting of ``domain``; PlanError naming the file when there is none (or several)."""
    every = await hostings(ctx)
    matches = [
        h
        for h in every
        if domain in (mail_domain(str(h.get("customer_name") or "")), mail_domain(str(h.get("fqdn") or "")))
    ]
    if len(matches) == 1:
        return int(matches[0]["id"])
    state_dir = ctx.state_dir or Path("state")
    file = shown(layout.path_for(state_dir, domain), state_dir)
    if not matches:
        known = ", ".join(sorted(mail_domain(str(h.get("customer_name"))) for h in every)) or "none"
        raise PlanError(
            f"mail hosting {domain!r} does not exist in the account ({file})\n"
            f"  mail hostings the token sees: {known}\n"
            "  rename the file after one of them, or remove it"
        )
    ids = ", ".join(str(h.get("id")) for h in matches)
    raise PlanError(f"{len(matches)} mail hostings are named {domain!r} (ids {ids}); cannot tell ({file})")


async def mailboxes(ctx: RunContext, hosting: int) -> list[dict[str, Any]]:
    """Every mailbox of a hosting with its aliases (one paginated list call per run and hosting)."""
    cache_key = f"mail/mailboxes/{hosting}"
    cached = ctx.cache.get(cache_key)
    if cached is None:
        cached = await ctx.client.get_all(
            f"/1/mail_hostings/{segment(hosting)}/mailboxes", params={"with": "aliases"}
        )
        ctx.cache[cache_key] = cached
    rows: list[dict[str, Any]] = cached
    return rows


def row_address(row: dict[str, Any], domain: str) -> str:
    """A mailbox row's full address, lowercased."""
    return str(row.get("mailbox") or f"{row['mailbox_name']}@{domain}").strip().lower()
