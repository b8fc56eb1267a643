"""The maintained counter of chapters: `Chapter.community_count` (its active communities).

Services call this inside their transaction whenever a community becomes active or stops being
active in a chapter, with an F() expression (no read-modify-write).
`shequn.members.counters.recount_members` recomputes it from the rows.
"""

from __future__ import annotations

from django.db.models import F

from shequn.organizations.models import Chapter


def count_active_community(*, chapter_id: int | None, delta: int) -> None:
    """Add `delta` (+1 or -1) to the active communities of a chapter (None: no chapter)."""
    if chapter_id is not None and delta:
        Chapter.objects.filter(pk=chapter_id).update(community_count=F("community_count") + delta)
