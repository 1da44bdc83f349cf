"""Load and validate the desired-state directory; every problem is reported with file, line and field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.desired.config import CONFIG_FILE, AccountConfig
from reconciler.desired.policy import PolicyBaseline
from reconciler.desired.yamlio import display_path, load_yaml_file, load_yaml_file_read_only, position
from reconciler.errors import DesiredStateError, Reason
from reconciler.kinds.base import DesiredObject, Kind, Located, SpecModel

_M = TypeVar("_M", bound=BaseModel)


def _field_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if part != "" else "''"
            text += f".{shown}" if text else shown
    return text


class FileSource:
    """A loaded file that kinds validate entries against; collects every positioned problem."""

    def __init__(self, file: str, document: Any, *, defaults: Mapping[str, Any] | None = None) -> None:
        self.file = file
        self.document = document
        self.defaults: Mapping[str, Any] = dict(defaults or {})
        self.reasons: list[Reason] = []

    def locate(self, path: tuple[str | int, ...]) -> Located:
        line, _ = position(self.document, path)
        return Located(self.file, path, line)

    def error(self, path: tuple[str | int, ...], message: str, *, rule: str = "invalid") -> None:
        line, column = position(self.document, path)
        self.reasons.append(Reason(self.file, line, column, _field_path(path), message, rule))

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
            if item.kind.name == kind and item.scope == scope:
                return item
        return None


def load_config(root: Path) -> AccountConfig:
    """Load ``infomaniak.yaml`` (all defaults when the file is absent)."""
    path = root / CONFIG_FILE
    if not path.exists():
        return AccountConfig()
    shown = display_path(path)
    document = load_yaml_file(path, file=shown)
    source = FileSource(shown, document)
    config = _validate_plain(AccountConfig, document or {}, source)
    if source.reasons or config is None:
        raise DesiredStateError(source.reasons)
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
    kind: Kind, document: Any, *, file: str, defaults: Mapping[str, Any] | None = None
) -> tuple[list[DesiredObject], list[Reason]]:
    """Parse one already-loaded document of ``kind``; returns objects and problems (for in-place edits)."""
    source = FileSource(file, document, defaults=defaults)
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
) -> DesiredState:
    """Load the state directory; ``selected`` narrows it to (kind, scope-or-None) pairs.

    Every file is parsed even after a failure, so that one run reports all problems at once.
    """
    if not root.is_dir():
        raise DesiredStateError(
            [Reason(display_path(root), None, None, "", "state directory does not exist", "io")]
        )
    wanted = list(selected) if selected is not None else None
    reasons: list[Reason] = []
    try:
        config = load_config(root)
    except DesiredStateError as exc:
        reasons.extend(exc.reasons)
        config = AccountConfig()
    state = DesiredState(root=root, config=config)
    for kind in kinds:
        for scope, path in sorted(kind.scope_files(root).items()):
            if wanted is not None and not any(
                k == kind.name and (s is None or s == scope) for k, s in wanted
            ):
                continue
            shown = display_path(path)
            try:
                document = load_yaml_file_read_only(path, file=shown)
            except DesiredStateError as exc:
                reasons.extend(exc.reasons)
                continue
            objects, problems = parse_document(
                kind, document, file=shown, defaults=config.defaults.model_dump()
            )
            reasons.extend(problems)
            state.scopes.append(ScopeDesired(kind=kind, scope=scope, file=shown, objects=objects))
    if reasons:
        raise DesiredStateError(reasons)
    return state
