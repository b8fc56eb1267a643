"""A password reset by email ends the account's sign-in lockout (review of issue 5, item 2).

The lockout page sends people to the password reset; whoever then chose a new password used to
be refused for the rest of the 15 minutes anyway. Now the reset forgets that account's failed
sign-ins; other accounts' lockouts stay.
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD, UserFactory

NEW = "lantern-kite-river-9"
SIGN_INS = {
    # persona: (sign-in URL, reset URL, user name, email)
    "org_admin": ("/accounts/login/", "/accounts/password-reset/", "admin", "admin@example.com"),
    "member": ("/c/login/", "/c/password-reset/", "zhangsan@example.com", "zhangsan@example.com"),
}


def _fail(url: str, username: str) -> None:
    client = Client()
    for i in range(5):
        client.post(url, {"username": username, "password": f"wrong-{i}"})


@pytest.mark.parametrize("persona", list(SIGN_INS))
def test_reset_by_email_lifts_the_lockout_of_that_account_only(request, persona):
    login_url, reset_url, username, email = SIGN_INS[persona]
    person = request.getfixturevalue(persona)
    person.user.email = email
    person.user.save(update_fields=["email"])
    bystander = UserFactory(username="bystander")
    _fail(login_url, username)
    _fail(login_url, "bystander")
    assert Client().post(login_url, {"username": username, "password": PASSWORD}).status_code == 429
    client = Client()
    client.post(reset_url, {"email": email})
    (message,) = mail.outbox
    link = re.search(r"http://testserver(/\S+/password-reset/[^/\s]+/[^/\s]+/)", str(message.body))
    assert link is not None
    set_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    signed_in = Client().post(login_url, {"username": username, "password": NEW})
    assert signed_in.status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["bystander"]
    refused = Client().post(login_url, {"username": "bystander", "password": PASSWORD})
    assert refused.status_code == 429
    assert bystander.last_login is None


def test_a_wrong_reset_link_lifts_nothing(org_admin):
    _fail("/accounts/login/", "admin")
    client = Client()
    page = client.get("/accounts/password-reset/MQ/set-password/", follow=True)
    assert page.context["validlink"] is False
    client.post(
        "/accounts/password-reset/MQ/set-password/", {"new_password1": NEW, "new_password2": NEW}
    )
    assert AccessAttempt.objects.get().username == "admin"
    response = Client().post("/accounts/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
