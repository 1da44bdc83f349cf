"""The mail_settings kind: a mail hosting's service-level settings, one file per mail hosting.

``state/mail/settings/<domain>.yaml`` holds the settings that apply to every mailbox of the hosting
(docs/format-mail.md)::

    spam_filter: true
    promotion_filter: false
    external_mail_flag: true
    authorized_senders: [partner.example]
    blocked_senders: [spam.example]
    default_permissions: {can_manage_redirections: false}

Each setting is one resource (key ``("spam_filter",)`` ...), so a plan shows
``mail_settings/example.ch/spam_filter``; a setting left out of the file is not managed. The sender
lists here are the hosting's own (the documented alternative to per-mailbox lists).

Live side (``mail.json``): ``GET /1/mail_hostings/{id}/preferences`` (one call), ``PATCH`` of the changed
setting with its API name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from reconciler.api.paths import segment
from reconciler.kinds.base import (
    Action,
    DesiredObject,
    FileLayout,
    Key,
    LiveObject,
    RunContext,
    SpecModel,
)
from reconciler.kinds.mail_hosting import (
    MAIL_DIRECTORY,
    discover_domains,
    hosting_id,
    mail_domain,
    mail_files,
)
from reconciler.kinds.mailbox_security.spec import Sender
from reconciler.kinds.mapping_file import SCHEMA_DIALECT, SettingsFileKind

KIND_NAME = "mail_settings"
FILES = mail_files("settings")

FLAGS = {
    "spam_filter": "spam_filter_enabled",
    "promotion_filter": "promotion_filter_enabled",
    "external_mail_flag": "external_mail_flag_enabled",
}
"""YAML name → API name of the on/off settings."""
LISTS = ("authorized_senders", "blocked_senders")
SETTINGS = (*FLAGS, *LISTS, "default_permissions")
PERMISSIONS = (
    "can_manage_filters",
    "can_manage_security",
    "can_manage_aliases",
    "can_manage_redirections",
    "can_manage_signatures",
    "can_manage_auto_reply",
    "can_change_password",
    "can_configure_mail_folders",
    "can_restore_emails",
    "can_manage_rules",
    "can_access_logs",
)


class DefaultPermissions(SpecModel):
    """What the users of a new mailbox may do themselves; omitted ones are granted (the API's default)."""

    can_manage_filters: bool = True
    can_manage_security: bool = True
    can_manage_aliases: bool = True
    can_manage_redirections: bool = Field(
        True, description="Users may forward the mailbox's mail themselves."
    )
    can_manage_signatures: bool = True
    can_manage_auto_reply: bool = True
    can_change_password: bool = True
    can_configure_mail_folders: bool = True
    can_restore_emails: bool = True
    can_manage_rules: bool = True
    can_access_logs: bool = True


class MailPreference(SpecModel):
    """One service-level setting of a mail hosting (exactly one field is set per entry)."""

    spam_filter: bool | None = Field(
        None, description="Filter spam for every mailbox (API spam_filter_enabled)."
    )
    promotion_filter: bool | None = Field(
        None, description="Sort promotions into their own folder (API promotion_filter_enabled)."
    )
    external_mail_flag: bool | None = Field(
        None, description="Flag mail from outside the organisation (API external_mail_flag_enabled)."
    )
    authorized_senders: list[Sender] | None = Field(
        None, description="Addresses or domains whose mail skips the spam filter in every mailbox. A set."
    )
    blocked_senders: list[Sender] | None = Field(
        None, description="Addresses or domains whose mail every mailbox refuses. A set."
    )
    default_permissions: DefaultPermissions | None = Field(
        None, description="Permissions of the users of new mailboxes; omitted ones are granted."
    )


def _spec(spec: SpecModel) -> MailPreference:
    if not isinstance(spec, MailPreference):
        raise TypeError(f"not a mail_settings spec: {type(spec).__name__}")
    return spec


def normalize(spec: SpecModel) -> dict[str, Any]:
    """Canonical form of both sides: the one setting an entry holds (sender lists sorted sets)."""
    preference = _spec(spec)
    for name in SETTINGS:
        value = getattr(preference, name)
        if value is None:
            continue
        if name in LISTS:
            return {name: sorted(set(value))}
        if isinstance(value, DefaultPermissions):
            return {name: value.model_dump()}
        return {name: bool(value)}
    raise ValueError("a mail_settings entry sets one setting")


def from_api(data: Mapping[str, Any]) -> list[tuple[str, MailPreference]]:
    """The settings of ``GET …/preferences`` as ``(name, spec)`` pairs."""
    found: list[tuple[str, MailPreference]] = []
    for name, api_name in FLAGS.items():
        if api_name in data:
            found.append((name, MailPreference(**{name: bool(data[api_name])})))
    for name in LISTS:
        if isinstance(data.get(name), list):
            emails = (
                str(s.get("email") if isinstance(s, Mapping) else s).strip().lower() for s in data[name]
            )
            senders = [email.removeprefix("@") for email in emails if email]
            # Live data is never rejected: an odd sender shows in the plan instead of failing the fetch.
            spec = (
                MailPreference.model_construct(authorized_senders=senders)
                if name == "authorized_senders"
                else (MailPreference.model_construct(blocked_senders=senders))
            )
            found.append((name, spec))
    permissions = data.get("default_permissions")
    if isinstance(permissions, Mapping):
        known = {p: bool(permissions[p]) for p in PERMISSIONS if p in permissions}
        found.append(("default_permissions", MailPreference(default_permissions=DefaultPermissions(**known))))
    return found


def to_api(spec: SpecModel) -> dict[str, Any]:
    """The ``PATCH …/preferences`` body that sets this one setting."""
    ((name, value),) = normalize(spec).items()
    return {FLAGS.get(name, name): value}


class MailSettingsKind(SettingsFileKind):
    """Service-level settings of Infomaniak mail hostings."""

    settings: ClassVar[tuple[str, ...]] = SETTINGS
    unknown_setting: ClassVar[str] = f"a preferences file holds {', '.join(SETTINGS)}; got {{got}}"
    not_a_document: ClassVar[str] = "a preferences file is a mapping of settings (spam_filter: true, ...)"
    document_rule: ClassVar[str] = "mail-prefs"
    rule: ClassVar[str] = "mail-prefs"
    one_field_entry: ClassVar[str] = (
        "a mail_settings entry is a mapping with one field, {field} (docs/format-mail.md)"
    )
    not_a_mapping: ClassVar[str] = "the preferences file is not a mapping of settings"

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = MAIL_DIRECTORY
    spec_model: ClassVar[type[SpecModel]] = MailPreference
    apply_order: ClassVar[int] = 46
    files: ClassVar[FileLayout] = FILES

    # -- files (scope_files, path_for: KindBase; parse, parse_key: SettingsFileKind) --------------------
    def file_schema(self) -> dict[str, Any]:
        entry = MailPreference.model_json_schema()
        properties = entry["properties"]
        schema: dict[str, Any] = {
            "$schema": SCHEMA_DIALECT,
            "title": "Mail hosting preferences (state/mail/settings/<domain>.yaml)",
            "description": "Settings of every mailbox of the hosting; a setting left out is not managed. "
            "See docs/format-mail.md.",
            "type": ["object", "null"],
            "properties": {
                **{
                    name: {"type": "boolean", "description": properties[name]["description"]}
                    for name in FLAGS
                },
                **{
                    name: {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": properties[name]["description"],
                    }
                    for name in LISTS
                },
                "default_permissions": {"$ref": "#/$defs/DefaultPermissions"},
            },
            "additionalProperties": False,
            "$defs": {"DefaultPermissions": DefaultPermissions.model_json_schema()},
        }
        return schema

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec)

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        # Every hosting has every setting; one left out of the file is simply not managed.
        return True

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        if before is None or after is None:
            return []
        name = key[0]
        if name == "spam_filter" and before[name] and not after[name]:
            return ["turns the spam filter off for every mailbox of the hosting"]
        if name == "external_mail_flag" and before[name] and not after[name]:
            return ["stops flagging mail from outside the organisation (a phishing safeguard)"]
        if name == "authorized_senders":
            added = sorted(set(after[name]) - set(before[name]))
            if added:
                return [f"authorizes {', '.join(added)} for every mailbox: their mail skips the spam filter"]
        if name == "blocked_senders":
            removed = sorted(set(before[name]) - set(after[name]))
            if removed:
                return [f"unblocks {', '.join(removed)} for every mailbox"]
        granted = name == "default_permissions" and after[name]["can_manage_redirections"]
        if granted and not before[name]["can_manage_redirections"]:
            return ["lets the users of new mailboxes forward their mail anywhere"]
        return []

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        return await discover_domains(ctx)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        hosting = await hosting_id(ctx, mail_domain(scope), layout=FILES)
        data = await ctx.client.get(_path(hosting))
        return [LiveObject(key=(name,), spec=spec, native=hosting) for name, spec in from_api(data or {})]

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        hosting = await hosting_id(ctx, mail_domain(scope), layout=FILES)
        await ctx.client.patch(_path(hosting), json=to_api(desired.spec))

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        await self.create(ctx, scope, desired)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        raise RuntimeError(f"mail_settings never deletes a setting ({scope} {live.key[0]})")


def _path(hosting: int) -> str:
    return f"/1/mail_hostings/{segment(hosting)}/preferences"


KIND = MailSettingsKind()
