"""Hostile desired files get a clean error naming the file, never a traceback or a memory blow-up."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import load_desired
from reconciler.desired.limits import (
    MAX_FILE_BYTES_ENV,
    LimitExceeded,
    Limits,
    check_structure,
    check_value,
    decode_utf8,
    read_limited,
)
from reconciler.desired.yamlio import load_yaml_fast, load_yaml_text
from reconciler.errors import DesiredStateError, SettingsError
from reconciler.kinds import get_kind

REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1536 * 1024 * 1024


def _bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _deep_block(levels: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}leaf: 1\n"


HOSTILE: dict[str, bytes] = {
    "alias-bomb": _bomb().encode(),
    "deep-flow": ("www: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
    "deep-block": _deep_block(100).encode(),
    "lone-surrogate": b'www:\n  type: TXT\n  value: "caf\\ud800"\n',
    "not-utf8": b"www:\n  type: TXT\n  value: caf\xe9\n",
    "recursive-alias": b"www: &a\n  - *a\n",
}


def _limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _state_with(tmp_path: Path, name: str, data: bytes | None) -> Path:
    root = tmp_path / "state"
    (root / "dns").mkdir(parents=True)
    (root / "infomaniak.yaml").write_text("protect: []\n", encoding="utf-8")
    (root / "dns" / "example.ch.yaml").write_text("www:\n  type: A\n  value: 192.0.2.1\n", encoding="utf-8")
    path = root / "dns" / f"{name}.example.yaml"
    if data is None:  # oversize: a sparse file past the default limit, never read
        with path.open("wb") as handle:
            handle.truncate(Limits().max_file_bytes + 1)
    else:
        path.write_bytes(data)
    return root


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFOMANIAK")}
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited_memory,
    )


@pytest.mark.e2e
@pytest.mark.parametrize("name", [*HOSTILE, "oversize"])
@pytest.mark.parametrize("verb", [("validate",), ("plan", "--sandbox")])
def test_hostile_file_is_a_clean_error_with_its_name(
    tmp_path: Path, name: str, verb: tuple[str, ...]
) -> None:
    _state_with(tmp_path, name, HOSTILE.get(name))
    result = _run(tmp_path, *verb)
    assert result.returncode == 1, result.stderr
    assert f"{name}.example.yaml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "lol" not in result.stderr  # no expanded value is ever printed
    assert len(result.stderr) < 2000


@pytest.mark.parametrize(
    ("name", "line", "rule"),
    [
        ("alias-bomb", None, "yaml-aliases"),
        ("deep-flow", 1, "yaml-depth"),
        ("deep-block", 65, "yaml-depth"),
        ("lone-surrogate", 3, "encoding"),
        ("not-utf8", 3, "encoding"),
        ("recursive-alias", 1, "yaml-recursive"),
    ],
)
def test_hostile_file_reason_has_its_line(tmp_path: Path, name: str, line: int | None, rule: str) -> None:
    root = _state_with(tmp_path, name, HOSTILE[name])
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [get_kind("dns")])
    (reason,) = caught.value.reasons
    assert reason.file.endswith(f"{name}.example.yaml")
    assert reason.rule == rule
    if line is not None:
        assert reason.line == line
    else:
        assert reason.line is not None


def test_non_utf8_byte_is_placed_by_line_and_column() -> None:
    with pytest.raises(DesiredStateError) as caught:
        decode_utf8("a: 1\nbé: x\xff\n".encode().replace(b"\xc3\xbf", b"\xff"), file="f.yaml")
    (reason,) = caught.value.reasons
    assert (reason.line, reason.column) == (2, 6)
    assert "ff" in reason.message


def test_size_limit_is_configurable_and_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" * 100)
    limits = Limits.from_env({MAX_FILE_BYTES_ENV: "100"})
    with pytest.raises(
        DesiredStateError, match=r"500 bytes; the limit is 100 .*INFOMANIAK_GITOPS_MAX_FILE_BYTES"
    ):
        read_limited(path, file="big.yaml", limits=limits)
    assert read_limited(path, file="big.yaml", limits=Limits()) == b"a: 1\n" * 100
    with pytest.raises(SettingsError):
        Limits.from_env({MAX_FILE_BYTES_ENV: "lots"})


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(DesiredStateError, match="not a regular file"):
        read_limited(fifo, file="pipe.yaml", limits=Limits())


def test_shared_templates_within_the_alias_budget_still_load() -> None:
    text = "t: &t {type: A, ttl: 300}\n" + "".join(f"h{i}: *t\n" for i in range(2000))
    assert load_yaml_fast(text, file="f", limits=Limits())["h1999"] == {"type": "A", "ttl": 300}
    with pytest.raises(DesiredStateError, match="alias bomb"):
        load_yaml_fast(text, file="f", limits=Limits(max_alias_expansion=1000))


def test_round_trip_loader_applies_the_same_limits() -> None:
    with pytest.raises(DesiredStateError, match="alias bomb"):
        load_yaml_text(_bomb(), file="f")
    with pytest.raises(DesiredStateError, match="levels deep"):
        load_yaml_text(_deep_block(100), file="f")


def test_structure_walk_is_linear_in_shared_values() -> None:
    shared: list[Any] = ["x"] * 10
    for _ in range(30):  # 10**30 expanded nodes, 300 written ones
        shared = [shared] * 10
    with pytest.raises(LimitExceeded) as caught:
        check_structure({"a": shared}, Limits())
    assert caught.value.rule == "yaml-aliases"


def test_mcp_edit_arguments_get_the_same_limits() -> None:
    check_value({"type": "TXT", "value": "fine"}, what="dns example.ch www TXT")
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    with pytest.raises(DesiredStateError, match="levels deep") as caught:
        check_value({"value": deep}, what="dns example.ch www TXT")
    assert "dns example.ch www TXT" in str(caught.value)
    with pytest.raises(DesiredStateError, match="U\\+D800"):
        check_value({"value": "caf\ud800"}, what="entry")
    with pytest.raises(DesiredStateError, match="the limit is 10"):
        check_value({"value": "x" * 11}, what="entry", limits=Limits(max_file_bytes=10))
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(DesiredStateError, match="contains it"):
        check_value({"value": loop}, what="entry")


def test_error_texts_are_capped(tmp_path: Path) -> None:
    root = _state_with(tmp_path, "long", ("x" * 5000 + ":\n  type: A\n  value: 192.0.2.1\n").encode())
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [get_kind("dns")])
    assert all(len(reason.message) + len(reason.field) < 1000 for reason in caught.value.reasons)


@pytest.mark.e2e
@pytest.mark.parametrize("verb", [("validate",), ("plan", "--sandbox")])
def test_symlink_out_of_the_state_directory_is_refused_unread(tmp_path: Path, verb: tuple[str, ...]) -> None:
    secret = tmp_path / "runner-secret.yaml"
    secret.write_text("www:\n  type: TXT\n  value: TOPSECRET-VALUE\n", encoding="utf-8")
    root = _state_with(tmp_path, "fine", b"")
    (root / "dns" / "evil.ch.yaml").symlink_to(secret)
    result = _run(tmp_path, *verb)
    assert result.returncode == 1
    assert "state/dns/evil.ch.yaml" in result.stderr
    assert "outside the state directory" in result.stderr
    assert "TOPSECRET" not in result.stderr + result.stdout


def test_symlinked_kind_folder_and_config_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "dns").mkdir(parents=True)
    (outside / "dns" / "example.ch.yaml").write_text("www:\n  type: A\n  value: 192.0.2.1\n")
    (outside / "infomaniak.yaml").write_text("protect: []\n")
    root = tmp_path / "state"
    root.mkdir()
    (root / "dns").symlink_to(outside / "dns")
    (root / "infomaniak.yaml").symlink_to(outside / "infomaniak.yaml")
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [get_kind("dns")])
    assert sorted(r.rule for r in caught.value.reasons) == ["outside-state-dir", "outside-state-dir"]


def test_symlink_inside_the_state_directory_is_fine(tmp_path: Path) -> None:
    root = _state_with(tmp_path, "fine", b"")
    (root / "dns" / "alias.ch.yaml").symlink_to(root / "dns" / "example.ch.yaml")
    state = load_desired(root, [get_kind("dns")])
    assert sorted(scope.scope for scope in state.scopes) == ["alias.ch", "example.ch", "fine.example"]
