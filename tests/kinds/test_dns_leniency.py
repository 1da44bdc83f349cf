"""Live DNS data is read leniently (issue 16): a value the file rules refuse is kept as the API gave it,
shown with a note, imported as an ``octodns: {lenient: true}`` record, and planned to zero changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.desired import dump_yaml, load_yaml_text
from reconciler.engine import Session, import_scopes, make_plan
from reconciler.kinds.dns import KIND
from reconciler.kinds.dns.api import live_objects
from reconciler.sandbox import SandboxState, create_app
from tests.kinds.helpers import FakeSource, parse_clean, parse_errors, settings_for, write_state

ZONE = "example.ch"
FILE = f"state/dns/{ZONE}.yaml"
ODD_DS = "2371 15 1 23711321F987CC6583E92DF0890718C42"
"""A DS record Infomaniak accepted and returned (issue 16): its digest has an odd number of hex digits."""


def _row(record_id: int, source: str, rtype: str, target: str, ttl: int = 3600) -> dict[str, Any]:
    return {"id": record_id, "source": source, "type": rtype, "ttl": ttl, "target": target}


def normalized(objects: Any) -> dict[tuple[str, ...], Any]:
    return {obj.key: KIND.normalize(obj.spec, ZONE) for obj in objects}


def test_the_odd_ds_digest_is_kept_raw_with_a_note() -> None:
    [live] = live_objects([_row(1, "sub", "DS", ODD_DS)], ZONE)
    assert live.spec.values == [ODD_DS]  # type: ignore[attr-defined]
    assert live.note is not None and "even number" in live.note


def test_the_import_of_the_odd_ds_validates_and_says_why() -> None:
    live = live_objects([_row(1, "sub", "DS", ODD_DS), _row(2, "www", "A", "192.0.2.1")], ZONE)
    text = dump_yaml(KIND.render(live, ZONE))
    assert "# DS kept as the API gave it (octodns.lenient): value '2371" in text
    assert f"    lenient: true\n  ttl: 3600\n  type: DS\n  value: {ODD_DS}\n" in text
    desired = parse_clean(KIND, load_yaml_text(text, file=FILE), FILE)
    assert normalized(desired) == normalized(live)


def test_the_same_value_without_lenient_is_still_refused() -> None:
    errors = parse_errors(KIND, {"sub": {"type": "DS", "value": ODD_DS}}, FILE)
    assert len(errors) == 1 and "even number" in errors[0][1]


def test_lenient_keeps_ttl_and_name_rules_relaxed_too() -> None:
    document = {
        "x": {"octodns": {"lenient": True}, "type": "SRV", "ttl": 30, "value": "0 0 0 ."},
        "": {"octodns": {"lenient": True}, "type": "CNAME", "values": ["a.example.", "b.example."]},
    }
    assert {obj.key for obj in parse_clean(KIND, document, FILE)} == {("x", "SRV"), ("@", "CNAME")}
    (error,) = parse_errors(
        KIND, {"x": {"octodns": {"ignored": True}, "type": "A", "value": "192.0.2.1"}}, FILE
    )
    assert "ignored" in error[0]


@pytest.mark.parametrize(
    ("row", "written"),
    [
        (_row(1, "www", "A", "192.0.2.300"), True),
        (_row(1, "t", "TXT", '"caf\\255"'), True),
        (_row(1, "t", "TXT", '"' + "x" * 70_000 + '"'), True),
        (_row(1, "www", "CNAME", "a.example", ttl=5), True),
        (_row(1, "bad name", "A", "192.0.2.1"), False),
        (_row(1, "4.3.2.1.in-addr.arpa", "PTR", "host.example"), False),
    ],
)
def test_each_odd_live_set_imports_to_a_file_that_plans_nothing(row: dict[str, Any], written: bool) -> None:
    live = live_objects([row], ZONE)
    text = dump_yaml(KIND.render(live, ZONE))
    source = FakeSource(FILE)
    desired = KIND.parse(load_yaml_text(text, file=FILE), source)
    assert source.errors == []
    if written:
        assert normalized(desired) == normalized(live)
    else:
        # The name or type cannot be in a file: a comment says so, and the live set is never deleted.
        assert desired == [] and text.startswith(f"# {row['source']} {row['type']} (")


@pytest.mark.anyio
async def test_the_odd_ds_imports_and_plans_to_zero_through_the_engine(tmp_path: Path) -> None:
    state = SandboxState.demo()
    records = state.records(ZONE)
    records.append({**_row(state.new_id(), "sub", "DS", ODD_DS), "updated_at": 1719818000})
    # A zone file that lists nothing: without the note, the record would be planned for deletion.
    write_state(tmp_path / "state", {f"dns/{ZONE}.yaml": "www:\n  type: A\n  value: 192.0.2.1\n"})
    settings = settings_for(tmp_path)
    transport = httpx.ASGITransport(app=create_app(state))
    async with Session(settings, transport=transport) as session:
        # Before the import: the plan neither crashes nor deletes the record it cannot structure.
        before = await make_plan(session, targets=[])
        (imported,) = await import_scopes(session, KIND, [ZONE], overwrite=True)
        after = await make_plan(session)
    assert not any(change.key == ["sub", "DS"] for change in before.changes)
    assert imported.resources > 0
    assert [note.split(":")[0] for note in imported.notes] == ["sub DS"]
    written = (tmp_path / "state" / "dns" / f"{ZONE}.yaml").read_text(encoding="utf-8")
    assert f"value: {ODD_DS}" in written and "lenient: true" in written
    assert [c for c in after.changes if c.scope == ZONE] == []
    assert any("dns/example.ch sub DS" in warning and "even number" in warning for warning in after.warnings)
