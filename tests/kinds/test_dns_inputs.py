"""DNS names and text read right (issue 8): IDNA 2008 with UTS #46 mapping, ``\\DDD`` escapes as UTF-8
bytes, the TXT size limit with its file:line, and the unknown-type message."""

from __future__ import annotations

from pathlib import Path

import anyio
import idna
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.desired import load_desired
from reconciler.errors import DesiredStateError
from reconciler.kinds.dns import KIND, zone_name
from reconciler.kinds.dns.names import normalize_host, normalize_name
from reconciler.kinds.dns.records import TXT_MAX_RDATA, canonical_value, txt_rdata_size, value_from_api
from tests.kinds.helpers import FakeDnsApi, parse_clean, parse_errors, write_state

ZONE = "example.ch"
FILE = f"state/dns/{ZONE}.yaml"
BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- IDNA -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("straße", "xn--strae-oqa"),  # IDNA 2003 (Python's codec) made this "strasse": another domain
        ("Bücher", "xn--bcher-kva"),
        ("ＷＷＷ", "www"),  # UTS #46 maps full-width letters
        ("faß.de-shop", "xn--fa-hia.de-shop"),
        ("xn--strae-oqa", "xn--strae-oqa"),
    ],
)
def test_names_use_idna_2008_with_uts46_mapping(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_a_host_value_is_encoded_the_same_way() -> None:
    assert normalize_host("mail.straße.ch.", absolute=True) == "mail.xn--strae-oqa.ch."


@pytest.mark.parametrize("raw", ["a\u200db", "ab\u200c", "stra\u00dfe\u200d"])
def test_a_name_with_a_zero_width_joiner_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid internationalised name"):
        normalize_name(raw)
    errors = parse_errors(KIND, {raw: {"type": "A", "value": "192.0.2.1"}}, FILE)
    assert [(path, rule) for path, _, rule in errors] == [((raw,), "dns-name")]


unicode_label = st.text(
    st.characters(min_codepoint=0xC0, max_codepoint=0x24F, categories=["Ll", "Lu"]) | st.sampled_from("abc-"),
    min_size=1,
    max_size=12,
).filter(lambda label: not label.isascii())  # ASCII labels keep DNS's wider alphabet (_dmarc)


@BOUNDED
@given(unicode_label)
def test_idna_round_trip(label: str) -> None:
    try:
        expected = idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError:
        with pytest.raises(ValueError):
            normalize_name(label)
        return
    assume(expected.isascii() and len(expected) <= 63)
    name = normalize_name(label)
    assert name == expected
    # The ACE form and its Unicode spelling name the same record.
    assert normalize_name(idna.decode(name)) == name == normalize_name(name)


# -- TXT text ---------------------------------------------------------------------------------------------


def _escaped(text: str) -> str:
    """Every byte of ``text`` as a ``\\DDD`` escape, as a zone file or the API may spell it."""
    return "".join(f"\\{byte:03d}" for byte in text.encode("utf-8"))


@pytest.mark.parametrize(
    "spelling", ["caf\\195\\169", '"caf\\195\\169"', '"caf\\195" "\\169"', "café", '"café"']
)
def test_ddd_escapes_are_bytes_then_utf8(spelling: str) -> None:
    assert canonical_value("TXT", spelling) == "café"
    assert value_from_api("TXT", spelling) == "café"


@pytest.mark.parametrize(("spelling", "message"), [('"\\255"', "UTF-8"), ('"\\256"', "000 to 255")])
def test_escapes_that_are_not_utf8_text_are_refused_in_files(spelling: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_value("TXT", spelling)


txt_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters='"\\;'), min_size=1, max_size=80
).filter(lambda text: text.strip() == text and text.strip())


@BOUNDED
@given(txt_text, st.integers(0, 80))
def test_txt_escape_round_trip(text: str, cut: int) -> None:
    """Escaped bytes, chunk cuts anywhere (even inside a character), the API and back: one value."""
    expected = canonical_value("TXT", text)
    escaped = _escaped(text)
    split = 4 * min(cut, len(escaped) // 4)  # between two escapes: four characters per byte
    assert canonical_value("TXT", f'"{escaped[:split]}" "{escaped[split:]}"') == expected
    assert canonical_value("TXT", escaped) == expected

    async def through_the_api() -> list[str]:
        api = FakeDnsApi({ZONE: []})
        [obj] = parse_clean(KIND, {"t": {"type": "TXT", "value": text}}, FILE)
        await KIND.create(api.context(), ZONE, obj)
        [live] = await KIND.fetch(api.context(), ZONE)
        return list(live.spec.values)  # type: ignore[attr-defined]

    assert anyio.run(through_the_api) == [expected]


# -- TXT size ---------------------------------------------------------------------------------------------


def test_rdata_size_counts_a_length_byte_per_255_bytes() -> None:
    assert txt_rdata_size("") == 1
    assert txt_rdata_size("a" * 255) == 256
    assert txt_rdata_size("a" * 256) == 258
    assert txt_rdata_size("é") == 3


def test_the_largest_txt_value_is_accepted() -> None:
    text = "a" * (255 * 257)  # 257 full chunks: 65,792 bytes, too many
    assert txt_rdata_size(text) > TXT_MAX_RDATA
    fits = "a" * (TXT_MAX_RDATA - 257)  # 65,278 bytes of text in 256 chunks: 65,534 bytes
    assert canonical_value("TXT", fits) == fits


def test_an_oversize_txt_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    big = "v=" + "x" * TXT_MAX_RDATA
    zone = f"www:\n  type: A\n  value: 192.0.2.1\nbig:\n  type: TXT\n  value: {big}\n"
    root = write_state(tmp_path / "state", {f"dns/{ZONE}.yaml": zone})
    with pytest.raises(DesiredStateError) as caught:
        load_desired(root, [KIND])
    message = str(caught.value)
    assert f"dns/{ZONE}.yaml:4" in message or f"dns/{ZONE}.yaml:6" in message
    assert "at most 65,535 bytes" in message and big not in message


def test_an_oversize_live_txt_does_not_stop_the_fetch() -> None:
    api = FakeDnsApi({ZONE: []})
    api.add(ZONE, "big", "TXT", '"' + "x" * 70_000 + '"')
    [live] = anyio.run(KIND.fetch, api.context(), ZONE)
    assert live.key == ("big", "TXT")


# -- types ------------------------------------------------------------------------------------------------


def test_the_unknown_type_message_lists_only_the_types_a_file_may_use() -> None:
    (error,) = parse_errors(KIND, {"www": {"type": "SPF", "value": "v=spf1 -all"}}, FILE)
    assert error[0] == ("www", "type") and "a zone file may use A, AAAA, CAA" in error[1]
    assert "PTR" not in error[1]
    (error,) = parse_errors(KIND, {"www": {"type": "PTR", "value": "host.example."}}, FILE)
    assert "read-only" in error[1]
    with pytest.raises(ValueError, match="a zone file may use") as caught:
        KIND.parse_key("www PTR")
    assert "PTR" not in str(caught.value).split("may use")[1]


def test_a_unicode_zone_name_is_its_idna_form() -> None:
    assert zone_name("Straße.CH.") == zone_name("xn--strae-oqa.ch") == "xn--strae-oqa.ch"
    assert zone_name("example.ch") == "example.ch"


def test_the_unknown_type_message_names_the_type() -> None:
    (error,) = parse_errors(KIND, {"www": {"type": "AX", "value": "1.2.3.4"}}, FILE)
    assert error[1].startswith("unsupported record type 'AX'; a zone file may use A, AAAA"), error
    assert "{type" not in error[1]
