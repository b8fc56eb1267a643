"""Public member-page forms are rate limited per address (issue 5, item 2)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from shequn.members.models import EmailVerification, EmailVerificationPurpose
from shequn.portal.tests.conftest import page_url


def test_signup_posts_are_limited(community, counts):
    client = Client()
    bad = {"display_name": "x", "email": "bad", "password": "x"}
    statuses = [client.post(page_url(community, "signup"), bad).status_code for _ in range(10)]
    assert statuses == [200] * 10
    before = counts()
    good = {
        "display_name": "赵六",
        "email": "zhao@example.com",
        "password": "paper-lantern-42",
    }
    response = client.post(page_url(community, "signup"), good)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "You have sent this form too often from this network." in response.content.decode()
    assert counts() == before
    assert not get_user_model().objects.filter(username="zhao@example.com").exists()
    # Reading the form is not limited; another address may still sign up.
    assert client.get(page_url(community, "signup")).status_code == 200
    other = Client(REMOTE_ADDR="127.0.0.2")
    assert other.post(page_url(community, "signup"), good).status_code == 302


def test_verification_resend_is_limited(client_as, member):
    client = client_as("member")
    statuses = [client.post("/c/verify/resend/").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


def test_refused_resends_send_no_mail(client_as, member, django_capture_on_commit_callbacks):
    """A pending link is resent five times; the refused sixth request mails nothing."""
    EmailVerification.objects.create(
        organization=member.organization,
        user=member.user,
        member=member,
        purpose=EmailVerificationPurpose.CONFIRM,
        email="zhangsan@example.com",
        display_name=member.display_name,
    )
    client = client_as("member")
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [client.post("/c/verify/resend/").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert [m.to for m in mail.outbox] == [["zhangsan@example.com"]] * 5
