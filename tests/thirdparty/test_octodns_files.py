"""Zone files are octoDNS files: what `import dns` writes loads in octoDNS's own YamlProvider, and the value
forms octoDNS documents load in ours (docs/format-dns.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from natsort import natsort_keygen
from octodns.provider.yaml import YamlProvider
from octodns.zone import Zone

from reconciler.cli import main
from reconciler.desired import dump_yaml, load_yaml_text
from reconciler.kinds import get_kind
from reconciler.kinds.dns.spec import natural_key
from tests.kinds.helpers import parse_clean
from tests.kinds.test_dns_normalize import zone as zone_documents

DNS = get_kind("dns")


def octodns_load(directory: Path, zone: str, *, lenient: bool = False) -> Zone:
    """Populate ``zone`` from ``directory`` with octoDNS's YamlProvider as configured by default.

    ``escaped_semicolons=True`` is today's default, passed only to silence octoDNS's notice that the default
    will change in 2.0; ``enforce_order`` (natural order) stays on.
    """
    provider = YamlProvider("config", str(directory), escaped_semicolons=True)
    loaded = Zone(f"{zone}.", [])
    provider.populate(loaded, lenient=lenient)
    return loaded


def as_document(loaded: Zone) -> dict[str, Any]:
    """octoDNS's records as a zone document, for our parser."""
    document: dict[str, Any] = {}
    for record in sorted(loaded.records, key=lambda r: (r.name, r._type)):
        entry = {"type": record._type, **record.data}
        if record.name in document:
            existing = document[record.name]
            document[record.name] = [*(existing if isinstance(existing, list) else [existing]), entry]
        else:
            document[record.name] = entry
    return document


def normalized(objects: Any, zone: str) -> dict[tuple[str, ...], Any]:
    return {obj.key: DNS.normalize(obj.spec, zone) for obj in objects}


@pytest.mark.parametrize("zone", ["example.ch", "demo-shop.ch"])
def test_what_import_writes_loads_in_octodns_yaml_provider(
    tmp_path: Path, zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFOMANIAK_GITOPS_HOME", str(tmp_path / "work"))
    assert main(["--sandbox", "--state", str(tmp_path / "state"), "import", "dns", zone]) == 0
    written = tmp_path / "state" / "dns" / f"{zone}.yaml"
    loaded = octodns_load(written.parent, zone)
    assert loaded.records
    ours = parse_clean(DNS, _yaml(written), str(written))
    theirs = parse_clean(DNS, as_document(loaded), str(written))
    assert normalized(theirs, zone) == normalized(ours, zone)


def _yaml(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"), file=str(path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone_documents())
def test_any_rendered_zone_loads_in_octodns_and_means_the_same(tmp_path_factory: Any, document: Any) -> None:
    folder = tmp_path_factory.mktemp("octodns")
    objects = parse_clean(DNS, document, "state/dns/example.ch.yaml")
    (folder / "example.ch.yaml").write_text(dump_yaml(DNS.render(objects, "example.ch")), encoding="utf-8")
    # Lenient: octoDNS's value rules are stricter than DNS's in places (a one-label target such as "a.");
    # the key order it enforces while reading is not relaxed by it.
    loaded = octodns_load(folder, "example.ch", lenient=True)
    theirs = parse_clean(DNS, as_document(loaded), "state/dns/example.ch.yaml")
    assert normalized(theirs, "example.ch") == normalized(objects, "example.ch")


@given(st.text("ab019_-.", max_size=8), st.text("ab019_-.", max_size=8))
def test_natural_key_orders_like_natsort(left: str, right: str) -> None:
    keygen = natsort_keygen()
    assert (natural_key(left) < natural_key(right)) == (keygen(left) < keygen(right))


# The value forms octoDNS's record classes document (octodns/record/*.py), including its legacy aliases;
# each loads in octoDNS and in ours, and both read the same values.
OCTODNS_FORMS = """\
? ''
: - ttl: 300
    type: CAA
    values:
    - tag: issue
      value: letsencrypt.org
    - flags: 128
      tag: iodef
      value: mailto:security@example.ch
  - ttl: 300
    type: MX
    values:
    - priority: 10
      value: smtp-1.example.net.
    - exchange: smtp-2.example.net.
      preference: '20'
    - exchange: smtp-3.example.net.
      priority: 30
_imap._tcp:
  ttl: 600
  type: SRV
  value:
    port: '993'
    priority: 10
    target: imap.example.net.
    weight: 0
child:
  - type: DS
    values:
    - algorithm: 8
      digest: 4F219DCE274F820EA81EA1150638DABE9D3C5F6B67B1B4F3BCA3AC3C8D9D3BB3
      digest_type: 2
      key_tag: 60485
    - algorithm: 8
      flags: 60485
      protocol: 8
      public_key: 2BB183AF5F22588179A53B0A98631FAD1A292118
  - type: NS
    values:
    - ns1.example.net.
    - ns2.example.net.
ssh:
  type: SSHFP
  value:
    algorithm: 4
    fingerprint: 123456789abcdef67890123456789abcdef67890
    fingerprint_type: 1
txt:
  type: TXT
  values:
  - v=spf1 include:_spf.example.net -all
  - k=rsa\\; p=MIGfMA0
"""


def test_octodns_value_forms_load_in_both_tools_the_same(tmp_path: Path) -> None:
    (tmp_path / "example.ch.yaml").write_text(OCTODNS_FORMS, encoding="utf-8")
    with pytest.warns(DeprecationWarning, match="DS properties"):  # octoDNS's own notice for its legacy DS
        loaded = octodns_load(tmp_path, "example.ch")
    ours = parse_clean(
        DNS, load_yaml_text(OCTODNS_FORMS, file="example.ch.yaml"), "state/dns/example.ch.yaml"
    )
    theirs = parse_clean(DNS, as_document(loaded), "state/dns/example.ch.yaml")
    got = normalized(ours, "example.ch")
    assert got == normalized(theirs, "example.ch")
    assert got[("@", "MX")]["values"] == [
        "10 smtp-1.example.net.",
        "20 smtp-2.example.net.",
        "30 smtp-3.example.net.",
    ]
    assert "60485 8 8 2bb183af5f22588179a53b0a98631fad1a292118" in got[("child", "DS")]["values"]
    # Normalised on read: import writes today's field names.
    rendered = DNS.render(ours, "example.ch")
    assert rendered[""][1]["values"][0] == {"exchange": "smtp-1.example.net.", "preference": 10}
