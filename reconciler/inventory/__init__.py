"""Read-only inventory of the whole account: a data-driven catalogue and one reader for every front."""

from __future__ import annotations

from reconciler.inventory.api_get import ApiGetResult, api_get, check_api_path, check_params
from reconciler.inventory.catalogue import (
    CATALOGUE,
    Detail,
    ReadKind,
    days_until,
    find_read_kind,
    get_read_kind,
)
from reconciler.inventory.reader import DEFAULT_LIMIT, Reader, ReadResult, kchat_base, read_live
from reconciler.inventory.render import READ_RENDERERS, catalogue_rows, render_catalogue, table

__all__ = [
    "CATALOGUE",
    "DEFAULT_LIMIT",
    "READ_RENDERERS",
    "ApiGetResult",
    "Detail",
    "ReadKind",
    "ReadResult",
    "Reader",
    "api_get",
    "catalogue_rows",
    "check_api_path",
    "check_params",
    "days_until",
    "find_read_kind",
    "get_read_kind",
    "kchat_base",
    "read_live",
    "render_catalogue",
    "table",
]
