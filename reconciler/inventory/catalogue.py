"""The read-only inventory kinds: one data-driven definition per API list, in one catalogue.

A :class:`ReadKind` says where a list lives (path, paging family, host), which of its fields to keep (and
under which column name), what names a row (so it can be the scope of a child kind) and where its ids come
from. Kinds are never planned or applied: the engine's plan only sees :mod:`reconciler.kinds`, and nothing
here is registered there. ``source`` says what the path and shape rest on: ``spec`` (the official OpenAPI
files), ``third-party`` (clients seen calling it), ``seed`` (the admin MCP seed) or ``guess``; anything but
``spec`` is shown as *unverified* in the catalogue and in ``docs/api-fidelity.md``.
"""

from __future__ import annotations

from reconciler.errors import SettingsError
from reconciler.inventory import derive
from reconciler.inventory.model import DAY, Detail, ReadKind, days_until

_PRODUCT = ("name=customer_name", "id", "service=service_name", "expired_at", "is_locked")

CATALOGUE: tuple[ReadKind, ...] = (
    # account
    ReadKind(
        "accounts",
        "account",
        "Accounts the token sees.",
        "/1/accounts",
        ("name", "id", "type", "nb_users", "nb_invitations", "has_2fa_required", "is_blocked"),
    ),
    ReadKind(
        "products",
        "account",
        "Every product of the account, with expiry and lock state.",
        "/1/products",
        (*_PRODUCT, "has_maintenance", "is_trial"),
        params={"account_id": "{account}"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
    ),
    ReadKind(
        "account_users",
        "account",
        "Users of the account and their role.",
        "/2/accounts/{account}/users",
        (
            "email",
            "user_id",
            "name=display_name",
            "role=role_type",
            "state=state_in_account",
            "last_login_at",
        ),
        where=derive.member,
        id_field="user_id",
    ),
    ReadKind(
        "account_teams",
        "account",
        "Teams with their member and product counts (members: the managed kind teams).",
        "/1/accounts/{account}/teams",
        ("name", "id", "user_count", "product_count"),
    ),
    ReadKind(
        "invitations",
        "account",
        "Pending invitations and their age in days.",
        "/2/accounts/{account}/users",
        ("email", "invitation_id", "role=role_type", "status", "sent_at", "expired_at"),
        where=derive.pending,
        derive=derive.invitation_age,
        adds=("age_days",),
        details=(
            Detail(
                "/1/accounts/{account}/invitations/{invitation_id}",
                ("status", "sent_at", "created_at", "expired_at"),
            ),
        ),
    ),
    ReadKind(
        "app_accesses",
        "account",
        "What each user can still reach (drives, mailboxes, kChat, products).",
        "/2/accounts/{account}/users/{_id}/app_accesses",
        ("user=_scope", "drives", "mailboxes", "kchat", "products"),
        parent="account_users",
        id_field="user_id",
        paging="object",
        note="path in the spec; the answer's shape is undocumented (an object) and follows the manager",
    ),
    # domains
    ReadKind(
        "registered_domains",
        "domain",
        "Domains: expiry, renewal warranty, nameservers, DNSSEC, transfer lock.",
        "/2/domains/domains",
        (
            "name",
            "id",
            "expires_at",
            "renewal_warranty=options.renewal_warranty",
            "_zones=zones",
            "_epp=status",
        ),
        params={"account_id": "{account}"},
        derive=derive.domain_state,
        adds=("expires_in_days", "transfer_lock", "nameservers", "dnssec"),
        source="third-party",
        details=(
            Detail("/2/domains/domains/{name}", ("status", "options")),
            Detail("/2/domains/{name}/zones", ("zones=*",)),
        ),
        note="list and detail from clients (xLongLink SDK, admin MCP); zones from the spec",
    ),
    # mail
    ReadKind(
        "mail_hostings",
        "mail",
        "Mail hostings (service mail) with pack and expiry.",
        "/1/mail_hostings",
        ("name=customer_name", "id", "pack=pack.description", "expired_at", "is_locked"),
        params={"account_id": "{account}"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
        source="third-party",
        note="list route of the 2024 spec, missing from the 2025 files",
    ),
    ReadKind(
        "mailboxes",
        "mail",
        "Mailboxes: size, aliases, forwarding, auto-reply, spam handling.",
        "/1/mail_hostings/{_id}/mailboxes",
        ("mailbox", "size", "aliases=full_aliases", "move_spam=has_move_spam", "imap_last_login_at"),
        parent="mail_hostings",
        derive=derive.mailbox,
        adds=("forwarding", "auto_reply"),
    ),
    ReadKind(
        "mail_redirections",
        "mail",
        "Service-level redirections (address → targets).",
        "/1/mail_hostings/{_id}/redirections",
        ("name", "address=address.address", "state", "targets"),
        parent="mail_hostings",
        derive=derive.names("targets", "address"),
    ),
    ReadKind(
        "mail_auto_replies",
        "mail",
        "Auto-reply models of a mail hosting and whether they are active.",
        "/1/mail_hostings/{_id}/auto_replies",
        ("name", "id", "is_active", "started_at", "ended_at"),
        parent="mail_hostings",
    ),
    ReadKind(
        "mailing_lists",
        "mail",
        "Mailing lists of a mail hosting.",
        "/1/mail_hostings/{_id}/mailing_lists",
        ("name", "address=mail", "subscribers=user_count", "info"),
        parent="mail_hostings",
    ),
    ReadKind(
        "mail_preferences",
        "mail",
        "Hosting-wide spam filter, sender lists and default permissions.",
        "/1/mail_hostings/{_id}/preferences",
        (
            "hosting=_scope",
            "spam_filter_enabled",
            "promotion_filter_enabled",
            "external_mail_flag_enabled",
            "authorized_senders",
            "blocked_senders",
        ),
        parent="mail_hostings",
        paging="object",
    ),
    # kDrive
    ReadKind(
        "drives",
        "drive",
        "kDrives: size and use, users, expiry.",
        "/2/drive",
        ("name", "id", "size", "used_size", "users_count", "expired_at", "is_locked"),
        params={"account_id": "{account}"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
    ),
    ReadKind(
        "drive_users",
        "drive",
        "Users of a kDrive, their role and two-factor state.",
        "/2/drive/{_id}/users",
        (
            "email",
            "id",
            "role",
            "status",
            "type",
            "two_factor=security.has_double_auth",
            "last_connection_at",
        ),
        parent="drives",
    ),
    ReadKind(
        "drive_settings",
        "drive",
        "Settings of a kDrive (trash retention, share-link page, AI scan).",
        "/2/drive/{_id}/settings",
        (
            "drive=_scope",
            "trash_max_days=trash.max_duration",
            "shared_link_page=shared_link.activate",
            "ai_scan=ai_scan.has_approved",
        ),
        parent="drives",
        paging="object",
    ),
    ReadKind(
        "drive_trash",
        "drive",
        "What sits in a kDrive's trash.",
        "/2/drive/{_id}/trash/count",
        ("drive=_scope", "count", "files", "directories"),
        parent="drives",
        paging="object",
    ),
    ReadKind(
        "drive_trash_files",
        "drive",
        "Files and folders in a kDrive's trash, with their size.",
        "/3/drive/{_id}/trash",
        ("path", "size", "type", "name"),
        parent="drives",
        paging="cursor",
    ),
    # web hosting (undocumented public routes)
    ReadKind(
        "web_hostings",
        "web",
        "Web hostings of the account.",
        "/1/products",
        _PRODUCT,
        params={"account_id": "{account}", "service_name": "hosting"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
    ),
    ReadKind(
        "web_sites",
        "web",
        "Sites of a web hosting, with SSL state and applications.",
        "/1/web_hostings/{_id}/sites",
        ("fqdn=main_fqdn", "id", "type=hosting_type", "ssl=ssl_status", "ssl_issuer", "applications"),
        parent="web_hostings",
        source="third-party",
        derive=derive.names("applications", "type"),
    ),
    ReadKind(
        "ssl_certificates",
        "web",
        "The certificate of each site: type, issuer, expiry.",
        "/1/web_hostings/{_parent_id}/certificates/{_id}",
        ("fqdn=main_fqdn", "status", "type", "issuer", "expired_at", "is_valid"),
        parent="web_sites",
        paging="object",
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
        source="third-party",
    ),
    ReadKind(
        "web_databases",
        "web",
        "Databases of a web hosting.",
        "/1/web_hostings/{_id}/databases",
        ("name", "disk_used", "permissions"),
        parent="web_hostings",
        source="third-party",
        derive=derive.grants("permissions", "user"),
    ),
    ReadKind(
        "web_database_users",
        "web",
        "Database users of a web hosting.",
        "/1/web_hostings/{_id}/database_users",
        ("name", "permissions", "is_temporary"),
        parent="web_hostings",
        source="third-party",
        derive=derive.grants("permissions", "database"),
    ),
    ReadKind(
        "web_users",
        "web",
        "FTP/SSH users of a web hosting.",
        "/1/web_hostings/{_id}/users",
        ("login", "has_ssh", "is_active", "home_directory"),
        parent="web_hostings",
        source="third-party",
    ),
    # other products (list level)
    ReadKind(
        "swiss_backups",
        "backup",
        "Swiss Backup products.",
        "/1/swiss_backups",
        _PRODUCT,
        params={"account_id": "{account}"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
    ),
    ReadKind(
        "swiss_backup_slots",
        "backup",
        "Slots of a Swiss Backup: type, size, use, lock.",
        "/1/swiss_backups/{_id}/slots",
        ("name=customer_name", "id", "type", "size", "storage_used", "locked"),
        parent="swiss_backups",
    ),
    ReadKind(
        "short_urls",
        "url_shortener",
        "Short URLs and their expiry.",
        "/2/url-shortener",
        ("code", "url", "expiration_date", "created_at"),
    ),
    ReadKind(
        "newsletters",
        "newsletter",
        "Newsletter products (their id is the newsletter domain).",
        "/1/products",
        _PRODUCT,
        params={"account_id": "{account}", "service_name": "mailing"},
    ),
    ReadKind(
        "newsletter_lists",
        "newsletter",
        "Subscriber groups of a newsletter.",
        "/1/newsletters/{_id}/groups",
        ("name", "id", "subscribed_count", "updated_at"),
        parent="newsletters",
    ),
    ReadKind(
        "ai_products",
        "ai",
        "AI Tools products and their state.",
        "/1/ai",
        ("name=product_name", "product_id", "account_name", "status"),
        paging="object",
        note="a list without pagination keys",
    ),
    ReadKind(
        "public_clouds",
        "cloud",
        "Public Cloud products.",
        "/1/public_clouds",
        _PRODUCT,
        params={"account_id": "{account}"},
        derive=derive.expiry("expired_at"),
        adds=("expires_in_days",),
    ),
    ReadKind(
        "cloud_projects",
        "cloud",
        "Projects of a Public Cloud.",
        "/1/public_clouds/{_id}/projects",
        ("name", "id=public_cloud_project_id", "status", "user_count", "price"),
        parent="public_clouds",
    ),
    # kChat (Mattermost v4 on https://{team}.kchat.infomaniak.com)
    ReadKind(
        "kchats",
        "kchat",
        "kChat products; the name is the kChat host ({name}.kchat.infomaniak.com).",
        "/1/products",
        _PRODUCT,
        params={"account_id": "{account}", "service_name": "kchat"},
        source="guess",
        note="service_name kchat (id 54) is seen in clients, not in the spec's enum",
    ),
    ReadKind(
        "kchat_teams",
        "kchat",
        "Teams of a kChat.",
        "/api/v4/teams",
        ("name", "id", "display_name", "type"),
        parent="kchats",
        host="kchat",
        paging="mattermost",
    ),
    ReadKind(
        "kchat_channels",
        "kchat",
        "Channels of a kChat team: type (O public, P private), purpose.",
        "/api/v4/teams/{_id}/channels",
        ("name", "id", "display_name", "type", "purpose", "total_msg_count"),
        parent="kchat_teams",
        host="kchat",
        paging="mattermost",
    ),
)


def get_read_kind(name: str) -> ReadKind:
    for kind in CATALOGUE:
        if kind.name == name:
            return kind
    known = ", ".join(k.name for k in CATALOGUE)
    raise SettingsError(f"unknown inventory kind {name!r}; known: {known}")


def find_read_kind(name: str) -> ReadKind | None:
    return next((kind for kind in CATALOGUE if kind.name == name), None)


__all__ = [
    "CATALOGUE",
    "DAY",
    "Detail",
    "ReadKind",
    "days_until",
    "find_read_kind",
    "get_read_kind",
]
