"""Demo rows of points (issue 9) for the demo organisation (shequn.organizations.demo).

The seeds' default rules (and a community override: the training camp's check-ins earn more),
expiry after 12 months, the referral award and an exit rule; the awards of every demo
activity (one set-based run, as the job does); a few operator adjustments and a penalty, a
reversal, referrals; the level changes announced (level_up activities); the exit rule's first
check so the review queue has members. Run after the knowing demo.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import build_scope
from shequn.members.models import Member
from shequn.organizations.models import Community, CommunityKind, Organization
from shequn.points.models import PointRule, PointSettings


def seed_demo_points(*, organization: Organization, now: datetime) -> None:
    from shequn.points import services
    from shequn.points.awards import award_points
    from shequn.points.exits import flag_exit_reviews
    from shequn.points.levels import ensure_levels
    from shequn.points.models import LedgerEntry, LevelChange
    from shequn.points.referrals import award_referrals
    from shequn.points.tasks import announce_level_changes

    admin = build_scope(
        Operator.objects.filter(organization=organization, role=OperatorRole.ORG_ADMIN)
        .order_by("pk")
        .first()  # type: ignore[arg-type]
    )
    services.install_default_rules(organization.pk)
    camp = (
        Community.objects.filter(organization=organization, kind=CommunityKind.TRAINING_CAMP)
        .order_by("pk")
        .first()
    )
    if camp is not None:
        PointRule.objects.create(
            organization=organization, community=camp, kind="check_in", points=10, daily_cap=10
        )
    PointSettings.objects.update_or_create(
        organization=organization,
        defaults={
            "expiry_months": 12,
            "referral_points": 20,
            "referral_days": 7,
            "exit_below_points": 1,
            "exit_after_days": 60,
        },
    )
    ensure_levels(organization)
    award_points(organization)
    award_referrals(organization, now=now)
    members = list(
        Member.objects.filter(organization=organization, merged_into__isnull=True).order_by("pk")
    )
    for person, points, note in (
        (members[3], 80, "沙龙分享嘉宾，额外奖励"),
        (members[7], 50, "帮忙整理群刊"),
        (members[11], 120, "组织线下活动"),
    ):
        services.adjust_points(actor=admin, member=person, points=points, note=note)
    services.adjust_points(
        actor=admin, member=members[15], points=20, note="群内发广告", penalty=True
    )
    wrong = services.adjust_points(actor=admin, member=members[19], points=30, note="误加")
    services.reverse(actor=admin, entry=wrong, note="加错了人")
    # The demo's clock, not the machine's, for what was written by hand and for the levels.
    LedgerEntry.objects.filter(organization=organization, activity_id__isnull=True).update(
        occurred_at=now, created_at=now
    )
    LevelChange.objects.filter(organization=organization).update(occurred_at=now)
    announce_level_changes.call_local(organization.pk)
    # The exit rule's daily check, 60 days ago (it starts the count) and today: those still
    # below the line are flagged.
    flag_exit_reviews(organization, now=now - timedelta(days=60))
    flag_exit_reviews(organization, now=now)
