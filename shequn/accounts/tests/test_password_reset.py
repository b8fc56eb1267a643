"""Password reset by email for operators (/accounts/password-reset/…), Django's views."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD

RESET = "/accounts/password-reset/"
LINK = re.compile(r"http://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)")
NEW = "lantern-kite-river-9"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def admin_with_email(org_admin):
    org_admin.user.email = "admin@example.com"
    org_admin.user.save(update_fields=["email"])
    return org_admin


def test_login_page_links_to_reset(db):
    assert f'href="{RESET}"' in Client().get("/accounts/login/").content.decode()


def test_operator_resets_by_email_and_signs_in_with_the_new_password(admin_with_email):
    client = Client()
    assert client.get(RESET).status_code == 200
    response = client.post(RESET, {"email": "Admin@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["admin@example.com"]
    assert message.subject == "Reset your shequn operator password"
    link = LINK.search(str(message.body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == "/accounts/password-reset/complete/"
    assert "Password changed" in client.get(done["Location"]).content.decode()
    admin_with_email.user.refresh_from_db()
    assert admin_with_email.user.check_password(NEW)
    signed_in = Client().post("/accounts/login/", {"username": "admin", "password": NEW})
    assert signed_in.status_code == 302
    # The link works once.
    again = Client().get(link.group(1), follow=True)
    assert again.context["validlink"] is False
    assert "The link is wrong, expired or already used." in again.content.decode()


@pytest.mark.parametrize("email", ["nobody@example.com", "zhangsan@example.com"])
def test_unknown_or_member_email_gets_the_same_answer_and_no_mail(admin_with_email, member, email):
    member.user.email = "zhangsan@example.com"
    member.user.save(update_fields=["email"])
    response = Client().post(RESET, {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []
    admin_with_email.user.refresh_from_db()
    assert admin_with_email.user.check_password(PASSWORD)


def test_tampered_link_changes_nothing(admin_with_email):
    client = Client()
    client.post(RESET, {"email": "admin@example.com"})
    link = LINK.search(str(mail.outbox[0].body))
    assert link is not None
    forged = link.group(1)[:-2] + ("x/" if link.group(1)[-2] != "x" else "y/")
    page = client.get(forged, follow=True)
    assert page.context["validlink"] is False
    admin_with_email.user.refresh_from_db()
    assert admin_with_email.user.check_password(PASSWORD)


def test_reset_requests_are_rate_limited(admin_with_email):
    client = Client()
    statuses = [client.post(RESET, {"email": "admin@example.com"}).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    page = client.post(RESET, {"email": "admin@example.com"})
    assert page.status_code == 429
    assert "You have sent this form too often from this network." in page.content.decode()
    assert "card narrow" in page.content.decode()


@pytest.mark.parametrize(
    ("url", "text"),
    [
        (RESET, "重设密码"),
        ("/accounts/password-reset/sent/", "请查收邮件"),
        ("/accounts/password-reset/complete/", "密码已修改"),
    ],
)
def test_pages_in_chinese(db, url, text):
    assert text in Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url).content.decode()
