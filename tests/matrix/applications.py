"""Permission-matrix rows of applications (see tests/matrix/common.py).

`app_private` is a private community in the chapter head's chapter with a form and a pending
application (of a member without a web account); `app_far_private` is one in the other chapter,
where the persona `member` has a pending application (their status page). Assistants review only
communities they are assigned to whose form allows it: neither of these, so they get 404.
Member pages: operators and outsiders have no member profile (a page that says so, 200);
anonymous visitors are sent to sign in.
"""

from __future__ import annotations

from tests.matrix.common import C, Fixtures, Row

A, FA = {"application_id": "app_application"}, {"application_id": "app_far_application"}
P, FP = {"community_id": "app_private"}, {"community_id": "app_far_private"}
Q = {**P, "number": "app_question"}
REVIEW = (200, 200, 404, 403, 403, 302)
REVIEW_FAR = (200, 404, 404, 403, 403, 302)
ACT = (302, 302, 404, 403, 403, 302)
ACT_FAR = (302, 404, 404, 403, 403, 302)
MEMBER_PAGE = (200, 200, 200, 200, 200, 302)
API_REVIEW = (200, 200, 404, 401, 401, 401)
API_REVIEW_FAR = (200, 404, 404, 401, 401, 401)
ANSWERS = {"q1": "某某科技", "q2": "1-3年"}

CONSOLE: list[Row] = [
    Row("applications:queue", {}, "get", (200, 200, 200, 403, 403, 302)),
    Row("applications:bulk_approve", {}, "post", (302, 302, 302, 403, 403, 302)),
    Row("applications:detail", A, "get", REVIEW),
    Row("applications:detail", FA, "get", REVIEW_FAR),
    Row("applications:approve", A, "post", ACT),
    Row("applications:approve", FA, "post", ACT_FAR),
    Row("applications:reject", A, "post", REVIEW),  # no reason: the page again
    Row("applications:reject", FA, "post", REVIEW_FAR),
    Row("applications:interview", A, "post", REVIEW),  # no time nor note: the page again
    Row("applications:interview", FA, "post", REVIEW_FAR),
    Row("applications:form", P, "get", REVIEW),
    Row("applications:form", FP, "get", REVIEW_FAR),
    Row("applications:form", C, "get", (200, 200, 403, 403, 403, 302)),  # the assistant's
    Row("applications:form", P, "post", ACT),
    Row("applications:form", FP, "post", ACT_FAR),
    Row("applications:question_add", P, "get", REVIEW),
    Row("applications:question_add", P, "post", REVIEW),  # empty: the form again
    Row("applications:question_add", FP, "get", REVIEW_FAR),
    Row("applications:question_edit", Q, "get", REVIEW),
    Row("applications:question_edit", Q, "post", REVIEW),
    Row("applications:question_remove", Q, "post", ACT),
    Row("applications:question_move", Q, "post", ACT),
]
PORTAL: list[Row] = [
    Row("applications_portal:apply", {"community": "app_private"}, "get", MEMBER_PAGE),
    Row("applications_portal:apply", {"community": "app_private"}, "post", MEMBER_PAGE),
    # An open community takes no applications: back to its page.
    Row("applications_portal:apply", {"community": "community"}, "get", (302,) * 6),
    Row("applications_portal:status", {"community": "app_far_private"}, "get", MEMBER_PAGE),
    # No application yet: to the form.
    Row(
        "applications_portal:status",
        {"community": "app_private"},
        "get",
        (200, 200, 200, 302, 200, 302),
    ),
    Row(
        "applications_portal:withdraw",
        {"community": "app_far_private"},
        "post",
        (200, 200, 200, 302, 200, 302),
    ),
]
API: list[Row] = [
    Row("/communities/{community_id}/application-form", P, "get", API_REVIEW),
    Row("/communities/{community_id}/application-form", FP, "get", API_REVIEW_FAR),
    Row("/communities/{community_id}/application-form", P, "put", API_REVIEW, {"intro": "欢迎"}),
    Row("/communities/{community_id}/application-form", FP, "put", API_REVIEW_FAR, {"intro": "x"}),
    Row("/applications", {}, "get", (200, 200, 200, 401, 401, 401)),
    Row(
        "/applications",
        {},
        "post",
        (201, 201, 404, 401, 401, 401),
        {"member_id": "@app_newcomer", "community_id": "@app_private", "answers": ANSWERS},
    ),
    Row("/applications/{application_id}", A, "get", API_REVIEW),
    Row("/applications/{application_id}", FA, "get", API_REVIEW_FAR),
    Row("/applications/{application_id}/approve", A, "post", API_REVIEW),
    Row("/applications/{application_id}/approve", FA, "post", API_REVIEW_FAR),
    Row("/applications/{application_id}/reject", A, "post", API_REVIEW, {"reason": "已满"}),
    Row("/applications/{application_id}/reject", FA, "post", API_REVIEW_FAR, {"reason": "x"}),
    Row(
        "/applications/{application_id}/interview",
        A,
        "post",
        API_REVIEW,
        {"note": "电话", "at": "2026-12-20T15:00:00+08:00"},
    ),
    Row(
        "/applications/{application_id}/interview",
        FA,
        "post",
        API_REVIEW_FAR,
        {"note": "电话", "at": "2026-12-20T15:00:00+08:00"},
    ),
    # Ids the token does not review are listed as failed: 200 for every operator.
    Row("/applications/bulk-approve", {}, "post", (200, 200, 200, 401, 401, 401), {"ids": [1]}),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """Two private communities with a form and a pending application each, and a newcomer."""
    from django.utils import timezone

    from shequn.applications.models import Application, ApplicationForm
    from shequn.members.tests.factories import MemberFactory
    from shequn.organizations.models import CommunityAccess
    from shequn.organizations.tests.factories import CommunityFactory

    questions = [
        {
            "key": "q1",
            "kind": "short_text",
            "label": "公司",
            "help": "",
            "required": True,
            "choices": [],
        },
        {
            "key": "q2",
            "kind": "single_choice",
            "label": "年限",
            "help": "",
            "required": False,
            "choices": ["1年以下", "1-3年"],
        },
    ]
    made: dict[str, int] = {"app_question": 1}
    places = (
        (
            "app_private",
            fixtures.community.chapter,
            "app-core",
            MemberFactory(organization=fixtures.org),
        ),
        ("app_far_private", fixtures.other_community.chapter, "app-far-core", fixtures.member),
    )
    for name, chapter, slug, applicant in places:
        community = CommunityFactory(
            organization=fixtures.org, chapter=chapter, slug=slug, access=CommunityAccess.PRIVATE
        )
        ApplicationForm.objects.create(community=community, questions=questions)
        application = Application.objects.create(
            organization=fixtures.org,
            community=community,
            member=applicant,
            answers=[{"key": "q1", "label": "公司", "kind": "short_text", "value": "某公司"}],
            submitted_at=timezone.now(),
        )
        made[name] = community.pk
        made[name.replace("private", "application")] = application.pk
    made["app_newcomer"] = MemberFactory(organization=fixtures.org).pk
    return made
