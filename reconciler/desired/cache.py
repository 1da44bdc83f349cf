"""The parse cache: a desired file whose bytes did not change is neither parsed nor validated again.

Entries live in the work directory (``.infomaniak-gitops/cache/``), one per file, keyed by the SHA-256 of the
file's bytes together with everything else the parse depends on: the kind, the scope, the name the file is
shown under, the ``defaults`` of ``infomaniak.yaml``, and the code (package version, the source of
``reconciler/kinds`` and ``reconciler/desired``, the parser libraries' versions). Another version of the code
uses another folder, and the folders of other versions are removed. Deleting the cache is always safe.

An entry is the pickled list of validated objects, signed with HMAC-SHA256 under a key kept in the user's
cache directory (``$XDG_CACHE_HOME/infomaniak-gitops/cache.key``), outside any repository: the work
directory sits in the checkout, so a pull request could commit files there, and an entry it forged would
be refused (and never unpickled) instead of planning what the files do not say.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import pickle
import secrets
import shutil
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from reconciler.kinds.base import DesiredObject, LineSource

log = logging.getLogger(__name__)

CACHE_FOLDER = "cache"
KEY_FILE = "cache.key"
_PREFIX = "desired-"


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of everything that decides what a file parses to."""
    import importlib.util

    import pydantic

    import reconciler

    digest = hashlib.sha256()
    digest.update(f"{reconciler.__version__}|{pydantic.VERSION}".encode())
    # PyYAML's version is in its __init__.py, read rather than imported: a run whose every file is cached
    # never imports the YAML parser (about 25 ms).
    yaml = importlib.util.find_spec("yaml")
    if yaml is not None and yaml.origin is not None:
        digest.update(Path(yaml.origin).read_bytes())
    package = Path(reconciler.__file__).parent
    for folder in ("kinds", "desired"):
        for path in sorted((package / folder).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update((package / "errors.py").read_bytes())
    return digest.hexdigest()


def _key_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infomaniak-gitops"


def _signing_key(env: Mapping[str, str]) -> bytes | None:
    """The user's cache key, made on first use; None when it cannot be kept (then nothing is cached)."""
    path = _key_dir(env) / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        return path.read_bytes()
    except FileExistsError:
        try:
            return path.read_bytes()
        except OSError:
            return None
    except OSError as exc:
        log.debug("parse cache: no key (%s); files are parsed every run", exc)
        return None


class ParseCache:
    """Validated objects of desired files, by file content; see the module docstring."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self._key = key
        self.hits = 0
        self.misses = 0

    @classmethod
    def open(cls, work_dir: Path, *, env: Mapping[str, str] | None = None) -> ParseCache | None:
        """The cache of this code version under ``work_dir``; None when no signing key can be kept."""
        key = _signing_key(os.environ if env is None else env)
        if key is None:
            return None
        version = code_version()
        root = work_dir / CACHE_FOLDER
        folder = root / f"{_PREFIX}{version[:24]}"
        if root.is_dir():
            for other in root.iterdir():
                if other.name.startswith(_PREFIX) and other != folder:
                    shutil.rmtree(other, ignore_errors=True)
        return cls(folder, key)

    @staticmethod
    def entry_key(*, kind: str, scope: str, file: str, data: bytes, defaults: Mapping[str, Any]) -> str:
        digest = hashlib.sha256()
        header = json.dumps([code_version(), kind, scope, file, dict(defaults)], sort_keys=True, default=str)
        digest.update(header.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()

    def _sign(self, entry: str, body: bytes) -> bytes:
        return hmac.new(self._key, entry.encode() + b"\0" + body, hashlib.sha256).digest()

    def get(self, entry: str, lines: LineSource) -> list[DesiredObject] | None:
        """The objects stored for ``entry`` (lines looked up in ``lines``); None when absent or forged."""
        objects: list[DesiredObject] | None = self.load(entry)
        if objects is None:
            return None
        for obj in objects:
            if obj.located is not None:
                obj.located.bind(lines)
        return objects

    def put(self, entry: str, objects: list[DesiredObject]) -> None:
        """Store the objects of a file that loaded without a problem; a failure to write is not an error."""
        self.store(entry, objects)

    def load(self, entry: str) -> Any:
        """The value stored for ``entry``; None when absent or forged."""
        try:
            blob = (self.folder / f"{entry}.pickle").read_bytes()
        except OSError:
            self.misses += 1
            return None
        mac, body = blob[:32], blob[32:]
        if not hmac.compare_digest(mac, self._sign(entry, body)):
            log.warning("parse cache: entry %s is not signed by this user's key; ignored", entry[:12])
            self.misses += 1
            return None
        value = pickle.loads(body)  # signed by us: written by store() below
        self.hits += 1
        return value

    def store(self, entry: str, value: object) -> None:
        """Store a value (a file's validated content); a failure to write is not an error."""
        try:
            body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            log.debug("parse cache: cannot store %s (%s)", entry[:12], exc)
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{entry}.pickle"
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._sign(entry, body))
                handle.write(body)
            os.replace(tmp, target)
        except OSError as exc:
            log.debug("parse cache: cannot write %s (%s)", entry[:12], exc)


__all__ = ["ParseCache", "code_version"]
