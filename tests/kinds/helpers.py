"""Fakes shared by the kind tests: a DocumentSource that records errors, and a tiny DNS API.

``FakeDnsApi`` stands in for ``InfomaniakClient`` (same async method names, unwrapped ``data``). It stores
records the way shared/infomaniak-api.md §2.5 says the real API does (apex ``.``, host names without their
trailing dot, TXT wrapped in one pair of quotes), refuses duplicates and CNAME coexistence like the real
API, and records every call as ``(method, path, json-or-params)``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.errors import ApiNotFound, ApiRejected
from reconciler.kinds.base import Located, RunContext, SpecModel


class FakeSource:
    """A DocumentSource whose errors are ``(path, message, rule)`` tuples."""

    def __init__(
        self, file: str = "state/dns/example.ch.yaml", defaults: dict[str, Any] | None = None
    ) -> None:
        self.file = file
        self.defaults: dict[str, Any] = defaults or {}
        self.errors: list[tuple[tuple[str | int, ...], str, str]] = []

    def validate(self, model: type[SpecModel], raw: Any, path: tuple[str | int, ...]) -> SpecModel | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.errors.append(((*path, *error["loc"]), error["msg"], error["type"]))
            return None

    def error(self, path: tuple[str | int, ...], message: str, *, rule: str = "invalid") -> None:
        self.errors.append((path, message, rule))

    def locate(self, path: tuple[str | int, ...]) -> Located:
        return Located(self.file, path)


_HOST_TYPES = {"CNAME", "NS", "DNAME", "PTR"}


def _strip_dot(host: str) -> str:
    return host if host == "." else host.rstrip(".")


def stored_target(rtype: str, target: str) -> str:
    """What the API keeps (and returns) for a written target."""
    target = target.strip()
    if rtype == "TXT":
        return target if len(target) >= 2 and target[0] == target[-1] == '"' else f'"{target}"'
    if rtype in _HOST_TYPES:
        return _strip_dot(target)
    if rtype in ("MX", "SRV"):
        *head, host = target.split(" ")
        return " ".join([*head, _strip_dot(host)])
    return target


def _same(rtype: str, left: str, right: str) -> bool:
    # Host names and hex compare without case; TXT content does not.
    return left == right if rtype == "TXT" else left.lower() == right.lower()


class FakeDnsApi:
    """An in-memory API for DNS zones and domain products."""

    def __init__(
        self,
        zones: dict[str, list[dict[str, Any]]] | None = None,
        *,
        products: list[dict[str, Any]] | None = None,
        txt_quoting: bool = True,
    ) -> None:
        self.zones: dict[str, list[dict[str, Any]]] = {
            zone: list(rows) for zone, rows in (zones or {}).items()
        }
        self.products = products or []
        self.txt_quoting = txt_quoting
        self.calls: list[tuple[str, str, Any]] = []
        self.history: list[list[dict[str, Any]]] = []
        self._next_id = 1000 + sum(len(rows) for rows in self.zones.values())

    def context(self, state_dir: Path | None = None) -> RunContext:
        return RunContext(client=self, state_dir=state_dir)  # type: ignore[arg-type]

    def add(self, zone: str, source: str, rtype: str, target: str, ttl: int = 3600) -> dict[str, Any]:
        """Put a record straight into the store (as the API holds it), bypassing validation."""
        self._next_id += 1
        row = {"id": self._next_id, "source": source, "type": rtype, "ttl": ttl, "target": target}
        self.zones.setdefault(zone, []).append(row)
        return row

    def writes(self) -> list[tuple[str, str, Any]]:
        return [call for call in self.calls if call[0] != "GET"]

    def _zone(self, path: str) -> tuple[str, list[dict[str, Any]], str]:
        match = re.fullmatch(r"/2/zones/([^/]+)/(records|exists)(?:/(\d+))?", path)
        if match is None or match.group(1) not in self.zones:
            raise ApiNotFound(
                "Object not found", method="GET", path=path, status=404, code="object_not_found"
            )
        return match.group(1), self.zones[match.group(1)], match.group(3) or ""

    def _read(self, row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        if row["type"] == "TXT" and not self.txt_quoting and len(row["target"]) >= 2:
            out["target"] = row["target"][1:-1]  # the older behaviour some clients saw: TXT unquoted
        return out

    def _check(self, rows: list[dict[str, Any]], row: dict[str, Any], path: str) -> None:
        others = [r for r in rows if r["source"] == row["source"] and r["id"] != row["id"]]
        if any(r["type"] == row["type"] and _same(row["type"], r["target"], row["target"]) for r in others):
            raise ApiRejected(
                "exists", method="POST", path=path, status=400, code="dns_record_already_exists"
            )
        if others and (row["type"] == "CNAME" or any(r["type"] == "CNAME" for r in others)):
            raise ApiRejected(
                "cname", method="POST", path=path, status=400, code="dns_record_mutual_exclusion"
            )

    def _snapshot(self) -> None:
        self.history.append([dict(row) for rows in self.zones.values() for row in rows])

    async def get_all(self, path: str, *, params: Any = None) -> list[Any]:
        self.calls.append(("GET", path, params))
        if path == "/1/products":
            return list(self.products)
        _, rows, _ = self._zone(path)
        return [self._read(row) for row in rows]

    async def get(self, path: str, *, params: Any = None) -> Any:
        self.calls.append(("GET", path, params))
        self._zone(path)
        return True

    async def post(self, path: str, *, json: Any = None) -> Any:
        self.calls.append(("POST", path, json))
        _, rows, _ = self._zone(path)
        source = str(json.get("source") or ".").lower()
        self._next_id += 1
        row = {
            "id": self._next_id,
            "source": "." if source in ("", "@") else source,
            "type": json["type"],
            "ttl": int(json["ttl"]),
            "target": stored_target(json["type"], json["target"]),
        }
        self._check(rows, row, path)
        rows.append(row)
        self._snapshot()
        return self._read(row)

    async def put(self, path: str, *, json: Any = None) -> Any:
        self.calls.append(("PUT", path, json))
        _, rows, record_id = self._zone(path)
        row = next(r for r in rows if r["id"] == int(record_id))
        updated = dict(row)
        if "target" in json:
            updated["target"] = stored_target(row["type"], json["target"])
        if "ttl" in json:
            updated["ttl"] = int(json["ttl"])
        self._check(rows, updated, path)
        row.update(updated)
        self._snapshot()
        return self._read(row)

    async def delete(self, path: str, *, json: Any = None) -> Any:
        self.calls.append(("DELETE", path, json))
        _, rows, record_id = self._zone(path)
        rows.remove(next(r for r in rows if r["id"] == int(record_id)))
        self._snapshot()
        return True
