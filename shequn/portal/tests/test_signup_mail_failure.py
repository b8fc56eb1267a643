"""A mail server that is down does not turn a sign-up into an error page (review, item 1).

The verification mail is sent after the sign-up commits. An SMTP error there used to escape
as a 500 page although the account already existed (and a second try said "already exists").
Now it is logged; the person is signed in on "check your mail" and can send the link again.
"""

from __future__ import annotations

import logging
import smtplib
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from shequn.members.models import EmailVerification
from shequn.portal.tests.conftest import page_url
from shequn.portal.tests.test_signup_verification import TYPED

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs for real


def test_smtp_down_at_sign_up_still_lands_on_check_your_mail(
    client_as, community, recorded, caplog
):
    client = client_as("anonymous")
    down = smtplib.SMTPConnectError(421, "mail server down")
    with (
        mock.patch.object(mail.EmailMultiAlternatives, "send", side_effect=down),
        caplog.at_level(logging.ERROR, logger="django.db.backends.base"),
    ):
        response = client.post(page_url(community, "signup"), TYPED)
    assert response.status_code == 302
    assert response["Location"] == "/c/verify/pending/"
    user = get_user_model().objects.get(username="qian@example.com")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EmailVerification.objects.get().user == user
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [smtplib.SMTPConnectError]
    # Once the server is back, "Send the link again" delivers it.
    assert client.post("/c/verify/resend/").status_code == 302
    assert [m.to for m in mail.outbox] == [["qian@example.com"]]
