"""A new API token: Post/Redirect/Get, shown once; a blank name is refused; the usage hint
shows its `<token>` placeholder."""

from __future__ import annotations

import pytest

from shequn.accounts.models import ApiToken
from shequn.accounts.views import JUST_ISSUED_SESSION_KEY
from shequn.audit.models import AuditEntry

OPERATORS = ("org_admin", "chapter_head", "assistant")


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def test_reloading_the_token_page_mints_no_second_token(client_as, chapter_head) -> None:
    client = client_as("chapter_head")
    response = client.post("/accounts/tokens/new/", {"name": "WeCom sync"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/tokens/created/")
    assert ApiToken.objects.count() == 1

    shown = client.get("/accounts/tokens/created/")
    raw = shown.context["raw_token"]
    assert shown.status_code == 200
    assert shown.context["token"] == ApiToken.objects.get()
    assert f'value="{raw}"' in shown.content.decode()
    assert JUST_ISSUED_SESSION_KEY not in client.session  # the raw value left the session

    # Reloading (or coming back to) the page: no new token, no raw value, a word why.
    again = client.get("/accounts/tokens/created/", follow=True)
    assert again.redirect_chain == [("/accounts/tokens/", 302)]
    html = again.content.decode()
    assert raw not in html
    assert "A new token is shown only once, right after it is created." in html
    assert ApiToken.objects.count() == 1
    assert AuditEntry.objects.filter(action="issue_token").count() == 1


def test_token_page_is_never_cached(client_as, assistant) -> None:
    client = client_as("assistant")
    client.post("/accounts/tokens/new/", {"name": "bot"})
    response = client.get("/accounts/tokens/created/")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_token_page_without_a_new_token(client_as, org_admin) -> None:
    response = client_as("org_admin").get("/accounts/tokens/created/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/tokens/")
    assert not ApiToken.objects.exists()


def test_token_page_refuses_post(client_as, org_admin) -> None:
    assert client_as("org_admin").post("/accounts/tokens/created/").status_code == 405


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_is_refused(name, client_as, org_admin) -> None:
    response = client_as("org_admin").post("/accounts/tokens/new/", {"name": name})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["Give the token a name that says what it is for, e.g. “WeCom sync”."]
    }
    assert "Give the token a name that says what it is for" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.exists()


def test_blank_name_is_refused_in_chinese(client_as, org_admin, settings) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    response = client_as("org_admin").post("/accounts/tokens/new/", {"name": ""})
    assert response.context["form"].errors == {
        "name": ["请为令牌起一个说明用途的名称，例如“企业微信同步”。"]
    }
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", OPERATORS)
def test_usage_hint_shows_the_placeholder(persona, client_as, request) -> None:
    request.getfixturevalue(persona)
    client = client_as(persona)
    html = client.get("/accounts/tokens/").content.decode()
    assert "Send it as “Authorization: Bearer &lt;token&gt;”." in html
    client.post("/accounts/tokens/new/", {"name": "sync"})
    created = client.get("/accounts/tokens/created/").content.decode()
    assert "Send it to the API in the header “Authorization: Bearer &lt;token&gt;”." in created


def test_usage_hint_in_chinese(client_as, org_admin, settings) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    html = client_as("org_admin").get("/accounts/tokens/").content.decode()
    assert "请以“Authorization: Bearer &lt;token&gt;”的形式发送。" in html


def test_no_inline_handler_on_the_token_field(client_as, assistant) -> None:
    client = client_as("assistant")
    client.post("/accounts/tokens/new/", {"name": "bot"})
    html = client.get("/accounts/tokens/created/").content.decode()
    assert "onfocus" not in html
    assert 'id="new-token-value"' in html
    assert 'data-copy-target="#new-token-value"' in html
