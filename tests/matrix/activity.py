"""Permission-matrix rows of activity (see tests/matrix/common.py).

The batch endpoint is called with the matrix's JSON object body: operators get as far as the
body check (422, an array is expected; storing is tested in shequn/activity/tests), the others
are refused before it (401).
"""

from __future__ import annotations

from datetime import UTC, datetime

from shequn.activity.models import Activity, ActivityKind, ActivitySource
from tests.matrix.common import API_OTHER, API_READ, OC, OM, OTHER, PAGE, C, Fixtures, M, Row

CONSOLE: list[Row] = [
    Row("activity:community_feed", C, "get", PAGE),
    Row("activity:community_feed", OC, "get", OTHER),
    Row("activity:member_timeline", M, "get", PAGE),
    Row("activity:member_timeline", OM, "get", OTHER),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/activities", {}, "get", API_READ),
    Row("/activities/batch", {}, "post", (422, 422, 422, 401, 401, 401), {"id": "tg-1"}),
    Row("/members/{member_id}/activities", M, "get", API_READ),
    Row("/members/{member_id}/activities", OM, "get", API_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """An activity of each member in their community, and an organisation-wide one."""
    at = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    rows = [
        (fixtures.member, fixtures.community, "m-1"),
        (fixtures.other_member, fixtures.other_community, "m-2"),
        (fixtures.member, None, "m-3"),
    ]
    for person, community, external_id in rows:
        Activity.objects.create(
            organization=fixtures.org,
            community=community,
            member=person,
            channel="web",
            kind=ActivityKind.MESSAGE,
            occurred_at=at,
            external_id=external_id,
            source=ActivitySource.API,
        )
    return {}
