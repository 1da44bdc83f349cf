"""octodns-infomaniak, unchanged but for its base URL, against `sandbox serve` on 127.0.0.1.

Two checks in one: the simulator is faithful enough for a real third-party client, and our DNS normaliser
agrees with octoDNS's on every record of the demo zones (the file formats are meant to be interchangeable).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import octodns_infomaniak
import pytest
from octodns.zone import Zone

from reconciler.kinds import get_kind
from reconciler.kinds.dns.api import live_objects
from tests.kinds.helpers import parse_clean
from tests.sandbox.test_server import free_port

pytestmark = pytest.mark.e2e

_SERVE = """
import sys
from pathlib import Path
from reconciler.sandbox.server import serve
serve(Path(sys.argv[1]), port=int(sys.argv[2]), log_level="critical")
"""
TOKEN = "sandbox-token"


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(tmp_path / "sandbox.json"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/2/zones/example.ch/exists", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sandbox server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _provider(url: str) -> Any:
    provider = octodns_infomaniak.InfomaniakProvider("infomaniak", TOKEN)
    # The provider copies its module constant at construction; pointing the instance is the documented way.
    provider._client.endpoint = f"{url}/2/"
    return provider


def _octodns_document(zone: Zone) -> dict[str, Any]:
    """The zone as octoDNS's YAML provider would write it: name → record or list of records."""
    document: dict[str, Any] = {}
    for record in sorted(zone.records, key=lambda r: (r.name, r._type)):
        entry = {"type": record._type, **record.data}
        if record.name in document:
            existing = document[record.name]
            document[record.name] = [*(existing if isinstance(existing, list) else [existing]), entry]
        else:
            document[record.name] = entry
    return document


def _normalized(objects: Any, zone: str) -> dict[tuple[str, ...], Any]:
    dns = get_kind("dns")
    return {obj.key: dns.normalize(obj.spec, zone) for obj in objects}


@pytest.mark.parametrize("name", ["example.ch", "demo-shop.ch"])
def test_octodns_reads_what_we_read(base_url: str, name: str) -> None:
    zone = Zone(f"{name}.", [])
    _provider(base_url).populate(zone)
    assert zone.records, "octodns-infomaniak read no record"
    ours = parse_clean(get_kind("dns"), _octodns_document(zone), f"state/dns/{name}.yaml")

    live = httpx.get(
        f"{base_url}/2/zones/{name}/records", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).json()["data"]
    assert len(live) == sum(len(record.values) if hasattr(record, "values") else 1 for record in zone.records)
    mine = live_objects(live, name)
    # Every record, apex NS included (the provider declares SUPPORTS_ROOT_NS), long DKIM TXT and CAA alike.
    assert _normalized(ours, name) == _normalized(mine, name)


def test_octodns_writes_are_read_back_equal(base_url: str) -> None:
    provider = _provider(base_url)
    desired = Zone("example.ch.", [])
    from octodns.record import Record

    for record_name, data in {
        "octo": {"type": "TXT", "ttl": 600, "values": ["v=spf1 -all", "k=a\\; p=b"]},
        "mx2": {"type": "MX", "ttl": 300, "value": {"preference": 20, "exchange": "mx.example.net."}},
    }.items():
        desired.add_record(Record.new(desired, record_name, data))
    existing = Zone("example.ch.", [])
    provider.populate(existing)
    for record in existing.records:
        desired.add_record(record, replace=True)
    plan = provider.plan(desired)
    assert plan is not None
    provider.apply(plan)

    after = Zone("example.ch.", [])
    _provider(base_url).populate(after)
    theirs = parse_clean(get_kind("dns"), _octodns_document(after), "state/dns/example.ch.yaml")
    got = _normalized(theirs, "example.ch")
    assert got[("octo", "TXT")] == {"ttl": 600, "values": ["k=a; p=b", "v=spf1 -all"]}
    assert got[("mx2", "MX")] == {"ttl": 300, "values": ["20 mx.example.net."]}
