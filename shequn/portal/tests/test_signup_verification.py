"""Sign-up with the email of a member an operator recorded: nothing is taken over.

The regression of issue 5, item 1: signing up with a recorded member's email used to link the
new account to that member, overwrite their name and phone, show their private communities and
let the visitor leave them. Now the account stays unlinked until the emailed link is used with
the sign-up's password; nothing recorded is overwritten, differences are shown to operators.
"""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from shequn.members.email_verification import make_verification_token
from shequn.members.models import (
    Channel,
    EmailVerification,
    Member,
    Membership,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.templatetags.phones import phone_filter
from shequn.members.tests.factories import MembershipFactory
from shequn.portal.tests.conftest import page_url

PASSWORD = "paper-lantern-42"
TYPED = {
    "display_name": "钱七",
    "email": "Qian@Example.com",
    "phone": "13812345678",
    "password": PASSWORD,
}
LINK = re.compile(r"http://testserver(/c/verify/[^/\s]+/)")


def _snapshot(member: Member) -> tuple[object, ...]:
    member.refresh_from_db()
    return (member.display_name, member.phone, member.email, member.user_id)


def _sign_up(client: Client, community, capture, data=TYPED):
    with capture(execute=True):
        return client.post(page_url(community, "signup"), data)


def _link_path(message: mail.EmailMessage) -> str:
    found = LINK.search(str(message.body))
    assert found is not None, message.body
    return found.group(1)


def test_signup_with_a_recorded_email_takes_nothing_over(
    client_as, community, private_community, recorded, counts, django_capture_on_commit_callbacks
):
    before = counts()
    original = _snapshot(recorded)
    client = client_as("anonymous")
    response = _sign_up(client, community, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/c/verify/pending/"
    # The account exists, unlinked; nothing of the member, their identities or memberships moved.
    assert counts() == {**before, "users": before["users"] + 1}
    assert _snapshot(recorded) == original
    assert recorded.signup_differences == {}
    user = get_user_model().objects.get(username="qian@example.com")
    assert not Member.objects.filter(user=user).exists()
    assert list(recorded.memberships.values_list("community", "status")) == [
        (private_community.pk, MembershipStatus.ACTIVE)
    ]
    # The owner of the email gets the link; the page says to check the mail.
    assert [m.to for m in mail.outbox] == [["qian@example.com"]]
    assert _link_path(mail.outbox[0]).startswith("/c/verify/")
    pending = client.get(response["Location"])
    assert pending.status_code == 200
    assert "Check your mail" in pending.content.decode()
    # Nothing private shows, and leaving on the member's behalf is refused.
    my = client.get("/c/me/")
    assert my.context["member"] is None
    assert private_community.name not in my.content.decode()
    leave = client.post(page_url(private_community, "leave"))
    assert leave.status_code == 302
    assert counts() == {**before, "users": before["users"] + 1}
    assert recorded.memberships.get().status == MembershipStatus.ACTIVE
    # Signing up again for the same email is refused while the first waits.
    again = client_as("anonymous").post(page_url(community, "signup"), TYPED)
    assert again.status_code == 200
    assert counts() == {**before, "users": before["users"] + 1}


def test_the_link_with_the_password_links_without_overwriting(
    client_as,
    community,
    private_community,
    recorded,
    org_admin,
    counts,
    django_capture_on_commit_callbacks,
):
    _sign_up(client_as("anonymous"), community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    user = get_user_model().objects.get(username="qian@example.com")
    before = counts()
    other_browser = Client()
    page = other_browser.get(path)
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    # The email's owner without the sign-up's password links nothing.
    wrong = other_browser.post(path, {"password": "not-the-password"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {
        "password": ["This is not the password of this sign-up."]
    }
    assert counts() == before
    assert _snapshot(recorded)[3] is None
    response = other_browser.post(path, {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == page_url(community, "welcome")
    assert other_browser.session["_auth_user_id"] == str(user.pk)
    assert _snapshot(recorded) == ("老钱", "13900000000", "qian@example.com", user.pk)
    typed_phone = EmailVerification.objects.get().phone  # as the form cleaned it
    assert typed_phone.endswith("13812345678")
    assert recorded.signup_differences == {"display_name": "钱七", "phone": typed_phone}
    assert sorted(recorded.identities.values_list("channel", "external_id")) == [
        (Channel.EMAIL, "qian@example.com"),
        (Channel.WEB, str(user.pk)),
    ]
    assert recorded.identities.get(channel=Channel.EMAIL).verified_at is not None
    joined = recorded.memberships.get(community=community)
    assert (joined.status, joined.source) == (MembershipStatus.ACTIVE, MembershipSource.SELF_SIGNUP)
    assert counts() == {
        **before,
        "identities": before["identities"] + 1,
        "memberships": before["memberships"] + 1,
        "active": before["active"] + 1,
        "audit": before["audit"] + 2,
    }
    # Operators see what the person typed next to the record.
    detail = client_as("org_admin").get(f"/members/{recorded.pk}/")
    html = detail.content.decode()
    assert "Sign-up details that differ" in html
    assert "钱七" in html
    assert phone_filter(typed_phone) in html  # shown as the console shows phones
    # The link works once.
    reused = Client().post(path, {"password": PASSWORD})
    assert reused.status_code == 400
    assert "This link has already been used." in reused.content.decode()
    assert Membership.objects.filter(member=recorded).count() == 2


def test_signed_in_right_after_signup_no_password_is_asked(
    client_as, community, recorded, django_capture_on_commit_callbacks
):
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    page = client.get(path)
    assert 'name="password"' not in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.user is not None
    assert recorded.user.get_username() == "qian@example.com"


def test_operator_given_membership_is_kept(
    client_as, community, recorded, django_capture_on_commit_callbacks
):
    given = MembershipFactory(member=recorded, community=community, source=MembershipSource.CONSOLE)
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    response = client.post(_link_path(mail.outbox[0]))
    assert response["Location"] == page_url(community, "welcome")
    assert list(recorded.memberships.filter(community=community)) == [given]
    given.refresh_from_db()
    assert given.source == MembershipSource.CONSOLE


def test_name_and_phone_as_recorded_leave_no_differences(
    client_as, community, recorded, django_capture_on_commit_callbacks
):
    client = client_as("anonymous")
    data = {**TYPED, "display_name": "老钱", "phone": ""}
    _sign_up(client, community, django_capture_on_commit_callbacks, data)
    client.post(_link_path(mail.outbox[0]))
    recorded.refresh_from_db()
    assert recorded.user_id is not None
    assert recorded.signup_differences == {}


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This link has expired. Sign in and ask for a new one."),
        ("zh-hans", "此链接已过期。请登录后重新获取。"),
    ],
)
def test_expired_link_changes_nothing(
    client_as, community, recorded, counts, django_capture_on_commit_callbacks, language, message
):
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    verification = EmailVerification.objects.get()
    four_days_ago = time.time() - 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_ago):
        token = make_verification_token(verification)
    before = counts()
    original = _snapshot(recorded)
    response = client.post(f"/c/verify/{token}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before
    assert _snapshot(recorded) == original
    verification.refresh_from_db()
    assert verification.verified_at is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_link_changes_nothing(
    client_as, community, recorded, counts, django_capture_on_commit_callbacks, method
):
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    pk, stamp, signature = path.removeprefix("/c/verify/").rstrip("/").split(":")
    forged = [
        f"/c/verify/{int(pk) + 1}:{stamp}:{signature}/",
        f"/c/verify/{pk}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}/",
        "/c/verify/garbage/",
    ]
    before = counts()
    original = _snapshot(recorded)
    for url in forged:
        response = getattr(client, method)(url)
        assert response.status_code == 400
        assert "This link is not valid." in response.content.decode()
    assert counts() == before
    assert _snapshot(recorded) == original


def test_resend_sends_a_fresh_link(
    client_as, community, recorded, django_capture_on_commit_callbacks
):
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/c/verify/resend/")
    assert response["Location"] == "/c/verify/pending/"
    assert [m.to for m in mail.outbox] == [["qian@example.com"]] * 2
    assert _link_path(mail.outbox[1]).startswith("/c/verify/")


def test_new_member_confirms_their_email(client_as, community, django_capture_on_commit_callbacks):
    client = client_as("anonymous")
    data = {**TYPED, "email": "zhou@example.com"}
    response = _sign_up(client, community, django_capture_on_commit_callbacks, data)
    assert response["Location"] == page_url(community, "welcome")
    member = Member.objects.get(email="zhou@example.com")
    email = member.identities.get(channel=Channel.EMAIL)
    assert email.verified_at is None
    assert [m.to for m in mail.outbox] == [["zhou@example.com"]]
    assert (
        "We have sent a link to zhou@example.com"
        in client.get(response["Location"]).content.decode()
    )
    confirmed = client.post(_link_path(mail.outbox[0]))
    assert confirmed.status_code == 302
    email.refresh_from_db()
    assert email.verified_at is not None
    assert EmailVerification.objects.get().verified_at is not None
    assert member.memberships.count() == 1


def test_mail_is_in_the_visitors_language(
    client_as, community, recorded, django_capture_on_commit_callbacks
):
    client = client_as("anonymous")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_url(community, "signup"), TYPED, HTTP_ACCEPT_LANGUAGE="zh-hans")
    (message,) = mail.outbox
    assert isinstance(message, mail.EmailMultiAlternatives)
    assert message.subject == f"确认你在{community.organization.name}的邮箱"
    assert "确认" in str(message.body)
    html = message.alternatives[0]
    assert html[1] == "text/html"
    assert _link_path(message) in str(html[0])
