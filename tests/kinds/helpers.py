"""Fakes shared by the kind tests: a DocumentSource that records errors, a tiny DNS API, and the harness
that runs a kind against the in-process simulator (:class:`Recorder`, :func:`context`, :func:`engine_run`).

``FakeDnsApi`` stands in for ``InfomaniakClient`` (same async method names, unwrapped ``data``). It stores
records the way shared/infomaniak-api.md §2.5 says the real API does (apex ``.``, host names without their
trailing dot, TXT wrapped in one pair of quotes), refuses duplicates and CNAME coexistence like the real
API, and records every call as ``(method, path, json-or-params)``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from reconciler.api import InfomaniakClient
from reconciler.desired import load_config
from reconciler.engine import ApplyReport, Plan, Session, apply_plan, make_plan, parse_targets
from reconciler.errors import ApiNotFound, ApiRejected
from reconciler.kinds.base import Located, RunContext, SpecModel
from reconciler.sandbox import SANDBOX_TOKEN, SandboxState, create_app
from reconciler.settings import Settings, load_settings

ACCOUNT = 123456
"""The demo account of the simulator."""
REPO = Path(__file__).resolve().parents[2]


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


# -- harness: a kind against the in-process simulator -------------------------------------------------------


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to the in-process simulator and records ``(method, path, json body)``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.inner = httpx.ASGITransport(app=create_app(state))
        self.calls: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.calls.append((request.method, request.url.path, json.loads(body) if body else None))
        return await self.inner.handle_async_request(request)

    def writes(self) -> list[tuple[str, str, Any]]:
        return [call for call in self.calls if call[0] != "GET"]


def context(
    state: SandboxState, state_dir: Path | None = None, fingerprints: dict[str, str] | None = None
) -> tuple[RunContext, Recorder]:
    recorder = Recorder(state)
    client = InfomaniakClient(
        SANDBOX_TOKEN, base_url="https://sandbox.invalid", transport=recorder, requests_per_minute=0
    )
    ctx = RunContext(
        client=client, account_id=ACCOUNT, state_dir=state_dir, secret_fingerprints=fingerprints or {}
    )
    return ctx, recorder


def write_state(root: Path, files: dict[str, str]) -> Path:
    """A state directory with the repo's infomaniak.yaml and the given ``relative path → text`` files."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "state" / "infomaniak.yaml", root / "infomaniak.yaml")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def settings_for(tmp_path: Path) -> Settings:
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox=True,
        env={"INFOMANIAK_GITOPS_HOME": str(tmp_path / "work")},
        cwd=tmp_path,
    )


async def plan_once(tmp_path: Path, state: SandboxState, targets: list[str]) -> Plan:
    settings = settings_for(tmp_path)
    transport = httpx.ASGITransport(app=create_app(state))
    async with Session(settings, load_config(settings.state_dir), transport=transport) as session:
        return await make_plan(session, targets=parse_targets(targets))


async def engine_run(
    tmp_path: Path, state: SandboxState, targets: list[str], *, apply: bool = True
) -> tuple[Plan, ApplyReport | None, Plan]:
    """Plan, (apply with auto-approval,) and plan again, against ``state`` through the real engine."""
    first = await plan_once(tmp_path, state, targets)
    report = None
    if apply:
        settings = settings_for(tmp_path)
        transport = httpx.ASGITransport(app=create_app(state))
        async with Session(settings, load_config(settings.state_dir), transport=transport) as session:
            report = await apply_plan(
                session, expected_hash=first.plan_hash, approval="test", targets=parse_targets(targets)
            )
    return first, report, await plan_once(tmp_path, state, targets)


def lines(plan: Plan, kind: str) -> list[str]:
    return [f"{c.action} {c.display_key}" for c in plan.changes if c.kind == kind]


def parse_clean(kind: Any, document: Any, file: str) -> list[Any]:
    """Parse ``document`` with ``kind``, asserting the file has no problem."""
    source = FakeSource(file)
    objects = kind.parse(document, source)
    assert source.errors == []
    return list(objects)


def parse_errors(kind: Any, document: Any, file: str) -> list[tuple[tuple[str | int, ...], str, str]]:
    """The ``(path, message, rule)`` problems ``kind`` finds in ``document``."""
    source = FakeSource(file)
    kind.parse(document, source)
    return source.errors


def doc_yaml_examples(doc: str, file: str) -> list[str]:
    """The YAML examples of ``docs/<doc>`` that open with the comment ``# <file>``."""
    import re

    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    return list(re.findall(rf"```yaml\n# {re.escape(file)}\n(.*?)```", text, re.S))
