"""The simulated account: one JSON-serialisable dict of collections.

Layout of :attr:`SandboxState.data` (open on purpose: route modules for other products add their own
top-level collections, e.g. ``"mail_hostings"``, ``"drives"``, ``"teams"``, ``"tags"``, ``"users"``, and
those survive :meth:`SandboxState.save` / :meth:`SandboxState.load` untouched)::

    {
      "version": 1,
      "next_id": 32000001,        # next id handed out by new_id(), shared by every collection
      "clock": 1767225600,        # logical clock (epoch seconds) used for updated_at; +1 per tick()
      "accounts": [{...}],        # /1/accounts objects, as served
      "products": [{...}],        # /1/products objects, as served
      "profile": {...},           # /2/profile object of the token's user
      "zones": {                  # keyed by zone FQDN (lowercase, no trailing dot)
        "example.ch": {
          "id": 987654, "fqdn": "example.ch", "dnssec": {"is_enabled": false},
          "nameservers": ["ns41.infomaniak.com", "ns42.infomaniak.com"], "skel": "",
          "records": [{"id": int, "source": "." | relative name, "type": str, "ttl": int,
                       "target": str (stored form: TXT wrapped in one pair of quotes,
                                      host names without trailing dot),
                       "updated_at": int}]
        }
      }
    }

Timestamps come from a logical clock rather than the wall clock so that runs are deterministic (same
requests, same state, same ids and ``updated_at``), which keeps plan hashes and recorded figures stable.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

STATE_VERSION = 1
_DEFAULTS: dict[str, Any] = {
    "version": STATE_VERSION,
    "next_id": 32000001,
    "clock": 1767225600,
    "accounts": [],
    "products": [],
    "profile": {},
    "zones": {},
}


def zone_key(name: str) -> str:
    """The key a zone is stored under: lowercase, without the trailing dot clients sometimes send."""
    return name.strip().rstrip(".").lower()


@dataclass(eq=True)
class SandboxState:
    """The whole simulated account. Route handlers read and mutate :attr:`data` in place."""

    data: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(_DEFAULTS))

    def __post_init__(self) -> None:
        # Fill missing core collections so a hand-written or older state file still serves.
        for key, value in _DEFAULTS.items():
            self.data.setdefault(key, copy.deepcopy(value))

    def __repr__(self) -> str:
        return (
            f"SandboxState(zones={sorted(self.zones)}, accounts={len(self.accounts)}, "
            f"products={len(self.products)}, collections={sorted(self.data)})"
        )

    # -- construction and persistence -------------------------------------------------------------

    @classmethod
    def demo(cls) -> SandboxState:
        """A fresh copy of the packaged demo account.

        ``data/demo.json`` holds the core (accounts, products, zones); each product's route module may ship
        a ``data/demo_<product>.json`` whose top-level collections are added to it, so that adding a
        product never edits another product's seed.
        """
        folder = resources.files("reconciler.sandbox").joinpath("data")
        data = json.loads(folder.joinpath("demo.json").read_text(encoding="utf-8"))
        extras = sorted(
            (
                entry
                for entry in folder.iterdir()
                if entry.name.startswith("demo_") and entry.name.endswith(".json")
            ),
            key=lambda entry: entry.name,
        )
        for entry in extras:
            extra = json.loads(entry.read_text(encoding="utf-8"))
            clash = set(extra) & set(data)
            if clash:
                raise ValueError(f"{entry.name} redefines demo collections {sorted(clash)}")
            data.update(extra)
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: Any) -> SandboxState:
        if not isinstance(data, dict):
            raise TypeError(f"sandbox state must be a JSON object, got {type(data).__name__}")
        return cls(copy.deepcopy(data))

    def to_json(self) -> dict[str, Any]:
        """A deep copy of the state, safe to serialise or mutate."""
        return copy.deepcopy(self.data)

    def copy(self) -> SandboxState:
        return SandboxState(self.to_json())

    @classmethod
    def load(cls, path: Path) -> SandboxState:
        """Read a file written by :meth:`save`."""
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        """Write atomically: a temporary file in the same directory, then ``os.replace``.

        A crash mid-write leaves the previous file intact, which matters because ``sandbox serve`` saves
        after every write and a user may kill it at any time.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- counters -----------------------------------------------------------------------------------

    def new_id(self) -> int:
        """Hand out the next integer id (shared by all collections, so ids never collide)."""
        value = int(self.data["next_id"])
        self.data["next_id"] = value + 1
        return value

    def tick(self) -> int:
        """The timestamp for a write: the logical clock, advanced by one second per call."""
        value = int(self.data["clock"])
        self.data["clock"] = value + 1
        return value

    # -- typed views of the core collections -----------------------------------------------------

    @property
    def accounts(self) -> list[dict[str, Any]]:
        accounts: list[dict[str, Any]] = self.data["accounts"]
        return accounts

    @property
    def products(self) -> list[dict[str, Any]]:
        products: list[dict[str, Any]] = self.data["products"]
        return products

    @property
    def profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = self.data["profile"]
        return profile

    @property
    def zones(self) -> dict[str, dict[str, Any]]:
        zones: dict[str, dict[str, Any]] = self.data["zones"]
        return zones

    def zone(self, name: str) -> dict[str, Any] | None:
        """The zone stored under ``name`` (case and trailing dot ignored), or None."""
        return self.zones.get(zone_key(name))

    def records(self, zone: str) -> list[dict[str, Any]]:
        """The stored records of a zone; KeyError if the zone is unknown."""
        found = self.zone(zone)
        if found is None:
            raise KeyError(zone)
        records: list[dict[str, Any]] = found["records"]
        return records

    def find_record(self, zone: str, record_id: int) -> dict[str, Any] | None:
        found = self.zone(zone)
        if found is None:
            return None
        return next((r for r in found["records"] if r["id"] == record_id), None)

    def owned(self, name: str, owner: int | str) -> list[dict[str, Any]]:
        """The stored list ``name`` of one owner (an account, a mail hosting, a drive), made on first use."""
        by_owner: dict[str, list[dict[str, Any]]] = self.data.setdefault(name, {})
        return by_owner.setdefault(str(owner), [])

    def domain_names(self) -> list[str]:
        """Registered domains of the account: ``customer_name`` of every ``domain`` product."""
        return [str(p["customer_name"]).lower() for p in self.products if p.get("service_name") == "domain"]
