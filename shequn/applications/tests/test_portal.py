"""The member pages: apply, the status page, withdraw."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequn.applications.models import Application, ApplicationStatus
from shequn.applications.tests.factories import make_application
from shequn.invitations.models import InviteLink
from shequn.invitations.selectors import SESSION_KEY
from shequn.joining.models import BlacklistEntry
from shequn.members.models import Membership

pytestmark = pytest.mark.django_db


def _url(name: str, community) -> str:
    return reverse(name, kwargs={"org_slug": community.organization.slug, "slug": community.slug})


def _token(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def _data(token: str, **extra):
    data = {"token": token, "q1": "某某科技", "q3": "1-3年", "q4": ["课程设计", "学习运营"]}
    data.update(identity_confirmed="on")
    data.update(extra)
    return data


@pytest.fixture
def member_client(client_as) -> Client:
    return client_as("member")


def test_apply_page_renders_the_form(member_client, private, app_form):
    response = member_client.get(_url("applications_portal:apply", private))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "您的公司",
        "从业年限",
        "关注方向",
        "只招企业内训经理",
        'type="radio"',
        'name="identity_confirmed"',
    ):
        assert text in html
    assert "<script" not in html.split("<main")[1]


def test_apply_then_status(member_client, member, private, app_form):
    page = member_client.get(_url("applications_portal:apply", private))
    response = member_client.post(_url("applications_portal:apply", private), _data(_token(page)))
    assert response.status_code == 302
    assert response["Location"] == _url("applications_portal:status", private)
    application = Application.objects.get()
    assert application.member == member
    assert application.answers[3]["value"] == ["课程设计", "学习运营"]
    assert application.language == "zh-hans"
    status = member_client.get(response["Location"])
    assert status.status_code == 200
    assert status.context["application"] == application


def test_resubmitting_the_same_form_makes_one(member_client, private, app_form):
    token = _token(member_client.get(_url("applications_portal:apply", private)))
    first = member_client.post(_url("applications_portal:apply", private), _data(token))
    second = member_client.post(_url("applications_portal:apply", private), _data(token))
    assert first["Location"] == second["Location"] == _url("applications_portal:status", private)
    assert Application.objects.count() == 1


def test_missing_answers_show_errors_and_store_nothing(member_client, private, app_form):
    token = _token(member_client.get(_url("applications_portal:apply", private)))
    data = _data(token, q1="")
    del data["identity_confirmed"]
    response = member_client.post(_url("applications_portal:apply", private), data)
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"q1", "identity_confirmed"}
    assert Application.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(client, private, app_form):
    response = client.get(_url("applications_portal:apply", private))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")
    assert Application.objects.count() == 0


def test_open_community_goes_back_to_its_page(member_client, community):
    response = member_client.get(_url("applications_portal:apply", community))
    assert response["Location"] == reverse(
        "portal:community", args=[community.organization.slug, community.slug]
    )


def test_blacklisted_member_gets_a_page_and_nothing_is_stored(
    member_client, org, member, private, app_form
):
    BlacklistEntry.objects.create(organization=org, member=member, reason="广告")
    response = member_client.get(_url("applications_portal:apply", private))
    assert response.status_code == 200
    assert response.templates[0].name == "applications/portal/refused.html"
    token = "t" * 20
    response = member_client.post(_url("applications_portal:apply", private), _data(token))
    assert response.status_code == 200
    assert response.templates[0].name == "applications/portal/refused.html"
    assert Application.objects.count() == 0


def test_invite_link_is_kept(member_client, org_admin, member, private, app_form):
    link = InviteLink.objects.create(
        organization=private.organization, community=private, code="abc123", purpose="海报"
    )
    session = member_client.session
    session[SESSION_KEY] = {str(private.pk): link.pk}
    session.save()
    token = _token(member_client.get(_url("applications_portal:apply", private)))
    member_client.post(_url("applications_portal:apply", private), _data(token))
    assert Application.objects.get().invite_link == link


def test_rate_limited_per_account(settings, member_client, private, app_form):
    settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "apply": "2/3600"}
    url = _url("applications_portal:apply", private)
    statuses = []
    for i in range(3):
        # A new address each time: only the per-account counter can stop the third.
        response = member_client.post(url, {"token": ""}, REMOTE_ADDR=f"10.0.0.{i + 1}")
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]
    assert Application.objects.count() == 0


def test_rate_limited_per_address(settings, client_as, private, app_form):
    settings.SHEQUN_RATE_LIMITS = {**settings.SHEQUN_RATE_LIMITS, "apply": "1/3600"}
    url = _url("applications_portal:apply", private)
    assert client_as("member").post(url, {"token": ""}).status_code == 200
    assert client_as("outsider").post(url, {"token": ""}).status_code == 429


def test_status_pages(member_client, member, private, app_form):
    application = make_application(private, member)
    url = _url("applications_portal:status", private)
    pending = member_client.get(url)
    assert pending.context["is_open"] is True
    assert _url("applications_portal:withdraw", private) in pending.content.decode()
    application.status = ApplicationStatus.INTERVIEW
    application.interview_note = "电话沟通 10 分钟"
    application.interview_at = timezone.now() + timedelta(days=1)
    application.save()
    assert "电话沟通 10 分钟" in member_client.get(url).content.decode()
    application.status = ApplicationStatus.REJECTED
    application.reject_reason = "本期只招企业内训经理"
    application.save()
    html = member_client.get(url).content.decode()
    assert "本期只招企业内训经理" in html
    assert _url("applications_portal:apply", private) in html  # apply again


def test_approved_status_says_you_are_in(member_client, member, private, app_form):
    make_application(private, member, status=ApplicationStatus.APPROVED)
    Membership.objects.create(member=member, community=private, joined_at=timezone.now())
    response = member_client.get(_url("applications_portal:status", private))
    assert response.context["next"]["step"] == "in"


def test_status_without_application_goes_to_apply(member_client, private, app_form):
    response = member_client.get(_url("applications_portal:status", private))
    assert response["Location"] == _url("applications_portal:apply", private)


def test_withdraw(member_client, member, private, app_form):
    application = make_application(private, member)
    response = member_client.post(_url("applications_portal:withdraw", private))
    assert response["Location"] == _url("applications_portal:status", private)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_reapply_after_rejection_makes_a_new_one(member_client, member, private, app_form):
    old = make_application(private, member, status=ApplicationStatus.REJECTED, reject_reason="x")
    page = member_client.get(_url("applications_portal:apply", private))
    assert page.status_code == 200
    member_client.post(_url("applications_portal:apply", private), _data(_token(page)))
    assert Application.objects.filter(member=member).count() == 2
    old.refresh_from_db()
    assert old.status == ApplicationStatus.REJECTED


def test_other_organisation_member_is_refused(client_as, private, app_form):
    from shequn.accounts.tests.factories import UserFactory
    from shequn.members.tests.factories import MemberFactory
    from shequn.organizations.tests.factories import OrganizationFactory

    user = UserFactory(username="wang@example.com")
    MemberFactory(organization=OrganizationFactory(), user=user)
    c = Client()
    c.force_login(user)
    response = c.get(_url("applications_portal:apply", private))
    assert response.templates[0].name == "applications/portal/refused.html"


def test_approved_paid_applicant_is_shown_the_status(member_client, member, private, app_form):
    from shequn.joining.models import JoinPolicy
    from shequn.organizations.models import CommunityAccess

    private.access = CommunityAccess.PAID
    private.save()
    JoinPolicy.objects.create(community=private, paid_requires_application=True)
    make_application(private, member, status=ApplicationStatus.APPROVED)
    response = member_client.get(_url("applications_portal:apply", private))
    assert response["Location"] == _url("applications_portal:status", private)
    status = member_client.get(response["Location"])
    assert status.context["next"]["step"] == "pay"
