"""Demo applications (入群申请): the core-fans group's form and a queue to work.

`seed_demo_applications` runs after `shequn.organizations.demo` built the demo organisation: the
private 培经铁粉群 (`core-fans`) gets a realistic form with the identity statement
"只招企业内训经理", twelve applications waiting for review (1–20 days), two interviews, four
approved ones (admitted through `admit_member`, so the memberships are real) and three rejected
ones with their reasons. Deterministic (a seeded Random); the rows are written directly (no
emails are queued), the approvals through the admission service.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from shequn.accounts.models import Operator, OperatorRole
from shequn.applications.models import (
    Application,
    ApplicationDecision,
    ApplicationForm,
    ApplicationStatus,
    DecisionKind,
    QuestionKind,
)
from shequn.joining.admission import admit_member
from shequn.members.models import Member, Membership, MembershipSource
from shequn.organizations.models import Community, CommunityAccess, Organization

COMMUNITY_SLUG = "core-fans"
IDENTITY = "只招企业内训经理"
INTRO = (
    "培经铁粉群是俱乐部最核心的家人们:每周一期群刊,年会和赛事由铁粉群共同筹备。\n"
    "为保证讨论质量,本群只接收企业内部的培训负责人,请如实填写,会长会在 3 个工作日内审核。"
)
QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "q1",
        "kind": QuestionKind.SHORT_TEXT,
        "label": "您所在的公司和职位",
        "help": "例如:某某科技 · 培训经理",
        "required": True,
        "choices": [],
    },
    {
        "key": "q2",
        "kind": QuestionKind.SINGLE_CHOICE,
        "label": "企业培训从业年限",
        "help": "",
        "required": True,
        "choices": ["1 年以下", "1–3 年", "3–5 年", "5 年以上"],
    },
    {
        "key": "q3",
        "kind": QuestionKind.MULTIPLE_CHOICE,
        "label": "您最关注的方向",
        "help": "可多选",
        "required": True,
        "choices": ["课程开发", "内训师培养", "学习项目设计", "培训效果评估", "数字化学习"],
    },
    {
        "key": "q4",
        "kind": QuestionKind.LONG_TEXT,
        "label": "您希望在铁粉群里获得什么,又能为大家贡献什么?",
        "help": "铁粉群靠每个人的分享运转:一次经验分享、一份模板、一个资源都算。",
        "required": True,
        "choices": [],
    },
    {
        "key": "q5",
        "kind": QuestionKind.SHORT_TEXT,
        "label": "推荐人(选填)",
        "help": "两位会员推荐可优先审核",
        "required": False,
        "choices": [],
    },
]
COMPANIES = (
    "某银行上海分行 · 培训经理",
    "某新能源车企 · 学习发展主管",
    "某连锁餐饮 · 培训负责人",
    "某医药集团 · 企业大学运营",
    "某互联网公司 · 内训师项目经理",
    "某制造企业 · HRBP(兼培训)",
    "某保险公司 · 销售培训经理",
    "某物流集团 · 培训中心主任",
)
HOPES = (
    "想和同行交流新员工培训的做法,可以分享我们的导师制模板。",
    "正在搭建内训师体系,希望找到可以请教的前辈;我能分享课程开发工作坊的经验。",
    "希望了解学习项目的效果评估怎么做;可以贡献我们做过的柯氏四级评估案例。",
    "想认识各行业的培训负责人,愿意组织一次线下沙龙。",
)
REJECT_REASONS = (
    "本群只招企业内训经理,您目前是培训机构的讲师,推荐先加入上海沙龙群。",
    "申请信息不完整,请补充公司和职位后重新申请。",
    "本期名额已满,欢迎下个季度再申请。",
)
INTERVIEW_NOTES = (
    "会长想先和您通个电话(约 15 分钟),了解您所在企业的培训体系。",
    "请在周四沙龙后留 10 分钟,和理事会成员当面聊一聊。",
)
PENDING, INTERVIEWS, APPROVED, REJECTED = 12, 2, 4, 3


def _answers(rng: random.Random) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        "q1": rng.choice(COMPANIES),
        "q2": rng.choice(QUESTIONS[1]["choices"]),
        "q3": rng.sample(QUESTIONS[2]["choices"], rng.randint(1, 3)),
        "q4": rng.choice(HOPES),
        "q5": rng.choice(["", "", "王芳、李强"]),
    }
    return [
        {"key": q["key"], "label": q["label"], "kind": q["kind"], "value": values[q["key"]]}
        for q in QUESTIONS
    ]


def _reviewer(organization: Organization) -> Any:
    operator = (
        Operator.objects.filter(organization=organization, role=OperatorRole.ORG_ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return operator.user if operator else None


@transaction.atomic
def seed_demo_applications(*, organization: Organization, now: datetime) -> None:
    community = Community.objects.filter(organization=organization, slug=COMMUNITY_SLUG).first()
    if community is None or ApplicationForm.objects.filter(community=community).exists():
        return
    if community.access != CommunityAccess.PRIVATE:
        community.access = CommunityAccess.PRIVATE
        community.save(update_fields=["access"])
    ApplicationForm.objects.create(
        community=community,
        intro=INTRO,
        identity_statement=IDENTITY,
        questions=QUESTIONS,
        assistants_may_review=True,
    )
    rng = random.Random(7)  # noqa: S311 - demo data, not secrets
    inside = Membership.objects.filter(community=community).values("member_id")
    candidates = list(
        Member.objects.filter(organization=organization, merged_into=None)
        .exclude(pk__in=inside)
        .order_by("pk")[:200]
    )
    total = PENDING + INTERVIEWS + APPROVED + REJECTED
    applicants = rng.sample(candidates, min(total, len(candidates)))
    reviewer = _reviewer(organization)
    plan = (
        [ApplicationStatus.PENDING] * PENDING
        + [ApplicationStatus.INTERVIEW] * INTERVIEWS
        + [ApplicationStatus.APPROVED] * APPROVED
        + [ApplicationStatus.REJECTED] * REJECTED
    )
    applications: list[Application] = []
    for index, member in enumerate(applicants[: len(plan)]):
        waited = timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 20))
        applications.append(
            Application(
                organization=organization,
                community=community,
                member=member,
                answers=_answers(rng),
                form_version=1,
                identity_statement=IDENTITY,
                identity_confirmed=True,
                submitted_at=now - waited - timedelta(minutes=index),
                language="zh-hans",
            )
        )
    Application.objects.bulk_create(applications)
    decisions: list[ApplicationDecision] = []
    interviews = iter(INTERVIEW_NOTES)
    reasons = iter(REJECT_REASONS)
    for application, status in zip(applications, plan, strict=False):
        if status == ApplicationStatus.PENDING:
            continue
        decided_at = application.submitted_at + timedelta(days=1)
        decision = ApplicationDecision(
            application=application,
            answers=application.answers,
            decided_by=reviewer,
            decided_at=decided_at,
            emailed_at=decided_at,
        )
        if status == ApplicationStatus.INTERVIEW:
            decision.decision = DecisionKind.INTERVIEW
            decision.note = next(interviews)
            decision.interview_at = now + timedelta(days=rng.randint(1, 5), hours=19)
            application.interview_note, application.interview_at = (
                decision.note,
                decision.interview_at,
            )
        elif status == ApplicationStatus.REJECTED:
            decision.decision = DecisionKind.REJECT
            decision.reason = next(reasons)
            application.reject_reason = decision.reason
        else:
            try:
                admit_member(
                    member=application.member,
                    community=community,
                    source=MembershipSource.APPLICATION,
                    via_application=True,
                    properties={"application": application.pk},
                )
            except ValidationError:  # e.g. blacklisted by another demo seed: keep it waiting
                continue
            decision.decision = DecisionKind.APPROVE
        application.status = status
        application.decided_at = decided_at
        application.decided_by = reviewer
        decisions.append(decision)
    ApplicationDecision.objects.bulk_create(decisions)
    Application.objects.bulk_update(
        applications,
        ["status", "decided_at", "decided_by", "reject_reason", "interview_note", "interview_at"],
    )
