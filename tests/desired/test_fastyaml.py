"""The fast read path gives exactly what the round-trip loader gives: values, types and errors."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired.fastyaml import Unsupported, load_nodes
from reconciler.desired.limits import Limits
from reconciler.desired.yamlio import load_yaml_fast, load_yaml_text
from reconciler.errors import DesiredStateError

LIMITS = Limits()


def plain(value: Any) -> Any:
    """A comparable form that keeps the type family (bool is not int, date is not str) and key order."""
    if isinstance(value, dict):
        return ("map", [(plain(k), plain(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [plain(v) for v in value])
    if isinstance(value, bool):
        return ("bool", bool(value))
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(float(value)))
    if isinstance(value, str):
        return ("str", str(value))
    if value is None:
        return ("null",)
    if isinstance(value, datetime.datetime):
        return ("datetime", value.isoformat(), str(value.utcoffset()))
    if isinstance(value, datetime.date):
        return ("date", value.isoformat())
    return ("other", type(value).__name__, repr(value))


def outcome(load: Any, text: str) -> Any:
    try:
        return ("ok", plain(load(text)))
    except DesiredStateError as exc:
        return ("error", str(exc))


def fast(text: str) -> Any:
    return load_yaml_fast(text, file="f.yaml", limits=LIMITS)


def round_trip(text: str) -> Any:
    return load_yaml_text(text, file="f.yaml", limits=LIMITS)


def assert_same(text: str) -> None:
    assert outcome(fast, text) == outcome(round_trip, text), text


# fmt: off
TRAPS = [
    "on", "off", "yes", "no", "y", "n", "On", "NO", "true", "True", "TRUE", "false", "tRue", "012",
    "0o12", "0o", "08", "09.5", "0x1F", "0xg", "-0x1", "+0o7", "0b101", "0b2", "-0", "1:20",
    "190:20:30.15", "2001:10:20:30:40:50:0:1", "2001:db8::1", "::1", "fe80::1%eth0", "3_600", "1__0",
    "_1", "1_", "_", "0x_1", "1_000.5", "685.230_15e+03", "1e3", "1E3", "1e+3", "1e", "1.", ".5", "3.",
    "-.5e-2", "6.8523015e+5", "0.", ".inf", "-.Inf", "+.INF", ".NaN", ".nan", "inf", "nan", "~", "null",
    "Null", "NULL", "nULL", "", "=", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10", "2002-12-14T12:00:00Z", "2001-1-1", "2001-12-14 21:59:43.10 +5",
    "20011214", "2001-02-30", "2001-13-01", "'012'", '"on"', "!!str 12", "!!int '12'", "!custom x",
    "&a 12", "10 mx.example.ch.",
    '"v=spf1 include:_spf.example -all"', "'it''s'", '"tab\\there"', '"\\u00e9"', '"\\x41"',
    "| \n  keep\n", ">-\n  folded\n  text\n\n  more\n", "|+\n  a\n\n",
]
# fmt: on


@pytest.mark.parametrize("scalar", TRAPS)
def test_traps_read_the_same_as_round_trip(scalar: str) -> None:
    assert_same(f"a: {scalar}\n")
    assert_same(f"list:\n  - {scalar}\n  - x\n")
    if "\n" not in scalar:
        assert_same(f"flow: [{scalar}, x]\n")
        assert_same(f"{scalar}: key\n")


def test_the_yaml_1_2_answers_themselves() -> None:
    document = fast("a: on\nb: 012\nc: 1:20\nd: 2001:10:20:30:40:50:0:1\ne: 3_600\nf: no\ng: 0o10\n")
    assert document == {
        "a": "on",
        "b": 12,
        "c": "1:20",
        "d": "2001:10:20:30:40:50:0:1",
        "e": 3600,
        "f": "no",
        "g": 8,
    }
    assert fast("[1:20, 2001:10:20:30:40:50:0:1]") == ["1:20", "2001:10:20:30:40:50:0:1"]
    assert fast("d: 2001-12-14")["d"] == datetime.date(2001, 12, 14)


DOCUMENTS = [
    "a: 1\nb: 2\na: 3\n",  # duplicate key: an error from both
    "a:\n  x: 1\n  x: 2\n",
    "1: a\n0x1: b\n",  # the same int twice
    "a: &x {k: 1}\nb:\n  <<: *x\n  j: 2\n",  # merge keys: round-trip only
    "%YAML 1.1\n---\na: yes\n",  # a 1.1 document: yes is a bool there
    "? [a, b]\n: 1\n",
    "[a, b]: 1\n",
    "a: [1\n",
    "a: b: c\n",
    "---\na: 1\n---\nb: 2\n",
    "\ufeffa: 1\n",
    "a:\n\tb: 1\n",
    "a: 0o_\n",
    "- &a [x, y]\n- *a\n- *a\n",
    "# only a comment\n",
    "",
    "a: 'multi\n  line'\n",
    ".NaN: on\n'': on\n.NaN: on\n",  # found by the property test: one NaN object, so a duplicate key
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_documents_read_the_same_as_round_trip(text: str) -> None:
    assert_same(text)


def test_round_trip_only_constructs_never_take_the_c_path() -> None:
    for text in ("a: !!str 12\n", "b:\n  <<: {x: 1}\n", "%YAML 1.1\n---\na: 1\n", "? a\n: 1\n"):
        with pytest.raises(Unsupported):
            load_nodes(text, lambda root: None)


_ALPHABET = "0123456789_:.-+eExobEINFinfaty~ "
_WORDS = st.sampled_from([t for t in TRAPS if "\n" not in t and not t.startswith("!")])
_PLAIN = st.one_of(_WORDS, st.text(alphabet=_ALPHABET, min_size=1, max_size=12).map(str.strip))
_QUOTED = st.one_of(
    _PLAIN.map(lambda t: f"'{t}'"),
    _PLAIN.map(lambda t: f'"{t}"'),
)
_SCALAR = st.one_of(_PLAIN, _QUOTED)
_KEY = st.one_of(st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True), _PLAIN, st.just("''"))


def _block(depth: int) -> st.SearchStrategy[str]:
    indent = "  " * depth

    def entry(pair: tuple[str, Any]) -> str:
        key, value = pair
        if isinstance(value, list):
            items = "".join(f"{indent}  - {item}\n" for item in value)
            return f"{indent}{key}:\n{items}"
        if isinstance(value, tuple):
            return f"{indent}{key}:\n{value[0]}"
        return f"{indent}{key}: {value}\n"

    leaves = st.one_of(_SCALAR, st.lists(_SCALAR, min_size=1, max_size=4))
    inner: st.SearchStrategy[Any] = leaves
    if depth < 2:
        inner = st.one_of(leaves, _block(depth + 1).map(lambda text: (text,)))
    flow = st.lists(_SCALAR, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    inner = st.one_of(inner, flow)
    return st.lists(st.tuples(_KEY, inner), min_size=1, max_size=5).map(
        lambda pairs: "".join(entry(pair) for pair in pairs)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_block(0))
def test_generated_documents_read_the_same_as_round_trip(text: str) -> None:
    assert_same(text)
