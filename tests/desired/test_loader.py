from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired import (
    dump_yaml,
    load_config,
    load_desired,
    load_yaml_text,
    parse_document,
    write_yaml_file,
)
from reconciler.errors import DesiredStateError
from tests.engine.fakes import FakeKind


def _state(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "state"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_valid_files_load_with_positions(tmp_path: Path) -> None:
    root = _state(tmp_path, {"items/main.yaml": "# header\na:\n  value: x\nb:\n  value: y\n"})
    state = load_desired(root, [FakeKind()])
    (scope,) = state.scopes
    assert [o.key for o in scope.objects] == [("a",), ("b",)]
    assert scope.objects[1].located is not None and scope.objects[1].located.line == 4


def test_every_problem_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    root = _state(
        tmp_path,
        {
            "items/main.yaml": "a:\n  value: x\n  colour: red\nb:\n  tags: [t]\n",
            "items/other.yaml": "c:\n  value: [not, text]\n",
        },
    )
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [FakeKind()])
    reasons = caught.value.reasons
    shown = sorted((Path(r.file).name, r.line, r.field, r.rule) for r in reasons)
    assert shown == [
        ("main.yaml", 3, "a.colour", "extra_forbidden"),
        ("main.yaml", 4, "b.value", "missing"),
        ("other.yaml", 2, "c.value", "string_type"),
    ]
    message = str(caught.value)
    assert "main.yaml:3:3: a.colour: unknown field (allowed: secret, tags, value)" in message
    assert "infomaniak-gitops validate" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    root = _state(tmp_path, {"items/main.yaml": "a:\n  value: x\n b: [\n"})
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [FakeKind()])
    (reason,) = caught.value.reasons
    assert reason.rule == "yaml" and reason.line == 3


def test_config_errors_are_positioned_and_defaults_apply(tmp_path: Path) -> None:
    assert load_config(tmp_path).safety.max_delete_fraction == 0.3
    root = _state(tmp_path, {"infomaniak.yaml": "account: 123456\nsafety:\n  max_delete_fraction: 2\n"})
    with pytest.raises(DesiredStateError) as caught:
        load_config(root)
    (reason,) = caught.value.reasons
    assert reason.line == 3 and reason.field == "safety.max_delete_fraction"


def test_missing_state_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DesiredStateError, match="state directory does not exist") as caught:
        load_desired(tmp_path / "nope", [FakeKind()])
    # Where it looked, absolute (a server started in the wrong folder shows it), and how to point it right.
    assert f"looked for {(tmp_path / 'nope').resolve()}" in str(caught.value)
    assert "configuration repository's root" in str(caught.value) and "--state DIR" in str(caught.value)


def test_selection_narrows_files(tmp_path: Path) -> None:
    root = _state(tmp_path, {"items/a.yaml": "x: {value: '1'}\n", "items/b.yaml": "y: {value: '2'}\n"})
    state = load_desired(root, [FakeKind()], selected=[("items", "b")])
    assert [s.scope for s in state.scopes] == ["b"]


def test_selection_matches_a_scope_without_case(tmp_path: Path) -> None:
    from reconciler.kinds import get_kind

    root = _state(
        tmp_path,
        {"dns/example.ch.yaml": "www: {type: A, value: 192.0.2.1}\n", "drive/Demo Drive.yaml": "{}\n"},
    )
    kinds = [get_kind("dns"), get_kind("share_links")]
    # The targets `dns/Example.CH` and `share_links/demo drive`: the scope keeps the file's spelling.
    state = load_desired(root, kinds, selected=[("dns", "Example.CH"), ("share_links", "demo drive")])
    assert [(s.kind.name, s.scope) for s in state.scopes] == [
        ("dns", "example.ch"),
        ("share_links", "Demo Drive"),
    ]
    assert state.scope("share_links", "DEMO DRIVE") is state.scopes[1]


def test_round_trip_edit_keeps_comments(tmp_path: Path) -> None:
    text = "# zone notes\na:  # the first\n  value: x\n"
    document = load_yaml_text(text, file="f.yaml")
    kind = FakeKind()
    kind.upsert_entry(document, ("b",), {"value": "y"})
    objects, problems = parse_document(kind, document, file="f.yaml")
    assert problems == [] and len(objects) == 2
    path = tmp_path / "f.yaml"
    write_yaml_file(path, document)
    written = path.read_text()
    assert "# zone notes" in written and "# the first" in written and "b:" in written
    assert dump_yaml(load_yaml_text(written, file="f.yaml")) == written


def test_account_defaults_reach_the_kinds(tmp_path: Path) -> None:
    from reconciler.kinds import get_kind

    root = _state(
        tmp_path,
        {
            "infomaniak.yaml": "defaults:\n  ttl: 300\n",
            "dns/example.ch.yaml": "www:\n  type: A\n  value: 192.0.2.1\nmail:\n  type: A\n  ttl: 900\n"
            "  value: 192.0.2.2\n",
        },
    )
    state = load_desired(root, [get_kind("dns")])
    dns = get_kind("dns")
    ttls = {o.key[0]: dns.normalize(o.spec, "example.ch")["ttl"] for o in state.scopes[0].objects}
    assert ttls == {"www": 300, "mail": 900}
