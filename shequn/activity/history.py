"""Who was in a community on a past day, from its join and leave activities.

A member was in on `day` when, at the end of that day (midnight in the organisation's time
zone), their latest join or leave in the community before that moment was a join. A member
whose history in the community starts with a leave was in before it (the join is older than
the history shequn holds: an imported group's members when its export begins), so they count
on every day before that leave.

Reads the partial index `activity_membership_history` (joins and leaves only), so the cost is
the community's joins and leaves, not its messages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shequn.activity.models import Activity, ActivityKind
from shequn.organizations.models import Community


def _end_of(day: date, time_zone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(time_zone))


def list_member_ids_on(community: Community, day: date) -> list[int]:
    """The ids of the members who were in `community` at the end of `day`, ascending."""
    end = _end_of(day, community.organization.time_zone)
    history = (
        Activity.objects.filter(
            community_id=community.pk, kind__in=(ActivityKind.JOIN, ActivityKind.LEAVE)
        )
        .order_by("member_id", "occurred_at", "id")
        .values_list("member_id", "kind", "occurred_at")
    )
    members: list[int] = []
    current: int | None = None
    state: str | None = None  # the member's latest kind before `end` (None: nothing yet)
    first_after: str | None = None  # their first kind at or after `end`, when nothing before
    for member_id, kind, occurred_at in history.iterator(chunk_size=5000):
        if member_id != current:
            if current is not None and _was_in(state, first_after):
                members.append(current)
            current, state, first_after = member_id, None, None
        if occurred_at < end:
            state = kind
        elif state is None and first_after is None:
            first_after = kind
    if current is not None and _was_in(state, first_after):
        members.append(current)
    return members


def _was_in(state: str | None, first_after: str | None) -> bool:
    if state is not None:
        return state == ActivityKind.JOIN
    return first_after == ActivityKind.LEAVE


def count_members_on(community: Community, day: date) -> int:
    """How many members were in `community` at the end of `day`."""
    return len(list_member_ids_on(community, day))
