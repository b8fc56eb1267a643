"""Factories of applications' tests: a private community with a form, and applications."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shequn.applications.models import Application, ApplicationForm, QuestionKind
from shequn.organizations.models import Chapter, Community, CommunityAccess
from shequn.organizations.tests.factories import CommunityFactory

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "q1",
        "kind": QuestionKind.SHORT_TEXT,
        "label": "您的公司",
        "help": "",
        "required": True,
        "choices": [],
    },
    {
        "key": "q2",
        "kind": QuestionKind.LONG_TEXT,
        "label": "为什么想加入？",
        "help": "",
        "required": False,
        "choices": [],
    },
    {
        "key": "q3",
        "kind": QuestionKind.SINGLE_CHOICE,
        "label": "从业年限",
        "help": "",
        "required": True,
        "choices": ["1年以下", "1-3年", "3年以上"],
    },
    {
        "key": "q4",
        "kind": QuestionKind.MULTIPLE_CHOICE,
        "label": "关注方向",
        "help": "",
        "required": False,
        "choices": ["课程设计", "讲师培养", "学习运营"],
    },
]
ANSWERS: dict[str, Any] = {"q1": "某某科技", "q3": "1-3年", "q4": ["课程设计"]}


def private_community(
    chapter: Chapter, *, slug: str = "core-fans", access: str = CommunityAccess.PRIVATE, **kw: Any
) -> Community:
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        name=kw.pop("name", "铁粉群"),
        slug=slug,
        access=access,
        **kw,
    )


def make_form(
    community: Community, *, identity: str = "只招企业内训经理", assistants: bool = False
) -> ApplicationForm:
    return ApplicationForm.objects.create(
        community=community,
        intro="欢迎申请",
        identity_statement=identity,
        questions=[dict(q) for q in QUESTIONS],
        assistants_may_review=assistants,
    )


def make_application(community: Community, member: Any, **kw: Any) -> Application:
    answers = [
        {
            "key": q["key"],
            "label": q["label"],
            "kind": q["kind"],
            "value": ANSWERS.get(q["key"], ""),
        }
        for q in QUESTIONS
    ]
    values: dict[str, Any] = {
        "organization_id": community.organization_id,
        "community": community,
        "member": member,
        "answers": answers,
        "identity_statement": "只招企业内训经理",
        "identity_confirmed": True,
        "submitted_at": timezone.now(),
    }
    values.update(kw)
    return Application.objects.create(**values)
