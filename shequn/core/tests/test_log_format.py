"""Log lines and the serve banner are stamped in TIME_ZONE with the offset, whatever TZ is."""

from __future__ import annotations

import io
import logging
import os
import time
from datetime import UTC, datetime

import pytest

from shequn.core.log_format import ZonedFormatter, format_zoned

MOMENT = datetime(2026, 12, 2, 14, 34, 28, tzinfo=UTC)


@pytest.fixture
def process_in_new_york():
    """The process's own zone differs from TIME_ZONE (a shell or container with TZ set)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = old
    time.tzset()


def _record() -> logging.LogRecord:
    record = logging.LogRecord(
        "huey.consumer", logging.INFO, __file__, 1, "Huey consumer started", None, None
    )
    record.created = MOMENT.timestamp()
    return record


def test_formatter_uses_time_zone_with_offset(settings, process_in_new_york):
    settings.TIME_ZONE = "Asia/Shanghai"
    formatter = ZonedFormatter("[{asctime}] {levelname} {name}: {message}", style="{")
    assert formatter.format(_record()) == (
        "[2026-12-02 22:34:28 +0800] INFO huey.consumer: Huey consumer started"
    )


def test_formatter_follows_the_setting(settings):
    settings.TIME_ZONE = "UTC"
    assert ZonedFormatter("%(asctime)s").format(_record()) == "2026-12-02 14:34:28 +0000"


def test_format_zoned_takes_datetimes_and_timestamps(settings, process_in_new_york):
    settings.TIME_ZONE = "Asia/Shanghai"
    assert format_zoned(MOMENT) == "2026-12-02 22:34:28 +0800"
    assert format_zoned(MOMENT.timestamp()) == "2026-12-02 22:34:28 +0800"


def test_logging_settings_stamp_job_and_console_lines(settings):
    formatters = settings.LOGGING["formatters"]
    assert formatters["timestamped"]["class"] == "shequn.core.log_format.ZonedFormatter"
    for name in ("console", "jobs"):
        assert settings.LOGGING["handlers"][name]["formatter"] == "timestamped"
    stream = io.StringIO()
    handler = logging.getLogger("huey").handlers[0]
    assert isinstance(handler.formatter, ZonedFormatter)
    handler_copy = logging.StreamHandler(stream)
    handler_copy.setFormatter(handler.formatter)
    handler_copy.emit(_record())
    assert stream.getvalue().startswith("[2026-12-02 22:34:28 +0800] INFO huey.consumer:")
