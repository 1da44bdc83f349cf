"""Value grammar of each supported record type: YAML forms and API forms, reduced to one canonical string.

Every value has one canonical string, its presentation form with absolute, lowercased, dot-terminated host
names (``10 mail.example.ch.``, ``0 issue "letsencrypt.org"``); a TXT value's canonical string is its joined
logical text. The YAML side and the API side both pass through the functions here, so the differ only ever
compares canonical strings (docs/format-dns.md, shared dns-normalization.md §3).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import AfterValidator, AliasChoices, BeforeValidator, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from reconciler.kinds.base import SpecModel
from reconciler.kinds.dns.names import host_to_api, normalize_host

RecordType = Literal[
    "A", "AAAA", "CAA", "CNAME", "DNAME", "DS", "MX", "NS", "PTR", "SRV", "SSHFP", "TLSA", "TXT"
]
SUPPORTED_TYPES: tuple[str, ...] = get_args(RecordType)

# -- TXT ------------------------------------------------------------------------------------------------

_CHUNK = r'"(?:[^"\\]|\\.)*"'
_CHUNKS = re.compile(rf"{_CHUNK}(?:\s+{_CHUNK})*", re.DOTALL)
_CHUNK_BODY = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(\d{3}|.)", re.DOTALL)
# Outside quotes only octoDNS's "\;" and byte escapes are read: other backslashes stay as written.
_PLAIN_ESCAPE = re.compile(r"\\(\d{3}|;)")

TXT_MAX_RDATA = 65_535
"""Bytes of RDATA a TXT record can hold: each chunk of up to 255 bytes costs one more for its length."""


def _unescape_bytes(text: str, pattern: re.Pattern[str] = _ESCAPE) -> bytes:
    """Presentation text → its bytes: ``\\DDD`` is one byte (RFC 1035 §5.1), ``\\X`` is X."""
    out = bytearray()
    position = 0
    for match in pattern.finditer(text):
        out += text[position : match.start()].encode("utf-8", "surrogatepass")
        code = match.group(1)
        if len(code) == 3 and code.isdigit():
            if int(code) > 255:
                raise ValueError(f"\\{code} is not a byte escape: \\DDD takes 000 to 255")
            out.append(int(code))
        else:
            out += code.encode("utf-8", "surrogatepass")
        position = match.end()
    out += text[position:].encode("utf-8", "surrogatepass")
    return bytes(out)


def _utf8(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the \\DDD escapes of {shown[:40]!r} do not spell UTF-8 text (byte {exc.start}); "
            "write the characters themselves"
        ) from None


def _unescape(text: str, pattern: re.Pattern[str] = _ESCAPE) -> str:
    """Presentation text → logical text; the bytes are UTF-8, so ``caf\\195\\169`` is ``café``."""
    return text if "\\" not in text else _utf8(_unescape_bytes(text, pattern), text)


def txt_rdata_size(text: str) -> int:
    """Size of a logical TXT text on the wire: its UTF-8 bytes in chunks of 255, each with a length byte."""
    size = len(text.encode("utf-8", "surrogatepass"))
    return size + max(1, -(-size // 255))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def txt_text(raw: str) -> str:
    """Logical text of a TXT value given as plain text, one quoted string, or quoted chunks ``"a" "b"``.

    Plain text may use octoDNS's ``\\;`` for ``;``. Chunks are joined: chunk boundaries never matter.
    """
    stripped = raw.strip()
    if _CHUNKS.fullmatch(stripped):
        # Bytes first, then UTF-8: a character's bytes may be split over two chunks.
        return _utf8(b"".join(_unescape_bytes(part) for part in _CHUNK_BODY.findall(stripped)), stripped)
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        # Quotes inside that are not presentation syntax (older API output): drop only the outer pair.
        raw = stripped[1:-1]
    return _unescape(raw, _PLAIN_ESCAPE)


def txt_canonical(text: str) -> str:
    """Canonical string of a logical TXT text: the text itself, quoted only where it would be misread."""
    return text if txt_text(text) == text else _quote(text)


def _txt_value(raw: str, *, api: bool) -> str:
    text = txt_text(raw)
    if not text and not api:
        raise ValueError("a TXT value must not be empty")
    size = txt_rdata_size(text)
    if size > TXT_MAX_RDATA:
        raise ValueError(
            f"a TXT value holds at most {TXT_MAX_RDATA:,} bytes of record data (DNS's limit); this one "
            f"needs {size:,}: split it over several records or names"
        )
    return txt_canonical(text)


def _txt_to_api(canonical: str) -> str:
    text = txt_text(canonical)
    # The API wraps what it gets in one pair of quotes unless it is already wrapped; text that carries quotes,
    # backslashes or edge spaces is sent already quoted so it is stored as well-formed presentation text.
    if '"' in text or "\\" in text or text != text.strip():
        return _quote(text)
    return text


def _txt_to_yaml(canonical: str) -> str:
    if txt_text(canonical) != canonical:
        return canonical
    # octoDNS's form: a bare ';' is a validation error in octoDNS, so files stay usable by both tools.
    return canonical.replace(";", "\\;")


# -- addresses ------------------------------------------------------------------------------------------


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
"""Dotted quads as ``str(IPv4Address(...))`` writes them (no leading zeros), i.e. already canonical."""


def _ipv4(raw: str, *, api: bool) -> str:
    text = raw.strip()
    if _CANONICAL_IPV4.fullmatch(text):
        return text
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError as exc:
        # ipaddress refuses leading zeros ("010.0.0.1"): some resolvers read them as octal, so never guess.
        raise ValueError(f"{raw!r} is not a valid IPv4 address ({exc})") from None


_IPV6_TEXT = re.compile(r"[0-9a-f:]{2,39}")


def _compressed_ipv6(text: str) -> bool:
    """Whether ``text`` is an IPv6 address as ``IPv6Address(...).compressed`` writes it (RFC 5952).

    Lowercase hextets without leading zeros, and ``::`` for the first longest run of two or more zero
    hextets, and nowhere else. A quarter of ``ipaddress``'s cost, for the form the API returns.
    """
    if not _IPV6_TEXT.fullmatch(text):
        return False
    head, gap_mark, tail = text.partition("::")
    left = head.split(":") if head else []
    right = tail.split(":") if tail else []
    gap = 8 - len(left) - len(right)
    if (gap_mark and ("::" in tail or gap < 2)) or (not gap_mark and gap != 0):
        return False
    if any(not part or len(part) > 4 or (len(part) > 1 and part[0] == "0") for part in left + right):
        return False
    best_start, best_length, start = -1, 1, -1
    for index, part in enumerate([*left, *(["0"] * gap), *right, "end"]):
        if part == "0":
            start = index if start < 0 else start
        elif start >= 0:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = -1
    return (best_start, best_length) == ((len(left), gap) if gap_mark else (-1, 1))


def _ipv6(raw: str, *, api: bool) -> str:
    text = raw.strip()
    if _compressed_ipv6(text):
        return text
    if "%" in text:
        raise ValueError(f"{raw!r}: a scoped IPv6 address has no meaning in DNS")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a valid IPv6 address ({exc})") from None


def _host_value(raw: str, *, api: bool) -> str:
    return normalize_host(raw, absolute=not api)


# -- structured values ----------------------------------------------------------------------------------


def _custom(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Run ``check`` as a pydantic validator whose messages read without a ``Value error,`` prefix."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except ValueError as exc:
            raise PydanticCustomError("dns_value", "{reason}", {"reason": str(exc)}) from None

    return run


def _integer(raw: Any) -> Any:
    # Python counts bools as ints; DNS does not, and `preference: yes` is surely a typo.
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    return raw


def _hex(raw: str) -> str:
    # Infomaniak may split long digests with spaces, and case carries no meaning.
    text = "".join(raw.split()).lower()
    if not text or len(text) % 2 or re.fullmatch(r"[0-9a-f]+", text) is None:
        raise ValueError(f"expected hexadecimal digits (an even number of them), got {raw!r}")
    return text


def _caa_tag(raw: str) -> str:
    tag = raw.strip().lower()
    if re.fullmatch(r"[a-z0-9]{1,15}", tag) is None:
        raise ValueError(f"a CAA tag is 1-15 letters or digits (issue, issuewild, iodef), got {raw!r}")
    return tag


U8 = Annotated[int, BeforeValidator(_custom(_integer)), Field(ge=0, le=255)]
U16 = Annotated[int, BeforeValidator(_custom(_integer)), Field(ge=0, le=65535)]
Hex = Annotated[str, AfterValidator(_custom(_hex))]
TargetOrRoot = Annotated[
    str, AfterValidator(_custom(lambda raw: normalize_host(raw, absolute=True, allow_root=True)))
]


class StructuredValue(SpecModel):
    """A value with several fields; its presentation form lists them in field order."""

    HOST_FIELDS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def split(cls, text: str, *, api: bool = False) -> dict[str, str]:
        """Fields of the one-string presentation form (``"10 mail.example.ch."``)."""
        names = list(cls.model_fields)
        parts = text.strip().split(None, len(names) - 1)
        if api and cls.HOST_FIELDS and len(parts) == len(names) - 1:
            parts.append(".")  # a null target may come back as "0" or "0 " once its dot is stripped
        if len(parts) != len(names):
            form = " ".join(f"<{name}>" for name in names)
            raise ValueError(f"expected {len(names)} fields {form!r}, got {text!r}")
        fields = dict(zip(names, parts, strict=True))
        if api:
            for name in cls.HOST_FIELDS:
                fields[name] = normalize_host(fields[name], absolute=False, allow_root=True)
        return fields

    def canonical(self) -> str:
        return " ".join(str(getattr(self, name)) for name in type(self).model_fields)

    def api_text(self) -> str:
        """The API's ``target``: the presentation form with host names sent without their dot."""
        hosts = type(self).HOST_FIELDS
        parts = [getattr(self, name) for name in type(self).model_fields]
        return " ".join(
            host_to_api(part) if name in hosts else str(part)
            for name, part in zip(type(self).model_fields, parts, strict=True)
        )


class MxValue(StructuredValue):
    """A mail exchanger; ``exchange: .`` with preference 0 is a null MX (the domain takes no mail)."""

    HOST_FIELDS: ClassVar[tuple[str, ...]] = ("exchange",)
    preference: U16 = Field(
        validation_alias=AliasChoices("preference", "priority"),
        description="Lower is tried first (0-65535). `priority` is accepted as an alias.",
    )
    exchange: TargetOrRoot = Field(
        validation_alias=AliasChoices("exchange", "value"),
        description="Absolute host name with a trailing dot, or `.` for a null MX. `value` is accepted as "
        "an alias (octoDNS's legacy form).",
    )


class SrvValue(StructuredValue):
    """A service location (RFC 2782)."""

    HOST_FIELDS: ClassVar[tuple[str, ...]] = ("target",)
    priority: U16 = Field(description="Lower is tried first (0-65535).")
    weight: U16 = Field(description="Share among equal priorities (0-65535); 0 is meaningful.")
    port: U16 = Field(description="TCP or UDP port (0-65535).")
    target: TargetOrRoot = Field(description="Absolute host name with a trailing dot, or `.` for no service.")


class CaaValue(StructuredValue):
    """A certification authority authorization (RFC 8659)."""

    flags: U8 = Field(default=0, description="0, or 128 for critical.")
    tag: Annotated[str, AfterValidator(_custom(_caa_tag))] = Field(
        description="Property tag, lowercased: issue, issuewild or iodef."
    )
    value: str = Field(description='Property value without quotes, e.g. "letsencrypt.org".')

    @classmethod
    def split(cls, text: str, *, api: bool = False) -> dict[str, str]:
        parts = text.strip().split(None, 2)
        if len(parts) != 3:
            raise ValueError(f"expected '<flags> <tag> \"<value>\"', got {text!r}")
        flags, tag, value = parts
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _unescape(value[1:-1])
        return {"flags": flags, "tag": tag, "value": value}

    def canonical(self) -> str:
        return f"{self.flags} {self.tag} {_quote(self.value)}"

    def api_text(self) -> str:
        return self.canonical()


class DsValue(StructuredValue):
    """A delegation signer for a child zone (RFC 4034)."""

    key_tag: U16 = Field(description="Key tag of the child's key (0-65535).")
    algorithm: U8 = Field(description="DNSSEC algorithm number (13 = ECDSA P-256).")
    digest_type: U8 = Field(description="Digest algorithm number (2 = SHA-256).")
    digest: Hex = Field(description="Digest in hexadecimal; spaces are removed and case is ignored.")

    @model_validator(mode="before")
    @classmethod
    def _legacy_fields(cls, raw: Any) -> Any:
        # octoDNS's deprecated DS form (kept valid until its 2.0) named the fields after DNSKEY's.
        if isinstance(raw, Mapping) and ("public_key" in raw or "flags" in raw):
            legacy = {"flags": "key_tag", "protocol": "algorithm", "algorithm": "digest_type"}
            return {legacy.get(str(k), "digest" if k == "public_key" else str(k)): v for k, v in raw.items()}
        return raw


class SshfpValue(StructuredValue):
    """An SSH host key fingerprint (RFC 4255)."""

    algorithm: U8 = Field(description="Key algorithm (1 RSA, 3 ECDSA, 4 Ed25519).")
    fingerprint_type: U8 = Field(description="Hash (1 SHA-1, 2 SHA-256).")
    fingerprint: Hex = Field(description="Fingerprint in hexadecimal; case is ignored.")


class TlsaValue(StructuredValue):
    """A TLS certificate association (RFC 6698)."""

    certificate_usage: U8 = Field(description="0-3 (3 = DANE-EE).")
    selector: U8 = Field(description="0 full certificate, 1 public key.")
    matching_type: U8 = Field(description="0 exact, 1 SHA-256, 2 SHA-512.")
    certificate_association_data: Hex = Field(description="Data in hexadecimal; spaces and case are ignored.")


# -- one table for every type ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeRule:
    """How one record type's values are read from YAML and the API, and written back."""

    model: type[StructuredValue] | None = None
    scalar: Callable[..., str] | None = None
    to_api: Callable[[str], str] | None = None
    to_yaml: Callable[[str], str] | None = None
    single: bool = False
    """At most one value per set: a name has one canonical name (RFC 1034 §3.6.2, RFC 6672)."""
    reads_back: bool = False
    """Every value the API side reads is canonical for the YAML side too (one idempotent normaliser for both,
    no rule only the files have), so :func:`raw_reason` of such a live value is None without reading it again
    (``tests/kinds/dns/test_records.py`` checks it on generated targets)."""


TYPES: Mapping[str, TypeRule] = {
    "A": TypeRule(scalar=_ipv4, reads_back=True),
    "AAAA": TypeRule(scalar=_ipv6, reads_back=True),
    "CAA": TypeRule(model=CaaValue),
    "CNAME": TypeRule(scalar=_host_value, to_api=host_to_api, single=True, reads_back=True),
    "DNAME": TypeRule(scalar=_host_value, to_api=host_to_api, single=True, reads_back=True),
    "DS": TypeRule(model=DsValue),
    "MX": TypeRule(model=MxValue, reads_back=True),
    "NS": TypeRule(scalar=_host_value, to_api=host_to_api, reads_back=True),
    "PTR": TypeRule(scalar=_host_value, to_api=host_to_api, reads_back=True),
    "SRV": TypeRule(model=SrvValue, reads_back=True),
    "SSHFP": TypeRule(model=SshfpValue),
    "TLSA": TypeRule(model=TlsaValue),
    "TXT": TypeRule(scalar=_txt_value, to_api=_txt_to_api, to_yaml=_txt_to_yaml),
}
assert set(TYPES) == set(SUPPORTED_TYPES)

VALUE_MODELS: tuple[type[StructuredValue], ...] = tuple(
    rule.model for rule in TYPES.values() if rule.model is not None
)


def describe(exc: ValidationError) -> str:
    """One line per problem of a value model, each naming its field."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" if error["loc"] else error["msg"]
        for error in exc.errors()
    )


def canonical_value(rtype: str, raw: object, *, lenient: bool = False) -> str:
    """Canonical string of one YAML value (a string, or a mapping for structured types). Raises ValueError.

    ``lenient`` (a record marked ``octodns: {lenient: true}``) keeps a string the rules refuse as written,
    stripped: the form ``import`` writes for a live value the tool cannot structure (docs/format-dns.md).
    """
    try:
        return _canonical_value(rtype, raw)
    except ValueError:
        if lenient and isinstance(raw, str):
            return raw.strip()
        raise


def _canonical_value(rtype: str, raw: object) -> str:
    rule = TYPES[rtype]
    if rule.model is not None:
        if isinstance(raw, Mapping):
            fields: Mapping[Any, Any] = raw
        elif isinstance(raw, str):
            fields = rule.model.split(raw)
        else:
            raise ValueError(f"a {rtype} value is a mapping or a string, got {raw!r}")
        try:
            return rule.model.model_validate(fields).canonical()
        except ValidationError as exc:
            raise ValueError(describe(exc)) from None
    assert rule.scalar is not None
    if not isinstance(raw, str):
        raise ValueError(f"a {rtype} value is a string, got {raw!r} (quote it in YAML)")
    return rule.scalar(raw, api=False)


_U16_TEXT = r"(?:0|[1-9][0-9]{0,4})"
_HOST_TEXT = r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*"
_PLAIN_API_FORMS = {
    "MX": re.compile(rf"{_U16_TEXT} {_HOST_TEXT}"),
    "SRV": re.compile(rf"{_U16_TEXT} {_U16_TEXT} {_U16_TEXT} {_HOST_TEXT}"),
}
"""MX and SRV targets as the API writes them: numbers without leading zeros, one space, a lowercase host name
of plain labels without its dot. Such a target's canonical string is itself plus the dot."""


def value_from_api(rtype: str, target: str) -> str:
    """Canonical string of an API ``target`` (no trailing dots, TXT quoted or not). Raises ValueError."""
    plain = _PLAIN_API_FORMS.get(rtype)
    if plain is not None and plain.fullmatch(target):
        *numbers, host = target.split(" ")
        if len(host) <= 253 and all(int(number) <= 65535 for number in numbers):
            return target + "."  # what the value model gives, without building it
    return _read_api_value(rtype, target)


def _read_api_value(rtype: str, target: str) -> str:
    rule = TYPES[rtype]
    if rule.model is not None:
        try:
            return rule.model.model_validate(rule.model.split(target, api=True)).canonical()
        except ValidationError as exc:
            raise ValueError(describe(exc)) from None
    assert rule.scalar is not None
    return rule.scalar(target, api=True)


def live_value(rtype: str, target: object) -> tuple[str, str | None]:
    """``(value, why it is raw)`` of an API target: canonical, or the target as given when it cannot be read.

    Live data is never refused: a value the rules cannot structure is kept as the API gave it (stripped),
    so the plan shows it and ``import`` writes it back as it is.
    """
    text = str(target if target is not None else "")
    try:
        return value_from_api(rtype, text), None
    except ValueError as exc:
        return text.strip(), str(exc)


def raw_reason(rtype: str, value: str) -> str | None:
    """Why ``value`` (canonical or raw) has no structured form that reads back as itself; None when it has."""
    try:
        if _canonical_value(rtype, _yaml_form(rtype, value)) == value:
            return None
        return "its structured form does not read back the same"
    except (ValueError, ValidationError) as exc:
        return describe(exc) if isinstance(exc, ValidationError) else str(exc)


def _structured(rtype: str, canonical: str) -> StructuredValue:
    model = TYPES[rtype].model
    assert model is not None
    return model.model_validate(model.split(canonical))


def value_to_api(rtype: str, canonical: str) -> str:
    """The ``target`` to send for a canonical value; a raw value is sent as it was given."""
    rule = TYPES[rtype]
    try:
        if rule.model is not None:
            return _structured(rtype, canonical).api_text()
        return rule.to_api(canonical) if rule.to_api else canonical
    except (ValueError, ValidationError):
        return canonical


def _yaml_form(rtype: str, canonical: str) -> str | dict[str, Any]:
    rule = TYPES[rtype]
    if rule.model is not None:
        return _structured(rtype, canonical).model_dump(mode="json")
    return rule.to_yaml(canonical) if rule.to_yaml else canonical


def value_to_yaml(rtype: str, canonical: str) -> str | dict[str, Any]:
    """The octoDNS form of a value: a mapping for structured types, else a string; a raw value as it is."""
    if raw_reason(rtype, canonical) is not None:
        return canonical
    return _yaml_form(rtype, canonical)
