"""`manage.py create_api_token`: prints one token, stores only its hash."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from shequn.accounts.models import ApiToken
from shequn.accounts.tests.factories import UserFactory
from shequn.core.tests.api_helpers import body, send


def error_of(*args: str) -> str:
    with pytest.raises(CommandError) as exc:
        run(*args)
    return str(exc.value)


def run(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_prints_a_working_token_and_stores_only_its_hash(org_admin):
    output = run("admin", "--name", "CRM sync")
    raw = output.strip()
    assert output == raw + "\n"  # only the token on stdout
    assert raw.startswith("sq_")
    token = ApiToken.objects.get()
    assert (token.operator, token.name, token.prefix) == (org_admin, "CRM sync", raw[:10])
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.token_hash, token.name, token.prefix}
    response = send(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "GET", "/me")
    assert body(response)["username"] == "admin"


def test_each_run_issues_a_new_token(chapter_head):
    assert run("head") != run("head")
    assert ApiToken.objects.filter(operator=chapter_head).count() == 2


def test_unknown_user(db):
    assert error_of("nobody") == "There is no user nobody."
    assert ApiToken.objects.count() == 0


def test_user_who_is_not_an_operator(member):
    UserFactory(username="plain")
    assert error_of("plain") == "The user plain has no operator account."
    assert error_of("zhangsan@example.com") == (
        "The user zhangsan@example.com has no operator account."
    )
    assert ApiToken.objects.count() == 0


def test_switched_off_operator(org_admin):
    org_admin.user.is_active = False
    org_admin.user.save()
    assert error_of("admin") == "The account admin is switched off."
    assert ApiToken.objects.count() == 0
