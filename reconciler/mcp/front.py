"""The stdio front: a client's first requests answered in milliseconds while the MCP SDK loads.

Importing the SDK (with pydantic, httpx and the engine) costs over a second of CPU before the first answer.
The front answers what needs none of it, ``initialize``, ``tools/list`` and ``ping`` of the handshake era,
from ``manifest.json``: the SDK's own answers, recorded by ``python -m reconciler.mcp.manifest`` and
compared with a freshly built server by tests/mcp/test_manifest.py. Everything else waits, in order, for
the SDK server, which then reads the same stream (``transport.serve_front``):

- the front answers only what it can answer exactly as the SDK would; a request it is not sure of (odd
  parameters, a second ``initialize``, anything before ``initialize``) goes to the SDK, and once the first
  request is not an ``initialize`` it answers nothing more;
- the ``initialize`` it answered goes on to the SDK under a private id, at its place in the stream, so the
  SDK's session ends up as if it had answered it; the SDK's own answer to it is dropped;
- ``tools/list`` and ``ping`` change no state, so the SDK never sees the ones the front answered.

Standard library only, at import and until the answers are sent: tests/cli/test_startup.py checks it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError
from reconciler.mcp.handshake import (
    INTERNAL_ERROR,
    encode,
    error_line,
    handshake_version,
    notification_of,
    parse,
    request_of,
    response_line,
)
from reconciler.mcp.modes import launch_mode

if TYPE_CHECKING:
    from reconciler.mcp.server import ReconcilerServer
    from reconciler.settings import Settings

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).with_name("manifest.json")
_FAST_SWITCH_INTERVAL = 0.001
"""While the SDK imports, the reader thread waits at most this long for the interpreter lock."""


SDK_DISTRIBUTIONS = ("mcp", "mcp-types")
"""The distributions whose versions the recorded answers hold for (the server, the wire types)."""


def installed_versions(names: tuple[str, ...] = SDK_DISTRIBUTIONS) -> dict[str, str]:
    """Installed versions of these distributions, read from their ``.dist-info`` folder names on ``sys.path``
    (first found wins, as for imports); ``importlib.metadata`` would cost 20 ms of imports here."""
    wanted = {name.replace("-", "_").lower(): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as items:
                for item in items:
                    if not item.name.endswith(".dist-info"):
                        continue
                    distribution, _, version = item.name.removesuffix(".dist-info").partition("-")
                    name = wanted.get(distribution.replace("-", "_").replace(".", "_").lower())
                    if name is not None and name not in found:
                        found[name] = version
        except OSError:
            continue
        if len(found) == len(wanted):
            break
    return found


@dataclass(frozen=True)
class Answers:
    """The SDK's answers for one launch (``manifest.json``): per negotiated version, per method."""

    versions: tuple[str, ...]
    """Protocol versions the SDK negotiates through ``initialize``, oldest first."""
    results: dict[str, dict[str, Any]]
    """method → negotiated version → result (a string names the version whose result is the same)."""

    @classmethod
    def load(cls, *, read_only: bool, path: Path = MANIFEST) -> Answers:
        return cls._of(json.loads(path.read_text(encoding="utf-8")), read_only=read_only)

    @classmethod
    def _of(cls, manifest: dict[str, Any], *, read_only: bool) -> Answers:
        launch = manifest["launches"]["read_only" if read_only else "default"]
        return cls(tuple(manifest["handshake_versions"]), launch)

    @classmethod
    def for_installed_sdk(cls, *, read_only: bool, path: Path = MANIFEST) -> Answers | None:
        """The recorded answers, or None (with a warning) when they were recorded with another SDK than the
        one installed: ``mcp>=2.3,<3`` lets pip pick a newer one, which may answer differently."""
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            recorded = manifest["sdk"]
            answers = cls._of(manifest, read_only=read_only)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s is unreadable (%s): the MCP SDK answers every request itself", path, exc)
            return None
        installed = installed_versions(tuple(recorded))
        if installed != recorded:
            log.warning(
                "%s was recorded with %s, the installed SDK is %s: the SDK answers every request itself "
                "(a slower start); `python -m reconciler.mcp.manifest` records it again",
                path.name,
                recorded,
                installed,
            )
            return None
        return answers

    def negotiate(self, requested: str) -> str:
        """The SDK's rule: the client's version when supported, else the latest."""
        return requested if requested in self.versions else self.versions[-1]

    def result(self, method: str, version: str) -> Any:
        found = self.results[method][version]
        return self.results[method][found] if isinstance(found, str) else found


class Wire:
    """The process's stdin and stdout, kept for the protocol alone.

    Claiming them points fd 0 at the null device and fd 1 at stderr (as the SDK's own stdio transport does),
    so neither a stray print during the imports nor a child process such as git can touch the wire.
    """

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self._write_lock = threading.Lock()
        self._saved: tuple[int, int] | None = None

    @classmethod
    def claim(cls) -> Wire:
        sys.stdout.flush()
        wire = cls(os.dup(0), os.dup(1))
        wire._saved = (os.dup(0), os.dup(1))
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)
        return wire

    def release(self) -> None:
        """Give fd 0 and fd 1 back (the wire's own descriptors stay open: a thread may still read)."""
        if self._saved is not None:
            sys.stdout.flush()
            stdin, stdout = self._saved
            os.dup2(stdin, 0)
            os.dup2(stdout, 1)
            os.close(stdin)
            os.close(stdout)
            self._saved = None

    def lines(self) -> Iterator[str]:
        """Lines as the SDK's stdio transport reads them (UTF-8, bad bytes replaced, universal newlines).

        Unbuffered file under the text layer: an unbuffered file has no lock that a reader thread still
        blocked in ``read`` could hold while the interpreter shuts down.
        """
        raw = io.FileIO(self.in_fd, "rb", closefd=False)
        return iter(io.TextIOWrapper(raw, encoding="utf-8", errors="replace"))

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        with self._write_lock:
            while data:
                data = data[os.write(self.out_fd, data) :]


class Front:
    """Reads the wire on its own thread; answers what it can, queues the rest for the SDK server."""

    def __init__(self, answers: Answers, wire: Wire, *, on_quiet_eof: Callable[[], None]) -> None:
        self.answers = answers
        self.wire = wire
        self.queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        """Lines for the SDK, in the client's order; None once the client closed stdin."""
        self.private_id = f"infomaniak-gitops-front-{os.urandom(8).hex()}"
        """The id under which the SDK gets the ``initialize`` the front answered."""
        self.answered: list[str] = []
        """Methods the front answered, in order (for the log and tests)."""
        self.deferred: list[str] = []
        """Methods of the requests the front left to the SDK, in order (for the log and tests)."""
        self._started = time.monotonic()
        self._on_quiet_eof = on_quiet_eof
        self._lock = threading.Lock()
        self._handed_over = False
        self._failure: str | None = None
        self._passive = False
        self._seen_request = False
        self._version: str | None = None
        self._needs_sdk = False

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._read, name="mcp-front", daemon=True)
        thread.start()
        return thread

    def _read(self) -> None:
        try:
            for line in self.wire.lines():
                self.feed(line)
        except OSError as exc:
            log.error("the MCP stdio stream failed (%s); the server ends as if the client had closed it", exc)
        finally:
            # Also when reading or answering failed (a closed pipe): the SDK must see the end, never wait.
            self.feed_eof()

    def feed(self, line: str) -> None:
        with self._lock:
            if self._failure is not None:
                self._refuse(line, self._failure)
            elif self._handed_over or self._passive:
                self.queue.put(line)
            else:
                self._judge(line)

    def feed_eof(self) -> None:
        with self._lock:
            self.queue.put(None)
            quiet = not self._handed_over and not self._needs_sdk and self._failure is None
        if quiet:
            # Nothing is left for the SDK to answer, and an import cannot be interrupted: end now rather
            # than make the client wait for the SDK to load only to read end-of-file.
            self._on_quiet_eof()

    def _judge(self, line: str) -> None:
        message = parse(line)
        request = request_of(message)
        if request is None:
            self._needs_sdk = self._needs_sdk or not notification_of(message)
            self.queue.put(line)
            return
        first = not self._seen_request
        self._seen_request = True
        method = request["method"]
        params = request.get("params", {})
        version = handshake_version(params) if method == "initialize" and first else None
        if version is not None:
            self._version = self.answers.negotiate(version)
            self.wire.write(response_line(request["id"], self.answers.result(method, self._version)))
            self.answered.append(method)
            self.queue.put(encode(dict(request, id=self.private_id)) + "\n")
        elif self._version is not None and method in ("tools/list", "ping") and params == {}:
            self.wire.write(response_line(request["id"], self.answers.result(method, self._version)))
            self.answered.append(method)
        else:
            # The SDK decides: the era and the init gate (first request), a repeated initialize (it may
            # change the version), and every other method.
            self._passive = first or method == "initialize"
            self._needs_sdk = True
            self.deferred.append(method)
            self.queue.put(line)

    def hand_over(self) -> None:
        """From now on every line goes to the SDK server, which reads ``queue``."""
        with self._lock:
            self._handed_over = True
            log.info(
                "the MCP SDK server takes over %.2f s after start; the front answered %s and queued %d "
                "request(s) for it: %s",
                time.monotonic() - self._started,
                ", ".join(self.answered) or "nothing",
                len(self.deferred),
                ", ".join(self.deferred) or "none",
            )

    def fail(self, text: str) -> None:
        """The SDK server cannot start: every request waiting, and every one to come, gets ``text``."""
        with self._lock:
            self._failure = text
            while True:
                try:
                    line = self.queue.get_nowait()
                except queue.Empty:
                    break
                if line is not None:
                    self._refuse(line, text)

    def _refuse(self, line: str, text: str) -> None:
        request = request_of(parse(line))
        if request is not None and request["id"] != self.private_id:
            self.wire.write(error_line(request["id"], INTERNAL_ERROR, text))


def _exit_quietly() -> None:
    sys.stderr.flush()
    os._exit(0)


def _load(settings: Settings, *, read_only: bool, approval: str | None) -> ReconcilerServer:
    """The SDK server, after the account file's approval mode (a bad one fails here, as before)."""
    from reconciler.mcp.app import McpApp

    app = McpApp(settings, read_only=read_only, approval=approval)
    app.mode()
    from reconciler.mcp.server import build_server

    return build_server(app)


def run_stdio(
    settings: Settings, answers: Answers, *, read_only: bool, approval: str | None, page: bool
) -> int:
    """Serve stdio: the front at once, the SDK server as soon as it is loaded. Returns the exit code."""
    launch_mode(approval, os.environ)  # a bad --approval or INFOMANIAK_APPROVAL_MODE: no answer at all
    wire = Wire.claim()
    front = Front(answers, wire, on_quiet_eof=_exit_quietly)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(_FAST_SWITCH_INTERVAL)
    front.start()
    try:
        try:
            server = _load(settings, read_only=read_only, approval=approval)
            from reconciler.mcp.transport import serve_front
        except ReconcilerError as exc:
            sys.stderr.write(f"error: {exc}\n")
            front.fail(f"infomaniak-gitops could not start its MCP server: {exc}")
            return 1
        except Exception as exc:
            import traceback

            traceback.print_exc()
            front.fail(
                f"infomaniak-gitops could not start its MCP server: {type(exc).__name__}: {exc}\n"
                "  the server's stderr (the client's MCP log) has the traceback; an ImportError means a "
                "broken installation: reinstall infomaniak-gitops"
            )
            return 1
        sys.setswitchinterval(switch)
        import anyio

        anyio.run(lambda: serve_front(server, front, page=page))
    finally:
        sys.setswitchinterval(switch)
        wire.release()
    return 0


__all__ = [
    "MANIFEST",
    "SDK_DISTRIBUTIONS",
    "Answers",
    "Front",
    "Wire",
    "installed_versions",
    "run_stdio",
]
