"""The referral award: once per invited join, after the invitee stayed."""

from __future__ import annotations

import datetime

import pytest

from shequn.invitations.services import record_invite_join
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.members.models import Membership, MembershipStatus
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.points.models import LedgerEntry, MemberPoints, PointSettings
from shequn.points.referrals import award_referrals
from shequn.profiles.tests.helpers import at

pytestmark = pytest.mark.django_db


def test_inviter_earns_once_after_seven_days(org, community) -> None:
    PointSettings.objects.create(organization=org, referral_points=30, referral_days=7)
    inviter = MemberFactory(organization=org, display_name="邀请人")
    link = InviteLinkFactory(organization=org, community=community, inviter_member=inviter)
    stays = MemberFactory(organization=org, display_name="留下")
    leaves = MemberFactory(organization=org, display_name="走了")
    stayed = MembershipFactory(member=stays, community=community, joined_at=at("2026-11-01"))
    left = MembershipFactory(member=leaves, community=community, joined_at=at("2026-11-01"))
    record_invite_join(link=link, membership=stayed)
    record_invite_join(link=link, membership=left)
    Membership.objects.filter(pk=left.pk).update(status=MembershipStatus.LEFT)
    # Joined 2026-11-01 12:00: 6 days later not yet, 7 days later due.
    assert award_referrals(org, now=at("2026-11-07")) == 0
    assert award_referrals(org, now=at("2026-11-08", "12:01")) == 1
    assert award_referrals(org, now=at("2026-11-09")) == 0  # once
    entry = LedgerEntry.objects.get()
    assert (entry.member_id, entry.delta, entry.reason, entry.community_id) == (
        inviter.pk,
        30,
        "referral",
        community.pk,
    )
    assert MemberPoints.objects.get(pk=inviter.pk).earned == 30
    PointSettings.objects.filter(organization=org).update(referral_points=0)
    assert award_referrals(org, now=at("2026-11-20") + datetime.timedelta(days=1)) == 0
