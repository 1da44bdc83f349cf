"""kDrive share links as YAML files (``state/drive/<drive name>.yaml``), keyed by path inside the drive.

Modules: ``spec`` (the YAML and live models, the normaliser, the file's parse and render), ``secret``
(where passwords come from and the fingerprint that stands in for them), ``api`` (drives, the link
inventory, path resolution and request bodies), ``kind`` (the :class:`ShareLinksKind` the engine uses,
registered as :data:`KIND`; the file's schema and edits come from ``KeyedFileKind``).
"""

from __future__ import annotations

from reconciler.kinds.share_links.api import ROOT_ID, LinkTarget, create_body, from_api, update_body
from reconciler.kinds.share_links.kind import KIND, ShareLinksKind
from reconciler.kinds.share_links.secret import KEPT, fingerprint, fingerprint_key
from reconciler.kinds.share_links.spec import (
    CAPABILITIES,
    LiveShareLink,
    PasswordRef,
    ShareLinkEntry,
    drive_scope,
    normalize,
    normalize_path,
)

__all__ = [
    "CAPABILITIES",
    "KEPT",
    "KIND",
    "ROOT_ID",
    "LinkTarget",
    "LiveShareLink",
    "PasswordRef",
    "ShareLinkEntry",
    "ShareLinksKind",
    "create_body",
    "drive_scope",
    "fingerprint",
    "fingerprint_key",
    "from_api",
    "normalize",
    "normalize_path",
    "update_body",
]
