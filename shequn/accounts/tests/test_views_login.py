"""Sign-in and sign-out of the operator console."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shequn.accounts.tests.factories import PASSWORD

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_urls() -> None:
    assert reverse("accounts:login") == LOGIN
    assert reverse("accounts:logout") == "/accounts/logout/"


@pytest.mark.django_db
def test_login_page_renders_for_anonymous() -> None:
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["username", "password"]


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
def test_operator_signs_in_and_lands_on_dashboard(persona, request) -> None:
    operator = request.getfixturevalue(persona)
    client = Client()
    response = client.post(LOGIN, {"username": operator.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:dashboard")
    assert _signed_in_user_id(client) == str(operator.user.pk)


def test_next_is_honoured(org_admin) -> None:
    client = Client()
    response = client.post(
        f"{LOGIN}?next=/members/",
        {"username": "admin", "password": PASSWORD, "next": "/members/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/members/"


def test_member_gets_pointed_to_member_pages_and_is_not_signed_in(member) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "zhangsan@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": [
            "This is a member account, not an operator account. "
            "Members sign in on the member pages."
        ]
    }
    assert f'href="{reverse("portal:login")}"' in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_outsider_is_told_it_is_not_an_operator_account(outsider) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "outsider", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": [
            "This account is not an operator account. Ask an organisation admin for access."
        ]
    }
    assert 'href="/c/login/"' not in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_wrong_password_is_refused(org_admin) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "admin", "password": "wrong-password"})
    assert response.status_code == 200
    assert (
        response.context["form"]
        .errors["__all__"][0]
        .startswith("Please enter a correct username and password.")
    )
    assert _signed_in_user_id(client) is None


def test_switched_off_operator_cannot_sign_in(org_admin) -> None:
    org_admin.user.is_active = False
    org_admin.user.save()
    client = Client()
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    assert _signed_in_user_id(client) is None


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant", "member"])
def test_logout_by_post(persona, client_as) -> None:
    client = client_as(persona)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert _signed_in_user_id(client) is None


def test_logout_by_get_is_not_allowed(org_admin, client_as) -> None:
    client = client_as("org_admin")
    assert client.get("/accounts/logout/").status_code == 405
    assert _signed_in_user_id(client) == str(org_admin.user.pk)
