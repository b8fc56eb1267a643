"""A verification link is checked again when it is used (review of issue 5, item 1).

Between the sign-up and the click the record may have changed, and the person clicking may be
signed in with another account: in neither case does the link join anything to anybody.
"""

from __future__ import annotations

from django.core import mail
from django.test import Client

from shequn.accounts.selectors import get_operator_scope
from shequn.members.models import Channel, EmailVerification
from shequn.members.services import remove_identity, update_member
from shequn.portal.tests.test_signup_verification import (
    PASSWORD,
    _link_path,
    _sign_up,
    _snapshot,
)


def test_link_refused_once_the_operator_corrected_the_email(
    client_as, community, org_admin, recorded, counts, django_capture_on_commit_callbacks
):
    """The operator fixes a mistyped email: proving the old address proves nothing."""
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    actor = get_operator_scope(org_admin.user)
    update_member(actor=actor, member=recorded, data={"email": "lao.qian@example.com"})
    remove_identity(actor=actor, identity=recorded.identities.get(channel=Channel.EMAIL))
    before = counts()
    original = _snapshot(recorded)
    response = client.post(path)
    assert response.status_code == 400
    assert "This link is not valid." in response.content.decode()
    assert counts() == before
    assert _snapshot(recorded) == original
    assert original[3] is None
    assert EmailVerification.objects.get().verified_at is None


def test_link_still_works_when_only_the_profile_email_changed(
    client_as, community, org_admin, recorded, django_capture_on_commit_callbacks
):
    """The email identity the operator recorded still names the address: the link links."""
    client = client_as("anonymous")
    _sign_up(client, community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    update_member(
        actor=get_operator_scope(org_admin.user),
        member=recorded,
        data={"email": "lao.qian@example.com"},
    )
    assert client.post(path).status_code == 302
    assert _snapshot(recorded)[2:] == (
        "lao.qian@example.com",
        EmailVerification.objects.get().user_id,
    )


def test_another_signed_in_account_needs_the_sign_ups_password(
    client_as, community, recorded, member, counts, django_capture_on_commit_callbacks
):
    """A link opened in a browser signed in as somebody else links nothing without the password
    and leaves that browser signed in as it was."""
    _sign_up(client_as("anonymous"), community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    browser = client_as("member")
    before = counts()
    original = _snapshot(recorded)
    page = browser.get(path)
    assert 'name="password"' in page.content.decode()
    response = browser.post(path)
    assert response.status_code == 200
    assert response.context["form"].errors == {"password": ["This field is required."]}
    wrong = browser.post(path, {"password": PASSWORD + "x"})
    assert wrong.context["form"].errors == {
        "password": ["This is not the password of this sign-up."]
    }
    assert counts() == before
    assert _snapshot(recorded) == original
    assert browser.session["_auth_user_id"] == str(member.user.pk)
    assert EmailVerification.objects.get().verified_at is None


def test_guessing_the_sign_ups_password_on_the_link_page_is_locked_out(
    client_as, community, recorded, counts, django_capture_on_commit_callbacks
):
    """The link page asks for the sign-up's password: django-axes counts the guesses there too,
    and after five the right password links nothing either."""
    _sign_up(client_as("anonymous"), community, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    before = counts()
    original = _snapshot(recorded)
    browser = Client()
    statuses = [browser.post(path, {"password": f"guess-{i}"}).status_code for i in range(5)]
    assert statuses == [200] * 4 + [429]
    response = browser.post(path, {"password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in browser.session
    assert counts() == before
    assert _snapshot(recorded) == original
    assert EmailVerification.objects.get().verified_at is None
