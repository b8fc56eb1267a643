"""A user name written differently counts against the same lockout (review of issue 5, item 2).

Sign-in forms clean the user name before it is checked (spaces stripped, Unicode NFKC, member
emails in lower case), and django-axes counts the cleaned name: five wrong passwords typed as
variants of one name lock that name out just as five typed the same way do.
"""

from __future__ import annotations

import pytest
from django.test import Client

from shequn.accounts.tests.factories import PASSWORD, UserFactory

VARIANTS = {
    "member": (
        "/c/login/",
        "zhangsan@example.com",
        [
            "ZhangSan@Example.com",
            " zhangsan@example.com",
            "ZHANGSAN@EXAMPLE.COM ",
            "zhangsan@EXAMPLE.com",
            "\tZhangsan@example.com",
        ],
    ),
    "org_admin": (
        "/accounts/login/",
        "admin",
        [" admin", "admin ", "ａｄｍｉｎ", " ａdmin ", "\tadmin"],  # fullwidth: NFKC
    ),
    "superuser": ("/admin/login/", "root", [" root", "root ", "ｒｏｏｔ", "\troot", " ｒoot"]),
}


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("persona", list(VARIANTS))
def test_variants_of_a_user_name_share_one_lockout(request, persona):
    request.getfixturevalue(persona)
    url, username, variants = VARIANTS[persona]
    client = Client()
    for i, variant in enumerate(variants):
        client.post(url, {"username": variant, "password": f"wrong-{i}"})
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
