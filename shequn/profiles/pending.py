"""Members to compute again: marked by the writes that change their facts, taken by a job.

New activities (`activities_ingested`) and changed memberships (`memberships_changed`) mark
their members in `PendingRecompute`, in the writing transaction; once it commits, the
incremental job is asked for (shequn.profiles.tasks.request_incremental_recompute). A mark
made again while one waits moves its time forward, so a job that read the member before the
second write does not clear it (docs/recompute.md, "Incremental").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from shequn.members.models import Member, Membership
from shequn.profiles.models import PendingRecompute

MARK_BATCH = 2000


def mark_members(organization_id: int, member_ids: Iterable[int]) -> int:
    """Mark members of one organisation for the incremental recompute; how many."""
    ids = sorted(set(member_ids))
    if not ids:
        return 0
    now = timezone.now()
    for start in range(0, len(ids), MARK_BATCH):
        PendingRecompute.objects.bulk_create(
            [
                PendingRecompute(member_id=pk, organization_id=organization_id, marked_at=now)
                for pk in ids[start : start + MARK_BATCH]
            ],
            update_conflicts=True,
            unique_fields=["member"],
            update_fields=["marked_at"],
        )
    from shequn.profiles.tasks import request_incremental_recompute

    request_incremental_recompute(organization_id)
    return len(ids)


def on_activities_ingested(
    sender: Any, *, organization_id: int, member_ids: list[int], **kwargs: Any
) -> None:
    mark_members(organization_id, member_ids)


def on_memberships_changed(
    sender: Any, *, membership_ids: Sequence[int], member_ids: Sequence[int] = (), **kwargs: Any
) -> None:
    rows = (
        Membership.objects.filter(pk__in=membership_ids)
        .order_by()
        .values_list("community__organization_id", "member_id")
        if membership_ids
        else []
    )
    by_org: dict[int, set[int]] = {}
    for org_id, member_id in rows:
        by_org.setdefault(org_id, set()).add(member_id)
    if member_ids:
        for org_id, member_id in Member.objects.filter(pk__in=member_ids).values_list(
            "organization_id", "pk"
        ):
            by_org.setdefault(org_id, set()).add(member_id)
    for org_id, members in by_org.items():
        mark_members(org_id, members)
