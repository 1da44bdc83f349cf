"""The protocol every resource kind implements, and the objects it exchanges with the engine.

The engine only ever talks to kinds through :class:`Kind`. A kind owns:

* its file layout (which files under the state directory hold which scopes),
* the pydantic model of one desired entry, and the parsing of a whole file into entries,
* one normaliser that both the YAML side and the API side pass through,
* the live fetch and the create / update / delete calls.

Kinds subclass :class:`KindBase`, which answers the file questions from the kind's ``files`` layout and
gives the optional parts of the protocol (``check``, ``risks``, ``is_unmanaged``, ``change_order``,
``format_key``, ``sensitive_fields``) their usual answers; a kind overrides only what it does differently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from reconciler.api import InfomaniakClient

Key = tuple[str, ...]
"""Identity of a resource inside its scope, made of human names (never numeric ids)."""

Action = Literal["create", "update", "delete"]

SENSITIVE_MARK = "(sensitive)"


class SpecModel(BaseModel):
    """Base of every kind's desired-entry model: unknown fields are errors, values are validated on set."""

    # defer_build: a model's validator is built when it first validates, not at import. A warm plan takes
    # desired objects from the parse cache and validates only live data, so most kinds' YAML models (and
    # their value models) are never built in it.
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, populate_by_name=True, defer_build=True
    )


class LineSource(Protocol):
    """Finds the line of a path in one file (the fast read path keeps no positions; see ``desired/``)."""

    def line_of(self, path: tuple[str | int, ...]) -> int | None: ...


class Located:
    """Where something sits in a desired-state file: path inside the document, resolved to a line lazily.

    Files are read without positions; the first message that needs a line re-reads that one file
    round-trip (``lines``), so a run without problems never pays for positions.
    """

    __slots__ = ("_line", "_lines", "file", "path")

    def __init__(
        self,
        file: str,
        path: tuple[str | int, ...] = (),
        line: int | None = None,
        *,
        lines: LineSource | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self._line = line
        self._lines = lines if line is None else None

    @property
    def line(self) -> int | None:
        if self._lines is not None:
            self._line = self._lines.line_of(self.path)
            self._lines = None
        return self._line

    def bind(self, lines: LineSource) -> None:
        """Look the line up in ``lines`` when it is first needed (a located restored from the cache)."""
        if self._line is None:
            self._lines = lines

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Located):
            return NotImplemented
        return (self.file, self.path, self.line) == (other.file, other.path, other.line)

    def __hash__(self) -> int:
        return hash((self.file, self.path))

    def __repr__(self) -> str:
        return f"Located(file={self.file!r}, path={self.path!r}, line={self.line!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The line source (a whole file's text) is never pickled; the cache binds a fresh one on load.
        return (Located, (self.file, self.path, self._line))


class DocumentSource(Protocol):
    """What a kind gets when it parses a file: positioned validation and error reporting."""

    file: str
    defaults: Mapping[str, Any]
    """The ``defaults`` section of infomaniak.yaml (e.g. ``ttl``), for values a file leaves out."""

    def validate(self, model: type[SpecModel], raw: Any, path: tuple[str | int, ...]) -> SpecModel | None:
        """Validate ``raw`` (found at ``path`` in the document) as ``model``; record positioned errors."""
        ...

    def error(self, path: tuple[str | int, ...], message: str, *, rule: str = "invalid") -> None:
        """Record one problem found at ``path`` in the document."""
        ...

    def locate(self, path: tuple[str | int, ...]) -> Located:
        """Return the position of ``path`` in the document."""
        ...


@dataclass
class DesiredObject:
    """One validated desired entry of a scope."""

    key: Key
    spec: SpecModel
    located: Located | None = None


@dataclass
class LiveObject:
    """One live resource, already converted to the kind's spec model; ``native`` keeps what apply needs."""

    key: Key
    spec: SpecModel
    native: Any = None
    note: str | None = None
    """Why part of it is kept as the API gave it (a value the desired-file rules would refuse): plans show
    the note as a warning, and a live object with a note is never deleted for being absent from the file."""


def native_fields(live: LiveObject, kind: str, required: str) -> dict[str, Any]:
    """``live.native`` as the mapping the kind's fetch built (it holds ``required``); apply needs its ids."""
    if not isinstance(live.native, dict) or required not in live.native:
        raise TypeError(f"{kind} {live.key}: live object was not built by fetch")
    return live.native


@dataclass
class RunContext:
    """What kinds need during one run: the API client, the account, and a per-run cache of lookups."""

    client: InfomaniakClient
    account_id: int | None = None
    state_dir: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # Fingerprints of secrets recorded at the last apply, keyed by "kind/scope/key/field".
    secret_fingerprints: Mapping[str, str] = field(default_factory=dict)

    async def require_account_id(self) -> int:
        """The account this run manages: configured, or the only one the token sees."""
        if self.account_id is not None:
            return self.account_id
        accounts = await self.client.get_all("/1/accounts")
        if len(accounts) != 1:
            from reconciler.errors import SettingsError

            names = ", ".join(f"{a.get('id')} ({a.get('name')})" for a in accounts) or "none"
            raise SettingsError(
                f"cannot tell which account to manage: the token sees {len(accounts)} accounts ({names})\n"
                "  set `account: <id>` in infomaniak.yaml"
            )
        self.account_id = int(accounts[0]["id"])
        return self.account_id


@runtime_checkable
class Kind(Protocol):
    """A resource kind. Each module in ``reconciler.kinds`` provides one object satisfying this."""

    name: ClassVar[str]
    """Name used in plans, targets and the MCP tools (``dns``, ``mailbox_security`` ...)."""

    directory: ClassVar[str]
    """Folder under the state directory holding this kind's files (``dns``, ``mail``, ``account`` ...)."""

    spec_model: ClassVar[type[SpecModel]]
    """Model of one desired entry; its JSON Schema documents the file format."""

    apply_order: ClassVar[int]
    """Kinds with a lower number are applied first."""

    sensitive_fields: ClassVar[frozenset[str]]
    """Fields never rendered in plans, logs or audit entries."""

    # -- files -----------------------------------------------------------------------------------------
    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        """Map each scope that has a desired file to that file."""
        ...

    def path_for(self, state_dir: Path, scope: str) -> Path:
        """The file that holds (or would hold) ``scope``."""
        ...

    def file_pattern(self, state_dir: Path) -> str:
        """Glob of this kind's files (``state/dns/*.yaml``), for editors' schema associations."""
        ...

    def scope_name(self, scope: str) -> str:
        """A scope as typed (``Example.CH.``, ``straße.ch``) → as files and plans name it; SettingsError
        when the kind has no such scope form (``tags/stray``)."""
        ...

    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]:
        """Turn a loaded YAML document into desired objects, reporting problems through ``source``."""
        ...

    def file_schema(self) -> dict[str, Any]:
        """JSON Schema of a whole file of this kind."""
        ...

    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any:
        """Build the YAML document (plain dicts/lists) for a scope, e.g. for ``import``."""
        ...

    def parse_key(self, text: str) -> Key:
        """Inverse of :meth:`format_key` (``"www A"`` → ``("www", "A")``); ValueError when malformed."""
        ...

    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any:
        """Put one YAML-shaped entry under ``key`` in a round-trip document, keeping comments and order.

        Returns the document (a new mapping when ``document`` was empty).
        """
        ...

    def remove_entry(self, document: Any, key: Key) -> bool:
        """Remove the entry of ``key`` from a round-trip document; False when it was not there."""
        ...

    # -- comparison ------------------------------------------------------------------------------------
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]:
        """Canonical, JSON-serialisable form used for diffing; both sides pass through it."""
        ...

    def format_key(self, key: Key) -> str:
        """Human form of a key, e.g. ``www A`` or ``info@example.ch``."""
        ...

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        """True for live resources this tool must never delete when they are absent from desired state."""
        ...

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        """Reasons a reviewer should look twice at this change (mail routing, public exposure ...)."""
        ...

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        """Order of a change inside its scope (lower first); sees all the scope's changes for dependencies."""
        ...

    # -- live ------------------------------------------------------------------------------------------
    async def discover(self, ctx: RunContext) -> list[str]:
        """Scopes that exist live (used by ``import`` without arguments)."""
        ...

    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]:
        """Every live resource of ``scope``, converted to the spec model. Raises for unknown scopes."""
        ...

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """Problems in the file that only live state reveals (a mailbox that does not exist, an unknown
        member): each is the offending desired object and a message. The plan stops with them, positioned
        at the object's line, before anything is diffed."""
        ...

    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None:
        """Create a resource."""
        ...

    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None:
        """Bring a live resource to its desired spec."""
        ...

    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None:
        """Delete a live resource."""
        ...


class FileLayout(Protocol):
    """Where a kind's files are: ``OneFile`` or ``FilePerScope`` (``reconciler.kinds.mapping_file``)."""

    @property
    def directory(self) -> str:
        """Folder under the state directory."""
        ...

    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        """Map each scope that has a desired file to that file."""
        ...

    def path_for(self, state_dir: Path, scope: str) -> Path:
        """The file that holds (or would hold) ``scope``."""
        ...

    def pattern(self, state_dir: Path) -> str:
        """Glob of the files (``state/dns/*.yaml``)."""
        ...

    def scope_name(self, scope: str) -> str:
        """A scope as a person typed it → as files and plans name it; SettingsError when it cannot be one."""
        ...


class KindBase(ABC):
    """Base of the kinds: the protocol's file part from ``files``, and defaults for its optional parts.

    What every kind must say for itself is abstract, so a kind that forgets one cannot be instantiated.
    """

    name: ClassVar[str]
    directory: ClassVar[str]
    spec_model: ClassVar[type[SpecModel]]
    apply_order: ClassVar[int]
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()
    files: ClassVar[FileLayout]
    """The kind's file layout; ``directory`` is usually ``files.directory``."""

    # -- files -----------------------------------------------------------------------------------------
    def scope_files(self, state_dir: Path) -> dict[str, Path]:
        return self.files.scope_files(state_dir)

    def path_for(self, state_dir: Path, scope: str) -> Path:
        return self.files.path_for(state_dir, scope)

    def file_pattern(self, state_dir: Path) -> str:
        return self.files.pattern(state_dir)

    def scope_name(self, scope: str) -> str:
        return self.files.scope_name(scope)

    @abstractmethod
    def parse(self, document: Any, source: DocumentSource) -> list[DesiredObject]: ...

    @abstractmethod
    def file_schema(self) -> dict[str, Any]: ...

    @abstractmethod
    def render(self, objects: Iterable[DesiredObject | LiveObject], scope: str) -> Any: ...

    @abstractmethod
    def parse_key(self, text: str) -> Key: ...

    @abstractmethod
    def upsert_entry(self, document: Any, key: Key, entry: Any) -> Any: ...

    @abstractmethod
    def remove_entry(self, document: Any, key: Key) -> bool: ...

    # -- comparison ------------------------------------------------------------------------------------
    @abstractmethod
    def normalize(self, spec: SpecModel, scope: str) -> dict[str, Any]: ...

    def format_key(self, key: Key) -> str:
        """The key's parts joined by a space (``www A``, ``info@example.ch``)."""
        return " ".join(key)

    def is_unmanaged(self, key: Key, scope: str) -> bool:
        """Every live resource is managed: one missing from the file is deleted."""
        return False

    def risks(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> list[str]:
        """No change of this kind needs a second look."""
        return []

    def change_order(self, action: Action, key: Key, changes: Iterable[tuple[Action, Key]]) -> int:
        """Resources independent of each other: creates, updates, then deletes, for a readable plan."""
        return _ACTION_ORDER[action]

    # -- live ------------------------------------------------------------------------------------------
    @abstractmethod
    async def discover(self, ctx: RunContext) -> list[str]: ...

    @abstractmethod
    async def fetch(self, ctx: RunContext, scope: str) -> list[LiveObject]: ...

    async def check(
        self, ctx: RunContext, scope: str, desired: Sequence[DesiredObject], live: Sequence[LiveObject]
    ) -> list[tuple[DesiredObject, str]]:
        """Nothing in the file needs live state to be judged."""
        return []

    @abstractmethod
    async def create(self, ctx: RunContext, scope: str, desired: DesiredObject) -> None: ...

    @abstractmethod
    async def update(self, ctx: RunContext, scope: str, desired: DesiredObject, live: LiveObject) -> None: ...

    @abstractmethod
    async def delete(self, ctx: RunContext, scope: str, live: LiveObject) -> None: ...


_ACTION_ORDER: dict[Action, int] = {"create": 0, "update": 1, "delete": 2}


@runtime_checkable
class GuardsChanges(Protocol):
    """Optional part of a kind: changes too dangerous to apply on a plan's approval alone.

    A guarded change (registrar nameservers, DNSSEC) makes its scope unsafe, so apply refuses it unless it
    runs with ``--force`` or a committed ``allow`` rule of ``infomaniak.yaml`` matches the change's address.
    """

    def guard(
        self, action: Action, key: Key, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> str | None:
        """Why this change needs ``--force`` or an ``allow`` rule, in plain words; None when it does not."""
        ...
