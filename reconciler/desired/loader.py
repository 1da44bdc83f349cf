"""Load and validate the desired-state directory; every problem is reported with file, line and field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.desired.config import CONFIG_FILE, AccountConfig
from reconciler.desired.limits import Limits, cap
from reconciler.desired.policy import PolicyBaseline
from reconciler.desired.yamlio import LinePositions, display_path, load_yaml_fast, read_text
from reconciler.errors import DesiredStateError, Reason
from reconciler.kinds.base import DesiredObject, Kind, Located, SpecModel

if TYPE_CHECKING:
    from reconciler.desired.cache import ParseCache

_M = TypeVar("_M", bound=BaseModel)

STATE_DIR_MISSING = "state-dir-missing"
"""The rule of the reason raised when the state directory is not there (a front may say more)."""
NO_STATE_DIR_HINT = (
    "run it in the configuration repository's root, or name the folder with --state DIR "
    "(INFOMANIAK_STATE_DIR); `infomaniak-gitops init` starts a new one"
)


def _field_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if part != "" else "''"
            text += f".{shown}" if text else shown
    return text


def same_scope(a: str, b: str) -> bool:
    """Whether a target's or a tool argument's scope names a file's scope: compared without case, so
    ``dns/Example.CH`` selects ``dns/example.ch`` and ``share_links/demo drive`` selects ``Demo Drive``."""
    return a.casefold() == b.casefold()


class FileSource:
    """A loaded file that kinds validate entries against; collects every positioned problem.

    ``lines`` finds positions: a round-trip document has its own, a file read by the fast path is re-read
    round-trip on the first problem or line asked for (see :class:`LinePositions`).
    """

    def __init__(
        self,
        file: str,
        document: Any,
        *,
        defaults: Mapping[str, Any] | None = None,
        lines: LinePositions | None = None,
    ) -> None:
        self.file = file
        self.document = document
        self.defaults: Mapping[str, Any] = dict(defaults or {})
        self.reasons: list[Reason] = []
        self.lines = lines if lines is not None else LinePositions(file, document=document)

    def locate(self, path: tuple[str | int, ...]) -> Located:
        return Located(self.file, path, lines=self.lines)

    def error(self, path: tuple[str | int, ...], message: str, *, rule: str = "invalid") -> None:
        line, column = self.lines.position(path)
        self.reasons.append(Reason(self.file, line, column, cap(_field_path(path)), cap(message), rule))

    def validate(self, model: type[SpecModel], raw: Any, path: tuple[str | int, ...]) -> SpecModel | None:
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            for problem in exc.errors(include_url=False):
                loc = tuple(part for part in problem["loc"] if isinstance(part, str | int))
                # pydantic adds the name of a tagged/union member to loc; it is not a document key.
                full = (*path, *loc)
                message = problem["msg"]
                if problem["type"] == "extra_forbidden":
                    message = "unknown field"
                    allowed = sorted(model.model_fields)
                    if allowed:
                        message += f" (allowed: {', '.join(allowed)})"
                elif problem["type"] == "missing":
                    message = "required field is missing"
                self.error(full, message, rule=problem["type"])
            return None


@dataclass
class ScopeDesired:
    """The desired objects of one scope (one file)."""

    kind: Kind
    scope: str
    file: str
    objects: list[DesiredObject] = field(default_factory=list)


@dataclass
class DesiredState:
    """Everything loaded from a state directory."""

    root: Path
    config: AccountConfig
    scopes: list[ScopeDesired] = field(default_factory=list)
    baseline: PolicyBaseline | None = None
    """The committed rules; set for plans, so a working-tree loosening of them becomes a policy change."""

    def scope(self, kind: str, scope: str) -> ScopeDesired | None:
        for item in self.scopes:
            if item.kind.name == kind and same_scope(item.scope, scope):
                return item
        return None


def outside_reason(path: Path, root: Path) -> Reason | None:
    """A refusal when ``path`` (symlinks followed) lies outside the state directory ``root``.

    A pull request may add a symlink to any file on the machine that runs the plan; reading it would
    print that file in the plan's error or comment.
    """
    try:
        target = path.resolve()
        inside = target.is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        target, inside = path, False
    if inside:
        return None
    try:
        shown = str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return Reason(
        shown,
        None,
        None,
        "",
        "resolves outside the state directory (a symlink?); refused, nothing was read\n"
        "    replace it with a regular file inside the state directory",
        "outside-state-dir",
    )


def desired_globs(kinds: Iterable[Kind]) -> list[str]:
    """The files :func:`load_desired` reads for ``kinds``, as globs relative to the state directory."""
    return [CONFIG_FILE, *(kind.file_pattern(Path()) for kind in kinds)]


def load_config(root: Path, *, limits: Limits | None = None, cache_dir: Path | None = None) -> AccountConfig:
    """Load ``infomaniak.yaml`` (all defaults when the file is absent); ``cache_dir`` as in load_desired."""
    cache = None
    if cache_dir is not None:
        from reconciler.desired.cache import ParseCache

        cache = ParseCache.open(cache_dir)
    return _load_config(root, limits or Limits.from_env(), cache)


def _load_config(root: Path, limits: Limits, cache: ParseCache | None) -> AccountConfig:
    path = root / CONFIG_FILE
    if not path.exists() and not path.is_symlink():
        return AccountConfig()
    refused = outside_reason(path, root)
    if refused is not None:
        raise DesiredStateError([refused])
    shown = display_path(path)
    data, text = read_text(path, file=shown, limits=limits)
    entry = ""
    if cache is not None:
        entry = cache.entry_key(kind=CONFIG_FILE, scope="", file=shown, data=data, defaults={})
        cached = cache.load(entry)
        if isinstance(cached, AccountConfig):
            return cached
    document = load_yaml_fast(text, file=shown, limits=limits)
    source = FileSource(shown, document, lines=LinePositions(shown, text=text))
    config = _validate_plain(AccountConfig, document or {}, source)
    if source.reasons or config is None:
        raise DesiredStateError(source.reasons)
    if cache is not None:
        cache.store(entry, config)
    return config


def _validate_plain(model: type[_M], raw: Any, source: FileSource) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for problem in exc.errors(include_url=False):
            loc = tuple(part for part in problem["loc"] if isinstance(part, str | int))
            message = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
            source.error(loc, message, rule=problem["type"])
        return None


def parse_document(
    kind: Kind,
    document: Any,
    *,
    file: str,
    defaults: Mapping[str, Any] | None = None,
    lines: LinePositions | None = None,
) -> tuple[list[DesiredObject], list[Reason]]:
    """Parse one already-loaded document of ``kind``; returns objects and problems (for in-place edits)."""
    source = FileSource(file, document, defaults=defaults, lines=lines)
    objects = kind.parse(document, source)
    keys: dict[tuple[str, ...], DesiredObject] = {}
    for obj in objects:
        if obj.key in keys:
            path = obj.located.path if obj.located else ()
            source.error(path, f"duplicate entry for {kind.format_key(obj.key)}", rule="duplicate")
        keys[obj.key] = obj
    return objects, source.reasons


def load_desired(
    root: Path,
    kinds: Iterable[Kind],
    *,
    selected: Iterable[tuple[str, str | None]] | None = None,
    cache_dir: Path | None = None,
    limits: Limits | None = None,
) -> DesiredState:
    """Load the state directory; ``selected`` narrows it to (kind, scope-or-None) pairs.

    Every file is parsed even after a failure, so that one run reports all problems at once. A file that
    resolves outside ``root`` is refused unread. With ``cache_dir`` (the work directory), a file whose
    bytes were already loaded by this code is taken from the parse cache (``cache.py``).
    """
    if not root.is_dir():
        missing = f"state directory does not exist (looked for {root.resolve()})"
        raise DesiredStateError(
            [Reason(display_path(root), None, None, "", missing, STATE_DIR_MISSING)],
            next_step=NO_STATE_DIR_HINT,
        )
    chosen = limits or Limits.from_env()
    wanted = list(selected) if selected is not None else None
    reasons: list[Reason] = []
    cache = None
    if cache_dir is not None:
        from reconciler.desired.cache import ParseCache

        cache = ParseCache.open(cache_dir)
    try:
        config = _load_config(root, chosen, cache)
    except DesiredStateError as exc:
        reasons.extend(exc.reasons)
        config = AccountConfig()
    defaults = config.defaults.model_dump()
    state = DesiredState(root=root, config=config)
    for kind in kinds:
        for scope, path in sorted(kind.scope_files(root).items()):
            if wanted is not None and not any(
                k == kind.name and (s is None or same_scope(s, scope)) for k, s in wanted
            ):
                continue
            refused = outside_reason(path, root)
            if refused is not None:
                reasons.append(refused)
                continue
            shown = display_path(path)
            try:
                data, text = read_text(path, file=shown, limits=chosen)
            except DesiredStateError as exc:
                reasons.extend(exc.reasons)
                continue
            lines = LinePositions(shown, text=text)
            entry = ""
            objects: list[DesiredObject] | None = None
            if cache is not None:
                entry = cache.entry_key(kind=kind.name, scope=scope, file=shown, data=data, defaults=defaults)
                objects = cache.get(entry, lines)
            if objects is None:
                try:
                    document = load_yaml_fast(text, file=shown, limits=chosen)
                except DesiredStateError as exc:
                    reasons.extend(exc.reasons)
                    continue
                objects, problems = parse_document(kind, document, file=shown, defaults=defaults, lines=lines)
                reasons.extend(problems)
                if cache is not None and not problems:
                    cache.put(entry, objects)
            state.scopes.append(ScopeDesired(kind=kind, scope=scope, file=shown, objects=objects))
    if reasons:
        raise DesiredStateError(reasons)
    return state
