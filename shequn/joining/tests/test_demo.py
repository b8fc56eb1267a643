"""The joining demo rows: a full community with a waitlist, leave requests, a blacklist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shequn.joining.demo import seed_demo_joining
from shequn.joining.models import BlacklistEntry, JoinPolicy, LeaveRequest, WaitlistEntry
from shequn.joining.rules import count_free_seats, may_rejoin
from shequn.members.models import Membership, MembershipStatus
from shequn.organizations.demo import ORG_SLUG, build_demo
from shequn.organizations.models import Community, Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_joining():
    now = datetime(2026, 3, 2, 2, tzinfo=UTC)
    build_demo(now=now, password="x-demo-pass-2026")
    organization = Organization.objects.get(slug=ORG_SLUG)
    seed_demo_joining(organization=organization, now=now)
    seed_demo_joining(organization=organization, now=now)  # twice: once
    full = Community.objects.get(organization=organization, slug="core-fans")
    assert count_free_seats(community=full, now=now) == 0
    assert WaitlistEntry.objects.filter(community=full, status="waiting").count() == 6
    assert WaitlistEntry.objects.filter(community=full, status="offered").count() == 1
    assert LeaveRequest.objects.filter(status="pending").count() == 1
    assert BlacklistEntry.objects.filter(lifted_at=None).count() == 1
    policy = JoinPolicy.objects.get(community=full)
    blocked = Membership.objects.filter(
        community=full, status=MembershipStatus.LEFT, left_by_request=False
    )
    assert blocked.count() == 2
    assert not any(may_rejoin(policy=policy, membership=m) for m in blocked)
    assert policy.rights_duties.startswith("会员权责")
