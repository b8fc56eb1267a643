"""The documented limits of imports (docs/imports.md), each overridable in settings/env."""

from __future__ import annotations

from django.conf import settings

# The largest file `manage.py import_activities` reads (1 GB) and a console/API upload (200 MB).
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_UPLOAD_MAX_BYTES = 200 * 1024 * 1024
# A queued or running job without progress for this long is re-queued by the sweeper.
DEFAULT_STALL_SECONDS = 180
# Rows per call of the ingestion service (one transaction each).
BATCH_SIZE = 10_000


def max_bytes() -> int:
    return int(getattr(settings, "SHEQUN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_max_bytes() -> int:
    return int(getattr(settings, "SHEQUN_IMPORT_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def stall_seconds() -> int:
    return int(getattr(settings, "SHEQUN_IMPORT_STALL_SECONDS", DEFAULT_STALL_SECONDS))
