"""Append-only, hash-chained JSONL audit log; every entry is redacted before it reaches the disk.

Each line carries ``seq`` (1, 2, ...) and ``prev``, the SHA-256 of the exact text of the line before it
(:data:`GENESIS` for the first). Editing, removing or moving an entry breaks the link of the entry after
it; :func:`verify_chain` finds the break. The newest line has no successor, so the last apply also keeps
the hash of its ``apply_done`` line in the last-apply record (``audit_head``): a log whose end was cut or
rewritten no longer contains that hash. Entries written before the chain existed are reported as
unchained, and only at the start of the file.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.kinds.base import SENSITIVE_MARK
from reconciler.redaction import mask_secrets

_SECRET_KEYS = re.compile(r"(token|password|secret|authorization|cookie)", re.IGNORECASE)

GENESIS = "0" * 64
"""``prev`` of the first chained entry."""


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    return mask_secrets(value, secrets, mark=SENSITIVE_MARK, secret_keys=_SECRET_KEYS)


def line_hash(line: str) -> str:
    """SHA-256 of one audit line as written (without its newline)."""
    return hashlib.sha256(line.encode("utf-8", errors="surrogateescape")).hexdigest()


class AuditLog:
    """Writes one JSON object per line: seq, prev, time, actor, event and details."""

    def __init__(self, path: Path, *, secrets: Iterable[str] = ()) -> None:
        self.path = path
        # Secrets shorter than 8 characters would redact ordinary words; they are never tokens.
        self._secrets = tuple(s for s in secrets if s and len(s) >= 8)
        self.last_hash: str | None = None
        """Hash of the line this object wrote last (the anchor an apply records)."""

    def redact(self, value: Any) -> Any:
        """What an entry would keep of ``value`` (undo compares live values in this form)."""
        return _redact(value, self._secrets)

    def write(self, event: str, **details: Any) -> dict[str, Any]:
        body = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "actor": _actor(),
            "event": event,
            **_redact(details, self._secrets),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            # The lock makes "read the last line, append after it" one step for every writer (CLI, MCP).
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = _last_line(fd)
            entry = {"seq": _next_seq(self.path, last), "prev": line_hash(last) if last else GENESIS, **body}
            line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock
        self.last_hash = line_hash(line)
        return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for raw in handle:
                raw = raw.strip()
                if raw:
                    try:
                        yield json.loads(raw)
                    except json.JSONDecodeError:
                        continue


def _last_line(fd: int) -> str:
    """The last non-empty line of the file, read backwards from its end."""
    end = os.lseek(fd, 0, os.SEEK_END)
    chunk = 4096
    data = b""
    position = end
    while position > 0:
        step = min(chunk, position)
        position -= step
        data = os.pread(fd, step, position) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1].decode("utf-8", "replace")
    return data.rstrip(b"\n").decode("utf-8", "replace")


def _next_seq(path: Path, last: str) -> int:
    if not last:
        return 1
    try:
        seq = json.loads(last).get("seq")
    except (json.JSONDecodeError, AttributeError):
        seq = None
    if isinstance(seq, int) and not isinstance(seq, bool):
        return seq + 1
    # A log written before the chain existed: number on from its line count.
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip()) + 1


@dataclass
class ChainReport:
    """What :func:`verify_chain` found."""

    path: Path
    entries: int = 0
    unchained: int = 0
    head: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = []
        if self.ok:
            lines.append(f"audit log OK: {self.entries} entries, hash chain intact ({self.path})")
        else:
            lines.append(f"audit log TAMPERED: {len(self.problems)} problem(s) in {self.path}")
            lines += [f"  {problem}" for problem in self.problems]
            lines.append(
                "  keep a copy of the file as evidence; compare it with a backup or the applies' CI logs"
            )
        if self.unchained:
            lines.append(f"  {self.unchained} older entries at the start predate the chain (not checked)")
        if self.head:
            lines.append(f"  head: {self.head}")
        return "\n".join(lines)


def verify_chain(path: Path, *, anchor: str | None = None) -> ChainReport:
    """Check every link of the chain; ``anchor`` is a line hash that must still be in the log."""
    report = ChainReport(path=path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if anchor:
            report.problems.append(f"the audit log is missing; the last apply recorded entry {anchor[:12]}")
        return report
    # Decoded line by line so one damaged line is reported as tampering, not a crash.
    lines = raw.decode("utf-8", errors="surrogateescape").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    previous: str | None = None
    previous_seq: int | None = None
    chained = False
    hashes: set[str] = set()
    for number, line in enumerate(lines, start=1):
        where = f"line {number}"
        if not line.strip():
            report.problems.append(f"{where}: empty line (an entry was blanked out)")
            previous = line
            continue
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            report.problems.append(f"{where}: not UTF-8 (the file was edited)")
            previous = line
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            report.problems.append(f"{where}: not a JSON entry (the file was edited)")
            previous = line
            continue
        if not isinstance(entry, dict):
            report.problems.append(f"{where}: not a JSON object (the file was edited)")
            previous = line
            continue
        report.entries += 1
        hashes.add(line_hash(line))
        what = f"{where} (seq {entry.get('seq')}, {entry.get('event')} at {entry.get('time')})"
        if "prev" not in entry:
            if chained:
                report.problems.append(f"{what}: has no hash link, after chained entries (inserted)")
            else:
                report.unchained += 1
            previous = line
            continue
        expected = line_hash(previous) if previous is not None else GENESIS
        if entry["prev"] != expected:
            if previous is None:
                detail = "the first entry does not start the chain: entries before it were removed"
            else:
                detail = f"does not follow line {number - 1}: an entry was edited, removed or moved there"
            report.problems.append(f"{what}: {detail}")
        seq = entry.get("seq")
        if chained and isinstance(seq, int) and previous_seq is not None and seq != previous_seq + 1:
            report.problems.append(f"{what}: seq {seq} after {previous_seq} (entries removed or reordered)")
        chained = True
        previous_seq = seq if isinstance(seq, int) else None
        previous = line
    if previous is not None and previous.strip():
        report.head = line_hash(previous)
    if anchor and anchor not in hashes:
        report.problems.append(
            f"the last apply's apply_done entry ({anchor[:12]}) is no longer in the log: "
            "entries were removed from its end, or it was rewritten"
        )
    return report


def _actor() -> str:
    for name in ("GITHUB_ACTOR", "INFOMANIAK_GITOPS_ACTOR"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


__all__ = ["GENESIS", "AuditLog", "ChainReport", "line_hash", "verify_chain"]
