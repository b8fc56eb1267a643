"""Permission-matrix rows of segments (see tests/matrix/common.py).

Organisation admins: every segment; chapter heads: their chapter's (another chapter's is a
404); assistants: none (403, also for another chapter's: segments are not theirs at all).
`segment` belongs to `chapter`, `other_segment` to the other chapter. An empty POST to the
builder or the edit page shows the form again (200).
"""

from __future__ import annotations

from tests.matrix.common import HEAD_PAGE, Fixtures, Row

S, OS = {"segment_id": "segment"}, {"segment_id": "other_segment"}
OTHER = (200, 404, 403, 403, 403, 302)
ACT = (302, 302, 403, 403, 403, 302)
ACT_OTHER = (302, 404, 403, 403, 403, 302)
READ = (200, 200, 403, 401, 401, 401)
READ_OTHER = (200, 404, 403, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("segments:list", {}, "get", HEAD_PAGE),
    Row("segments:create", {}, "get", HEAD_PAGE),
    Row("segments:create", {}, "post", HEAD_PAGE),
    Row("segments:preview", {}, "get", HEAD_PAGE),
    Row("segments:detail", S, "get", HEAD_PAGE),
    Row("segments:detail", OS, "get", OTHER),
    Row("segments:count", S, "get", HEAD_PAGE),
    Row("segments:count", OS, "get", OTHER),
    Row("segments:edit", S, "get", HEAD_PAGE),
    Row("segments:edit", S, "post", HEAD_PAGE),
    Row("segments:edit", OS, "get", OTHER),
    Row("segments:edit", OS, "post", OTHER),
    Row("segments:delete", S, "get", HEAD_PAGE),
    Row("segments:delete", S, "post", ACT),
    Row("segments:delete", OS, "get", OTHER),
    Row("segments:delete", OS, "post", ACT_OTHER),
    Row("segments:export", S, "get", HEAD_PAGE),
    Row("segments:export", OS, "get", OTHER),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/segments", {}, "get", READ),
    Row("/segments", {}, "post", (201, 201, 403, 401, 401, 401), {"name": "新分群"}),
    Row("/segments/preview", {}, "post", READ, {"filters": {"stages": [3]}}),
    Row("/segments/{segment_id}", S, "get", READ),
    Row("/segments/{segment_id}", OS, "get", READ_OTHER),
    Row("/segments/{segment_id}", S, "patch", READ, {"description": "改"}),
    Row("/segments/{segment_id}", OS, "patch", READ_OTHER, {"description": "改"}),
    Row("/segments/{segment_id}", S, "delete", (204, 204, 403, 401, 401, 401)),
    Row("/segments/{segment_id}", OS, "delete", (204, 404, 403, 401, 401, 401)),
    Row("/segments/{segment_id}/count", S, "get", READ),
    Row("/segments/{segment_id}/count", OS, "get", READ_OTHER),
    Row("/segments/{segment_id}/members", S, "get", READ),
    Row("/segments/{segment_id}/members", OS, "get", READ_OTHER),
    Row("/segments/{segment_id}/export", S, "get", READ),
    Row("/segments/{segment_id}/export", OS, "get", READ_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """A segment of `community`'s chapter and one of the other chapter."""
    from shequn.segments.models import Segment

    chapter = fixtures.community.chapter
    other = fixtures.other_community.chapter
    return {
        "segment": Segment.objects.create(
            organization=fixtures.org, chapter=chapter, name="上海活跃", filters={"stages": [3]}
        ).pk,
        "other_segment": Segment.objects.create(
            organization=fixtures.org, chapter=other, name="北京活跃", filters={}
        ).pk,
    }
