"""/api/v1/me and token authentication: the token acts with exactly its operator's scope."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from shequn.accounts.models import ApiToken
from shequn.accounts.services import issue_api_token
from shequn.core.tests.api_helpers import assert_problem, body, send


def test_me_for_org_admin(api_client_as, org, org_admin):
    assert body(send(api_client_as("org_admin"), "GET", "/me")) == {
        "username": "admin",
        "role": "org_admin",
        "organization": {"id": org.pk, "name": "培训经理人俱乐部", "slug": "pj"},
        "chapter_ids": [],
        "community_ids": [],
    }


def test_me_for_chapter_head(api_client_as, chapter):
    document = body(send(api_client_as("chapter_head"), "GET", "/me"))
    assert (document["username"], document["role"]) == ("head", "chapter_head")
    assert (document["chapter_ids"], document["community_ids"]) == ([chapter.pk], [])


def test_me_for_assistant(api_client_as, community):
    document = body(send(api_client_as("assistant"), "GET", "/me"))
    assert (document["username"], document["role"]) == ("assistant", "assistant")
    assert (document["chapter_ids"], document["community_ids"]) == ([], [community.pk])


@pytest.mark.parametrize("persona", ["member", "outsider", "anonymous"])
def test_me_needs_a_token(api_client_as, persona, member):
    response = send(api_client_as(persona), "GET", "/me")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_missing_and_invalid_tokens_say_why(api_client_as, db):
    problem = assert_problem(send(api_client_as("anonymous"), "GET", "/me"), 401)
    assert problem["detail"] == (
        "Send your API token in the header 'Authorization: Bearer <token>'."
    )
    problem = assert_problem(send(api_client_as("outsider"), "GET", "/me"), 401)
    assert problem["detail"] == "This API token is unknown or revoked."
    for header in ("Token abc", "Bearer", "Bearer "):
        assert_problem(send(Client(HTTP_AUTHORIZATION=header), "GET", "/me"), 401)


def test_a_signed_in_session_is_not_enough(client_as, org_admin):
    assert_problem(send(client_as("org_admin"), "GET", "/me"), 401)


def test_revoked_token_is_refused(org_admin):
    token, raw = issue_api_token(actor=None, operator=org_admin)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert send(client, "GET", "/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_problem(send(client, "GET", "/me"), 401)


def test_token_of_switched_off_account_is_refused(org_admin):
    _token, raw = issue_api_token(actor=None, operator=org_admin)
    org_admin.user.is_active = False
    org_admin.user.save()
    assert_problem(send(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "GET", "/me"), 401)


def test_use_is_noted_on_the_token(org_admin):
    token, raw = issue_api_token(actor=None, operator=org_admin)
    assert token.last_used_at is None
    send(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "GET", "/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_scope_follows_the_operator(api_client_as, chapter_head, other_chapter, other_community):
    """A token has no scope of its own: changing the operator changes what it sees."""
    client = api_client_as("chapter_head")
    assert_problem(send(client, "GET", f"/communities/{other_community.pk}"), 404)
    chapter_head.chapters.add(other_chapter)
    assert body(send(client, "GET", f"/communities/{other_community.pk}"))["slug"] == "bj-salon"
