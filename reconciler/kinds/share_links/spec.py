"""The drive file: the YAML model of one share link, the live model, the normaliser, parse and render.

A drive file (``state/drive/<drive name>.yaml``) maps paths inside the drive to the link that shares them::

    /Marketing/brochure.pdf:
      right: public
      can_download: true
      valid_until: 2030-06-30
    /Finance/q3-report.xlsx:
      right: password
      password: {env: Q3_REPORT_LINK_PASSWORD}

:class:`ShareLinkEntry` is one YAML entry (the desired side); :class:`LiveShareLink` is what the API says
(the live side). :func:`normalize` reduces both to the same dict; see ``secret.py`` for the password.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, PrivateAttr, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from reconciler.errors import PlanError
from reconciler.kinds.base import DesiredObject, DocumentSource, LiveObject, Located, SpecModel
from reconciler.kinds.live import split_noted, with_notes
from reconciler.kinds.mapping_file import entries
from reconciler.kinds.share_links.secret import KEPT, fingerprint, read_env

KIND_NAME = "share_links"

Right = Literal["public", "password", "inherit"]

CAPABILITIES: dict[str, bool] = {
    "can_download": True,
    "can_see_info": True,
    "can_comment": False,
    "can_edit": False,
    "can_see_stats": False,
    "can_request_access": False,
}
"""The link's capabilities (API ``capabilities`` object and body fields) with the defaults the YAML uses."""

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


# -- paths --------------------------------------------------------------------------------------------------


def normalize_path(raw: object) -> str:
    """A path inside the drive as used in keys: ``/`` first, no empty or trailing parts, Unicode NFC."""
    if not isinstance(raw, str):
        raise ValueError(f"a path inside the drive is a string such as /Marketing/brochure.pdf; got {raw!r}")
    text = unicodedata.normalize("NFC", raw.strip())
    if not text.startswith("/"):
        raise ValueError(
            f"a path inside the drive starts with '/', e.g. /Marketing/brochure.pdf; got {raw!r}"
        )
    parts = [part for part in text.split("/") if part]
    if not parts:
        raise ValueError("the drive's root cannot be shared; give the path of a file or folder")
    if any(part in (".", "..") for part in parts):
        raise ValueError(f"{raw!r}: '.' and '..' are not allowed in a path; write it out from the root")
    return "/" + "/".join(parts)


def drive_scope(text: str) -> str:
    """A drive name as used in scopes: the name as the account spells it (case kept), stripped.

    Files and targets are matched to a drive without case (:func:`same_drive`).
    """
    return text.strip()


def same_drive(a: str, b: str) -> bool:
    """Whether two names mean the same drive: compared without case (``Demo Drive``, ``demo drive``)."""
    return a.strip().casefold() == b.strip().casefold()


def salt_scope(scope: str) -> str:
    """The drive's part of a password fingerprint's salt: the lowercased name, as scopes were before they
    kept the drive's case, so fingerprints recorded then still match (docs/format-drive.md)."""
    return scope.strip().lower()


# -- dates --------------------------------------------------------------------------------------------------


def _to_epoch(raw: Any) -> Any:
    """YAML ``valid_until`` → epoch seconds. A date alone is midnight UTC (YAML's own reading of a date)."""
    if raw is None:
        return None
    if isinstance(raw, int | float):  # bool too: it is an int
        raise PydanticCustomError(
            "share_link_date", "write a date (2030-06-30) or an ISO date-time (2030-06-30T18:00:00+02:00)"
        )
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError(
                "share_link_date",
                "{value} is not a date (2030-06-30) or an ISO date-time",
                {"value": repr(text)},
            ) from None
    if isinstance(raw, datetime):
        moment = raw if raw.tzinfo is not None else raw.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if isinstance(raw, date):
        return int(datetime.combine(raw, time(), tzinfo=UTC).timestamp())
    raise PydanticCustomError("share_link_date", "write a date (2030-06-30) or an ISO date-time")


def iso_time(epoch: int | None) -> str | None:
    """How plans show a moment: ISO 8601 in UTC."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def yaml_time(epoch: int) -> date | str:
    """How files write a moment: a YAML date when it is midnight UTC, else an ISO date-time in UTC."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.date() if epoch % 86_400 == 0 else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


ValidUntil = Annotated[
    int | None,
    BeforeValidator(_to_epoch),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
            "description": "A date (midnight UTC) or an ISO date-time; omit for a link that never expires.",
        }
    ),
]


# -- password -----------------------------------------------------------------------------------------------


class PasswordRef(SpecModel):
    """Where a link's password comes from: an environment variable, or the live link itself."""

    env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Environment variable holding the password when planning and applying.",
    )
    keep: bool = Field(
        default=False,
        description="Leave the live link's password as it is (what `import` writes: the API never "
        "returns passwords).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.env is None) == (not self.keep):
            raise PydanticCustomError(
                "share_link_password", "give exactly one of `env: NAME` or `keep: true`"
            )
        return self


def _no_literal(raw: Any) -> Any:
    # The message never repeats the value: it is a password someone just committed by mistake.
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        raise PydanticCustomError(
            "secret_literal",
            "never write a password in the file: write `password: {env: NAME}` and export NAME "
            "(or `password: {keep: true}` to leave the live password alone)",
        )
    return raw


Password = Annotated[PasswordRef | None, BeforeValidator(_no_literal)]


# -- models -------------------------------------------------------------------------------------------------


class ShareLinkEntry(SpecModel):
    """One share link in a drive file; omitted capabilities take the documented defaults."""

    right: Right = Field(
        description="Who may open the link: `public` (anyone with the URL), `password` (anyone with the "
        "URL and the password) or `inherit` (only users of the drive who may see the file)."
    )
    can_download: bool = Field(default=True, description="Visitors may download the content.")
    can_see_info: bool = Field(default=True, description="Visitors may see the file's information.")
    can_comment: bool = Field(default=False, description="Visitors may comment.")
    can_edit: bool = Field(default=False, description="Visitors may edit the content (office files).")
    can_see_stats: bool = Field(default=False, description="Visitors may see the link's statistics.")
    can_request_access: bool = Field(
        default=False, description="Signed-in visitors may ask to join the folder (folders only)."
    )
    valid_until: ValidUntil = None
    password: Password = Field(
        default=None,
        description="Only with `right: password`: `{env: NAME}` or `{keep: true}`; never the password.",
    )
    rotate: bool | int | str | date | None = Field(
        default=None,
        description="A rotation mark (`true`, a counter or a date): the password from `env` is sent again "
        "once each time this value changes, even when the environment value did not.",
    )

    # Set by the parser: normalize() needs the path for the per-link salt and both for its error messages.
    _path: str = PrivateAttr(default="")
    _origin: Located | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _password_rules(self) -> Self:
        if self.right == "password" and self.password is None:
            raise PydanticCustomError(
                "share_link_password",
                "a `right: password` link needs `password: {env: NAME}` (the password comes from that "
                "environment variable) or `password: {keep: true}` (leave the live password alone)",
            )
        if self.right != "password" and self.password is not None:
            raise PydanticCustomError(
                "share_link_password", "`password` is only used with `right: password`; remove it"
            )
        if self.rotation_mark is not None and (self.password is None or self.password.env is None):
            raise PydanticCustomError(
                "share_link_rotate", "`rotate: true` needs a password from the environment: `{env: NAME}`"
            )
        return self

    @property
    def rotation_mark(self) -> str | None:
        """``rotate`` as text; None when not set (``false`` included)."""
        mark = self.rotate
        if mark is None or mark is False:
            return None
        if isinstance(mark, date):
            return mark.isoformat()
        return str(mark).strip().lower() or None

    def locate(self, path: str, origin: Located) -> None:
        self._path = path
        self._origin = origin

    @property
    def where(self) -> str:
        """``file:line`` of the entry, for messages (the line is looked up only now)."""
        origin = self._origin
        if origin is None:
            return "the desired-state file"
        return f"{origin.file}:{origin.line}" if origin.line else origin.file


class LiveShareLink(SpecModel):
    """A link as the API reports it; ``password`` is filled from the fingerprints recorded at apply."""

    right: Right
    can_download: bool
    can_see_info: bool
    can_comment: bool
    can_edit: bool
    can_see_stats: bool
    can_request_access: bool
    valid_until: int | None = None
    password: str | None = Field(
        default=None, description="Recorded fingerprint, KEPT when unknown, None when not protected."
    )


# -- normaliser ---------------------------------------------------------------------------------------------


def desired_password(entry: ShareLinkEntry, scope: str) -> str | None:
    """The password state the desired entry asks for: None, KEPT, or the env value's fingerprint."""
    if entry.right != "password" or entry.password is None:
        return None
    if entry.password.keep:
        return KEPT
    env = entry.password.env
    assert env is not None  # one of env / keep, checked by PasswordRef
    if not entry._path:
        raise TypeError("share_links: a desired entry must come from parse(), which records its path")
    value = read_env(env)
    if value is None:
        raise PlanError(
            f"share_links {entry._path} ({entry.where}): environment variable {env} is not set or empty\n"
            f"  export {env} with the link's password before planning and applying\n"
            "  or write `password: {keep: true}` to leave the live password alone"
        )
    return fingerprint(salt_scope(scope), entry._path, value, rotation=entry.rotation_mark)


def normalize(spec: SpecModel, scope: str) -> dict[str, Any]:
    """Canonical form of both sides: right, capabilities, expiry in ISO UTC, and the password state.

    ``password`` appears only for protected links (the engine shows it as ``(sensitive)``). A ``rotate``
    mark is folded into the desired password's fingerprint: a new mark plans one password update, and once
    applied the recorded fingerprint matches, so the verification is clean.
    """
    if not isinstance(spec, ShareLinkEntry | LiveShareLink):
        raise TypeError(f"not a share_links spec: {type(spec).__name__}")
    result: dict[str, Any] = {"right": spec.right}
    result.update({name: getattr(spec, name) for name in CAPABILITIES})
    # A live value kept as the API gave it (not a number) is compared as it is.
    until = spec.valid_until
    result["valid_until"] = iso_time(until) if until is None or isinstance(until, int) else str(until)
    password = desired_password(spec, scope) if isinstance(spec, ShareLinkEntry) else spec.password
    if password is not None:
        result["password"] = password
    return result


# -- files --------------------------------------------------------------------------------------------------


def parse_file(document: Any, source: DocumentSource) -> list[DesiredObject]:
    """Desired objects of a drive file; every problem goes to ``source`` with its position."""
    objects: list[DesiredObject] = []
    for item in entries(
        document,
        source,
        normalize_path,
        not_a_mapping="a drive file maps paths inside the drive to share links",
        document_rule="drive-document",
        key_rule="drive-path",
        text_paths=True,
    ):
        path, entry, where = item.key, item.value, item.path
        if not isinstance(entry, Mapping):
            source.error(where, "give the link as a mapping with at least `right`", rule="drive-entry")
            continue
        spec = source.validate(ShareLinkEntry, entry, where)
        if not isinstance(spec, ShareLinkEntry):
            continue
        located = source.locate(where)
        spec.locate(path, located)
        objects.append(DesiredObject(key=(path,), spec=spec, located=located))
    return objects


def render_entry(spec: SpecModel) -> dict[str, Any]:
    """The YAML entry of a link. Every capability is written, so a review sees what visitors may do.

    A live protected link becomes ``password: {keep: true}``: the API never returns a password, and
    ``keep`` plans to zero changes until the file asks for a password from the environment.
    """
    if not isinstance(spec, ShareLinkEntry | LiveShareLink):
        raise TypeError(f"not a share_links spec: {type(spec).__name__}")
    entry: dict[str, Any] = {"right": spec.right}
    entry.update({name: getattr(spec, name) for name in CAPABILITIES})
    if spec.valid_until is not None:
        entry["valid_until"] = yaml_time(spec.valid_until)
    if isinstance(spec, ShareLinkEntry):
        if spec.password is not None:
            entry["password"] = spec.password.model_dump(exclude_defaults=True)
        if spec.rotation_mark is not None:
            entry["rotate"] = spec.rotate
    elif spec.right == "password":
        entry["password"] = {"keep": True}
    return entry


def render_file(objects: list[DesiredObject | LiveObject]) -> dict[str, Any]:
    """The drive file of ``objects``; a live link with a note is left out, the note written as a comment."""
    kept, left_out = split_noted(objects, lambda key: key[0])
    document = {obj.key[0]: render_entry(obj.spec) for obj in sorted(kept, key=lambda obj: obj.key)}
    return with_notes(document, left_out)
