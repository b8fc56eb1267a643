"""Demo rows of knowing members (issue 8) for the demo organisation (shequn.organizations.demo).

Through the services: tag groups and manual tags on a few dozen members, four rule tags
switched on (a keyword, a stage, a layer, a custom activity), a segment, one-to-one talk notes
with follow-ups; a few facts so every stage of the ladder has members (visitors who only looked
at a join page; renewals for two buyers); then one full recompute, so every stage and layer has
members and the rule tags are applied. Run after the joining demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import build_scope
from shequn.activity.models import Activity, ActivityKind
from shequn.activity.services import record_app_activity
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Community, Organization

MANUAL = {
    ("专长", "green"): ("课程开发", "培训需求分析", "学习项目设计", "引导技术"),
    ("行业", "blue"): ("制造业", "互联网", "金融", "医药"),
}
NOTES = (
    ("phone", "聊了下季度的内训计划，她想在分会做一次需求调研工作坊。", 3),
    ("in_person", "沙龙后聊：愿意做下一期分享嘉宾，主题“学习地图落地”。", 7),
    ("chat", "反馈新人群欢迎流程太长，建议精简到三条。", None),
)


def seed_demo_knowing(*, organization: Organization, now: datetime) -> None:
    from shequn.profiles.recompute import run_full_recompute
    from shequn.profiles.selectors import organization_today
    from shequn.profiles.services import write_talk_note
    from shequn.segments.services import create_segment
    from shequn.tags.models import RuleType, Tag
    from shequn.tags.services import create_rule_tag, create_tag, create_tag_group, tag_member

    rng = random.Random(8)  # noqa: S311 - demo data
    admin_operator = Operator.objects.filter(
        organization=organization, role=OperatorRole.ORG_ADMIN
    ).first()
    assert admin_operator is not None
    admin = build_scope(admin_operator)
    members = list(
        Member.objects.filter(organization=organization, merged_into__isnull=True).order_by("pk")
    )
    for (group_name, colour), names in MANUAL.items():
        group = create_tag_group(actor=admin, name=group_name, colour=colour)
        for name in names:
            tag = create_tag(actor=admin, name=name, group=group)
            for person in rng.sample(members, 8):
                tag_member(actor=admin, tag=tag, member=person)
    _facts_for_every_stage(organization, members, now, rng)
    rules = (
        ("要模板", RuleType.KEYWORD, {"keywords": ["模板"], "match": "word", "min_count": 1}),
        ("老朋友", RuleType.STAGE, {"stages": [4, 5, 6]}),
        ("积极分子", RuleType.LAYER, {"layer": "core"}),
        ("看过入群页", RuleType.ACTIVITY_KIND, {"activity_kind": "viewed_join_page"}),
    )
    for name, rule_type, params in rules:
        tag = create_rule_tag(actor=admin, name=name, rule_type=rule_type, params=params)
        Tag.objects.filter(pk=tag.pk).update(is_active=True)  # applied by the recompute below
    create_segment(
        actor=admin,
        name="沉睡的老会员",
        description="加入超过 90 天、已沉睡：适合线下沙龙邀约唤醒。",
        filters={"layers": ["dormant"]},
    )
    create_segment(
        actor=admin, name="积极分子与熟客", filters={"stages": [4, 5, 6], "layers": ["core"]}
    )
    today = organization_today(organization)
    talkers = Membership.objects.filter(
        community__organization=organization, status=MembershipStatus.ACTIVE
    ).order_by("pk")[:3]
    for membership, (channel, body, follow_days) in zip(talkers, NOTES, strict=False):
        write_talk_note(
            actor=admin,
            member=membership.member,
            body=body,
            channel=channel,
            talked_at=now - timedelta(days=2),
            # Follow-ups lie ahead of the real today (the service refuses past ones).
            follow_up_on=today + timedelta(days=follow_days) if follow_days else None,
        )
    run_full_recompute(organization, as_of=now)


def _facts_for_every_stage(
    organization: Organization, members: list[Member], now: datetime, rng: random.Random
) -> None:
    """想知道你: three people known by an account only looked at a join page; 又买了你: two
    buyers renewed."""
    joined = Membership.objects.filter(member_id__in=[m.pk for m in members]).values("member_id")
    strangers = [m for m in members if m.pk not in {r["member_id"] for r in joined}]
    page = Community.objects.filter(organization=organization).order_by("pk").first()
    for person in strangers[:3]:
        record_app_activity(
            organization=organization,
            member=person,
            community=page,
            kind=ActivityKind.CUSTOM,
            event_id=f"demo-view:{person.pk}",
            at=now - timedelta(days=rng.randint(1, 20)),
            properties={"name": "viewed_join_page"},
        )
    buyers = (
        Activity.objects.filter(organization_id=organization.pk, kind=ActivityKind.PURCHASE)
        .order_by("member_id")
        .values_list("member_id", "community_id")
        .distinct()[:2]
    )
    for member_id, community_id in buyers:
        person = Member.objects.get(pk=member_id)
        record_app_activity(
            organization=organization,
            member=person,
            community=Community.objects.filter(pk=community_id).first(),
            kind=ActivityKind.PURCHASE,
            event_id=f"demo-renewal:{member_id}",
            at=now - timedelta(days=5),
            properties={"kind": "renewal"},
        )
