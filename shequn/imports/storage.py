"""Where the files of imports live: a private directory, never under the public /media/.

Uploads and rejects files hold members' names, phones and messages: they are stored under
`SHEQUN_PRIVATE_ROOT` (default `VAR_DIR/private`) and served only by the permission-checked
views and endpoints of this app (`imports:rejects`, `GET /api/v1/imports/{id}/rejects`).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    """The directory of private files, read at every use: `SHEQUN_PRIVATE_ROOT`, else
    `VAR_DIR/private`; in tests, next to the test's own MEDIA_ROOT (a fresh tmp_path)."""
    configured = getattr(settings, "SHEQUN_PRIVATE_ROOT", None)
    if configured:
        return Path(configured)
    if getattr(settings, "TESTING", False):
        return Path(settings.MEDIA_ROOT).parent / "private"
    return Path(settings.VAR_DIR) / "private"


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage rooted at `private_root()`, with no public URL."""

    def __init__(self) -> None:
        super().__init__(
            base_url=None, directory_permissions_mode=0o700, file_permissions_mode=0o600
        )

    @property
    def base_location(self) -> str:
        return str(private_root())

    @property
    def location(self) -> str:
        return str(private_root().resolve())

    def url(self, name: str | None) -> str:
        raise ValueError("Private import files have no public URL.")

    def deconstruct(self) -> tuple[str, tuple[object, ...], dict[str, object]]:
        return ("shequn.imports.storage.PrivateStorage", (), {})


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The storage of ImportJob.file and ImportJob.rejects_file (a callable: kept out of the
    migration's state, so its location may differ between machines)."""
    return _storage
