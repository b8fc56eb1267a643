"""Password reset by email for members (/c/password-reset/…), Django's views, member look."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD

RESET = "/c/password-reset/"
LINK = re.compile(r"http://testserver(/c/password-reset/[^/\s]+/[^/\s]+/)")
NEW = "lantern-kite-river-9"


def test_login_page_links_to_reset(db):
    assert f'href="{RESET}"' in Client().get("/c/login/").content.decode()


def test_member_resets_by_email_and_signs_in(member_with_email):
    client = Client()
    page = client.get(RESET)
    assert page.status_code == 200
    assert "m-form" in page.content.decode()
    response = client.post(RESET, {"email": "ZhangSan@example.com"})
    assert response["Location"] == "/c/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["zhangsan@example.com"]
    assert message.subject == "Reset your member password"
    link = LINK.search(str(message.body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}
    )
    assert done["Location"] == "/c/password-reset/complete/"
    member_with_email.user.refresh_from_db()
    assert member_with_email.user.check_password(NEW)
    signed_in = Client().post("/c/login/", {"username": "zhangsan@example.com", "password": NEW})
    assert signed_in.status_code == 302


@pytest.mark.parametrize("email", ["nobody@example.com", "admin@example.com"])
def test_unknown_or_operator_email_same_answer_no_mail(member_with_email, org_admin, email):
    org_admin.user.email = "admin@example.com"
    org_admin.user.save(update_fields=["email"])
    response = Client().post(RESET, {"email": email})
    assert response["Location"] == "/c/password-reset/sent/"
    assert mail.outbox == []
    org_admin.user.refresh_from_db()
    assert org_admin.user.check_password(PASSWORD)


def test_reset_requests_are_rate_limited_with_the_member_look(member_with_email):
    client = Client()
    statuses = [client.post(RESET, {"email": "x@example.com"}).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    html = client.post(RESET, {"email": "x@example.com"}).content.decode()
    assert "m-title" in html
    assert "You have sent this form too often from this network." in html
