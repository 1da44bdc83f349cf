"""Files that map a key to an entry (``tags.yaml``, ``teams.yaml``, mail, drive and zone files).

What every such kind does the same way: where its files live, the walk over a parsed document, the
in-place edits of a round-trip document (which keep the key as the file spells it), and the JSON Schema of
the whole file. Messages and rule ids stay with each kind; these helpers only take them. ``KeyedFileKind``
puts the helpers together for the kinds whose file maps one name to one entry.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from reconciler.errors import DesiredStateError, Reason, SettingsError
from reconciler.kinds.base import DesiredObject, DocumentSource, Key, KindBase, LiveObject, SpecModel

Normaliser = Callable[[Any], str]
"""A file key → the key as compared (``' Blue '`` → ``'Blue'``); ValueError names what is wrong."""

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# -- where the files are -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneFile:
    """A kind with one scope in one file: ``<state>/<directory>/<scope>.yaml``."""

    directory: str
    scope: str

    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        path = self.path_for(state_dir, self.scope)
        return {self.scope: path} if path.is_file() else {}

    def path_for(self, state_dir: Path, scope: str) -> Path:
        if scope != self.scope:
            # Any other name would write a file no plan ever reads (account/stray.yaml).
            raise SettingsError(
                f"{self.scope} has one scope, {self.scope!r} ({self.directory}/{self.scope}.yaml); "
                f"got {scope!r}\n  use the scope {self.scope!r}"
            )
        return state_dir / self.directory / f"{scope}.yaml"

    def pattern(self, state_dir: Path) -> str:
        return self.path_for(state_dir, self.scope).as_posix()

    def scope_name(self, scope: str) -> str:
        return self.path_for(Path(), scope).stem  # path_for refuses any other scope


@dataclass(frozen=True)
class FilePerScope:
    """A kind with one file per scope in its folder; the scope is the file's normalised stem.

    Scopes are one scope whatever their case (``Demo Drive.yaml`` and ``demo drive.yaml``): ``duplicate`` is
    the message when two files name one scope, with ``{scope}``, ``{first}`` and ``{second}`` (the file
    names) to fill in.
    """

    directory: str
    scope_of: Callable[[str], str]
    duplicate: str
    rule: str

    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        folder = state_dir / self.directory
        files: dict[str, Path] = {}
        if not folder.is_dir():
            return files
        seen: dict[str, str] = {}
        for path in sorted(folder.glob("*.yaml")):
            scope = self.scope_of(path.stem)
            first = seen.setdefault(scope.casefold(), scope)
            if first in files:
                message = self.duplicate.format(scope=scope, first=files[first].name, second=path.name)
                raise DesiredStateError([Reason(str(path), None, None, "", message, self.rule)])
            files[scope] = path
        return files

    def new_path(self, state_dir: Path, scope: str) -> Path:
        """The file a scope gets when it has none yet: named after the normalised scope."""
        return state_dir / self.directory / f"{self.scope_of(scope)}.yaml"

    def path_for(self, state_dir: Path, scope: str) -> Path:
        """The scope's file: an existing one keeps its own spelling (``demo drive.yaml``), else a new one."""
        wanted = self.scope_of(scope).casefold()
        for existing, path in self.scope_files(state_dir).items():
            if existing.casefold() == wanted:
                return path
        return self.new_path(state_dir, scope)

    def pattern(self, state_dir: Path) -> str:
        return (state_dir / self.directory / "*.yaml").as_posix()

    def scope_name(self, scope: str) -> str:
        return self.scope_of(scope)


def shown(path: Path, state_dir: Path) -> str:
    """A file as messages name it: relative to the state directory's parent (``state/mail/x.yaml``)."""
    try:
        return str(path.resolve().relative_to(state_dir.resolve().parent))
    except ValueError:
        return str(path)


# -- parsing -----------------------------------------------------------------------------------------------


def name_key(raw: object, *, what: str, max_length: int) -> str:
    """A name used as a key (a tag, a team): surrounding spaces dropped, case and inner spaces kept.

    ``what`` names it in the ValueError (``a tag name``); a YAML int key (``2024:``) is its text.
    """
    name = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not name:
        raise ValueError(f"{what} is a non-empty string")
    if len(name) > max_length:
        raise ValueError(f"{what} has at most {max_length} characters, this one has {len(name)}")
    return name


class Entry(NamedTuple):
    """One entry of a mapping document whose key passed the kind's normaliser."""

    raw_key: Any
    key: str
    value: Any
    path: tuple[str | int, ...]


def entries(
    document: Any,
    source: DocumentSource,
    normalise: Normaliser,
    *,
    not_a_mapping: str,
    document_rule: str,
    key_rule: str,
    text_paths: bool = False,
) -> Iterator[Entry]:
    """The entries of a parsed file; an empty file has none, and every problem goes to ``source``.

    An entry's path is its key as the document holds it (a string or an int, so that its line is found);
    ``text_paths`` names every key by its text instead, as the mail and drive files do.
    """
    if document is None:
        return
    if not isinstance(document, Mapping):
        source.error((), not_a_mapping, rule=document_rule)
        return
    for raw_key, value in document.items():
        step = str(raw_key) if text_paths or not isinstance(raw_key, str | int) else raw_key
        path: tuple[str | int, ...] = (step,)
        try:
            key = normalise(raw_key)
        except ValueError as exc:
            source.error(path, str(exc), rule=key_rule)
            continue
        yield Entry(raw_key, key, value, path)


# -- in-place edits of a round-trip document ----------------------------------------------------------


def find_key(document: Mapping[Any, Any], key: str, normalise: Normaliser) -> Any:
    """The document's own spelling of ``key`` (``' Blue '``, ``Info@Example.ch`` ...), or None."""
    for raw in document:
        try:
            if normalise(raw) == key:
                return raw
        except ValueError:
            continue
    return None


def editable(document: Any, not_a_mapping: str) -> MutableMapping[Any, Any]:
    """The document to edit in place (a new mapping for an empty file); ValueError when it is no mapping."""
    if document is None:
        document = {}
    if not isinstance(document, MutableMapping):
        raise ValueError(not_a_mapping)
    return document


def put_entry(
    document: Any, key: str, entry: Any, normalise: Normaliser, *, not_a_mapping: str, not_an_entry: str
) -> MutableMapping[Any, Any]:
    """Put ``entry`` under ``key`` (where the file already spells it, if it does); returns the document."""
    if not isinstance(entry, Mapping):
        raise ValueError(not_an_entry)
    edited = editable(document, not_a_mapping)
    found = find_key(edited, key, normalise)
    edited[key if found is None else found] = entry
    return edited


def drop_entry(document: Any, key: str, normalise: Normaliser) -> bool:
    """Remove the entry of ``key`` in place; False when the document has none."""
    if not isinstance(document, MutableMapping):
        return False
    found = find_key(document, key, normalise)
    if found is None:
        return False
    del document[found]
    return True


# -- schema ------------------------------------------------------------------------------------------------


def mapping_schema(
    entry_model: type[SpecModel], *, title: str, description: str, property_names: dict[str, Any]
) -> dict[str, Any]:
    """JSON Schema of a file mapping keys to ``entry_model`` entries (an empty file is ``null``).

    The entry's own ``$defs`` move to the file's root, where its ``#/$defs/…`` references point.
    """
    entry = entry_model.model_json_schema()
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": title,
        "description": description,
        "type": ["object", "null"],
        "propertyNames": property_names,
        "additionalProperties": entry,
    }
    defs: dict[str, Any] | None = entry.pop("$defs", None)
    if defs is not None:
        defs[entry_model.__name__] = entry
        schema["additionalProperties"] = {"$ref": f"#/$defs/{entry_model.__name__}"}
        schema["$defs"] = defs
    return schema


# -- the kind ----------------------------------------------------------------------------------------------


class KeyedFileKind(KindBase):
    """A kind whose file maps one name (an address, a tag ...) to one ``spec_model`` entry.

    Its key is that one name as ``entry_key`` compares it; the file is rendered sorted by key, each entry
    in the kind's canonical form (``normalize``). The kind gives the texts below and overrides only what
    differs (its parse, a render with notes ...).
    """

    schema_title: ClassVar[str]
    schema_description: ClassVar[str]
    key_schema: ClassVar[dict[str, Any]]
    """The file schema's ``propertyNames``: what a key looks like."""
    not_a_mapping: ClassVar[str]
    """The edit error when the file is no mapping."""
    not_an_entry: ClassVar[str]
    """The edit error when an entry is no mapping (says what one looks like)."""

    @abstractmethod
    def entry_key(self, raw: Any) -> str:
        """A file key → the key as compared; ValueError names what is wrong."""

    def file_schema(self) -> dict[str, Any]:
        return mapping_schema(
            self.spec_model,
            title=self.schema_title,
            description=self.schema_description,
            property_names=self.key_schema,
        )

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        return {
            obj.key[0]: self.normalize(obj.spec, scope) for obj in sorted(objects, key=lambda obj: obj.key)
        }

    def parse_key(self, text: str) -> Key:
        return (self.entry_key(text),)

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        return put_entry(
            document,
            key[0],
            entry,
            self.entry_key,
            not_a_mapping=self.not_a_mapping,
            not_an_entry=self.not_an_entry,
        )

    def remove_entry(self, document: Any, key: Key) -> bool:
        return drop_entry(document, key[0], self.entry_key)


class SettingsFileKind(KindBase):
    """Base of a kind whose file is one object's settings (``domains/<domain>.yaml``,
    ``mail/settings/<domain>.yaml``): each top-level key is one setting and one resource (key
    ``(setting,)``, validated as ``spec_model`` with that one field), written by ``import`` in ``settings``
    order. A kind gives its settings, its texts and its rule ids."""

    settings: ClassVar[tuple[str, ...]]
    unknown_setting: ClassVar[str]
    """The error for a key that is no setting, with ``{got}`` (the key as written) to fill in."""
    not_a_document: ClassVar[str]
    """The parse error when the file is no mapping (says what one looks like)."""
    document_rule: ClassVar[str]
    rule: ClassVar[str]
    """Prefix of the other rule ids: ``{rule}-key`` (no such setting), ``{rule}-empty`` (no value)."""
    one_field_entry: ClassVar[str]
    """The edit error for an entry that is not ``{setting: value}``, with ``{field}`` to fill in."""
    not_a_mapping: ClassVar[str]
    """The edit error when the file is no mapping."""

    def setting(self, raw: Any) -> str:
        """A file key → the setting it names (case and surrounding spaces do not matter)."""
        text = str(raw).strip().lower()
        if text not in self.settings:
            raise ValueError(self.unknown_setting.format(got=repr(raw)))
        return text

    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        objects: list[DesiredObject] = []
        found = entries(
            document,
            source,
            self.setting,
            not_a_mapping=self.not_a_document,
            document_rule=self.document_rule,
            key_rule=f"{self.rule}-key",
            text_paths=True,
        )
        for entry in found:
            if entry.value is None:
                # A null would validate (every field is optional) and then set nothing.
                message = f"give a value for {entry.key} (remove the line to leave it as it is)"
                source.error(entry.path, message, rule=f"{self.rule}-empty")
                continue
            spec = source.validate(self.spec_model, {entry.key: entry.value}, ())
            if spec is not None:
                objects.append(DesiredObject(key=(entry.key,), spec=spec, located=source.locate(entry.path)))
        return objects

    def parse_key(self, text: str) -> Key:
        return (self.setting(text),)

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        values = {obj.key[0]: self.normalize(obj.spec, scope)[obj.key[0]] for obj in objects}
        return {name: values[name] for name in self.settings if name in values}

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        if not isinstance(entry, Mapping) or set(entry) != {key[0]}:
            raise ValueError(self.one_field_entry.format(field=key[0]))
        edited = editable(document, self.not_a_mapping)
        edited[key[0]] = entry[key[0]]
        return edited

    def remove_entry(self, document: Any, key: Key) -> bool:
        if not isinstance(document, MutableMapping) or key[0] not in document:
            return False
        del document[key[0]]
        return True
