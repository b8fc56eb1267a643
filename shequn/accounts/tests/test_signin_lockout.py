"""Brute force on the three sign-in pages: django-axes locks a username + address out.

The regression of issue 5, item 2: forty wrong passwords and then the right one used to sign in.
Now, after AXES_FAILURE_LIMIT (5) failures, that username from that address gets the 429 page
for AXES_COOLOFF_TIME (15 minutes), even with the right password, and no session is made.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD, UserFactory

SIGN_INS = {
    # page: (URL, persona fixture, username, where a right password leads)
    "console": ("/accounts/login/", "org_admin", "admin", "/"),
    "member": ("/c/login/", "member", "zhangsan@example.com", "/c/me/"),
    "admin": ("/admin/login/", "superuser", "root", "/"),
}


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _sign_in(client: Client, url: str, username: str, password: str, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.fixture
def target(request):
    url, persona, username, landing = SIGN_INS[request.param]
    request.getfixturevalue(persona)
    return url, username, landing


@pytest.mark.parametrize("target", list(SIGN_INS), indirect=True)
def test_forty_wrong_then_right_is_refused(target):
    url, username, _landing = target
    client = Client()
    statuses = [_sign_in(client, url, username, f"wrong-{i}").status_code for i in range(40)]
    assert statuses == [200] * 4 + [429] * 36
    response = _sign_in(client, url, username, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("target", list(SIGN_INS), indirect=True)
def test_sign_in_works_again_after_the_cool_off(target):
    url, username, landing = target
    client = Client()
    for i in range(5):
        _sign_in(client, url, username, f"wrong-{i}")
    assert _sign_in(client, url, username, PASSWORD).status_code == 429
    # The clock moves on: the failures are older than the 15-minute cool-off.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    response = _sign_in(client, url, username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == landing
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize("target", ["console", "member"], indirect=True)
def test_lockout_is_per_username_and_address(target, org_admin, member):
    url, username, landing = target
    for i in range(5):
        _sign_in(Client(), url, username, f"wrong-{i}")
    # The same person from another address still signs in.
    other = Client(REMOTE_ADDR="127.0.0.2")
    response = _sign_in(other, url, username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == landing


@pytest.mark.parametrize("target", ["console"], indirect=True)
def test_a_right_password_below_the_limit_resets_the_count(target):
    url, username, _landing = target
    client = Client()
    for i in range(4):
        _sign_in(client, url, username, f"wrong-{i}")
    assert _sign_in(client, url, username, PASSWORD).status_code == 302
    client.logout()
    for i in range(4):
        assert _sign_in(client, url, username, f"again-{i}").status_code == 200
    assert _sign_in(client, url, username, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("url", "persona", "username", "language", "texts"),
    [
        ("/c/login/", "member", "zhangsan@example.com", "en", ["m-title", "/c/password-reset/"]),
        (
            "/accounts/login/",
            "org_admin",
            "admin",
            "en",
            ["card narrow", "/accounts/password-reset/"],
        ),
        (
            "/c/login/",
            "member",
            "zhangsan@example.com",
            "zh-hans",
            ["尝试次数过多", "请在 15 分钟后重试。"],
        ),
        ("/accounts/login/", "org_admin", "admin", "zh-hans", ["尝试次数过多", "通过邮件重设"]),
    ],
)
def test_lockout_page_has_the_look_and_language_of_its_sign_in(
    request, url, persona, username, language, texts
):
    request.getfixturevalue(persona)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    for i in range(5):
        response = _sign_in(client, url, username, f"wrong-{i}")
    assert response.status_code == 429
    html = response.content.decode()
    for text in texts:
        assert text in html
