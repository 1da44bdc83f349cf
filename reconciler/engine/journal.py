"""The apply journal: each write's intent reaches the disk before the write, so a killed apply leaves a trace.

One file per work directory (``.infomaniak-gitops/journal.jsonl``) holds the latest apply, one JSON object
per line, each line fsync'd before the apply goes on:

* ``begin``: apply id, plan hash, and the M changes in order, each with its label for people
  (``create share_links/Demo Drive: /Marketing/logo.png``) and, as fields of their own, its action, kind,
  scope and machine address (``share_links/Demo Drive//Marketing/logo.png``, what rules and audit entries
  name); journals written before format 2 held only ``action address`` labels, and still read;
* ``intent``: change n is about to be written (before its first API call);
* ``result``: change n was ``applied``, ``failed``, or its outcome is ``unknown`` (the answer was lost);
* ``end``: the apply's outcome (``converged``, ``failed``, ``interrupted``, ``unverified`` ...).

A journal without ``end`` (a ``kill -9``, a power cut) or ending ``interrupted`` (Ctrl-C) is reported by the
next ``plan``, ``apply`` and MCP ``ik_plan``: "apply <id> was interrupted after K of M changes", with the
change that was in flight (its outcome is unknown) and what was not started. The next apply replaces it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reconciler.engine.model import Change, change_title

log = logging.getLogger(__name__)

Status = Literal["applied", "failed", "unknown"]

JOURNAL_FORMAT = 2
"""2: each change is an object (label, action, kind, scope, address); 1 (no ``format``): a label string."""


@dataclass(frozen=True)
class JournalChange:
    """One change of a journaled apply: the label people read, and the address and scope checks use."""

    label: str
    action: str
    kind: str
    scope: str
    address: str

    @classmethod
    def of(cls, change: Change) -> JournalChange:
        return cls(
            label=change.label,
            action=change.action,
            kind=change.kind,
            scope=change.scope,
            address=change.address,
        )

    @classmethod
    def from_record(cls, item: object) -> JournalChange:
        """A change as a journal line holds it: an object (format 2) or an ``action address`` label (1)."""
        if isinstance(item, dict):
            fields = {
                name: str(item.get(name, "")) for name in ("label", "action", "kind", "scope", "address")
            }
            return cls(**fields)
        return cls.from_old_label(str(item))

    @classmethod
    def from_old_label(cls, label: str) -> JournalChange:
        """``create dns/x/www A``, the only form before format 2, told apart and shown in today's words.

        The address splits without doubt at its first two slashes: a kind's name has none, and neither
        has a scope (``api.paths.check_scope`` refuses them).
        """
        action, _, address = label.partition(" ")
        kind, _, rest = address.partition("/")
        scope, slash, key = rest.partition("/")
        shown = f"{action} {change_title(kind, scope, key)}" if slash else label
        return cls(label=shown, action=action, kind=kind, scope=scope, address=address)

    def record(self) -> dict[str, str]:
        return {
            "label": self.label,
            "action": self.action,
            "kind": self.kind,
            "scope": self.scope,
            "address": self.address,
        }


@dataclass
class JournalState:
    """What a journal file says about one apply."""

    apply_id: str
    plan_hash: str
    started: str
    changes: list[JournalChange]
    intents: set[int] = field(default_factory=set)
    results: dict[int, Status] = field(default_factory=dict)
    outcome: str | None = None

    @property
    def interrupted(self) -> bool:
        """Killed (no ``end``) or stopped by a signal: the changes after it were never tried."""
        return self.outcome is None or self.outcome == "interrupted"

    @property
    def done(self) -> int:
        """Changes known to be applied."""
        return sum(1 for status in self.results.values() if status == "applied")

    @property
    def labels(self) -> list[str]:
        return [change.label for change in self.changes]

    @property
    def in_flight_changes(self) -> list[JournalChange]:
        """Changes whose write started but whose answer never came back: their outcome is unknown."""
        unknown = [n for n, status in self.results.items() if status == "unknown"]
        started = [n for n in self.intents if n not in self.results]
        return [self.changes[n] for n in sorted({*unknown, *started}) if n < len(self.changes)]

    @property
    def not_started_changes(self) -> list[JournalChange]:
        return [change for n, change in enumerate(self.changes) if n not in self.intents]

    @property
    def in_flight(self) -> list[str]:
        return [change.label for change in self.in_flight_changes]

    @property
    def not_started(self) -> list[str]:
        return [change.label for change in self.not_started_changes]

    def summary(self) -> dict[str, Any]:
        """The figures the audit log keeps of an interrupted apply (labels, and their addresses apart)."""
        return {
            "apply_id": self.apply_id,
            "plan_hash": self.plan_hash,
            "applied": self.done,
            "total": len(self.changes),
            "outcome_unknown": self.in_flight,
            "not_attempted": self.not_started,
            "addresses": {
                "outcome_unknown": [change.address for change in self.in_flight_changes],
                "not_attempted": [change.address for change in self.not_started_changes],
            },
        }


class Journal:
    """Writer of the journal of one apply."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _append(self, record: dict[str, Any], *, truncate: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else os.O_APPEND)
        fd = os.open(self.path, flags, 0o600)
        try:
            os.write(fd, (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
            # The point of a journal: the intent is on the disk before the API sees the write.
            os.fsync(fd)
        finally:
            os.close(fd)
        if truncate:
            _fsync_dir(self.path.parent)

    def begin(self, *, apply_id: str, plan_hash: str, started: str, changes: Sequence[JournalChange]) -> None:
        self._append(
            {
                "type": "begin",
                "format": JOURNAL_FORMAT,
                "apply_id": apply_id,
                "plan_hash": plan_hash,
                "started": started,
                "changes": [change.record() for change in changes],
            },
            truncate=True,
        )

    def intent(self, index: int) -> None:
        self._append({"type": "intent", "n": index})

    def result(self, index: int, status: Status) -> None:
        self._append({"type": "result", "n": index, "status": status})

    def end(self, outcome: str) -> None:
        self._append({"type": "end", "outcome": outcome})


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the file itself was synced
    finally:
        os.close(fd)


def read_journal(path: Path) -> JournalState | None:
    """The journal's apply, or None without a usable journal (a torn last line is ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("journal %s is unreadable (%s); ignoring it", path, exc.strerror)
        return None
    state: JournalState | None = None
    for raw in text.splitlines():
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a line cut by the kill
        if not isinstance(record, dict):
            continue
        kind = record.get("type")
        if kind == "begin":
            state = JournalState(
                apply_id=str(record.get("apply_id", "?")),
                plan_hash=str(record.get("plan_hash", "")),
                started=str(record.get("started", "")),
                changes=[JournalChange.from_record(item) for item in record.get("changes", [])],
            )
        elif state is None:
            continue
        elif kind == "intent" and isinstance(record.get("n"), int):
            state.intents.add(record["n"])
        elif kind == "result" and isinstance(record.get("n"), int):
            status = record.get("status")
            if status in ("applied", "failed", "unknown"):
                state.results[record["n"]] = status
        elif kind == "end":
            state.outcome = str(record.get("outcome"))
    return state


@dataclass(frozen=True)
class Planned:
    """What the plan shown with the notices covers: its scopes (``kind/scope``) and change addresses."""

    scopes: frozenset[str]
    addresses: frozenset[str]


def journal_notices(
    state: JournalState | None, planned: Planned | None = None, *, running: bool = False
) -> list[str]:
    """Plan-header lines about the last apply when it was interrupted or lost an answer.

    ``planned`` lets each write of unknown outcome be checked against the plan being shown: still planned
    means it did not take effect (or only partly); absent from a planned scope means it did. ``running``
    (the work directory's apply lock is held) means the journal is that of an apply under way, not a dead one.
    A journal ``settled`` by an apply that found nothing left to do says nothing.
    """
    if state is None or state.outcome == "settled":
        return []
    if running:
        return [f"apply {state.apply_id} is running now ({state.done} of {len(state.changes)} changes done)"]
    in_flight = state.in_flight_changes
    if not state.interrupted and not in_flight:
        return []
    lines: list[str] = []
    total = len(state.changes)
    if state.interrupted:
        lines.append(
            f"apply {state.apply_id} was interrupted after {state.done} of {total} changes "
            f"(started {state.started}); the plan below shows what remains"
        )
    for change in in_flight:
        checked = _checked(change, planned)
        lines.append(
            f"apply {state.apply_id}: outcome unknown (the answer was lost): {change.label}{checked}"
        )
    rest = state.not_started
    if state.interrupted and rest:
        shown = ", ".join(rest[:5]) + (f" and {len(rest) - 5} more" if len(rest) > 5 else "")
        lines.append(f"apply {state.apply_id}: not started: {shown}")
    return lines


NOT_STARTED_SHOWN = 10
"""Not-started changes an interruption notice lists by name; the rest are counted."""


def interruption_notice(state: JournalState | None, *, since: str | None) -> list[str]:
    """What an apply this process just saw interrupted (Ctrl-C) did, for the terminal at once.

    The journal is complete by then (the run records the interruption before the interrupt goes on), so
    the notice the next plan would print can be given now, with the applied changes named. ``since`` is the
    journal's apply id before this apply started: the same id means it was interrupted before its first write.
    """
    if state is None or state.apply_id == since:
        return ["the apply was interrupted before its first change: nothing was applied"]
    total = len(state.changes)
    started = f"(started {state.started})"
    lines = [f"apply {state.apply_id} was interrupted after {state.done} of {total} changes {started}"]
    for number, status in sorted(state.results.items()):
        if status in ("applied", "failed") and number < total:
            lines.append(f"  {status}: {state.changes[number].label}")
    lines += [f"  outcome unknown (its write was under way): {label}" for label in state.in_flight]
    rest = state.not_started
    lines += [f"  not started: {label}" for label in rest[:NOT_STARTED_SHOWN]]
    if len(rest) > NOT_STARTED_SHOWN:
        lines.append(f"  not started: {len(rest) - NOT_STARTED_SHOWN} more")
    if state.done == total:
        lines.append("every change was applied; only the verification was cut short: run `plan` to check")
    else:
        lines.append(
            "Next: `plan` shows what remains (and checks an unknown outcome); `apply` again converges, "
            "without applying twice what was done"
        )
    return lines


def _checked(change: JournalChange, planned: Planned | None) -> str:
    if planned is None or f"{change.kind}/{change.scope}" not in planned.scopes:
        return ""
    if change.address in planned.addresses:
        return " — still planned below: it did not take effect, or only partly"
    return " — checked: it took effect (not in this plan)"


__all__ = [
    "JOURNAL_FORMAT",
    "Journal",
    "JournalChange",
    "JournalState",
    "Planned",
    "interruption_notice",
    "journal_notices",
    "read_journal",
]
