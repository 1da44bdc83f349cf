"""kDrive storage for the simulator: drives, the file tree, share links, their views and validation.

Stored layout (``data/demo_drive.json``)::

    "drives":      [drive, ...]                       # only the fields that differ from DRIVE_DEFAULTS
    "drive_files": {"<drive id>": [file, ...]}         # the tree, without the root (id 1, path "/")

A stored file is ``{id, name, type: "dir"|"file", parent_id, [size], [mime_type], [status], [created_at],
[sharelink]}``; a stored link is ``{right, valid_until, capabilities, created_by, created_at, updated_at,
access_blocked, views, uuid, [password_hash]}``. Paths are computed from the parent chain, never stored.
Link passwords are kept only as SHA-256 hashes: the sandbox file is written to disk.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import ApiError, field_error, not_found, validation_failed

ROOT_ID = 1
RIGHTS = ("inherit", "password", "public")
CAPABILITIES = (
    "can_edit",
    "can_see_stats",
    "can_see_info",
    "can_download",
    "can_comment",
    "can_request_access",
)
LINK_DEFAULTS = {
    "can_edit": False,
    "can_see_stats": False,
    "can_see_info": True,
    "can_download": True,
    "can_request_access": False,
}
"""Capabilities of a link created without them (can_comment follows can_edit, as the spec says)."""
LINK_FIELDS = frozenset({"right", "password", "valid_until", *CAPABILITIES})

DRIVE_DEFAULTS: dict[str, Any] = {
    "id": 0,
    "name": "",
    "size": 1_099_511_627_776,
    "used_size": 0,
    "created_at": 1700000000,
    "updated_at": 1700000000,
    "in_maintenance": False,
    "maintenance_at": None,
    "maintenance_types": [],
    "version": "3.0",
    "users_count": 1,
    "users_quota": 6,
    "product_id": 0,
    "account_id": 0,
    "expired_at": None,
    "is_locked": False,
    "description": "",
    "bill_reference": "",
    "is_demo": False,
    "role": "admin",
    "account_admin": True,
    "is_in_app_subscription": False,
    "status": "ok",
    "quota": {"dropbox": "unlimited", "shared_link": "unlimited"},
}

_EXTENSIONS = {
    "pdf": "pdf",
    "png": "image",
    "jpg": "image",
    "svg": "image",
    "xlsx": "spreadsheet",
    "csv": "spreadsheet",
    "docx": "text",
    "txt": "text",
    "md": "text",
    "pptx": "presentation",
    "zip": "archive",
    "mp4": "video",
    "mp3": "audio",
}


# -- lookups ------------------------------------------------------------------------------------------------


def drives(state: SandboxState) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = state.data.setdefault("drives", [])
    return found


def drive(state: SandboxState, raw: str) -> dict[str, Any]:
    """The drive of a path parameter; 404 when unknown, 503 when it is in maintenance (as documented)."""
    for item in drives(state):
        if str(item["id"]) == raw:
            if item.get("in_maintenance"):
                raise ApiError(503, "drive_is_in_maintenance_error", "Drive is in maintenance")
            return item
    raise not_found("Drive")


def files(state: SandboxState, drive_id: int) -> list[dict[str, Any]]:
    return state.owned("drive_files", drive_id)


def root(drive_id: int) -> dict[str, Any]:
    return {"id": ROOT_ID, "name": "", "type": "dir", "parent_id": 0, "visibility": "is_root"}


def node(state: SandboxState, drive_id: int, file_id: int) -> dict[str, Any]:
    if file_id == ROOT_ID:
        return root(drive_id)
    for item in files(state, drive_id):
        if item["id"] == file_id:
            return item
    raise not_found("File")


def by_id(state: SandboxState, drive_id: int) -> dict[int, dict[str, Any]]:
    """The drive's files by id, for views of many files (a parent chain is then walked in O(depth))."""
    return {item["id"]: item for item in files(state, drive_id)}


def path_of(
    state: SandboxState, drive_id: int, item: dict[str, Any], index: dict[int, dict[str, Any]] | None = None
) -> tuple[str, int]:
    """``(path, depth)`` of a stored file, from its parent chain (``index`` from :func:`by_id` if given)."""
    names: list[str] = []
    current = item
    while current["id"] != ROOT_ID:
        names.append(current["name"])
        parent = current["parent_id"]
        if parent == ROOT_ID or index is None:
            current = node(state, drive_id, parent)
        elif parent in index:
            current = index[parent]
        else:
            raise not_found("File")
    return "/" + "/".join(reversed(names)), len(names)


def trashed(item: dict[str, Any]) -> bool:
    return item.get("status") in ("trashed", "trash_inherited")


# -- views --------------------------------------------------------------------------------------------------


def drive_view(stored: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(DRIVE_DEFAULTS)
    view.update(copy.deepcopy(stored))
    return view


def link_view(drive_id: int, file_id: int, link: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"https://kdrive.infomaniak.com/app/share/{drive_id}/{link['uuid']}",
        "file_id": file_id,
        "right": link["right"],
        "valid_until": link.get("valid_until"),
        "created_by": link["created_by"],
        "created_at": link["created_at"],
        "updated_at": link["updated_at"],
        "capabilities": {name: bool(link["capabilities"].get(name, False)) for name in CAPABILITIES},
        "access_blocked": bool(link.get("access_blocked", False)),
        "views": int(link.get("views", 0)),
    }


def file_view(
    state: SandboxState, drive_id: int, item: dict[str, Any], index: dict[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A FileV3 / DirectoryV3 object; ``path`` always (as the recorded listing in api.md §3.9 shows)."""
    path, depth = path_of(state, drive_id, item, index)
    created = int(item.get("created_at", 1700000000))
    author = int(state.profile.get("id", 0)) or None
    view: dict[str, Any] = {
        "id": item["id"],
        "name": item["name"],
        "sorted_name": item["name"].lower(),
        "path": path,
        "type": item["type"],
        "status": item.get("status", "ok"),
        "visibility": item.get("visibility", ""),
        "drive_id": drive_id,
        "depth": depth,
        "created_by": author,
        "created_at": created,
        "added_at": created,
        "last_modified_at": int(item.get("last_modified_at", created)),
        "last_modified_by": author,
        "revised_at": int(item.get("last_modified_at", created)),
        "updated_at": int(item.get("updated_at", created)),
        "parent_id": item["parent_id"],
    }
    if item["type"] == "dir":
        view["color"] = item.get("color")
    else:
        extension = item["name"].rsplit(".", 1)[-1].lower() if "." in item["name"] else ""
        view["size"] = int(item.get("size", 0))
        view["mime_type"] = item.get("mime_type", "application/octet-stream")
        view["extension_type"] = _EXTENSIONS.get(extension, "unknown")
        view["scan_status"] = "clean"
    if item.get("sharelink"):
        view["sharelink"] = link_view(drive_id, item["id"], item["sharelink"])
    return view


# -- cursor pages -------------------------------------------------------------------------------------------


def decode_cursor(raw: str | None) -> int:
    """The offset a cursor stands for; 422 for a cursor this simulator did not hand out."""
    if not raw:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(raw.encode() + b"==").decode())["offset"]
    except (ValueError, KeyError, TypeError):
        offset = None
    if not isinstance(offset, int) or offset < 0:
        raise validation_failed([field_error("cursor", "validation_rule_cursor", "The cursor is invalid.")])
    return offset


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


# -- link writes --------------------------------------------------------------------------------------------


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def validate_link(
    body: dict[str, Any], item: dict[str, Any], existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The link after applying ``body`` (POST when ``existing`` is None, else PUT); 422 with every problem."""
    errors: list[dict[str, Any]] = []
    for field in sorted(set(body) - LINK_FIELDS):
        errors.append(field_error(field, "validation_rule_prohibited", f"The {field} field is not accepted."))
    if existing is None and "right" not in body:
        errors.append(field_error("right", "validation_rule_required", "The right field is required."))
    if "right" in body and body["right"] not in RIGHTS:
        errors.append(
            field_error("right", "validation_rule_in", "The selected right is invalid.", values=list(RIGHTS))
        )
    for name in CAPABILITIES:
        if name in body and body[name] is not None and not _is_bool(body[name]):
            errors.append(field_error(name, "validation_rule_boolean", f"The {name} must be true or false."))
    valid_until = body.get("valid_until")
    if valid_until is not None and (
        not isinstance(valid_until, int) or isinstance(valid_until, bool) or valid_until < 0
    ):
        errors.append(
            field_error("valid_until", "validation_rule_integer", "The valid until must be a timestamp.")
        )
    password = body.get("password")
    if "password" in body and (not isinstance(password, str) or not password):
        errors.append(
            field_error("password", "validation_rule_string", "The password must be a non-empty string.")
        )
    if errors:
        raise validation_failed(errors)

    link: dict[str, Any] = copy.deepcopy(existing) if existing else {"capabilities": dict(LINK_DEFAULTS)}
    caps: dict[str, bool] = link["capabilities"]
    for name in CAPABILITIES:
        if body.get(name) is not None:
            caps[name] = body[name]
    # "can_comment takes the same value as can_edit if unset or null" (spec, POST and PUT bodies).
    if body.get("can_comment") is None and (existing is None or body.get("can_edit") is not None):
        caps["can_comment"] = caps["can_edit"]
    if "right" in body:
        link["right"] = body["right"]
    if "valid_until" in body:
        link["valid_until"] = valid_until
    link.setdefault("valid_until", None)
    if link["right"] != "password":
        if isinstance(password, str):
            raise validation_failed(
                [
                    field_error(
                        "password", "validation_rule_prohibited", "A password needs the right password."
                    )
                ]
            )
        link.pop("password_hash", None)
    elif isinstance(password, str):
        link["password_hash"] = hashlib.sha256(password.encode()).hexdigest()
    elif "password_hash" not in link:
        raise validation_failed(
            [
                field_error(
                    "password",
                    "validation_rule_required",
                    "The password is required with the right password.",
                )
            ]
        )
    if caps["can_request_access"] and item["type"] != "dir":
        raise validation_failed(
            [
                field_error(
                    "can_request_access",
                    "validation_rule_prohibited",
                    "Only a folder can be joined via a link.",
                )
            ]
        )
    return link


def new_link_fields(state: SandboxState, drive_id: int, file_id: int) -> dict[str, Any]:
    """Server-set fields of a new link; the uuid is derived from ids so runs stay deterministic."""
    now = state.tick()
    digest = hashlib.sha256(f"{drive_id}/{file_id}/{state.new_id()}".encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {
        "uuid": uuid,
        "created_by": int(state.profile.get("id", 0)),
        "created_at": now,
        "updated_at": now,
        "access_blocked": False,
        "views": 0,
    }
