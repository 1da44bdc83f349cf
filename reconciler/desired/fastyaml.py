"""The read path for desired files: libyaml's C parser with the YAML 1.2 semantics of the round-trip loader.

Round-trip parsing (ruamel, pure Python, comments kept) costs about 0.3 ms per DNS record; libyaml through
PyYAML about a tenth of that. The values must be the ones the round-trip loader gives, or a plan would
depend on which loader read the file, so:

* scalars resolve with ruamel's YAML 1.2 rules (``on``/``no`` are strings, ``012`` is twelve, ``1:20`` and
  IPv6 addresses are strings, ``3_600`` is an int) and construct the same values;
* a duplicate key is an error, as it is for ruamel;
* what only ruamel reads its own way (explicit tags, merge keys ``<<``, ``%YAML`` directives, complex keys)
  and every error go to the round-trip loader, which gives today's value or today's message.

``tests/desired/test_fastyaml.py`` feeds generated documents and a list of traps to both loaders and
requires identical results.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MERGE_TAG = "tag:yaml.org,2002:merge"
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# Text the C path leaves to ruamel: a tag (``!``/``!!`` starting a node), a directive, a merge key, a
# complex key. Matches inside quoted strings only cost speed (that file is read round-trip).
_ROUND_TRIP_ONLY = re.compile(r"(?:^|[\s\[{,])!|^%|<<|(?:^|[\s\[{,])\?(?:\s|$)", re.MULTILINE)


class Unsupported(Exception):
    """The C path cannot promise ruamel's result for this document; read it round-trip."""


class _Resolver(yaml.resolver.BaseResolver):
    """ruamel's YAML 1.2 implicit resolvers (``ruamel.yaml.resolver``), verbatim."""


_RESOLVERS: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    (MERGE_TAG, r"^(?:<<)$", "<"),
    ("tag:yaml.org,2002:null", r"^(?: ~ |null|Null|NULL | )$", "~nN"),
    (
        "tag:yaml.org,2002:timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        "0123456789",
    ),
    ("tag:yaml.org,2002:value", r"^(?:=)$", "="),
]
for _tag, _pattern, _first in _RESOLVERS:
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern, re.X), list(_first))
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    if digits[:1] in "+-":
        digits = digits[1:]
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits)


_NAN = float("nan")


def _float(text: str) -> float:
    lowered = text.replace("_", "").lower()
    sign = -1.0 if lowered[:1] == "-" else 1.0
    body = lowered[1:] if lowered[:1] in "+-" else lowered
    if body == ".inf":
        return sign * float("inf")
    if body == ".nan":
        return _NAN  # one object, like ruamel's: a second .nan key is then a duplicate there and here
    return sign * float(body)


class _Constructor(yaml.constructor.SafeConstructor):
    """SafeConstructor with ruamel's round-trip results for 1.2 scalars; duplicates and merges bail out."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                raise Unsupported("merge or complex key")
            key = self.construct_object(key_node, deep=deep)
            if key in mapping:
                raise Unsupported("duplicate key")  # ruamel words the error
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: ScalarNode) -> int:
        return _int(str(node.value))

    def construct_yaml_float(self, node: ScalarNode) -> float:
        return _float(str(node.value))

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        text = str(node.value)
        if _DATE.match(text):  # what ruamel makes of a plain date, without importing it
            return datetime.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        # A time of day is rare here: ruamel builds it (datetime or its TimeStamp), so it is its own.
        from ruamel.yaml.constructor import RoundTripConstructor

        return RoundTripConstructor.construct_yaml_timestamp(_TIMESTAMP_SELF, node)  # type: ignore[arg-type]

    def construct_undefined(self, node: Node) -> Any:
        raise Unsupported(f"tag {node.tag}")


class _TimestampSelf:
    @property
    def timestamp_regexp(self) -> Any:
        from ruamel.yaml.util import timestamp_regexp

        return timestamp_regexp


_TIMESTAMP_SELF = _TimestampSelf()

_Constructor.yaml_constructors = {
    **yaml.constructor.SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:int": _Constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _Constructor.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _Constructor.construct_yaml_timestamp,
    None: _Constructor.construct_undefined,
    **{
        f"tag:yaml.org,2002:{name}": _Constructor.construct_undefined
        for name in ("binary", "omap", "pairs", "set", "value", "merge")
    },
}


class _Loader(CParser, _Constructor, _Resolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def node_children(node: Node) -> list[tuple[str | int, Node]] | None:
    """Children of a parser node (keys and values of a mapping, items of a sequence); None for a scalar."""
    if isinstance(node, MappingNode):
        return [(index, child) for index, pair in enumerate(node.value) for child in pair]
    if isinstance(node, SequenceNode):
        return list(enumerate(node.value))
    return None


def compose_fast(text: str) -> Node | None:
    """libyaml's node tree of ``text`` (its marks give lines); None for an empty document."""
    loader = _Loader(text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


def load_nodes(text: str, check: Callable[[Node], None]) -> Any:
    """The document in ``text`` as plain dicts, lists and scalars; ``check`` sees the nodes first.

    Raises :class:`Unsupported` when the round-trip loader must read it instead: for the constructs only
    it reads its own way, and for every error (it words the message and finds the line).
    """
    if _ROUND_TRIP_ONLY.search(text):
        raise Unsupported("round-trip construct")
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except Exception as exc:
            raise Unsupported(type(exc).__name__) from exc
        if root is None:
            return None
        check(root)  # limits: raises its own error, with the node's line
        try:
            return loader.construct_document(root)
        except Exception as exc:
            raise Unsupported(type(exc).__name__) from exc
    finally:
        loader.dispose()
