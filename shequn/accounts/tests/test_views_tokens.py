"""API token pages: each operator manages their own tokens; the raw value is shown once."""

from __future__ import annotations

import hashlib

import pytest

from shequn.accounts.models import ApiToken
from shequn.accounts.selectors import get_scope_for_token
from shequn.accounts.services import issue_api_token
from shequn.audit.models import AuditAction, AuditEntry

OPERATORS = ("org_admin", "chapter_head", "assistant")
DENIED = {"member": 403, "outsider": 403, "anonymous": 302}
PERSONAS = (*OPERATORS, *DENIED)


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _check_denied(response, persona: str, path: str) -> None:
    assert response.status_code == DENIED[persona]
    if persona == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_token_list_permissions(persona, client_as, db) -> None:
    response = client_as(persona).get("/accounts/tokens/")
    if persona in OPERATORS:
        assert response.status_code == 200
    else:
        _check_denied(response, persona, "/accounts/tokens/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_token_create_permissions(persona, client_as, request, db) -> None:
    response = client_as(persona).post("/accounts/tokens/new/", {"name": "sync"})
    if persona in OPERATORS:
        assert response.status_code == 302
        assert response["Location"] == "/accounts/tokens/created/"
        assert ApiToken.objects.get().operator == request.getfixturevalue(persona)
    else:
        _check_denied(response, persona, "/accounts/tokens/new/")
        assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_token_revoke_permissions(persona, client_as, org_admin) -> None:
    token, _ = issue_api_token(actor=None, operator=org_admin, name="admin's")
    path = f"/accounts/tokens/{token.pk}/revoke/"
    response = client_as(persona).post(path)
    token.refresh_from_db()
    if persona == "org_admin":
        assert response.status_code == 302
        assert response["Location"] == "/accounts/tokens/"
        assert token.revoked_at is not None
    elif persona in OPERATORS:
        assert response.status_code == 404  # someone else's token: not even its existence
        assert token.revoked_at is None
    else:
        _check_denied(response, persona, path)
        assert token.revoked_at is None


def test_token_create_get_is_not_allowed(client_as, org_admin) -> None:
    assert client_as("org_admin").get("/accounts/tokens/new/").status_code == 405
    assert not ApiToken.objects.exists()


def test_token_revoke_get_is_not_allowed(client_as, org_admin) -> None:
    token, _ = issue_api_token(actor=None, operator=org_admin)
    assert client_as("org_admin").get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_created_token_is_shown_once_works_and_only_its_hash_is_stored(
    client_as, chapter_head
) -> None:
    client = client_as("chapter_head")
    response = client.post("/accounts/tokens/new/", {"name": "WeCom sync"}, follow=True)
    assert response.redirect_chain == [("/accounts/tokens/created/", 302)]
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    raw = response.context["raw_token"]
    html = response.content.decode()
    assert raw.startswith("sq_")
    assert f'value="{raw}"' in html
    assert "it is shown only this once" in html

    token = ApiToken.objects.get()
    assert token.name == "WeCom sync"
    assert token.operator == chapter_head
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    stored = {token.name, token.prefix, token.token_hash}
    assert raw not in stored

    found = get_scope_for_token(raw)
    assert found is not None
    scope, found_token = found
    assert found_token == token
    assert scope.operator == chapter_head

    listing = client.get("/accounts/tokens/").content.decode()
    assert raw not in listing
    assert token.prefix in listing

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.changes) == (
        chapter_head.user,
        AuditAction.ISSUE_TOKEN,
        "apitoken",
        {"name": "WeCom sync"},
    )


def test_over_long_name_creates_nothing(client_as, org_admin) -> None:
    response = client_as("org_admin").post("/accounts/tokens/new/", {"name": "x" * 81})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["Ensure this value has at most 80 characters (it has 81)."]
    }
    assert "raw_token" not in response.context
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_revoke_stops_the_token_and_is_audited(client_as, assistant) -> None:
    token, raw = issue_api_token(actor=None, operator=assistant, name="old")
    response = client_as("assistant").post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert get_scope_for_token(raw) is None
    entry = AuditEntry.objects.get(action=AuditAction.REVOKE_TOKEN)
    assert entry.actor == assistant.user
    assert entry.object_id == str(token.pk)


def test_htmx_revoke_returns_the_row(client_as, assistant) -> None:
    token, _ = issue_api_token(actor=None, operator=assistant, name="old")
    response = client_as("assistant").post(
        f"/accounts/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["accounts/partials/token_row.html"]
    assert f'id="token-{token.pk}"' in response.content.decode()


def test_list_shows_only_own_tokens(client_as, org_admin, chapter_head) -> None:
    mine, _ = issue_api_token(actor=None, operator=chapter_head, name="mine")
    issue_api_token(actor=None, operator=org_admin, name="theirs")
    response = client_as("chapter_head").get("/accounts/tokens/")
    assert list(response.context["tokens"]) == [mine]


@pytest.mark.parametrize("count", [3, 10])
def test_token_list_queries_are_constant(
    count, client_as, org_admin, django_assert_num_queries
) -> None:
    for i in range(count):
        issue_api_token(actor=None, operator=org_admin, name=f"t{i}")
    client = client_as("org_admin")
    # session, user, operator scope, tokens
    with django_assert_num_queries(4):
        response = client.get("/accounts/tokens/")
    assert len(response.context["tokens"]) == count
