"""The two list families of the API, walked to the end: page/per_page and kDrive's cursor lists.

Callers never see a page. A list is never cut short silently: a full page without pagination keys is
followed, and a server that ignores ``page`` (or a cursor that repeats) is an error, not a shorter list.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from reconciler.errors import ApiError
from reconciler.settings import PAGE_SIZE_ENV

logger = logging.getLogger(__name__)

Fetch = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""Send one GET with these query parameters and return the success envelope."""

MAX_PAGES: Final = 10_000
"""A list longer than this many pages means the server keeps answering "more": stop instead of looping."""
_PAGE_KEYS: Final = ("page", "pages", "total")


async def walk_pages(fetch: Fetch, *, params: Mapping[str, Any], per_page: int, path: str) -> list[Any]:
    """Every item of a page/per_page list."""
    items: list[Any] = []
    previous: list[Any] | None = None
    paged = False  # whether any page carried pagination keys
    for page in range(1, MAX_PAGES + 1):
        body = await fetch({**params, "page": page, "per_page": per_page})
        data = list_data(body, path)
        if not any(key in body for key in _PAGE_KEYS):
            if paged:
                raise ApiError(f"pagination keys vanished on page {page}", method="GET", path=path)
            if page == 1 and len(data) != per_page:
                # Shorter: the whole list. Longer: the endpoint ignores per_page and sent everything.
                return data
            if previous is not None and data == previous:
                raise ApiError(
                    f"the API answered page {page} with the same {len(data)} items as page {page - 1} and no "
                    "pagination keys: it ignores `page`, so the list may be longer than one page\n"
                    f"  set {PAGE_SIZE_ENV} above {per_page} so that one page holds the whole list",
                    method="GET",
                    path=path,
                )
            # A full page and nothing saying it is the last: ask for the next one.
            items.extend(data)
            if len(data) < per_page:
                return items
            previous = data
            continue
        paged = True
        echoed = _int(body.get("page"))
        if echoed is not None and echoed != page:
            # The server ignores `page`: going on would only collect the same items again.
            raise ApiError(
                f"asked for page {page} but the API returned page {echoed}", method="GET", path=path
            )
        items.extend(data)
        pages, total = _int(body.get("pages")), _int(body.get("total"))
        if not data:
            if total is not None and len(items) < total:
                logger.warning(
                    "listing GET %s stopped at empty page %d with %d of %d items",
                    path,
                    page,
                    len(items),
                    total,
                )
            return items
        if pages is not None and page >= pages:
            return items
        if total is not None and len(items) >= total:
            return items
        if pages is None and total is None and len(data) < per_page:
            return items
    raise ApiError(f"pagination did not end after {MAX_PAGES} pages", method="GET", path=path)


async def walk_cursor(fetch: Fetch, *, params: Mapping[str, Any], limit: int, path: str) -> list[Any]:
    """Every item of a kDrive v3 cursor list (``cursor`` / ``has_more``)."""
    items: list[Any] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {**params, "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        body = await fetch(query)
        items.extend(list_data(body, path))
        if not body.get("has_more"):
            return items
        cursor = body.get("cursor")
        if not isinstance(cursor, str) or not cursor or cursor in seen:
            raise ApiError("has_more is set but the cursor is missing or repeats", method="GET", path=path)
        seen.add(cursor)
    raise ApiError(f"pagination did not end after {MAX_PAGES} pages", method="GET", path=path)


def list_data(body: Mapping[str, Any], path: str) -> list[Any]:
    """The envelope's ``data`` when it is a list; an error naming the path otherwise."""
    data = body.get("data")
    if not isinstance(data, list):
        raise ApiError(f"expected a list in data, got {type(data).__name__}", method="GET", path=path)
    return data


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = ["MAX_PAGES", "Fetch", "list_data", "walk_cursor", "walk_pages"]
