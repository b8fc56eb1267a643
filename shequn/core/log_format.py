"""Log lines stamped in one zone: the configured TIME_ZONE, with its offset.

`logging.Formatter` stamps with the process's local time, which is whatever the shell, the
container or a child process (the Huey consumer `serve` starts) happens to have. This formatter
stamps every record in TIME_ZONE (Asia/Shanghai by default) whatever the process's zone is, so
the startup banner, the web server's and the job consumer's lines read alike:
`[2026-12-02 22:34:28 +0800] INFO huey.consumer: …`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULT_DATEFMT = "%Y-%m-%d %H:%M:%S %z"


def configured_zone() -> ZoneInfo:
    return ZoneInfo(str(getattr(settings, "TIME_ZONE", None) or "UTC"))


def format_zoned(moment: datetime | float, datefmt: str = DEFAULT_DATEFMT) -> str:
    """A moment (aware datetime or POSIX timestamp) in TIME_ZONE, e.g. 2026-12-02 22:34 +0800."""
    zone = configured_zone()
    if isinstance(moment, datetime):
        return moment.astimezone(zone).strftime(datefmt)
    return datetime.fromtimestamp(moment, tz=zone).strftime(datefmt)


class ZonedFormatter(logging.Formatter):
    """A logging.Formatter whose %(asctime)s / {asctime} is in TIME_ZONE with its offset."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return format_zoned(record.created, datefmt or DEFAULT_DATEFMT)
