"""Live data is read leniently: what the API holds is never refused, and never silently lost.

The desired-file rules are strict on purpose; the API is not bound by them (an unknown enum value, a colour
outside the documented range, a name the file rules refuse). A kind reads such a value with
:func:`read_live`: the object keeps the API's values as they are and gets a ``note`` saying why it is not in
the structured form. The engine shows the note as a plan warning and never deletes a noted object for being
absent from the file; ``import`` leaves it out of the file with the note as a comment (:func:`with_notes`), so
the file validates and the next plan is empty (docs/format-*.md, "Values the tool cannot read").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import ValidationError

from reconciler.kinds.base import DesiredObject, Key, LiveObject, SpecModel

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

Model = TypeVar("Model", bound=SpecModel)

COMMENT_LIMIT = 240
"""Longest comment line an import writes for one note (live text is bounded before it enters a file)."""


def describe(exc: ValidationError) -> str:
    """One line naming each field a pydantic model refused."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" if error["loc"] else error["msg"]
        for error in exc.errors()
    )


def read_live(
    model: type[Model], data: Mapping[str, Any], *, context: dict[str, Any] | None = None
) -> tuple[Model, str | None]:
    """``data`` as ``model``, validated when it passes the rules, else kept as given with the reason why."""
    try:
        return model.model_validate(dict(data), context=context), None
    except ValidationError as exc:
        kept = model.model_construct(**dict(data))
        return cast(Model, kept), describe(exc)


def unwritable_text(*texts: object) -> str | None:
    """Why one of ``texts`` cannot be written to a YAML file and read back the same, or None.

    A NEL (U+0085) inside a string comes back from ruamel.yaml as a space: the file would say something else.
    """
    for text in texts:
        if isinstance(text, str) and "\x85" in text:
            return f"{text[:40]!r} holds a NEL (U+0085) character, which a YAML file cannot keep"
    return None


def checked_name(normalise: Callable[[Any], str], raw: Any) -> tuple[str, str | None]:
    """A live name through the file's name rules: ``(name, None)``, or ``(the name as given, why not)``."""
    try:
        name = normalise(raw)
    except ValueError as exc:
        return str(raw if raw is not None else "").strip(), str(exc)
    return name, unwritable_text(name)


def join_notes(*notes: str | None) -> str | None:
    """The notes that apply, in one line; None when there is none."""
    present = [note for note in notes if note]
    return "; ".join(present) if present else None


def note_of(obj: DesiredObject | LiveObject) -> str | None:
    return obj.note if isinstance(obj, LiveObject) else None


def split_noted(
    objects: Iterable[DesiredObject | LiveObject], format_key: Callable[[Key], str]
) -> tuple[list[DesiredObject | LiveObject], list[str]]:
    """The objects a file can hold, and a comment line for each one it cannot (a live object with a note)."""
    kept: list[DesiredObject | LiveObject] = []
    left_out: list[str] = []
    for obj in objects:
        note = note_of(obj)
        if note is None:
            kept.append(obj)
        else:
            left_out.append(f"{format_key(obj.key)} is not written (kept as the API gave it): {note}")
    return kept, left_out


def comment_text(text: str, limit: int = COMMENT_LIMIT) -> str:
    """Live text made safe for one YAML comment line: no line breaks or control characters, bounded."""
    safe = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" for char in text)
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def with_notes(document: Mapping[str, Any], notes: Iterable[str]) -> CommentedMap:
    """``document`` headed by one comment line per note (what an import could not write, and why)."""
    # Imported here: only rendering a file needs ruamel.yaml, and a plan renders none.
    from ruamel.yaml.comments import CommentedMap

    result = CommentedMap(document)
    lines = [comment_text(note) for note in notes]
    if lines:
        result.yaml_set_start_comment("\n".join(sorted(lines)))
    return result
