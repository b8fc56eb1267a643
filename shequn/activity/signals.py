"""Signals of the activity stream: other apps keep what they derive from activities in step.

`activities_ingested` is sent, inside the ingestion transaction, when a batch stored new rows:
`organization_id` and `member_ids`, the members of the batch's rows (a superset of those with a
new row when some were duplicates: computing a member again is harmless). The profiles app marks
them for the incremental recompute of stages, layers and rule tags (docs/recompute.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

activities_ingested = Signal()


def send_activities_ingested(organization_id: int, member_ids: Iterable[int]) -> None:
    ids = sorted(set(member_ids))
    if ids:
        from shequn.activity.models import Activity

        activities_ingested.send(sender=Activity, organization_id=organization_id, member_ids=ids)
