"""Writing the facts the recompute reads, for tests: activities and memberships at given times."""

from __future__ import annotations

import datetime
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from shequn.activity.models import Activity
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.organizations.models import Community

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(day: str, time: str = "12:00") -> datetime.datetime:
    """A moment in Shanghai: at("2026-11-30", "23:59")."""
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def act(
    member: Member,
    community: Community | None,
    kind: str,
    when: datetime.datetime,
    *,
    text: str = "",
    weight: int = 1,
    properties: dict[str, Any] | None = None,
) -> Activity:
    return Activity.objects.create(
        organization_id=member.organization_id,
        community=community,
        member=member,
        channel="web",
        kind=kind,
        occurred_at=when,
        external_id=f"t-{next(_ids)}",
        text=text,
        weight=weight,
        properties=properties or {},
    )


def join(
    member: Member,
    community: Community,
    when: datetime.datetime,
    *,
    status: str = MembershipStatus.ACTIVE,
) -> Membership:
    return MembershipFactory(member=member, community=community, joined_at=when, status=status)
