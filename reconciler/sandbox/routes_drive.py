"""kDrive: drives, folder listings and share links (shared/infomaniak-api.md §2.9, §3.9; ``kdrive.json``).

Scope family ``drive``. Storage, views and validation live in ``drive_files.py``.

Invented where nothing documents the real behaviour: a file without a link answers 404 ``object_not_found``
on ``GET/PUT/DELETE …/link``; a second ``POST …/link`` answers 409 ``object_already_exists``; a body field the
route does not know, a password without ``right: password``, and ``can_request_access`` on a file (the spec
says only folders can be joined) answer 422 ``validation_failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox import drive_files as store
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.wire import (
    ApiError,
    ApiRoute,
    field_error,
    int_param,
    list_response,
    not_found,
    read_body,
    sandbox_state,
    success,
    validation_failed,
    with_values,
)

DRIVE_WITH = (
    "account",
    "capabilities",
    "preferences",
    "rights",
    "settings",
    "tags",
    "teams",
    "users",
    "k_suite",
)
FILE_WITH = (
    "capabilities",
    "categories",
    "conversion_capabilities",
    "dropbox",
    "is_favorite",
    "lock",
    "parents",
    "path",
    "sharelink",
    "users",
    "teams",
    "version",
)
CURSOR_LIMIT = (5, 1000, 10)
"""``limit`` of cursor lists: minimum, maximum, default (spec)."""


def _drive(request: Request) -> tuple[SandboxState, int]:
    state = sandbox_state(request)
    found = store.drive(state, str(request.path_params["drive_id"]))
    return state, int(found["id"])


def _cursor_response(
    request: Request, items: list[Any], view: Callable[[Any], dict[str, Any]] | None = None
) -> Response:
    """A kDrive v3 cursor page: ``cursor``, ``has_more`` and ``response_at`` next to ``data``.

    ``view`` renders only the page's items: a listing read page by page stays linear.
    """
    low, high, default = CURSOR_LIMIT
    limit = int_param(request, "limit", minimum=low) or default
    if limit > high:
        raise validation_failed(
            [field_error("limit", "validation_rule_max", f"The limit may not be greater than {high}.")]
        )
    offset = store.decode_cursor(request.query_params.get("cursor"))
    page = items[offset : offset + limit]
    end = offset + len(page)
    if view is not None:
        page = [view(item) for item in page]
    extra = {
        "cursor": store.encode_cursor(end),
        "has_more": end < len(items),
        "response_at": int(sandbox_state(request).data["clock"]),
    }
    return success(page, extra=extra)


def _types(request: Request, name: str, allowed: tuple[str, ...]) -> set[str]:
    raw = request.query_params.getlist(name) + request.query_params.getlist(f"{name}[]")
    values = {v.strip() for item in raw for v in item.split(",") if v.strip()}
    if values - set(allowed):
        raise validation_failed(
            [
                field_error(
                    name, "validation_rule_in", f"The selected {name} is invalid.", values=list(allowed)
                )
            ]
        )
    return values


# -- drives -------------------------------------------------------------------------------------------------


async def list_drives(request: Request) -> Response:
    with_values(request, DRIVE_WITH)
    account = request.query_params.get("account_id")
    if not account:
        raise validation_failed(
            [field_error("account_id", "validation_rule_required", "The account id field is required.")]
        )
    found = [
        store.drive_view(d)
        for d in store.drives(sandbox_state(request))
        if str(d.get("account_id")) == account
    ]
    return list_response(request, found)


async def show_drive(request: Request) -> Response:
    with_values(request, DRIVE_WITH)
    state = sandbox_state(request)
    for item in store.drives(state):
        if str(item["id"]) == str(request.path_params["drive_id"]):
            return success(store.drive_view(item))
    raise not_found("Drive")


# -- files --------------------------------------------------------------------------------------------------


async def show_file(request: Request) -> Response:
    with_values(request, FILE_WITH)
    state, drive_id = _drive(request)
    item = store.node(state, drive_id, int(request.path_params["file_id"]))
    if item["id"] == store.ROOT_ID:
        view = store.file_view(state, drive_id, {**item, "name": "", "created_at": 1700000000})
        view["visibility"] = "is_root"
        return success(view)
    return success(store.file_view(state, drive_id, item))


async def list_children(request: Request) -> Response:
    with_values(request, FILE_WITH)
    types = _types(request, "type", ("dir", "file", "vault"))
    state, drive_id = _drive(request)
    folder = store.node(state, drive_id, int(request.path_params["file_id"]))
    if folder["type"] != "dir":
        raise not_found("Directory")
    children = [
        f
        for f in store.files(state, drive_id)
        if f["parent_id"] == folder["id"] and not store.trashed(f) and (not types or f["type"] in types)
    ]
    # Folders first, then by name: the order kDrive's own listing shows.
    children.sort(key=lambda f: (f["type"] != "dir", f["name"].casefold(), f["id"]))
    index = store.by_id(state, drive_id)
    return _cursor_response(request, children, lambda f: store.file_view(state, drive_id, f, index))


async def list_links(request: Request) -> Response:
    with_values(request, FILE_WITH)
    rights = _types(request, "right", store.RIGHTS)
    types = _types(request, "type", ("dir", "file", "vault"))
    state, drive_id = _drive(request)
    linked = [
        f
        for f in store.files(state, drive_id)
        if f.get("sharelink")
        and not store.trashed(f)
        and (not rights or f["sharelink"]["right"] in rights)
        and (not types or f["type"] in types)
    ]
    index = store.by_id(state, drive_id)
    ordered = sorted(linked, key=lambda f: (store.path_of(state, drive_id, f, index)[0], f["id"]))
    return _cursor_response(request, ordered, lambda f: store.file_view(state, drive_id, f, index))


# -- share links --------------------------------------------------------------------------------------------


def _linkable(request: Request) -> tuple[SandboxState, int, dict[str, Any]]:
    state, drive_id = _drive(request)
    item = store.node(state, drive_id, int(request.path_params["file_id"]))
    if item["id"] == store.ROOT_ID or store.trashed(item):
        raise not_found("File")
    return state, drive_id, item


def _existing(item: dict[str, Any]) -> dict[str, Any]:
    link = item.get("sharelink")
    if not link:
        raise not_found("ShareLink")
    found: dict[str, Any] = link
    return found


async def show_link(request: Request) -> Response:
    with_values(request, ("capabilities", "file", "users"))
    _, drive_id, item = _linkable(request)
    return success(store.link_view(drive_id, item["id"], _existing(item)))


async def create_link(request: Request) -> Response:
    state, drive_id, item = _linkable(request)
    if item.get("sharelink"):
        raise ApiError(409, "object_already_exists", "The share link already exists")
    link = store.validate_link(await read_body(request), item, None)
    link.update(store.new_link_fields(state, drive_id, item["id"]))
    item["sharelink"] = link
    return success(store.link_view(drive_id, item["id"], link), status=201)


async def update_link(request: Request) -> Response:
    state, _, item = _linkable(request)
    link = store.validate_link(await read_body(request), item, _existing(item))
    link["updated_at"] = state.tick()
    item["sharelink"] = link
    return success(True)


async def delete_link(request: Request) -> Response:
    _, _, item = _linkable(request)
    _existing(item)
    del item["sharelink"]
    return success(True)


_LINK = "/2/drive/{drive_id:int}/files/{file_id:int}/link"

ROUTES = [
    ApiRoute("/2/drive", list_drives, scope="drive"),
    ApiRoute("/2/drive/{drive_id:int}", show_drive, scope="drive"),
    # Before /{file_id}: "links" is not a file id (the int convertor keeps them apart anyway).
    ApiRoute("/3/drive/{drive_id:int}/files/links", list_links, scope="drive"),
    ApiRoute("/3/drive/{drive_id:int}/files/{file_id:int}", show_file, scope="drive"),
    ApiRoute("/3/drive/{drive_id:int}/files/{file_id:int}/files", list_children, scope="drive"),
    ApiRoute(_LINK, show_link, methods=("GET",), scope="drive"),
    ApiRoute(_LINK, create_link, methods=("POST",), scope="drive"),
    ApiRoute(_LINK, update_link, methods=("PUT",), scope="drive"),
    ApiRoute(_LINK, delete_link, methods=("DELETE",), scope="drive"),
]
