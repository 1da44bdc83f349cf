"""The shortcuts of the DNS live path give exactly what the full rules give.

Reading ~10,000 live values per plan is the large account's main cost, so names, IPv4 addresses and the
re-check of live values take shortcuts (``names._labels``, ``records._ipv4``, ``TypeRule.reads_back``);
each is compared here with the rule it stands for, on generated input that reaches both sides of it.
"""

from __future__ import annotations

import ipaddress
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.kinds.dns import SUPPORTED_TYPES
from reconciler.kinds.dns.api import live_objects
from reconciler.kinds.dns.names import _checked_labels, _labels
from reconciler.kinds.dns.records import (
    TYPES,
    _compressed_ipv6,
    _ipv4,
    _ipv6,
    _read_api_value,
    live_value,
    raw_reason,
    value_from_api,
)
from reconciler.kinds.dns.spec import READ_ONLY_TYPES, set_problems, unwritable

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(function, *args, **kwargs):
    try:
        return ("value", function(*args, **kwargs))
    except ValueError as exc:
        return ("error", str(exc))


label = st.one_of(
    st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True),
    st.sampled_from(["*", "", "x" * 63, "y" * 64, "straße", "É", "a b", "a\n", "-"]),
)
name = st.lists(label, min_size=1, max_size=5).map(".".join) | st.just("a." * 126 + "bc")


@SETTINGS
@given(name, st.booleans())
def test_the_name_shortcut_equals_the_label_rules(text, wildcard):
    assert outcome(_labels, text, wildcard=wildcard) == outcome(_checked_labels, text, wildcard=wildcard)


octet = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", "٣", "", "1 ", "+1"]))
ipv4 = st.lists(octet, min_size=3, max_size=5).map(".".join)


def reference_ipv4(text):
    try:
        return ("value", str(ipaddress.IPv4Address(text.strip())))
    except ValueError:
        return ("error", None)


@SETTINGS
@given(ipv4 | st.text(string.digits + ". ", max_size=20))
def test_the_ipv4_shortcut_equals_ipaddress(text):
    kind, value = outcome(_ipv4, text, api=True)
    assert (kind, value if kind == "value" else None) == reference_ipv4(text)


hextet = st.sampled_from([0, 0, 0, 1, 0xFFFF]) | st.integers(0, 0xFFFF)
ipv6 = st.lists(hextet, min_size=8, max_size=8).map(
    lambda parts: ipaddress.IPv6Address(b"".join(part.to_bytes(2, "big") for part in parts))
)
ipv6_text = st.one_of(
    ipv6.map(lambda ip: ip.compressed),
    ipv6.map(lambda ip: ip.exploded),
    ipv6.map(lambda ip: ip.compressed.upper()),
    ipv6.map(lambda ip: ip.compressed.replace("::", ":0:", 1)),
    ipv6.map(lambda ip: ":".join(f"{word:x}" for word in ip.packed[::2])),  # only the high bytes
    ipv6.map(lambda ip: ":".join(ip.exploded.split(":")[:7])),
    ipv6.map(lambda ip: ip.compressed + ":"),
    st.text("0123456789abcdef:.%", max_size=41),
    st.sampled_from(["::", "::1", "1::", "1:0::1", "1::0:1", "0:0:1::", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::"]),
)


def reference_ipv6(text):
    try:
        return ("value", ipaddress.IPv6Address(text.strip()).compressed)
    except ValueError:
        return ("error", None)


@SETTINGS
@given(ipv6_text)
def test_the_ipv6_shortcut_equals_ipaddress(text):
    assert _compressed_ipv6(text) == (reference_ipv6(text) == ("value", text))
    kind, value = outcome(_ipv6, text, api=True)
    assert (kind, value if kind == "value" else None) == reference_ipv6(text) or "%" in text


def target(rtype):
    """API targets of ``rtype``, canonical or not, some the rules refuse."""
    host = st.lists(label, min_size=1, max_size=3).map(".".join)
    anything = st.text(string.ascii_letters + string.digits + ' .:"\\;-_*', max_size=30)
    hosts = st.one_of(host, host.map(lambda h: h.upper() + "."), st.just("."), st.just(""))
    number = st.one_of(st.integers(-1, 70000).map(str), st.sampled_from(["010", "1.0", "x", " 5 "]))
    by_type = {
        "A": ipv4,
        "AAAA": st.one_of(
            st.ip_addresses(v=6).map(lambda ip: ip.exploded), st.ip_addresses(v=6).map(str), anything
        ),
        "MX": st.tuples(number, hosts).map(" ".join),
        "SRV": st.tuples(number, number, number, hosts).map(" ".join),
    }
    return st.one_of(by_type.get(rtype, hosts), anything)


READS_BACK = [rtype for rtype in SUPPORTED_TYPES if TYPES[rtype].reads_back]


@SETTINGS
@given(
    st.sampled_from(["MX", "SRV"]).flatmap(lambda rtype: st.tuples(st.just(rtype), target(rtype)))
    | st.sampled_from([("MX", "10 " + "a." * 126 + "bc"), ("SRV", "1 2 65536 x"), ("MX", "65535 mx")])
)
def test_the_mx_and_srv_shortcut_equals_the_value_models(case):
    rtype, text = case
    assert outcome(value_from_api, rtype, text) == outcome(_read_api_value, rtype, text)


@SETTINGS
@given(st.sampled_from(READS_BACK).flatmap(lambda rtype: st.tuples(st.just(rtype), target(rtype))))
def test_a_value_read_from_the_api_reads_back_as_itself_where_the_type_says_so(case):
    rtype, text = case
    value, why = live_value(rtype, text)
    if why is None:
        assert raw_reason(rtype, value) is None


def test_the_types_without_the_shortcut_are_the_ones_with_file_only_rules():
    # An empty TXT is valid live and refused in a file; CAA, DS, SSHFP and TLSA keep their full check too.
    value, why = live_value("TXT", '""')
    assert why is None
    assert raw_reason("TXT", value) == "a TXT value must not be empty"
    assert not {"TXT", "CAA", "DS", "SSHFP", "TLSA"} & set(READS_BACK)


@SETTINGS
@given(
    st.lists(
        st.sampled_from([*READS_BACK, "TXT", "CAA"]).flatmap(
            lambda rtype: st.tuples(st.just(rtype), target(rtype), st.sampled_from(["www", ".", "_s._tcp"]))
        ),
        min_size=1,
        max_size=8,
    )
)
def test_live_sets_carry_the_notes_of_the_full_check(rows):
    api_rows = [
        {"id": index, "source": source, "type": rtype, "target": text, "ttl": 3600}
        for index, (rtype, text, source) in enumerate(rows)
    ]
    objects = live_objects(api_rows, "example.ch")
    types_at: dict[str, list[str]] = {}
    for obj in objects:
        types_at.setdefault(obj.key[0], []).append(obj.key[1])
    for obj in objects:
        name, rtype = obj.key
        # What live_objects computed before the shortcut: every value checked again.
        unfit = unwritable(name, rtype, obj.spec.values)
        problems = [unfit] if unfit else set_problems(name, obj.spec, types_at[name])
        assert obj.note == ("; ".join(problems) if problems and rtype not in READ_ONLY_TYPES else None)
