"""A segment's members as CSV for Excel (docs/segments.md, "Export").

UTF-8 with a byte-order mark (so Excel opens Chinese text right), CRLF line ends, one row per
member in id order: id, display name, phone (E.164, as stored), email, home chapter, stage,
last active (in the organisation's time zone). Rows are streamed from a database cursor in
chunks, so memory stays flat whatever the size. A text cell that a spreadsheet would take
for a formula (=, +, -, @, tab, CR first) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.ladder.models import Stage
from shequn.segments.selectors import iter_export_rows, segment_filters

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.segments.models import Segment

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[1-9]\d{5,14}")


class _Echo:
    """A file-like object whose write returns the line (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: str) -> str:
    """`value`, made inert for spreadsheets when it would start a formula."""
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


def header_row() -> list[str]:
    return [
        _("ID"),
        _("Display name"),
        _("Phone"),
        _("Email"),
        _("Home chapter"),
        _("Stage"),
        _("Last active"),
    ]


def csv_lines(*, actor: OperatorScope, segment: Segment) -> Iterator[str]:
    """The CSV, line by line (the header and stage names translated now, in the request)."""
    writer = csv.writer(_Echo())
    zone = ZoneInfo(actor.organization.time_zone)
    stages = {value: str(label) for value, label in Stage.choices}
    header = writer.writerow(header_row())
    filters = segment_filters(segment)

    def lines() -> Iterator[str]:
        yield BOM + header
        for member in iter_export_rows(actor=actor, filters=filters):
            place = getattr(member, "ladder_stage", None)
            stage = place.stage if place is not None else Stage.UNAWARE
            last = place.last_active_at if place is not None else None
            phone = member.phone if E164.fullmatch(member.phone) else safe_cell(member.phone)
            yield writer.writerow(
                [
                    member.pk,
                    safe_cell(member.display_name),
                    phone,
                    safe_cell(member.email),
                    safe_cell(member.chapter.name) if member.chapter else "",
                    stages.get(stage, ""),
                    timezone.localtime(last, zone).strftime("%Y-%m-%d %H:%M") if last else "",
                ]
            )

    return lines()


def export_filename(segment: Segment) -> str:
    today = timezone.localdate(timezone=ZoneInfo(segment.organization.time_zone))
    return f"segment-{segment.pk}-{today:%Y%m%d}.csv"


def stream_csv(*, actor: OperatorScope, segment: Segment, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(actor=actor, segment=segment), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
