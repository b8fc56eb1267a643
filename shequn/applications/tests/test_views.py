"""The console pages: the queue, an application and its actions, the form builder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from shequn.applications.models import Application, ApplicationDecision, ApplicationForm
from shequn.applications.templatetags.applications_panels import waiting_time
from shequn.applications.tests.factories import make_application
from shequn.members.models import Membership
from shequn.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _applications(org, community, n: int, *, days: int = 0) -> list[Application]:
    now = timezone.now()
    return [
        make_application(
            community,
            MemberFactory(organization=org, display_name=f"申请人{i}"),
            submitted_at=now - timedelta(days=days + n - i),
        )
        for i in range(n)
    ]


def test_queue_oldest_first_with_waiting_time(client_as, org, private, app_form):
    apps = _applications(org, private, 3, days=2)
    response = client_as("chapter_head").get(reverse("applications:queue"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["page"]] == [a.pk for a in apps]
    with translation.override("en"):
        assert waiting_time(apps[0].submitted_at, timezone.now()) == "5 days"
    with translation.override("zh-hans"):
        assert waiting_time(apps[0].submitted_at, timezone.now()) == "5 天"
    assert "5 天" in response.content.decode()


def test_queue_filters(client_as, org, private, far_private, app_form):
    old = _applications(org, private, 1, days=10)[0]
    new = make_application(private, MemberFactory(organization=org, display_name="王小明"))
    far = make_application(far_private, MemberFactory(organization=org, phone="+8613900007777"))
    admin = client_as("org_admin")
    url = reverse("applications:queue")

    def ids(**params) -> list[int]:
        return [a.pk for a in admin.get(url, params).context["page"]]

    assert ids() == [old.pk, new.pk, far.pk]
    assert ids(community=far_private.pk) == [far.pk]
    assert ids(waiting_days=5) == [old.pk]
    assert ids(q="小明") == [new.pk]
    assert ids(q="13900007777") == [far.pk]  # the members' search: phone and email too
    assert ids(q="小明", community=far_private.pk) == []
    assert ids(status="approved") == []


def test_queue_num_queries(client_as, org, private, app_form, django_assert_num_queries):
    _applications(org, private, 3)
    admin = client_as("org_admin")
    admin.get(reverse("applications:queue"))
    with django_assert_num_queries(5) as captured:
        admin.get(reverse("applications:queue"))
    _applications(org, private, 10)
    with django_assert_num_queries(len(captured.captured_queries)):
        admin.get(reverse("applications:queue"))


def test_detail_shows_answers_history_and_memberships(client_as, org, member, private, app_form):
    application = make_application(private, member)
    response = client_as("org_admin").get(
        reverse("applications:detail", kwargs={"application_id": application.pk})
    )
    html = response.content.decode()
    for text in ("您的公司", "某某科技", "只招企业内训经理", "上海沙龙群"):
        assert text in html


def test_approve_from_the_console(client_as, member, private, app_form):
    application = make_application(private, member)
    response = client_as("chapter_head").post(
        reverse("applications:approve", kwargs={"application_id": application.pk})
    )
    assert response["Location"] == reverse("applications:queue")
    assert Membership.objects.filter(member=member, community=private, status="active").exists()


def test_reject_needs_a_reason(client_as, member, private, app_form):
    application = make_application(private, member)
    url = reverse("applications:reject", kwargs={"application_id": application.pk})
    response = client_as("org_admin").post(url, {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["reject_form"].errors
    assert ApplicationDecision.objects.count() == 0
    response = client_as("org_admin").post(url, {"reason": "本期已满"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.reject_reason == "本期已满"


def test_interview_from_the_console(client_as, member, private, app_form):
    application = make_application(private, member)
    url = reverse("applications:interview", kwargs={"application_id": application.pk})
    response = client_as("org_admin").post(url, {"at": "2026-12-20T15:00", "note": "电话"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "interview"
    assert (
        timezone.localtime(application.interview_at).strftime("%Y-%m-%d %H:%M")
        == "2026-12-20 15:00"
    )


def test_bulk_approve(client_as, org, private, far_private, app_form):
    apps = _applications(org, private, 3)
    far = make_application(far_private, MemberFactory(organization=org, phone="+8613900007777"))
    response = client_as("chapter_head").post(
        reverse("applications:bulk_approve"), {"ids": [apps[0].pk, apps[2].pk, far.pk, "x"]}
    )
    assert response.status_code == 302
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses == {
        apps[0].pk: "approved",
        apps[1].pk: "pending",
        apps[2].pk: "approved",
        far.pk: "pending",  # not the head's: ignored
    }


def test_out_of_scope_application_is_404(client_as, org, far_private):
    far = make_application(far_private, MemberFactory(organization=org, phone="+8613900007777"))
    url = reverse("applications:approve", kwargs={"application_id": far.pk})
    assert client_as("chapter_head").post(url).status_code == 404
    assert ApplicationDecision.objects.count() == 0


def test_form_builder_flow(client_as, private):
    head = client_as("chapter_head")
    form_url = reverse("applications:form", kwargs={"community_id": private.pk})
    assert head.get(form_url).status_code == 200
    head.post(form_url, {"intro": "只面向内训经理", "identity_statement": "只招企业内训经理"})
    add = reverse("applications:question_add", kwargs={"community_id": private.pk})
    head.post(add, {"kind": "short_text", "label": "公司", "required": "on"})
    head.post(add, {"kind": "single_choice", "label": "年限", "choices": "1年\n3年\n"})
    response = head.post(add, {"kind": "single_choice", "label": "城市", "choices": "上海"})
    assert response.status_code == 200
    assert "请给出 2 到 20 个选项" in response.content.decode()
    move = reverse("applications:question_move", kwargs={"community_id": private.pk, "number": 2})
    head.post(move, {"direction": "up"})
    edit = reverse("applications:question_edit", kwargs={"community_id": private.pk, "number": 1})
    assert head.get(edit).status_code == 200
    head.post(edit, {"kind": "long_text", "label": "公司介绍"})
    remove = reverse(
        "applications:question_remove", kwargs={"community_id": private.pk, "number": 2}
    )
    head.post(remove)
    form = ApplicationForm.objects.get(community=private)
    assert form.identity_statement == "只招企业内训经理"
    assert [(q["key"], q["label"], q["kind"]) for q in form.questions] == [
        ("q1", "公司介绍", "long_text")
    ]
    assert form.version == 6


def test_unknown_question_is_404(client_as, private, app_form):
    url = reverse("applications:question_edit", kwargs={"community_id": private.pk, "number": 99})
    assert client_as("org_admin").get(url).status_code == 404
    url = reverse("applications:question_edit", kwargs={"community_id": private.pk, "number": 0})
    assert client_as("org_admin").get(url).status_code == 404


def test_community_and_member_panels(client_as, member, community, private, app_form):
    make_application(private, member)
    admin = client_as("org_admin")
    page = admin.get(reverse("organizations:community_detail", kwargs={"community_id": private.pk}))
    html = page.content.decode()
    assert reverse("applications:form", kwargs={"community_id": private.pk}) in html
    assert 'id="applications-panel"' in html
    open_page = admin.get(
        reverse("organizations:community_detail", kwargs={"community_id": community.pk})
    )
    assert 'id="applications-panel"' not in open_page.content.decode()  # takes no applications
    page = admin.get(reverse("members:detail", kwargs={"member_id": member.pk}))
    assert 'id="member-applications-panel"' in page.content.decode()
    assert "铁粉群" in page.content.decode()


def test_community_panel_bounds_the_waiting_count(client_as, org, private, app_form, monkeypatch):
    from shequn.applications import selectors

    _applications(org, private, 3)
    url = reverse("organizations:community_detail", kwargs={"community_id": private.pk})
    admin = client_as("org_admin")
    assert (
        "3 applications waiting for review."
        in admin.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    monkeypatch.setattr(selectors, "PENDING_COUNT_CAP", 2)
    assert selectors.count_pending(private) == 3  # cap + 1: "more than"
    html = admin.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 2 applications waiting for review." in html
    assert "3 applications waiting" not in html
