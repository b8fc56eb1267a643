"""Demo rows of joining for the demo organisation (shequn.organizations.demo): a full community
with a waitlist (6 waiting, 1 offered), leave requests (one pending under review), two members
who left without a request (blocked from rejoining), one blacklist entry, and join-page texts.

Run after the organisation, its communities and memberships exist (load_demo's member step).
Deterministic and idempotent enough: it does nothing when the demo already has a waitlist.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from shequn.joining.models import (
    BlacklistEntry,
    JoinPolicy,
    LeaveRequest,
    LeaveRequestStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.members.counters import recount_members
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Community, Organization

TEXTS = {
    "rights_duties": "会员权责：遵守群规，每月至少参与一次分享或活动；可优先报名线下沙龙，"
    "可在群内发起话题。连续三个月不参与者将被请出。",
    "perks": "会员福利：每月一次大咖会直播，线下沙龙优先报名，积分兑换课程与企业参访名额。",
    "next_steps": "入群后：请按“姓名-城市-公司-岗位”修改群昵称，并在欢迎帖下做自我介绍；"
    "助教会在 24 小时内联系你。",
}


@transaction.atomic
def seed_demo_joining(*, organization: Organization, now: datetime) -> None:
    if WaitlistEntry.objects.filter(organization=organization).exists():
        return
    rng = random.Random(7)  # noqa: S311 - demo data, deterministic
    communities = list(Community.objects.filter(organization=organization).order_by("id"))
    if not communities:
        return
    JoinPolicy.objects.bulk_create(
        [JoinPolicy(community=c, **TEXTS) for c in communities],
        ignore_conflicts=True,
    )
    full = next((c for c in communities if c.slug == "core-fans"), communities[-1])
    JoinPolicy.objects.filter(community=full).update(
        waitlist_enabled=True, offer_hours=48, leave_review=True
    )
    inside = set(
        Membership.objects.filter(community=full, status=MembershipStatus.ACTIVE).values_list(
            "member_id", flat=True
        )
    )
    outside = list(
        Member.objects.filter(organization=organization, merged_into__isnull=True)
        .exclude(pk__in=inside)
        .order_by("id")
        .values_list("pk", flat=True)[:60]
    )
    rng.shuffle(outside)
    waiting = [
        WaitlistEntry(
            organization=organization,
            community=full,
            member_id=member_id,
            created_at=now - timedelta(hours=30 - i),
        )
        for i, member_id in enumerate(outside[:7])
    ]
    WaitlistEntry.objects.bulk_create(waiting)
    first = waiting[0]
    WaitlistEntry.objects.filter(pk=first.pk).update(
        status=WaitlistStatus.OFFERED, offered_at=now, offer_expires_at=now + timedelta(hours=48)
    )
    members = list(
        Membership.objects.filter(community=full, status=MembershipStatus.ACTIVE)
        .select_related("member")
        .order_by("id")[:8]
    )
    if len(members) >= 5:
        pending = members[0]
        LeaveRequest.objects.create(
            organization=organization,
            community=full,
            member=pending.member,
            membership=pending,
            reason="工作调动，暂时没有时间参加活动",
        )
        done = members[1]
        Membership.objects.filter(pk=done.pk).update(
            status=MembershipStatus.LEFT,
            left_at=now - timedelta(days=3),
            left_by_request=True,
            end_reason="换城市了",
        )
        LeaveRequest.objects.create(
            organization=organization,
            community=full,
            member=done.member,
            membership=done,
            reason="换城市了",
            status=LeaveRequestStatus.DONE,
            decided_at=now - timedelta(days=3),
        )
        for quiet in members[2:4]:  # left without a request: no rejoin by default
            Membership.objects.filter(pk=quiet.pk).update(
                status=MembershipStatus.LEFT, left_at=now - timedelta(days=5)
            )
        bad = members[4]
        BlacklistEntry.objects.create(
            organization=organization,
            member=bad.member,
            display_name=bad.member.display_name,
            phone=bad.member.phone,
            email=bad.member.email.lower(),
            reason="多次在群内发广告，警告无效",
        )
        Membership.objects.filter(pk=bad.pk).update(
            status=MembershipStatus.REMOVED,
            left_at=now - timedelta(days=1),
            end_reason="多次在群内发广告，警告无效",
        )
        recount_members(organization_id=organization.pk)
    # Full: every seat is taken, one by the person whose offer is open.
    Community.objects.filter(pk=full.pk).update(capacity=F("member_count") + 1)
