"""kDrive folder permissions of users and teams as YAML files (``state/drive/permissions/<drive>.yaml``).

Modules: ``spec`` (the YAML model, the normaliser, the file's parse and render), ``api`` (users, folders
and accesses live, and the request paths), ``kind`` (the :class:`DrivePermissionsKind` the engine uses,
registered as :data:`KIND`; the file's schema and edits come from ``KeyedFileKind``).
"""

from __future__ import annotations

from reconciler.kinds.drive_permissions.api import FolderTarget
from reconciler.kinds.drive_permissions.kind import KIND, DrivePermissionsKind
from reconciler.kinds.drive_permissions.spec import FolderAccess, normalize

__all__ = ["KIND", "DrivePermissionsKind", "FolderAccess", "FolderTarget", "normalize"]
