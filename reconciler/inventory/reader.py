"""Reading any kind of the account: the one function ``show`` and ``ik_live_get`` call.

Managed kinds (``reconciler.kinds``) are read through their own ``fetch`` and shown normalised; read-only
inventory kinds (:mod:`reconciler.inventory.catalogue`) through their data-driven definition. Every list
follows all its pages or cursors; the caller gets one window of rows (``offset``/``limit``) and the total,
so a front can cap what it shows and say how to see the rest.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.client import DEFAULT_BASE_URL
from reconciler.api.paths import check_scope, segment
from reconciler.errors import ApiError, SettingsError
from reconciler.inventory.catalogue import find_read_kind
from reconciler.inventory.model import Detail, ReadKind
from reconciler.kinds import SENSITIVE_MARK, Kind, RunContext, all_kinds

DEFAULT_LIMIT = 50
MATTERMOST_PER_PAGE = 200
MATTERMOST_MAX_PAGES = 500
_KCHAT_HOST = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

Raw = dict[str, Any]


@dataclass
class ReadResult:
    """One window of a kind's rows, with what is needed to ask for the next one."""

    kind: str
    scope: str | None
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    source: str = "spec"
    notes: list[str] = field(default_factory=list)

    @property
    def next_offset(self) -> int | None:
        end = self.offset + len(self.rows)
        return end if end < self.total else None

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scope": self.scope,
            "total": self.total,
            "offset": self.offset,
            "next_offset": self.next_offset,
            "source": self.source,
            "notes": list(self.notes),
            "rows": self.rows,
        }


def pick(raw: Mapping[str, Any], dotted: str) -> Any:
    """The value at ``a.b.c`` in nested mappings, or None."""
    value: Any = raw
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _format(template: str, values: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values or values[name] is None:
            raise SettingsError(f"cannot build {template}: the parent row has no {name!r}")
        # Values substituted into a path come from API answers: never let them add segments.
        return segment(values[name])

    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", replace, template)


def kchat_base(api_base: str, host: str) -> str:
    """Where a kChat lives: ``https://{host}.kchat.infomaniak.com``, or under ``/kchat/{host}`` of any other
    API base (the simulator), since a local server cannot answer for per-team host names."""
    if not _KCHAT_HOST.match(host):
        raise SettingsError(f"kChat host {host!r} is not a host name label (letters, digits, '-')")
    if api_base.rstrip("/") == DEFAULT_BASE_URL:
        return f"https://{host}.kchat.infomaniak.com"
    return f"{api_base.rstrip('/')}/kchat/{host}"


class Reader:
    """Reads read-only kinds for one run; rows of a kind and scope are fetched once and cached."""

    def __init__(self, ctx: RunContext, *, now: float | None = None) -> None:
        self.ctx = ctx
        self.now = time.time() if now is None else now
        self._cache: dict[tuple[str, str | None], list[tuple[Raw, dict[str, Any]]]] = {}

    async def rows(self, kind: ReadKind, scope: str | None = None) -> list[tuple[Raw, dict[str, Any]]]:
        """(raw item, row) pairs of ``kind``; a child kind without ``scope`` reads every parent."""
        cache_key = (kind.name, scope)
        if cache_key not in self._cache:
            self._cache[cache_key] = await self._read(kind, scope)
        return self._cache[cache_key]

    async def _read(self, kind: ReadKind, scope: str | None) -> list[tuple[Raw, dict[str, Any]]]:
        account = await self.ctx.require_account_id()
        if kind.parent is None:
            if scope is not None:
                raise SettingsError(f"{kind.name} has no scope (it lists the whole account); drop {scope!r}")
            items = await self._fetch(kind, {"account": account}, host=None)
            return [self._row(kind, raw) for raw in items]
        parent = find_read_kind(kind.parent)
        assert parent is not None, f"catalogue: {kind.name} names an unknown parent {kind.parent}"
        parents = await self.rows(parent)
        if scope is not None:
            parents = self._matching(parent, parents, scope)
        found: list[tuple[Raw, dict[str, Any]]] = []
        for parent_raw, parent_row in parents:
            name = str(parent_row.get(parent.key_column))
            values = {**parent_raw, "account": account, "_id": parent_raw.get(parent.id_field)}
            host = parent_raw.get("_host") or (name if kind.host == "kchat" else None)
            for raw in await self._fetch(kind, values, host=host):
                raw = {**raw, "_scope": name, "_parent_id": parent_raw.get(parent.id_field)}
                if host is not None:
                    raw["_host"] = host
                found.append(self._row(kind, raw))
        return found

    def _matching(
        self, parent: ReadKind, parents: list[tuple[Raw, dict[str, Any]]], scope: str
    ) -> list[tuple[Raw, dict[str, Any]]]:
        wanted = scope.strip().rstrip(".").lower()
        chosen = [
            pair
            for pair in parents
            if str(pair[1].get(parent.key_column, "")).lower() == wanted
            or str(pair[0].get(parent.id_field, "")) == wanted
        ]
        if not chosen:
            names = ", ".join(str(row.get(parent.key_column)) for _, row in parents) or "none"
            raise SettingsError(
                f"no {parent.name} named {scope!r} in the account (known: {names})\n"
                f"  list them with `infomaniak-gitops show {parent.name}`"
            )
        return chosen

    async def _fetch(self, kind: ReadKind, values: Mapping[str, Any], *, host: str | None) -> list[Raw]:
        client = self.ctx.client
        path = _format(kind.path, values)
        params = {name: _format(value, values) for name, value in kind.params.items()}
        if kind.host == "kchat":
            if host is None:
                raise SettingsError(f"{kind.name}: no kChat host to read from")
            # kChat is Mattermost: every list there pages the Mattermost way.
            items = await self._mattermost(kchat_base(client.base_url, host) + path, params)
        elif kind.paging == "page":
            items = await client.get_all(path, params=params or None)
        elif kind.paging == "cursor":
            items = await client.get_all_cursor(path, params=params or None)
        else:
            data = await client.get(path, params=params or None)
            items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        found = [
            item for item in items if isinstance(item, dict) and (kind.where is None or kind.where(item))
        ]
        for detail in kind.details:
            for item in found:
                await self._detail(detail, item, values)
        return found

    async def _detail(self, detail: Detail, item: Raw, values: Mapping[str, Any]) -> None:
        path = _format(detail.path, {**values, **item})
        data = await self.ctx.client.get(path)
        for spec in detail.keep:
            column, _, source = spec.partition("=")
            item[column] = (
                data if source == "*" else pick(data, source or column) if isinstance(data, dict) else None
            )

    async def _mattermost(self, url: str, params: Mapping[str, Any]) -> list[Raw]:
        items: list[Raw] = []
        for page in range(MATTERMOST_MAX_PAGES):
            batch = await self.ctx.client.get_plain(
                url, params={**params, "page": page, "per_page": MATTERMOST_PER_PAGE}
            )
            if not isinstance(batch, list):
                raise ApiError(f"expected a list, got {type(batch).__name__}", method="GET", path=url)
            items.extend(batch)
            if len(batch) < MATTERMOST_PER_PAGE:
                return items
        raise ApiError(f"pagination did not end after {MATTERMOST_MAX_PAGES} pages", method="GET", path=url)

    def _row(self, kind: ReadKind, raw: Raw) -> tuple[Raw, dict[str, Any]]:
        row: dict[str, Any] = {}
        for spec in kind.keep:
            column, _, source = spec.partition("=")
            row[column] = pick(raw, source or column)
        if kind.parent is not None and "_scope" not in {s.partition("=")[2] for s in kind.keep}:
            row["scope"] = raw.get("_scope")
        if kind.derive is not None:
            kind.derive(raw, row, self.now)
        return raw, {name: value for name, value in row.items() if not name.startswith("_")}


# -- one function for every front -----------------------------------------------------------------------


def _managed(name: str) -> Kind | None:
    return next((kind for kind in all_kinds() if name in (kind.name, kind.directory)), None)


async def _managed_rows(ctx: RunContext, kind: Kind, scope: str | None) -> list[dict[str, Any]]:
    scopes = [scope] if scope is not None else await kind.discover(ctx)
    rows: list[dict[str, Any]] = []
    for one in scopes:
        for live in await kind.fetch(ctx, one):
            shown = kind.normalize(live.spec, one)
            masked = {
                k: (SENSITIVE_MARK if k in kind.sensitive_fields and v is not None else v)
                for k, v in shown.items()
            }
            rows.append(
                {"key": kind.format_key(live.key), **({"scope": one} if scope is None else {}), **masked}
            )
    return rows


def _window(rows: list[dict[str, Any]], offset: int, limit: int) -> list[dict[str, Any]]:
    if offset < 0 or limit < 1:
        raise SettingsError(f"offset must be ≥ 0 and limit ≥ 1 (got offset={offset}, limit={limit})")
    return rows[offset : offset + limit]


async def read_live(
    ctx: RunContext,
    name: str,
    scope: str | None = None,
    *,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
    now: float | None = None,
) -> ReadResult:
    """Rows ``offset..offset+limit`` of kind ``name`` (managed or read-only) in ``scope`` (None: all)."""
    if scope is not None:
        # The same guard as every kind's scope: a name, never a path, a query or a control character.
        scope = check_scope(scope.strip())
    read_kind = find_read_kind(name)
    if read_kind is not None:
        pairs = await Reader(ctx, now=now).rows(read_kind, scope)
        rows = [row for _, row in pairs]
        columns = list(dict.fromkeys(k for row in rows for k in row)) or list(read_kind.columns)
        notes = (
            []
            if read_kind.verified
            else [f"unverified route ({read_kind.source}): {read_kind.note}".rstrip(": ")]
        )
        return ReadResult(
            name,
            scope,
            columns,
            _window(rows, offset, limit),
            len(rows),
            offset,
            limit,
            read_kind.source,
            notes,
        )
    managed = _managed(name)
    if managed is None:
        from reconciler.inventory.catalogue import CATALOGUE

        known = ", ".join([k.name for k in all_kinds()] + [k.name for k in CATALOGUE])
        raise SettingsError(
            f"unknown kind {name!r}; known: {known}\n  see them with `infomaniak-gitops show`"
        )
    rows = await _managed_rows(ctx, managed, scope)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return ReadResult(managed.name, scope, columns, _window(rows, offset, limit), len(rows), offset, limit)


__all__ = ["DEFAULT_LIMIT", "ReadResult", "Reader", "kchat_base", "pick", "read_live"]
