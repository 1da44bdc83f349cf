"""The :class:`ShareLinksKind` the engine uses, registered as :data:`KIND`.

A scope is a drive, named as the account spells it (``Demo Drive``) and matched without case; a key is
the path of the shared file or folder inside it (``/Marketing/brochure.pdf``). Links missing from the file
are deleted (subject to ``prune``, thresholds and ``protect`` rules in infomaniak.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

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
from reconciler.kinds.live import checked_name, join_notes
from reconciler.kinds.mapping_file import FilePerScope, KeyedFileKind
from reconciler.kinds.share_links.api import (
    LinkTarget,
    create_body,
    drive_scopes,
    find_drive,
    inventory,
    link_path,
    read_link,
    resolve,
    update_body,
)
from reconciler.kinds.share_links.secret import KEPT, read_env
from reconciler.kinds.share_links.spec import (
    KIND_NAME,
    ShareLinkEntry,
    drive_scope,
    normalize,
    normalize_path,
    parse_file,
    render_file,
    same_drive,
)

SENSITIVE: frozenset[str] = frozenset({"password"})
"""The password state (a salted fingerprint, or ``kept``) enters the plan hash; plans show ``(sensitive)``."""
IGNORED: frozenset[str] = frozenset(
    {"url", "views", "access_blocked", "created_by", "created_at", "updated_at"}
)
"""Link fields the API sets itself; never compared."""

FILES = FilePerScope(
    "drive",
    drive_scope,
    duplicate="two files hold drive {scope!r}: {first} and {second}; keep one",
    rule="drive-duplicate-file",
)


def _entry(desired: DesiredObject) -> ShareLinkEntry:
    if not isinstance(desired.spec, ShareLinkEntry):
        raise TypeError(f"share_links {desired.key}: desired object was not built by parse")
    return desired.spec


def _target(live: LiveObject) -> LinkTarget:
    if not isinstance(live.native, LinkTarget):
        raise TypeError(f"share_links {live.key}: live object was not built by fetch")
    return live.native


def _password_value(entry: ShareLinkEntry) -> str:
    env = entry.password.env if entry.password else None
    value = read_env(env) if env else None
    if env is None or value is None:
        # Planning read the same variable moments ago in this process; reaching this is a changed env.
        raise PlanError(f"share_links {entry._path} ({entry.where}): environment variable {env} is not set")
    return value


def _recorded_fingerprints(ctx: RunContext, scope: str) -> dict[str, str]:
    """Path → the password fingerprint recorded for a link of this drive at the last apply.

    Recorded keys name the scope as it was then: lowercased before scopes kept the drive's case, or a file
    spelled differently; any spelling of the same drive counts, the exact one first.
    """
    found: dict[str, str] = {}
    exact: dict[str, str] = {}
    for recorded, value in ctx.secret_fingerprints.items():
        head, _, rest = recorded.partition("/")
        drive, _, tail = rest.partition("/")
        if head != KIND_NAME or not tail.endswith("/password") or not same_drive(drive, scope):
            continue
        path = tail.removesuffix("/password")
        (exact if drive == scope else found)[path] = value
    return found | exact


class ShareLinksKind(KeyedFileKind):
    """Share links of kDrive files and folders, one file per drive."""

    name: ClassVar[str] = KIND_NAME
    directory: ClassVar[str] = FILES.directory
    spec_model: ClassVar[type[SpecModel]] = ShareLinkEntry
    apply_order: ClassVar[int] = 50
    sensitive_fields: ClassVar[frozenset[str]] = SENSITIVE
    files: ClassVar[FileLayout] = FILES
    schema_title: ClassVar[str] = "kDrive share links file (state/drive/<drive name>.yaml)"
    schema_description: ClassVar[str] = (
        "Paths inside the drive (starting with '/') mapped to the share link of that file or folder. Links "
        "absent from the file are deleted. See docs/format-drive.md."
    )
    key_schema: ClassVar[dict[str, Any]] = {"pattern": "^/"}
    not_a_mapping: ClassVar[str] = "the drive file is not a mapping of paths to share links"
    not_an_entry: ClassVar[str] = (
        "a share_links entry is a mapping with at least `right` (see docs/format-drive.md)"
    )

    # -- files (scope_files, path_for: KindBase; file_schema, parse_key, edits: KeyedFileKind) -------------
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        return parse_file(document, source)

    def entry_key(self, raw: Any) -> str:
        return normalize_path(raw)

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return render_file(list(objects))

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        return normalize(spec, scope)

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        path = key[0]
        if after is not None and after.get("password") == KEPT and (before or {}).get("right") != "password":
            # No plan-time veto hook exists; risks() is the first hook that sees the change. Keeping a
            # password only works on a link that already has one.
            raise PlanError(
                f"share_links {path}: `password: {{keep: true}}` keeps the live link's password, but "
                f"{'there is no live link' if before is None else 'the live link has none'}\n"
                "  give the password from the environment: `password: {env: NAME}`"
            )
        reasons = []
        if (
            after is not None
            and after["right"] == "public"
            and (before is None or before["right"] != "public")
        ):
            reasons.append(f"makes {path} public: anyone with the URL can open it")
        if before is not None and after is not None:
            if before["right"] == "password" and after["right"] != "password":
                reasons.append(f"removes the password of the link to {path}")
            if before["valid_until"] is not None and after["valid_until"] is None:
                reasons.append(f"removes the expiry of the link to {path}: it stays valid forever")
        if after is not None and after["can_edit"] and not (before or {}).get("can_edit"):
            reasons.append(f"lets anyone with the link edit {path}")
        return reasons

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        return await drive_scopes(ctx)

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        scope = drive_scope(scope)
        drive_id, _ = await find_drive(ctx, scope, files=FILES)
        recorded = _recorded_fingerprints(ctx, scope)
        objects = []
        for path, file_id, link in await inventory(ctx, drive_id):
            password = None
            if link.get("right") == "password":
                # The API never returns the password: report what the last apply recorded, or KEPT.
                password = recorded.get(path, KEPT)
            spec, link_note = read_link(link, password=password)
            _, path_note = checked_name(normalize_path, path)
            target = LinkTarget(drive_id, file_id)
            objects.append(LiveObject((path,), spec, native=target, note=join_notes(path_note, link_note)))
        return objects

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        entry = _entry(desired)
        drive_id, drive_name = await find_drive(ctx, scope, files=FILES)
        file_id = await resolve(ctx, drive_id, desired.key[0], drive_name=drive_name, where=entry.where)
        password = _password_value(entry) if entry.password and entry.password.env else None
        await ctx.client.post(link_path(drive_id, file_id), json=create_body(entry, password))

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        entry = _entry(desired)
        target = _target(live)
        want = self.normalize(entry, scope)
        have = self.normalize(live.spec, scope)
        send_password = bool(entry.password and entry.password.env) and (
            want.get("password") != have.get("password")
        )
        body = update_body(entry, want, have, _password_value(entry) if send_password else None)
        if body:
            await ctx.client.put(link_path(target.drive_id, target.file_id), json=body)

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        target = _target(live)
        await ctx.client.delete(link_path(target.drive_id, target.file_id))


KIND = ShareLinksKind()
